using System.Collections.Concurrent;
using System.Diagnostics;
using Switchboard.Hosting;

namespace Switchboard.IntegrationTests.Infrastructure;

/// <summary>
/// One silo as an operator runs it: <c>dotnet Switchboard.Silo.dll --contentRoot src/Switchboard.Silo</c>, configured
/// through environment variables only, on free loopback ports. A silo of a cluster needs its signing key among the
/// settings (<c>Switchboard__Auth__SigningKey</c>); without one it refuses to start.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private const string ReadyLine = "Switchboard is serving on";
    private const int LogLines = 400;

    // Settings a developer's shell may carry (eval "$(scripts/services.sh env)"): a test silo gets only what it is given.
    private static readonly string[] InheritedPrefixes = ["ConnectionStrings__", "Orleans__", "Switchboard__", "Logging__", "ASPNETCORE_", "DOTNET_ENVIRONMENT", "Urls"];

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();
    // SWITCHBOARD_TEST_SILO_LOGS=<folder> keeps each silo's whole log in <folder>/<name>-<pid>.log, for a diagnosis
    // that needs more than the last lines a failure prints.
    private StreamWriter? _fullLog;
    private readonly Lock _logLock = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _logWaiters = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SiloProcess(string name, int httpPort, int siloPort, Process process)
    {
        Name = name;
        HttpPort = httpPort;
        SiloPort = siloPort;
        _process = process;
    }

    public string Name { get; }

    public int HttpPort { get; }

    /// <summary>The Orleans silo-to-silo port, which names the silo in membership (127.0.0.1:port).</summary>
    public int SiloPort { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{HttpPort}");

    public bool HasExited => _exited.Task.IsCompleted;

    public int ProcessId => _process.Id;

    /// <summary>The process's exit code once it has exited (3: it gave up waiting for PostgreSQL at start).</summary>
    public int? ExitCode => HasExited ? _process.ExitCode : null;

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

    /// <summary>The last lines the silo wrote, for a failure message.</summary>
    public string RecentLog => string.Join(Environment.NewLine, _log);

    public static SiloProcess Start(string name, IReadOnlyDictionary<string, string> settings)
    {
        var httpPort = LoopbackPorts.Next();
        var siloPort = LoopbackPorts.Next();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Paths.SiloAssembly, "--contentRoot", Paths.SiloProjectDirectory },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var key in start.Environment.Keys.Where(k => InheritedPrefixes.Any(p => k.StartsWith(p, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["Urls"] = $"http://127.0.0.1:{httpPort}";
        start.Environment["Orleans__Name"] = name;
        start.Environment["Orleans__Endpoints__AdvertisedIPAddress"] = "127.0.0.1";
        start.Environment["Orleans__Endpoints__SiloPort"] = siloPort.ToString();
        var gatewayPort = LoopbackPorts.Next();
        start.Environment["Orleans__Endpoints__GatewayPort"] = gatewayPort.ToString();
        // The same ports for a silo on embedded defaults (no clustering provider named), which takes them from here.
        start.Environment["Switchboard__Embedded__SiloPort"] = siloPort.ToString();
        start.Environment["Switchboard__Embedded__GatewayPort"] = gatewayPort.ToString();
        // Embedded silos share one content root (src/Switchboard.Silo) and so one default database file: memory
        // unless the settings name a database of the test's own.
        start.Environment["Switchboard__Embedded__Storage"] = "memory";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Switchboard"] = "Information";
        start.Environment["Logging__LogLevel__Polly"] = "Error";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        start.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        // SWITCHBOARD_TEST_SILO_LOG_LEVELS="Orleans.Runtime.Catalog=Debug;Switchboard.Deadlines=Debug" raises chosen
        // categories for a diagnosis (the developer's own Logging__ settings are not inherited, above).
        foreach (var pair in (Environment.GetEnvironmentVariable("SWITCHBOARD_TEST_SILO_LOG_LEVELS") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (pair.Split('=', 2) is [var category, var level])
            {
                start.Environment[$"Logging__LogLevel__{category}"] = level;
            }
        }

        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var silo = new SiloProcess(name, httpPort, siloPort, process);
        process.OutputDataReceived += (_, e) => silo.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => silo.OnOutput(e.Data);
        process.Exited += (_, _) => silo.OnExited();
        process.Start();
        if (Environment.GetEnvironmentVariable("SWITCHBOARD_TEST_SILO_LOGS") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            silo._fullLog = new StreamWriter(Path.Combine(folder, $"{name}-{process.Id}.log")) { AutoFlush = true };
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    /// <summary>Completes when the silo has joined its cluster and Kestrel listens (the start-up log line).</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        var first = await Task.WhenAny(_ready.Task, _exited.Task).WaitAsync(timeout);
        if (first == _exited.Task)
        {
            throw new InvalidOperationException($"Silo {Name} exited while starting:{Environment.NewLine}{RecentLog}");
        }
    }

    /// <summary>
    /// The first line the silo wrote (of its last <see cref="LogLines"/>) or writes that matches; fails at once when
    /// the silo exits without writing one, and after <paramref name="timeout"/>.
    /// </summary>
    public async Task<string> WaitForLogAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_logLock)
        {
            if (_log.FirstOrDefault(match) is { } written)
            {
                return written;
            }

            _logWaiters.Add((match, found));
        }

        await Task.WhenAny(found.Task, ExitedWithAllOutputAsync()).WaitAsync(timeout);
        return found.Task.IsCompleted
            ? await found.Task
            : throw new InvalidOperationException($"Silo {Name} exited without writing the line waited for:{Environment.NewLine}{RecentLog}");
    }

    /// <summary>Waits until the process has exited and all it wrote has been read; its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await ExitedWithAllOutputAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the process gets no chance to leave the cluster.</summary>
    public async Task KillAsync()
    {
        if (!HasExited)
        {
            _process.Kill();
        }

        await _exited.Task;
    }

    /// <summary>SIGTERM, the way a service manager stops it: the silo leaves the cluster and deactivates its grains.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (HasExited)
        {
            return;
        }

        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString()]))
        {
            await term.WaitForExitAsync();
        }

        try
        {
            await _exited.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            await KillAsync();
            throw new TimeoutException($"Silo {Name} did not stop within {timeout}:{Environment.NewLine}{RecentLog}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
        lock (_logLock)
        {
            _fullLog?.Dispose();
            _fullLog = null;
        }
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            _fullLog?.WriteLine(line);
            _log.Enqueue(line);
            while (_log.Count > LogLines && _log.TryDequeue(out _))
            {
            }

            for (var i = _logWaiters.Count - 1; i >= 0; i--)
            {
                if (_logWaiters[i].Match(line))
                {
                    _logWaiters[i].Found.TrySetResult(line);
                    _logWaiters.RemoveAt(i);
                }
            }
        }

        if (line.Contains(ReadyLine, StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }

    private void OnExited() => _exited.TrySetResult();

    // The Exited event may come before the last lines are read; Process.WaitForExitAsync waits for those too.
    private async Task ExitedWithAllOutputAsync()
    {
        await _exited.Task;
        await _process.WaitForExitAsync();
    }
}
