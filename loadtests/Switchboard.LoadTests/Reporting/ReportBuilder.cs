using System.Globalization;
using Switchboard.LoadTests.Engine;
using Switchboard.LoadTests.Measurement;
using Switchboard.LoadTests.Options;
using Switchboard.LoadTests.Simulation;

namespace Switchboard.LoadTests.Reporting;

/// <summary>What a finished run hands to the report.</summary>
public sealed record RunFacts(
    LoadTestOptions Options,
    AgentRoster Roster,
    TopicMix Topics,
    ArrivalSchedule? Schedule,
    RunMetrics Metrics,
    IReadOnlyList<SimulatedAgent> Agents,
    IReadOnlyList<Pacer> Pacers,
    DateTimeOffset StartedAt,
    MachineInfo Machine,
    string Target,
    TimeSpan Cpu,
    TimeSpan Wall,
    double? MachineBusy,
    GcCounters Gc,
    TimeSpan Measured,
    bool Interrupted,
    TimeSpan Drain,
    long GeneratorErrors,
    string? EchoUnavailable);

/// <summary>One agent's load, as the fairness table needs it.</summary>
public sealed record AgentLoad(string Team, int Capacity, int Peak, double MeanHeld, int Assignments);

public static class ReportBuilder
{
    public static RunReport Build(RunFacts facts)
    {
        var o = facts.Options;
        var m = facts.Metrics;
        var seconds = Math.Max(facts.Measured.TotalSeconds, 1e-3);
        var echo = m.Echo.Summary();
        LatencyRow Row(LatencyRecorder recorder, string measures, bool compare) =>
            new(recorder.Name, measures, recorder.Summary(), compare ? EchoRatio.Of(recorder.Summary(), echo) : null);

        var latencies = new List<LatencyRow>
        {
            Row(m.Assignment, "scheduled start → the agent's client has ConversationAssigned", true),
            Row(m.CustomerToAgent, "customer's intended send → the agent's client has the message", true),
            Row(m.AgentToCustomer, "agent's intended send → the customer's client has the message", true),
            Row(m.FirstResponse, "scheduled start → first agent message at the customer (includes agent think time)", false),
            Row(m.StartCall, "scheduled start → the start call (hub or HTTP) returned", true),
            Row(m.Conversation, "scheduled start → the customer is told it was resolved", false),
            Row(m.Echo, "raw SignalR echo beside the load, from its intended send: the floor", false),
            Row(m.EchoIdle, "raw SignalR echo before the load, one call at a time", false),
        };

        var ended = m.Ok + m.Failed;
        var load = new LoadResult(
            o.Model.ToString().ToLowerInvariant(),
            o.EchoOnly ? "echo only" : o.Model == LoadModel.Closed
                ? $"{o.Concurrency} customers for {Durations.Format(o.Duration)}, {Durations.Format(o.CustomerPause)} between conversations"
                : $"{o.Arrivals.ToString().ToLowerInvariant()} arrivals: {o.Load ?? o.Schedule().Describe()} after {Durations.Format(o.Warmup)} warm-up",
            seconds,
            Round(m.Due / seconds),
            m.Due,
            m.Started,
            m.Assigned,
            m.Ok,
            m.Failed,
            ended == 0 ? 0 : Math.Round((double)m.Failed / ended, 4),
            new SortedDictionary<string, int>(m.FailureReasons.ToDictionary(), StringComparer.Ordinal),
            Round(m.WindowCompletions / seconds),
            Round(m.WindowMessages / seconds),
            m.Queued,
            m.NoFreeAgent,
            new SortedDictionary<string, int>(m.NoFreeAgentByTopic.ToDictionary(), StringComparer.Ordinal),
            m.Stale,
            m.UnmeasuredOk,
            m.UnmeasuredFailed,
            Math.Round(facts.Drain.TotalSeconds, 2),
            facts.Roster.Agents.Count,
            o.Capacity,
            Round(o.ExpectedPeakConcurrency()),
            facts.Topics.ToString(),
            m.Retries,
            new SortedDictionary<string, int>(m.RetryReasons.ToDictionary(), StringComparer.Ordinal),
            m.UnmeasuredRetries);

        var sla = new SlaResult(
            o.Sla.TotalSeconds,
            m.SlaEligible,
            m.SlaMet,
            m.SlaEligible == 0 ? null : Math.Round((double)m.SlaMet / m.SlaEligible, 4));

        var fairness = Judge.Fairness(facts.Agents.Select(a => new AgentLoad(a.Profile.Team, a.Profile.Capacity, a.Peak, a.MeanHeld(), a.Assignments)));

        var workers = facts.Pacers.Select(p => new WorkerResult(p.Index, p.Fired, p.Lag.Summary())).ToList();
        var threadPool = m.ThreadPoolLag.Summary();
        var cpuShare = facts.Cpu / (facts.Wall * Environment.ProcessorCount);
        var others = facts.MachineBusy is { } busy ? Math.Max(0, busy - cpuShare) : (double?)null;
        var conversations = m.Ok + m.Failed + m.UnmeasuredOk + m.UnmeasuredFailed;
        var (bound, explanation) = Judge.Generator(workers.Select(w => w.Lag), threadPool, o.MaxLag, cpuShare, others, o.Embedded);
        var generator = new GeneratorResult(
            workers,
            threadPool,
            Math.Round(cpuShare, 3),
            others is null ? null : Math.Round(others.Value, 3),
            conversations == 0 ? 0 : Math.Round(facts.Cpu.TotalMilliseconds / conversations, 2),
            facts.Gc,
            o.Embedded,
            bound,
            explanation,
            facts.GeneratorErrors);

        var warnings = new List<string>();
        if (facts.Interrupted)
        {
            warnings.Add($"interrupted: {Durations.Format(facts.Measured)} of the {Durations.Format(o.MeasuredDuration)} asked for were measured");
        }

        if (bound)
        {
            warnings.Add($"generator-bound: {explanation}");
        }

        if (facts.EchoUnavailable is not null)
        {
            warnings.Add($"no echo floor: {facts.EchoUnavailable}");
        }

        if (m.Due > 0 && (double)m.NoFreeAgent / m.Due > 0.005)
        {
            warnings.Add(
                $"staffing-bound: {m.NoFreeAgent} of {m.Due} conversations ({Round(100.0 * m.NoFreeAgent / m.Due)} %) arrived when every agent of their " +
                "topic was full, so their assignment waited for a resolve: the assignment tail measures staffing, not routing; raise --agents or use --agents auto");
        }

        var verdict = Judge.Verdict(o, m.Due, m.Ok, m.Failed, m.OverCapacity, m.Assignment.Summary(), warnings);

        var settings = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["scenario"] = o.Scenario,
            ["model"] = o.Model.ToString().ToLowerInvariant(),
            ["agents"] = facts.Roster.Agents.Count.ToString(CultureInfo.InvariantCulture) + (o.Agents is null ? " (auto)" : ""),
            ["capacity"] = o.Capacity.ToString(CultureInfo.InvariantCulture),
            ["skill mix"] = o.SkillMix,
            ["topics"] = o.Topics,
            ["messages per conversation"] = o.Messages.ToString(CultureInfo.InvariantCulture),
            ["agent think"] = o.AgentThink.ToString(),
            ["customer think"] = o.CustomerThink.ToString(),
            ["http share"] = o.HttpShare.ToString("0.##", CultureInfo.InvariantCulture),
            ["customer connections"] = o.CustomerConnections == 0 ? "one per conversation" : o.CustomerConnections.ToString(CultureInfo.InvariantCulture),
            ["warm-up"] = Durations.Format(o.Warmup),
            ["measured"] = Durations.Format(facts.Measured) + (facts.Interrupted ? $" (interrupted; {Durations.Format(o.MeasuredDuration)} asked)" : ""),
            ["workers"] = o.Workers.ToString(CultureInfo.InvariantCulture),
            ["echo rate"] = o.EchoRate.ToString("0.##", CultureInfo.InvariantCulture) + "/s",
            ["seed"] = o.Seed.ToString(CultureInfo.InvariantCulture),
        };

