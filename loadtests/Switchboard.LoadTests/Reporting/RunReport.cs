using Switchboard.LoadTests.Measurement;

namespace Switchboard.LoadTests.Reporting;

/// <summary>What a run found; written as report.json, report.md and the console summary.</summary>
public sealed record RunReport(
    string Scenario,
    DateTimeOffset StartedAt,
    string Target,
    MachineInfo Machine,
    IReadOnlyDictionary<string, string> Settings,
    LoadResult Load,
    IReadOnlyList<LatencyRow> Latencies,
    SlaResult Sla,
    IReadOnlyList<TeamFairness> Fairness,
    long OverCapacityEvents,
    GeneratorResult Generator,
    Verdict Verdict);

/// <summary>Counts and throughput over the measured window.</summary>
public sealed record LoadResult(
    string Model,
    string Schedule,
    double MeasuredSeconds,
    double OfferedPerSecond,
    long Due,
    long Started,
    long Assigned,
    long Ok,
    long Failed,
    double FailedShare,
    IReadOnlyDictionary<string, int> FailureReasons,
    double ConversationsPerSecond,
    double MessagesPerSecond,
    long ConversationQueuedPushes,
    long ArrivedWithTeamFull,
    IReadOnlyDictionary<string, int> ArrivedWithTeamFullByTopic,
    long StaleResolved,
    long WarmupOk,
    long WarmupFailed,
    double DrainSeconds,
    int Agents,
    int Capacity,
    double ExpectedPeakConcurrency,
    string TopicMix,
    long Retried,
    IReadOnlyDictionary<string, int> RetryReasons,
    long WarmupRetried);

/// <summary>A latency's percentiles (ms) and, where there is an echo floor, each percentile as a multiple of the echo's.</summary>
public sealed record LatencyRow(string Name, string Measures, LatencySummary Ms, EchoRatio? ToEcho);

public sealed record EchoRatio(double P50, double P75, double P95, double P99, double Max)
{
    public static EchoRatio? Of(LatencySummary latency, LatencySummary echo) =>
        latency.Count == 0 || echo.Count == 0 || echo.P50 <= 0
            ? null
            : new(Ratio(latency.P50, echo.P50), Ratio(latency.P75, echo.P75), Ratio(latency.P95, echo.P95), Ratio(latency.P99, echo.P99), Ratio(latency.Max, echo.Max));

    private static double Ratio(double value, double floor) => floor > 0 ? Math.Round(value / floor, 1) : 0;
}

/// <summary>Share of measured conversations whose first agent reply reached the customer within the SLA.</summary>
public sealed record SlaResult(double TargetSeconds, long Eligible, long Met, double? Attainment);

/// <summary>
/// Load spread among agents with identical skills. Peak is the most conversations an agent held at once; mean held
/// is time-weighted over the measured window; a ratio of 1 is perfectly even. Null ratio: the least loaded had none.
/// </summary>
public sealed record TeamFairness(
    string Team,
    int Agents,
    int Capacity,
    int PeakMax,
    int PeakMin,
    double? PeakRatio,
    double MeanHeldMax,
    double MeanHeldMin,
    double? MeanHeldRatio,
    int AssignmentsMax,
    int AssignmentsMin,
    double Utilisation);

public sealed record WorkerResult(int Worker, long Fired, LatencySummary Lag);

/// <summary>Whether the generator kept its schedule; when it did not, the latencies say more about it than about the server.</summary>
public sealed record GeneratorResult(
    IReadOnlyList<WorkerResult> Workers,
    LatencySummary ThreadPoolLag,
    double CpuShare,
    double? OtherProcessesCpuShare,
    double CpuMsPerConversation,
    GcCounters Gc,
    bool SharesProcessWithSilo,
    bool GeneratorBound,
    string Explanation,
    long Errors);

/// <summary>Garbage collections in this process during the load (the embedded silo's included) and the time they paused it.</summary>
public readonly record struct GcCounters(int Gen0, int Gen1, int Gen2, double PauseMs)
{
    public static GcCounters Read() =>
        new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration().TotalMilliseconds);

    public static GcCounters operator -(GcCounters after, GcCounters before) =>
        new(after.Gen0 - before.Gen0, after.Gen1 - before.Gen1, after.Gen2 - before.Gen2, Math.Round(after.PauseMs - before.PauseMs, 1));
}

public sealed record Verdict(int ExitCode, IReadOnlyList<string> Problems, IReadOnlyList<string> Warnings);
