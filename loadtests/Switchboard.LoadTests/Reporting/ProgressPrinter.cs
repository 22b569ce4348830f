using System.Diagnostics;
using System.Globalization;
using Switchboard.LoadTests.Engine;
using Switchboard.LoadTests.Measurement;
using Switchboard.LoadTests.Options;

namespace Switchboard.LoadTests.Reporting;

/// <summary>One console row per progress interval: what the run did in that interval, warm-up included.</summary>
public sealed class ProgressPrinter(
    TextWriter console,
    LoadTestOptions options,
    RunClock clock,
    RunMetrics metrics,
    IReadOnlyList<Pacer> pacers,
    Func<int> active,
    Func<long> arrivals)
{
    private static readonly string[] Columns =
        ["time", "phase", "offered/s", "ok/s", "failed", "open", "assign p50", "p99", "c→a p99", "a→c p99", "echo p50", "lag p99", "pool p99", "cpu"];

    private static readonly int[] Widths = [6, 7, 9, 7, 6, 6, 10, 8, 8, 8, 8, 7, 8, 5];

    private readonly Lock _lock = new();
    private long _lastTime = Stopwatch.GetTimestamp();
    private long _lastArrivals;
    private long _lastOk;
    private long _lastFailed;
    private TimeSpan _lastCpu = Process.GetCurrentProcess().TotalProcessorTime;

    public async Task RunAsync(CancellationToken stop)
    {
        console.WriteLine(Line(Columns));
        using var timer = new PeriodicTimer(options.Progress);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                PrintRow(final: false);
            }
        }
        catch (OperationCanceledException)
        {
            // The run is over; the caller prints the last row.
        }
    }

    public void PrintRow(bool final)
    {
        lock (_lock)
        {
            var now = Stopwatch.GetTimestamp();
            var seconds = Math.Max(Stopwatch.GetElapsedTime(_lastTime, now).TotalSeconds, 1e-3);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var arrived = arrivals();
            var ok = metrics.Ok + metrics.UnmeasuredOk;
            var failed = metrics.Failed + metrics.UnmeasuredFailed;
            var assign = metrics.Assignment.TakeInterval();
            var lag = pacers.Select(p => p.Lag.TakeInterval().P99).DefaultIfEmpty(0).Max();
            var elapsed = clock.Elapsed(now);
            var phase = final ? "end" : now < clock.WarmupEnd ? "warm-up" : now < clock.LoadEnd ? "load" : "drain";
            console.WriteLine(Line(
            [
                elapsed < TimeSpan.Zero ? "0s" : $"{elapsed.TotalSeconds:0}s",
                phase,
                F((arrived - _lastArrivals) / seconds),
                F((ok - _lastOk) / seconds),
                (failed - _lastFailed).ToString(CultureInfo.InvariantCulture),
                active().ToString(CultureInfo.InvariantCulture),
                assign.Count == 0 ? "-" : F(assign.P50),
                assign.Count == 0 ? "-" : F(assign.P99),
                Ms(metrics.CustomerToAgent.TakeInterval()),
                Ms(metrics.AgentToCustomer.TakeInterval()),
                Ms(metrics.Echo.TakeInterval(), p50: true),
                F(lag),
                F(metrics.ThreadPoolLag.TakeInterval().P99),
                $"{(cpu - _lastCpu).TotalSeconds / seconds / Environment.ProcessorCount * 100:0}%",
            ]));
            _lastTime = now;
            _lastArrivals = arrived;
            _lastOk = ok;
            _lastFailed = failed;
            _lastCpu = cpu;
        }
    }

    /// <summary>A row padded to the progress table's columns.</summary>
    public static string Line(IReadOnlyList<string> cells) =>
        string.Join(' ', cells.Select((c, i) => i < 2 ? c.PadRight(Widths[i]) : c.PadLeft(Widths[i])));

    private static string Ms(LatencySummary s, bool p50 = false) => s.Count == 0 ? "-" : F(p50 ? s.P50 : s.P99);

    private static string F(double value) => value.ToString(value >= 100 ? "0" : "0.##", CultureInfo.InvariantCulture);
}
