using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Switchboard.Auth;
using Switchboard.Hosting;
using Switchboard.LoadTests.Simulation;

namespace Switchboard.LoadTests.Engine;

/// <summary>
/// The real silo hosted in this process, as the end-to-end tests host it (<see cref="LoopbackSilo"/>): Kestrel on
/// 127.0.0.1 with a free port, localhost clustering on free ports, in-memory storage (or a SQLite file, as embedded
/// defaults have it, with <c>--embedded-database</c>), and exactly the generated agents
/// and the standard skills. Its per-client limits are raised (<see cref="TargetLimits"/>); the agents' tokens come
/// from its own issuer.
/// </summary>
public sealed class EmbeddedSilo : IAsyncDisposable
{
    private readonly LoopbackSilo _silo;

    private EmbeddedSilo(LoopbackSilo silo, SiloWork work)
    {
        _silo = silo;
        Work = work;
        Tokens = silo.Services.GetRequiredService<TokenIssuer>();
    }

    public Uri Url => _silo.BaseAddress;

    /// <summary>Signs tokens with the key this silo checks (one it made at start, unless the run named one).</summary>
    public TokenIssuer Tokens { get; }

    /// <summary>Grain calls, state writes and activations, counted while <see cref="SiloWork.Start"/> is on.</summary>
    public SiloWork Work { get; }

    public static async Task<EmbeddedSilo> StartAsync(AgentRoster roster, string? signingKey, string? database = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Orleans.Runtime.Silo"] = "Error",
            // Its first check after start reports the time since boot as a stall; the run measures stalls itself.
            ["Logging:LogLevel:Orleans.Runtime.Watchdog"] = "Error",
            ["Logging:LogLevel:Microsoft.AspNetCore.StaticFiles"] = "Error",
        };
        foreach (var (key, value) in roster.ToConfiguration().Concat(TargetLimits.ToConfiguration()))
        {
            settings[key] = value;
        }

        if (database is not null)
        {
            settings[EmbeddedStorage.StorageKey] = EmbeddedStorage.Sqlite;
            settings[EmbeddedStorage.DatabaseKey] = database;
        }

        if (signingKey is not null)
        {
            settings[$"{AuthOptions.Section}:SigningKey"] = signingKey;
        }

        var work = new SiloWork();
        var silo = await LoopbackSilo.StartAsync(
            new WebApplicationOptions { EnvironmentName = "LoadTest", ContentRootPath = AppContext.BaseDirectory },
            settings,
            builder =>
            {
                // Only what this run says: the Silo's appsettings.json (copied next to this tool) would add its demo agents.
                builder.Configuration.Sources.Clear();
                // The tool owns Ctrl+C and SIGTERM (it stops the load and still reports); the host must not hold them.
                builder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
                // A silo that will not stop must not keep the report from being written.
                builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(10));
                builder.Services.AddSingleton<IIncomingGrainCallFilter>(work);
            });
        return new EmbeddedSilo(silo, work);
    }

    public async ValueTask DisposeAsync()
    {
        await _silo.DisposeAsync();
        Work.Dispose();
    }

    private sealed class NoSignalLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
