using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Switchboard.Auth;
using Switchboard.Hosting;
using Switchboard.Web;

namespace Switchboard.BrowserTests;

/// <summary>
/// The real silo in-process on Kestrel (127.0.0.1, a free port), serving the console from the silo project's own
/// folder (its <c>wwwroot</c>, <c>appsettings.json</c> with the demo agents and quick replies, and the npm-installed
/// SignalR client), and Debian's Chromium driven headless by Playwright. Embedded defaults with no signing key: the
/// development sign-in is on.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    /// <summary>Debian's Chromium, unless <c>CHROMIUM_PATH</c> names another build.</summary>
    public static string ChromiumPath { get; } = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    private LoopbackSilo? _silo;
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The silo's own token issuer (its key is made at start): for tokens the development sign-in does not give.</summary>
    public TokenIssuer Tokens => _silo!.Services.GetRequiredService<TokenIssuer>();

    /// <summary>Why the browser tests cannot run here, or null when they can.</summary>
    public string? Unavailable { get; private set; }

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string ScreenshotFolder { get; } = Path.Combine(RepositoryRoot, "artifacts", "screenshots");

    public async Task InitializeAsync()
    {
        var siloFolder = Path.Combine(RepositoryRoot, "src", "Switchboard.Silo");
        var client = Path.Combine([siloFolder, .. ConsolePages.SignalRClientFolder, "signalr.min.js"]);
        Unavailable = !File.Exists(ChromiumPath)
            ? $"Chromium is not installed at {ChromiumPath}; scripts/test.sh installs Debian's 'chromium' package."
            : !File.Exists(client)
                ? $"The SignalR browser client is missing ({client}); building the silo runs 'npm ci' when npm is installed."
                : null;
        if (Unavailable is not null)
        {
            return;
        }

        _silo = await StartSiloAsync();
        BaseAddress = _silo.BaseAddress;

        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
        Directory.CreateDirectory(ScreenshotFolder);
    }

    /// <summary>
    /// A silo as the console tests run it, with <paramref name="overrides"/> on top: the fixture's own, or one a test
    /// starts for clocks it cannot share with the others (fast overflow, say).
    /// </summary>
    public static Task<LoopbackSilo> StartSiloAsync(IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>
        {
            // A slow machine must not take the conversation away from the agent between two steps of a test.
            ["Switchboard:Sla:ReservationTimeout"] = "00:10:00",
            // Each test keeps to its own queues: nothing it leaves waiting spills into another test's queue.
            ["Switchboard:Sla:OverflowAfter"] = "01:00:00",
            // An angry customer's clock runs out at once, so a breach alert comes without waiting.
            ["Switchboard:Sla:AngryFirstResponse"] = "00:00:01",
            // The tests' own HTTP starts all come from 127.0.0.1 and some stay open: one address to the silo.
            ["Switchboard:Limits:OpenConversationsPerAddress"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Orleans.Runtime.Silo"] = "Error",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return LoopbackSilo.StartAsync(
            new WebApplicationOptions { ContentRootPath = Path.Combine(RepositoryRoot, "src", "Switchboard.Silo"), EnvironmentName = "Testing" },
            settings);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }
    }

    /// <summary>Skips the calling test with the reason, except under CI, where a browser test that cannot run fails.</summary>
    public void RequireBrowser()
    {
        if (Unavailable is null)
        {
            return;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{Unavailable} CI=true: the browser tests must run.");
        }

        Skip.If(true, Unavailable);
    }

    private static string FindRepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Cluster.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No Cluster.sln above {AppContext.BaseDirectory}.");
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "console in chromium";
}
