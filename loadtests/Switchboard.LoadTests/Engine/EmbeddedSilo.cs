using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Switchboard.Auth;
using Switchboard.Hosting;
using Switchboard.LoadTests.Simulation;

namespace Switchboard.LoadTests.Engine;

/// <summary>
/// The real silo hosted in this process, as the end-to-end tests host it: Kestrel on 127.0.0.1 with a free port,
/// localhost clustering on free ports, in-memory storage, and exactly the generated agents and the standard skills.
/// Its per-client limits are raised (<see cref="TargetLimits"/>); the agents' tokens come from its own issuer.
/// </summary>
public sealed class EmbeddedSilo : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EmbeddedSilo(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
        Tokens = app.Services.GetRequiredService<TokenIssuer>();
    }

    public Uri Url { get; }

    /// <summary>Signs tokens with the key this silo checks (one it made at start, unless the run named one).</summary>
    public TokenIssuer Tokens { get; }

    public static async Task<EmbeddedSilo> StartAsync(AgentRoster roster, string? signingKey)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Switchboard:Embedded:SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Switchboard:Embedded:GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
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

        if (signingKey is not null)
        {
            settings[$"{AuthOptions.Section}:SigningKey"] = signingKey;
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "LoadTest",
            ContentRootPath = AppContext.BaseDirectory,
        });
        // Only what this run says: the Silo's appsettings.json (copied next to this tool) would add its demo agents.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddSwitchboard();
        // The tool owns Ctrl+C and SIGTERM (it stops the load and still reports); the host must not hold them.
        builder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
        var app = builder.Build();
        app.MapSwitchboard();
        await app.StartAsync();
        return new EmbeddedSilo(app, new Uri(app.Urls.Single()));
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }

    private sealed class NoSignalLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
