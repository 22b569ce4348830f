using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Switchboard.LoadTests.Measurement;

namespace Switchboard.LoadTests.Reporting;

/// <summary>Turns a <see cref="RunReport"/> into the console summary, report.md and report.json.</summary>
public static class ReportWriter
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Writes report.json, report.md and one .hgrm percentile file per latency into a new folder; returns it.</summary>
    public static string WriteFolder(RunReport report, string root, IEnumerable<LatencyRecorder> recorders)
    {
        var folder = Path.Combine(root, $"{report.StartedAt.ToLocalTime():yyyyMMdd-HHmmss}-{report.Scenario}");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "report.json"), ToJson(report));
        File.WriteAllText(Path.Combine(folder, "report.md"), ToMarkdown(report));
        foreach (var recorder in recorders.Where(r => r.Count > 0))
        {
            var name = string.Join('-', recorder.Name.Split([.. recorder.Name.Where(c => !char.IsLetterOrDigit(c)).Distinct()], StringSplitOptions.RemoveEmptyEntries));
            File.WriteAllText(Path.Combine(folder, $"{name}.hgrm"), recorder.PercentileDistribution());
        }

        return folder;
    }

    public static string ToJson(RunReport report) => JsonSerializer.Serialize(report, Json) + "\n";

    public static string ToMarkdown(RunReport report)
    {
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# Load test: {report.Scenario}\n\n");
        md.Append(CultureInfo.InvariantCulture, $"{report.StartedAt:yyyy-MM-dd HH:mm:ss} UTC against {report.Target}. ");
        md.Append(CultureInfo.InvariantCulture, $"Verdict: **{(report.Verdict.ExitCode == 0 ? "pass" : "fail")}** (exit {report.Verdict.ExitCode}).\n\n");
        foreach (var problem in report.Verdict.Problems)
        {
            md.Append(CultureInfo.InvariantCulture, $"- problem: {problem}\n");
        }

        foreach (var warning in report.Verdict.Warnings)
        {
            md.Append(CultureInfo.InvariantCulture, $"- warning: {warning}\n");
        }

        md.Append("\n## Load\n\n").Append(LoadTable(report).ToMarkdown());
        if (report.Load.FailureReasons.Count > 0)
        {
            md.Append("\nFailures by reason:\n\n");
            foreach (var (reason, count) in report.Load.FailureReasons)
            {
                md.Append(CultureInfo.InvariantCulture, $"- {count} × {reason}\n");
            }
        }

        if (report.Load.RetryReasons.Count > 0)
        {
            md.Append("\nRetried calls by call and cause (made again with the same ids; not failures):\n\n");
            foreach (var (reason, count) in report.Load.RetryReasons)
            {
                md.Append(CultureInfo.InvariantCulture, $"- {count} × {reason}\n");
            }
        }

        md.Append("\n## Latency (ms, HdrHistogram)\n\n").Append(LatencyTable(report).ToMarkdown());
        md.Append("\nWhat each measures:\n\n");
        foreach (var row in report.Latencies)
        {
            md.Append(CultureInfo.InvariantCulture, $"- **{row.Name}**: {row.Measures}\n");
        }

        var ratios = RatioTable(report);
        if (ratios is not null)
        {
            md.Append("\n## Against the echo floor (× echo under load, same percentile)\n\n").Append(ratios.ToMarkdown());
        }

        md.Append("\n## SLA and fairness\n\n").Append(SlaLine(report)).Append("\n\n").Append(FairnessTable(report).ToMarkdown());
        md.Append(CultureInfo.InvariantCulture, $"\nOver-capacity events (must be 0): **{report.OverCapacityEvents}**\n");
        md.Append("\n## Generator\n\n").Append(report.Generator.Explanation).Append(".\n\n").Append(WorkerTable(report).ToMarkdown());
        md.Append("\n## Machine\n\n").Append(MachineTable(report).ToMarkdown());
        md.Append("\n## Settings\n\n");
        var settings = new TextTable("setting", "value");
        foreach (var (key, value) in report.Settings)
        {
            settings.Add(key, value);
        }

        md.Append(settings.ToMarkdown());
        return md.ToString();
    }

    public static string ToConsole(RunReport report)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"\nLoad test '{report.Scenario}' against {report.Target}\n\n");
        text.Append(LoadTable(report).ToConsole()).Append('\n');
        text.Append(LatencyTable(report).ToConsole()).Append('\n');
        if (RatioTable(report) is { } ratios)
        {
            text.Append("  as a multiple of the echo under load:\n").Append(ratios.ToConsole()).Append('\n');
        }

        text.Append("  ").Append(SlaLine(report)).Append("\n\n");
        text.Append(FairnessTable(report).ToConsole());
        text.Append(CultureInfo.InvariantCulture, $"  over-capacity events: {report.OverCapacityEvents}\n\n");
        text.Append(WorkerTable(report).ToConsole());
        text.Append("  generator: ").Append(report.Generator.Explanation).Append("\n\n");
        foreach (var problem in report.Verdict.Problems)
        {
            text.Append("  PROBLEM: ").Append(problem).Append('\n');
        }

        foreach (var warning in report.Verdict.Warnings)
        {
            text.Append("  warning: ").Append(warning).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>One line for scripts and CI logs.</summary>
    public static string OneLine(RunReport report)
    {
        var assign = report.Latencies.First(l => l.Name == "assignment").Ms;
        if (report.Scenario == "echo")
        {
            var echo = report.Latencies.First(l => l.Name == "echo (under load)").Ms;
            return string.Create(CultureInfo.InvariantCulture,
                $"{(report.Verdict.ExitCode == 0 ? "passed" : "FAILED")}: echo p50 {echo.P50:0.###} ms p99 {echo.P99:0.###} ms over {echo.Count} calls");
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"{(report.Verdict.ExitCode == 0 ? "passed" : "FAILED")}: {report.Load.Ok} ok, {report.Load.Failed} failed, {report.Load.Retried} retried, " +
            $"{report.Load.ConversationsPerSecond:0.#} conversations/s, assignment p50 {assign.P50:0.##} ms p99 {assign.P99:0.##} ms, " +
            $"over-capacity {report.OverCapacityEvents}{(report.Generator.GeneratorBound ? ", generator-bound" : "")}");
    }

    private static TextTable LoadTable(RunReport report)
    {
        var l = report.Load;
        return new TextTable("load", "value")
            .Add("model", $"{l.Model}: {l.Schedule}")
            .Add("agents", $"{l.Agents} × capacity {l.Capacity} (expected peak {F(l.ExpectedPeakConcurrency)} open conversations)")
            .Add("topics", l.TopicMix)
            .Add("due / started / assigned", $"{l.Due} / {l.Started} / {l.Assigned} in {F(l.MeasuredSeconds)} s ({F(l.OfferedPerSecond)}/s offered)")
            .Add("ok / failed", $"{l.Ok} / {l.Failed} ({F(l.FailedShare * 100)} % failed)")
            .Add("retried calls (not failures)", l.Retried == 0 ? "0" : $"{l.Retried} ({RetryCauses(l.RetryReasons)})")
            .Add("sustained", $"{F(l.ConversationsPerSecond)} conversations/s, {F(l.MessagesPerSecond)} messages/s")
            .Add("arrived with every agent of the topic full", $"{l.ArrivedWithTeamFull} ({F(l.Due == 0 ? 0 : 100.0 * l.ArrivedWithTeamFull / l.Due)} %)"
                + (l.ArrivedWithTeamFullByTopic.Count == 0 ? "" : $": {string.Join(", ", l.ArrivedWithTeamFullByTopic.Select(p => $"{p.Key} {p.Value}"))}"))
            .Add("ConversationQueued pushes", l.ConversationQueuedPushes.ToString(CultureInfo.InvariantCulture))
            .Add("warm-up ok / failed / retried, stale resolved", $"{l.WarmupOk} / {l.WarmupFailed} / {l.WarmupRetried}, {l.StaleResolved}")
            .Add("drain", $"{F(l.DrainSeconds)} s");
    }

    /// <summary>Retries by cause alone ("call: cause" → cause), most first: short enough for the table.</summary>
    private static string RetryCauses(IReadOnlyDictionary<string, int> reasons) => string.Join(", ", reasons
        .GroupBy(p => p.Key.LastIndexOf(": ", StringComparison.Ordinal) is var at and >= 0 ? p.Key[(at + 2)..] : p.Key, p => p.Value)
        .Select(g => (Cause: g.Key, Count: g.Sum()))
        .OrderByDescending(c => c.Count).ThenBy(c => c.Cause, StringComparer.Ordinal)
        .Select(c => $"{c.Count} × {c.Cause}"));

    private static TextTable LatencyTable(RunReport report)
    {
        var table = new TextTable("latency", "count", "p50", "p75", "p95", "p99", "max", "mean");
        foreach (var row in report.Latencies)
        {
            var s = row.Ms;
            table.Add(row.Name, s.Count.ToString(CultureInfo.InvariantCulture), F(s.P50), F(s.P75), F(s.P95), F(s.P99), F(s.Max), F(s.Mean));
        }

        return table;
    }

    private static TextTable? RatioTable(RunReport report)
    {
        var rows = report.Latencies.Where(r => r.ToEcho is not null).ToList();
        if (rows.Count == 0)
        {
            return null;
        }

        var table = new TextTable("latency ÷ echo", "p50", "p75", "p95", "p99", "max");
        foreach (var row in rows)
        {
            var r = row.ToEcho!;
            table.Add(row.Name, X(r.P50), X(r.P75), X(r.P95), X(r.P99), X(r.Max));
        }

        return table;
    }

    private static string SlaLine(RunReport report) => report.Sla.Attainment is { } attainment
        ? $"SLA attainment (first agent reply within {F(report.Sla.TargetSeconds)} s): {F(attainment * 100)} % ({report.Sla.Met} of {report.Sla.Eligible})"
        : "SLA attainment: n/a (no measured conversation had an agent reply)";

    private static TextTable FairnessTable(RunReport report)
    {
        var table = new TextTable("team (equal skills)", "agents", "busy", "peak max/min", "ratio", "mean held max/min", "ratio", "assigned max/min");
        foreach (var t in report.Fairness)
        {
            table.Add(
                t.Team,
                t.Agents.ToString(CultureInfo.InvariantCulture),
                $"{F(t.Utilisation * 100)} %",
                $"{t.PeakMax}/{t.PeakMin}",
                t.PeakRatio is { } p ? F(p) : "∞",
                $"{F(t.MeanHeldMax)}/{F(t.MeanHeldMin)}",
                t.MeanHeldRatio is { } r ? F(r) : "∞",
                $"{t.AssignmentsMax}/{t.AssignmentsMin}");
        }

        return table;
    }

    private static TextTable WorkerTable(RunReport report)
    {
        var table = new TextTable("generator", "fired", "lag p50", "lag p99", "lag max");
        foreach (var w in report.Generator.Workers)
        {
            table.Add($"worker {w.Worker}", w.Fired.ToString(CultureInfo.InvariantCulture), F(w.Lag.P50), F(w.Lag.P99), F(w.Lag.Max));
        }

        var pool = report.Generator.ThreadPoolLag;
        table.Add("thread pool (10 ms timer)", pool.Count.ToString(CultureInfo.InvariantCulture), F(pool.P50), F(pool.P99), F(pool.Max));
        return table;
    }

    private static TextTable MachineTable(RunReport report)
    {
        var m = report.Machine;
        return new TextTable("machine", "value")
            .Add("cores", m.Cores.ToString(CultureInfo.InvariantCulture))
            .Add("cpu", m.Cpu)
            .Add("memory", m.Memory)
            .Add("os", m.Os)
            .Add("runtime", m.Runtime)
            .Add("load average before / after", $"{m.LoadAverageBefore} / {m.LoadAverageAfter}")
            .Add("tool CPU share", $"{F(report.Generator.CpuShare * 100)} %{(report.Generator.SharesProcessWithSilo ? " (tool and silo together)" : "")}")
            .Add("CPU time per conversation", $"{F(report.Generator.CpuMsPerConversation)} ms{(report.Generator.SharesProcessWithSilo ? " (tool and silo together)" : " (the tool alone)")}")
            .Add("garbage collections (gen0/1/2), pause", $"{report.Generator.Gc.Gen0}/{report.Generator.Gc.Gen1}/{report.Generator.Gc.Gen2}, {F(report.Generator.Gc.PauseMs)} ms in all")
            .Add("other processes' CPU share", report.Generator.OtherProcessesCpuShare is { } others ? $"{F(others * 100)} %" : "n/a");
    }

    private static string F(double value) => value.ToString(value >= 100 ? "0.#" : "0.##", CultureInfo.InvariantCulture);

    private static string X(double value) => value.ToString("0.#", CultureInfo.InvariantCulture) + "×";
}
