using System.Globalization;

namespace Switchboard.Hosting;

/// <summary>
/// One Switchboard process hosted inside another on embedded defaults, reachable only from this machine: Kestrel on
/// 127.0.0.1 with a port the system picks, and the embedded Orleans silo and gateway on free ports, so several can run
/// side by side (test collections in parallel, the load-test tool next to a silo on the default ports). The load-test
/// tool's embedded mode and the end-to-end and browser tests start the silo through it. Its grain state is in memory
/// unless the settings say otherwise: silos side by side must not share one database file.
/// </summary>
public sealed class LoopbackSilo : IAsyncDisposable
{
    private LoopbackSilo(WebApplication app)
    {
        App = app;
        BaseAddress = new Uri(app.Urls.Single());
    }

    public WebApplication App { get; }

    /// <summary>Where Kestrel listens: <c>http://127.0.0.1:port/</c>.</summary>
    public Uri BaseAddress { get; }

    public IServiceProvider Services => App.Services;

    /// <summary>
    /// Builds, maps and starts the silo. <paramref name="configure"/> runs first, on the new builder (it may replace
    /// the default configuration sources, add services such as a fake clock, or change Kestrel); then memory grain
    /// storage, then <paramref name="settings"/> (which may name a database instead), and the loopback endpoints last,
    /// so those win over whatever came before them.
    /// </summary>
    public static async Task<LoopbackSilo> StartAsync(
        WebApplicationOptions options,
        IEnumerable<KeyValuePair<string, string?>> settings,
        Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(options);
        configure?.Invoke(builder);
        builder.Configuration.AddInMemoryCollection([KeyValuePair.Create(EmbeddedStorage.StorageKey, (string?)EmbeddedStorage.Memory)]);
        builder.Configuration.AddInMemoryCollection(settings);
        var (siloPort, gatewayPort) = (LoopbackPorts.Next(), LoopbackPorts.Next());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Switchboard:Embedded:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
            ["Switchboard:Embedded:GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
        });
        builder.AddSwitchboard();
        var app = builder.Build();
        app.MapSwitchboard();
        await app.StartAsync();
        return new LoopbackSilo(app);
    }

    /// <summary>Stops the silo (bounded by the host's <see cref="HostOptions.ShutdownTimeout"/>) and releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
