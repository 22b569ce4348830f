using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Hosting;

namespace Switchboard.Tests.Hosting;

/// <summary>The rule that keeps SignalR's dispatcher from logging every failed hub call at Error, and nothing more.</summary>
public sealed class DropErrorLinesTests
{
    private const string Dispatcher = LoggingHosting.HubDispatcherCategory;

    [Fact]
    public void AtTheShippedLevelsTheDispatchersErrorLineIsDroppedAndOtherCategoriesKeepTheirs()
    {
        var (services, logs) = Logging(new()
        {
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        });

        Write(services, Dispatcher, LogLevel.Debug, LogLevel.Information, LogLevel.Warning, LogLevel.Error, LogLevel.Critical);
        Write(services, "Microsoft.AspNetCore.SignalR.HubConnectionHandler", LogLevel.Information, LogLevel.Error);
        Write(services, "Switchboard.Refusals", LogLevel.Information);

        Assert.Equal(
            [
                (Dispatcher, LogLevel.Warning),
                (Dispatcher, LogLevel.Critical),
                ("Microsoft.AspNetCore.SignalR.HubConnectionHandler", LogLevel.Error),
                ("Switchboard.Refusals", LogLevel.Information),
            ],
            logs.Entries.Select(e => (e.Category, e.Level)));
    }

    [Fact]
    public void AnOperatorWhoTurnsTheDispatchersDebugLinesOnGetsThemWithoutTheErrorLine()
    {
        var (services, logs) = Logging(new()
        {
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore.SignalR"] = "Debug",
        });

        Write(services, Dispatcher, LogLevel.Trace, LogLevel.Debug, LogLevel.Error);

        Assert.Equal([LogLevel.Debug], logs.Entries.Select(e => e.Level));
    }

    [Fact]
    public void AProvidersOwnLevelsStillApplyToTheDispatcherWithoutTheErrorLine()
    {
        // A provider's own rule beats every rule for all providers, however precise: the drop is added per provider.
        var (services, logs) = Logging(new()
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:Capture:LogLevel:Default"] = "Trace",
        });

        Write(services, Dispatcher, LogLevel.Trace, LogLevel.Error);
        Write(services, "Microsoft.AspNetCore.Routing", LogLevel.Trace);

        Assert.Equal([(Dispatcher, LogLevel.Trace), ("Microsoft.AspNetCore.Routing", LogLevel.Trace)], logs.Entries.Select(e => (e.Category, e.Level)));
    }

    private static (ServiceProvider Services, LogCapture Logs) Logging(Dictionary<string, string?> settings)
    {
        var capture = new LogCapture();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection()
            .AddLogging(logging => logging.AddConfiguration(configuration.GetSection("Logging")).AddProvider(capture))
            .AddSingleton<IPostConfigureOptions<LoggerFilterOptions>>(new DropErrorLines(Dispatcher))
            .BuildServiceProvider();
        return (services, capture);
    }

    private static void Write(ServiceProvider services, string category, params LogLevel[] levels)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(category);
        foreach (var level in levels)
        {
            logger.Log(level, "a line at {Level}", level);
        }
    }
}
