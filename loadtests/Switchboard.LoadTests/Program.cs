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
    var roster = options.Roster();
    Console.Write(format == "json" ? roster.ToAppSettingsJson() : roster.ToEnvironment());
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
var folder = ReportWriter.WriteFolder(report, options.Out, run.Recorders);
Console.WriteLine($"  reports: {Path.GetFullPath(folder)}");
Console.WriteLine($"load test {ReportWriter.OneLine(report)}");
return report.Verdict.ExitCode;
