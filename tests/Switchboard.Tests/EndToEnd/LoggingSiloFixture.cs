using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using Switchboard.Hubs;

namespace Switchboard.Tests.EndToEnd;

/// <summary>
/// The silo over Kestrel with its log captured as a deployed silo writes it: the capture follows the levels of the
/// silo's own <c>appsettings.json</c>. The silo runs on a fake clock, so a test says when a minute of log budget ends.
/// A test-only hub filter makes <see cref="EchoHub.Echo"/> fail as a bug would when it is sent <see cref="FailingPayload"/>.
/// </summary>
public sealed class LoggingSiloFixture : SiloFixture
{
    public const string FailingPayload = "fail as a bug would";

    public LogCapture Logs { get; } = new();

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));

    protected override FakeTimeProvider Clock => Time;

    /// <summary>
    /// Ends the current minute of log budget (its summaries are written now) and marks the log: what a test does next
    /// has every source's whole budget, and <see cref="LogCapture.Since"/> the mark shows only what it wrote.
    /// </summary>
    public int NewMinute()
    {
        Time.Advance(TimeSpan.FromMinutes(1));
        return Logs.Mark();
    }

    protected override void Customize(WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TimeProvider>(Time);
        builder.Services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
        builder.Services.AddSingleton<ILoggerProvider>(Logs);
        // Provider-specific levels win over the quiet provider-less levels every test silo sets, so the capture gets
        // exactly what the shipped levels let through and the test output stays quiet.
        var shipped = new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).Build();
        builder.Configuration.AddInMemoryCollection(shipped.GetSection("Logging:LogLevel").AsEnumerable(makePathsRelative: true)
            .Where(level => level.Value is not null)
            .Select(level => KeyValuePair.Create($"Logging:Capture:LogLevel:{level.Key}", level.Value)));
        // The one failure a test makes on purpose stays out of the console (the capture still gets it).
        builder.Configuration.AddInMemoryCollection([KeyValuePair.Create("Logging:LogLevel:Switchboard.Hubs.SwitchboardHubFilter", (string?)"None")]);
        // After the product's own filter, so the failure happens inside it, as a bug in a hub method would.
        builder.Services.PostConfigure<HubOptions>(hub => hub.AddFilter(new FailingEcho()));
    }

    private sealed class FailingEcho : IHubFilter
    {
        public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocation, Func<HubInvocationContext, ValueTask<object?>> next)
        {
            if (invocation.HubMethodName == nameof(EchoHub.Echo) && invocation.HubMethodArguments is [FailingPayload])
            {
                await Task.Yield();
                throw new InvalidOperationException("Echo broke, as a bug would.");
            }

            return await next(invocation);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class LoggingSiloCollection : ICollectionFixture<LoggingSiloFixture>
{
    public const string Name = "silo over kestrel with its log captured";
}
