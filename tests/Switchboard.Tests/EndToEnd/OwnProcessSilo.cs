using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Switchboard.Hosting;

namespace Switchboard.Tests.EndToEnd;

/// <summary>
/// The silo as an operator runs it on embedded defaults — <c>dotnet Switchboard.Silo.dll --contentRoot src/Switchboard.Silo</c>,
/// with the demo skills and agents of its appsettings.json — in a process of its own, so its memory is its own to
/// measure (an in-process silo shares the test host's with every other test and the clients).
/// </summary>
public sealed class OwnProcessSilo : IAsyncDisposable
{
    private const string ReadyLine = "Switchboard is serving on";

    // Settings a developer's shell may carry: this silo gets only what it is given.
    private static readonly string[] InheritedPrefixes = ["ConnectionStrings__", "Orleans__", "Switchboard__", "Logging__", "ASPNETCORE_", "DOTNET_ENVIRONMENT", "Urls"];

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private OwnProcessSilo(Process process, int httpPort)
    {
        _process = process;
        BaseAddress = new Uri($"http://127.0.0.1:{httpPort}");
    }

    public Uri BaseAddress { get; }

    /// <summary>The process's working set now, in bytes (resident memory: what the operating system gives it).</summary>
    public long WorkingSet
    {
        get
        {
            _process.Refresh();
            return _process.WorkingSet64;
        }
    }

    /// <summary>The highest working set the process has had, in bytes (Linux: VmHWM).</summary>
    public long PeakWorkingSet
    {
        get
        {
            _process.Refresh();
            return _process.PeakWorkingSet64;
        }
    }

    private string RecentLog => string.Join(Environment.NewLine, _log);

    public static async Task<OwnProcessSilo> StartAsync(IReadOnlyDictionary<string, string> settings, TimeSpan timeout)
    {
        var httpPort = LoopbackPorts.Next();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Metadata("SiloAssembly"), "--contentRoot", Metadata("SiloProjectDirectory") },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var key in start.Environment.Keys.Where(k => InheritedPrefixes.Any(p => k.StartsWith(p, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["Urls"] = $"http://127.0.0.1:{httpPort}";
        start.Environment["Switchboard__Embedded__SiloPort"] = LoopbackPorts.Next().ToString(CultureInfo.InvariantCulture);
        start.Environment["Switchboard__Embedded__GatewayPort"] = LoopbackPorts.Next().ToString(CultureInfo.InvariantCulture);
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Switchboard"] = "Information";
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var silo = new OwnProcessSilo(process, httpPort);
        process.OutputDataReceived += (_, e) => silo.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => silo.OnOutput(e.Data);
        process.Exited += (_, _) => silo._exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (await Task.WhenAny(silo._ready.Task, silo._exited.Task).WaitAsync(timeout) == silo._exited.Task)
        {
            throw new InvalidOperationException($"The silo exited while starting:{Environment.NewLine}{silo.RecentLog}");
        }

        return silo;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_exited.Task.IsCompleted)
        {
            _process.Kill();
        }

        await _exited.Task;
        _process.Dispose();
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }

        _log.Enqueue(line);
        while (_log.Count > 200 && _log.TryDequeue(out _))
        {
        }

        if (line.Contains(ReadyLine, StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }

    private static string Metadata(string key) =>
        typeof(OwnProcessSilo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
