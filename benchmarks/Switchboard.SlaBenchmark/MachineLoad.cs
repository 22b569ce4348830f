using System.Diagnostics;

/// <summary>
/// The load average and how much CPU other processes took while the benchmark ran (from /proc): a run that shared the
/// cores is void.
/// </summary>
internal sealed class MachineLoad
{
    private readonly string _loadBefore = LoadAverage();
    private readonly long _busyBefore = MachineBusyTicks();
    private readonly TimeSpan _ownBefore = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly Stopwatch _wall = Stopwatch.StartNew();

    public static MachineLoad Start() => new();

    public string Report()
    {
        var own = Process.GetCurrentProcess().TotalProcessorTime - _ownBefore;
        // /proc/stat counts in USER_HZ (100 per second on Linux).
        var busy = TimeSpan.FromSeconds((MachineBusyTicks() - _busyBefore) / 100.0);
        var others = busy - own;
        var wall = _wall.Elapsed;
        return $"load average {_loadBefore} before, {LoadAverage()} after; this process {own.TotalSeconds:F0} s CPU ({own / wall:F2} cores), " +
            $"other processes {Math.Max(0, others.TotalSeconds):F0} s CPU ({Math.Max(0, others / wall):F2} cores) over {wall.TotalSeconds:F0} s";
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static long MachineBusyTicks()
    {
        if (!File.Exists("/proc/stat"))
        {
            return 0;
        }

        // cpu  user nice system idle iowait irq softirq steal ...: busy is everything but idle and iowait.
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        return fields.Sum() - fields[3] - (fields.Length > 4 ? fields[4] : 0);
    }
}
