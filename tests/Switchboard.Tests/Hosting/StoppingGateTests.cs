using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Switchboard.Hosting;

namespace Switchboard.Tests.Hosting;

/// <summary>A silo that is stopping sends new requests elsewhere: 503, Retry-After, and the connection closed.</summary>
public sealed class StoppingGateTests
{
    [Fact]
    public async Task RequestsArePassedOnUntilTheHostStopsThenAnswered503WithRetryAfterAndConnectionClose()
    {
        var lifetime = new Lifetime();
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IHostApplicationLifetime>(lifetime)
            .BuildServiceProvider();
        var app = new ApplicationBuilder(services);
        app.UseStoppingGate();
        var reached = 0;
        app.Run(_ =>
        {
            reached++;
            return Task.CompletedTask;
        });
        var pipeline = app.Build();

        var before = NewContext(services);
        await pipeline(before);
        Assert.Equal(1, reached);
        Assert.Equal(StatusCodes.Status200OK, before.Response.StatusCode);

        lifetime.StopApplication();
        var after = NewContext(services);
        await pipeline(after);
        Assert.Equal(1, reached);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, after.Response.StatusCode);
        Assert.Equal("1", after.Response.Headers.RetryAfter.ToString());
        Assert.Equal("close", after.Response.Headers.Connection.ToString());
        after.Response.Body.Position = 0;
        using var problem = await JsonDocument.ParseAsync(after.Response.Body);
        Assert.Equal("This silo is stopping", problem.RootElement.GetProperty("title").GetString());
    }

    private static DefaultHttpContext NewContext(IServiceProvider services) => new()
    {
        RequestServices = services,
        Response = { Body = new MemoryStream() },
    };

    private sealed class Lifetime : IHostApplicationLifetime
    {
        private readonly CancellationTokenSource _stopping = new();

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => _stopping.Token;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => _stopping.Cancel();
    }
}
