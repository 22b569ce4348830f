using System.Runtime.InteropServices;
using Switchboard.LoadTests.Engine;
using Switchboard.LoadTests.Options;
using Switchboard.LoadTests.Reporting;

LoadTestOptions options;
try
{
    options = OptionsParser.Parse(args);
}
catch (OptionsException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

if (options.Help)
{
    Console.WriteLine(OptionsParser.Usage);
    return 0;
}

if (options.PrintAgents is { } format)
{
    // With the per-client limits a load test needs; what the silo must know beyond that goes to stderr, so stdout
    // stays a file to pass to env or merge into appsettings.
    var roster = options.Roster();
    Console.Write(format == "json" ? roster.ToAppSettingsJson(TargetLimits.Settings) : roster.ToEnvironment() + TargetLimits.ToEnvironment());
    Console.Error.WriteLine(
        $"Sign-in: the tool signs the agents' tokens with --signing-key or {AgentSignIn.KeyVariable} (set the same key on every silo), " +
        "or, without a key, asks each silo's POST /api/dev/token (a silo on embedded defaults with no key configured).");
    return 0;
}

await using var run = new LoadRun(options, Console.Out);
var signals = 0;
void OnSignal(PosixSignalContext context)
{
    // First signal: stop the load and report what was measured; second: leave at once.
    context.Cancel = true;
    if (Interlocked.Increment(ref signals) == 1)
    {
        run.Interrupt();
    }
    else
    {
        Environment.Exit(130);
    }
}

using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
RunReport report;
try
{
    report = await run.RunAsync();
}
catch (TargetException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 3;
}

Console.Write(ReportWriter.ToConsole(report));
Console.Write(run.DescribeSiloWork());
var folder = ReportWriter.WriteFolder(report, options.Out, run.Recorders);
Console.WriteLine($"  reports: {Path.GetFullPath(folder)}");
Console.WriteLine($"load test {ReportWriter.OneLine(report)}");
return report.Verdict.ExitCode;