        return new RunReport(o.Scenario, facts.StartedAt, facts.Target, facts.Machine, settings, load, latencies, sla, fairness, m.OverCapacity, generator, verdict);
    }

    private static double Round(double value) => Math.Round(value, 2);
}

/// <summary>The judgements a report makes, kept pure so they can be tested.</summary>
public static class Judge
{
    /// <summary>Groups agents by team and compares the most and least loaded of each.</summary>
    public static IReadOnlyList<TeamFairness> Fairness(IEnumerable<AgentLoad> agents) =>
        [.. agents.GroupBy(a => (a.Team, a.Capacity)).OrderBy(g => g.Key.Team, StringComparer.Ordinal).Select(g =>
        {
            var list = g.ToList();
            var peakMax = list.Max(a => a.Peak);
            var peakMin = list.Min(a => a.Peak);
            var meanMax = list.Max(a => a.MeanHeld);
            var meanMin = list.Min(a => a.MeanHeld);
            return new TeamFairness(
                g.Key.Team,
                list.Count,
                g.Key.Capacity,
                peakMax,
                peakMin,
                peakMin > 0 ? Math.Round((double)peakMax / peakMin, 2) : null,
                Math.Round(meanMax, 3),
                Math.Round(meanMin, 3),
                meanMin > 0 ? Math.Round(meanMax / meanMin, 2) : null,
                list.Max(a => a.Assignments),
                list.Min(a => a.Assignments),
                Math.Round(list.Sum(a => a.MeanHeld) / (list.Count * g.Key.Capacity), 3));
        })];

