using System.Globalization;
using System.Runtime.InteropServices;

namespace Switchboard.LoadTests.Reporting;

/// <summary>The machine a run was measured on, so a number is never read without the box that produced it.</summary>
public sealed record MachineInfo(int Cores, string Cpu, string Memory, string Os, string Runtime, string LoadAverageBefore, string LoadAverageAfter)
{
    public static MachineInfo Read(string loadBefore) => new(
        Environment.ProcessorCount,
        CpuModel(),
        TotalMemory(),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        loadBefore,
        LoadAverage());

    /// <summary>The 1, 5 and 15 minute load averages from /proc/loadavg ("n/a" elsewhere).</summary>
    public static string LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return string.Join(' ', parts.Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
        catch (UnauthorizedAccessException)
        {
            return "n/a";
        }
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    private static string TotalMemory()
    {
        var bytes = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return $"{(bytes / (1024.0 * 1024 * 1024)).ToString("0.#", CultureInfo.InvariantCulture)} GiB";
    }
}

/// <summary>
/// The machine's CPU counters from /proc/stat: two snapshots give how busy all cores were in between, which next to
/// this process's own CPU time shows how much other processes took during a run.
/// </summary>
public readonly record struct CpuCounters(long Busy, long Total)
{
    public static CpuCounters Read()
    {
        try
        {
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            // user nice system idle iowait irq softirq steal ...: idle and iowait are the idle time.
            var total = fields.Take(8).Sum();
            return new CpuCounters(total - fields[3] - fields[4], total);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            return default;
        }
    }

    /// <summary>Share of all cores busy between two snapshots; null where /proc/stat is not there.</summary>
    public static double? BusyShare(CpuCounters before, CpuCounters after) =>
        after.Total > before.Total ? (double)(after.Busy - before.Busy) / (after.Total - before.Total) : null;
}