    /// <summary>
    /// Generator-bound when any worker fired its actions late, or thread-pool callbacks (which timestamp every push)
    /// ran late, by more than <paramref name="maxLag"/> at p99.
    /// </summary>
    public static (bool Bound, string Explanation) Generator(
        IEnumerable<LatencySummary> workerLags, LatencySummary threadPoolLag, TimeSpan maxLag, double cpuShare, double? othersShare, bool sharesProcess)
    {
        var limit = maxLag.TotalMilliseconds;
        var worst = workerLags.Select(l => l.P99).DefaultIfEmpty(0).Max();
        var reasons = new List<string>();
        if (worst > limit)
        {
            reasons.Add($"workers fired p99 {Fmt(worst)} ms late (limit {Fmt(limit)} ms)");
        }

        if (threadPoolLag.P99 > limit)
        {
            reasons.Add($"thread-pool callbacks ran p99 {Fmt(threadPoolLag.P99)} ms late");
        }

        var cpu = $"this process used {Fmt(cpuShare * 100)} % of the machine's CPU"
            + (othersShare is { } others ? $", other processes {Fmt(others * 100)} %" : "");
        if (reasons.Count == 0)
        {
            return (false, $"kept its schedule: worker lag p99 {Fmt(worst)} ms, thread-pool lag p99 {Fmt(threadPoolLag.P99)} ms; {cpu}");
        }

        // Late timers while other processes held a good share of the CPU: the machine was not ours.
        var who = othersShare > 0.15
            ? "; other processes were taking the CPU: rerun on a quiet machine"
            : sharesProcess
                ? "; the embedded silo shares this process and its cores, so the machine as a whole was saturated: part of every latency is the client's own delay"
                : "; latencies include the generator's own delay: run it on more cores or lower the rate";
        return (true, string.Join(", ", reasons) + $"; {cpu}" + who);
    }

    public static Verdict Verdict(LoadTestOptions options, long due, long ok, long failed, long overCapacity, LatencySummary assignment, IReadOnlyList<string> warnings)
    {
        var problems = new List<string>();
        var code = 0;
        if (overCapacity > 0)
        {
            problems.Add($"{overCapacity} over-capacity event(s): an agent held more conversations than its capacity");
            code = 1;
        }

        var ended = ok + failed;
        var share = ended == 0 ? 0 : (double)failed / ended;
        if (share > options.FailThreshold)
        {
            problems.Add($"{failed} of {ended} conversations failed ({Fmt(share * 100)} %), over the {Fmt(options.FailThreshold * 100)} % threshold");
            code = 1;
        }

        if (!options.EchoOnly && due == 0)
        {
            problems.Add("no conversation was due in the measured window");
            code = 1;
        }

        if (options.SloAssignP99 is { } slo && (assignment.Count == 0 || assignment.P99 > slo.TotalMilliseconds))
        {
            problems.Add($"p99 assignment latency {Fmt(assignment.P99)} ms is over the SLO of {Durations.Format(slo)}");
            code = code == 0 ? 4 : code;
        }

        return new Verdict(code, problems, warnings);
    }

    private static string Fmt(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
