using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Hubs;
using Switchboard.Limits;
using Xunit.Abstractions;

namespace Switchboard.Tests.EndToEnd;

/// <summary>
/// What a silo writes, at its shipped log levels, when callers are refused in a loop: a few short lines per caller and
/// a count, never a stack trace; and what it writes when something really breaks: one Error with the stack.
/// </summary>
[Collection(LoggingSiloCollection.Name)]
public sealed class RefusalLoggingTests(LoggingSiloFixture silo, ITestOutputHelper output) : HubTests
{
    private static readonly int Budget = new LimitsOptions().LogLinesPerSourcePerMinute;

    // The minute the fake clock jumps can outrun an agent's presence lease (the lease check and the host's confirmation
    // are both timers on that clock, and either may fire first): the agent grain then logs that the agent went offline.
    // That is presence, not the logging of refusals, so it is left out of what these tests judge. So are Orleans' own
    // health warnings (a stalled thread pool or runtime on a busy machine): they are about the machine, not the requests.
    private static List<LogEntry> WithoutPresence(IEnumerable<LogEntry> entries) =>
        entries.Where(e => e.Category != typeof(AgentGrain).FullName && !IsMachineHealth(e.Category)).ToList();

    private static bool IsMachineHealth(string category) =>
        category is "Orleans.Runtime.Watchdog" || category.StartsWith("Orleans.Runtime.MembershipService.LocalSiloHealthMonitor", StringComparison.Ordinal);

    [Fact]
    public async Task AFloodOfRefusedHubCallsWritesAtMostTheBudgetAndOneSummaryWithoutAStackOrAnError()
    {
        var (agentId, _) = silo.NewLane();
        var busy = await ConnectAsync(silo.AgentConnection(agentId));
        var mark = silo.NewMinute();

        var calls = await Task.WhenAll(Enumerable.Range(0, 300).Select(async _ =>
        {
            try
            {
                await busy.InvokeAsync<AgentView>(nameof(AgentHub.GetProfile));
                return null;
            }
            catch (HubException ex)
            {
                return ex;
            }
        }));
        var refused = calls.Count(c => c?.Message.Contains("Too many calls on this connection") == true);
        var duringFlood = silo.Logs.Since(mark);
        silo.Time.Advance(TimeSpan.FromMinutes(1));
        var written = WithoutPresence(silo.Logs.Since(mark));

        output.WriteLine($"measured: 300 calls at once on one connection, {refused} refused: {duringFlood.Count} entries, " +
            $"{duringFlood.Sum(e => e.Lines)} lines, {duringFlood.Sum(e => e.Bytes)} bytes; then {written.Count - duringFlood.Count} summary");
        Assert.True(refused > Budget, $"only {refused} calls were refused");
        Assert.DoesNotContain(written, e => e.Level >= LogLevel.Error || e.Exception is not null);
        Assert.DoesNotContain(written, e => e.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        var about = written.Where(e => e.Field("AgentId") == agentId || e.Field("Source") == $"agent {agentId}").ToList();
        Assert.All(about, e => Assert.Equal((RefusalLog.Category, LogLevel.Information, 1), (e.Category, e.Level, e.Lines)));
        var lines = about.Where(e => e.Field("Method") is not null).ToList();
        Assert.Equal(Budget, lines.Count);
        Assert.All(lines, e =>
        {
            Assert.StartsWith($"Refused AgentHub.GetProfile from agent {agentId} on connection {busy.ConnectionId} at 127.0.0.1: Too many calls on this connection", e.Message);
        });
        var summary = Assert.Single(about, e => e.Field("Count") is not null);
        Assert.Equal($"{refused - Budget} more refusals from agent {agentId} were not logged (at most {Budget} lines a minute each)", summary.Message);
    }

    [Fact]
    public async Task AFloodOfRefusedRequestsAndBadTokensWritesAtMostTheBudgetPerCallerAndNothingWithAStack()
    {
        var (agentId, skill) = silo.NewLane();
        var started = await silo.StartOverHttpAsync(new StartConversation("Ann", skill, "Hi"));
        using var customer = silo.As(started.CustomerToken);
        using var garbage = silo.As("not.a.token");
        using var agent = silo.As(silo.AgentToken(agentId));
        var mark = silo.NewMinute();

        var badTokens = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => garbage.GetAsync("/api/overview")));
        var badBodies = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ =>
            silo.Http.PostAsync("/api/conversations", new StringContent("{not json", Encoding.UTF8, "application/json"))));
        var messages = await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            customer.PostAsJsonAsync($"/api/conversations/{started.Conversation.Id}/messages", new { text = $"again {i}" }, silo.Json)));
        var forbidden = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => agent.GetAsync("/api/overview")));
        var duringFlood = silo.Logs.Since(mark);
        silo.Time.Advance(TimeSpan.FromMinutes(1));
        var written = WithoutPresence(silo.Logs.Since(mark));

        output.WriteLine($"measured: 400 refused requests (100 each 401, 400, 403, and {messages.Count(m => m.StatusCode == HttpStatusCode.TooManyRequests)} of 100 answered 429): " +
            $"{duringFlood.Count} entries, {duringFlood.Sum(e => e.Lines)} lines, {duringFlood.Sum(e => e.Bytes)} bytes; then {written.Count - duringFlood.Count} summaries");
        Assert.All(badTokens, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        Assert.All(badBodies, r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
        Assert.All(forbidden, r => Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode));
        var throttled = messages.Count(m => m.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.True(throttled > Budget, $"only {throttled} messages were refused");

        // ASP.NET Core writes nothing at its shipped level (the JWT handler's stack-traced Information line included).
        Assert.DoesNotContain(written, e => e.Level >= LogLevel.Warning || e.Exception is not null);
        Assert.DoesNotContain(written, e => e.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.All(written, e => Assert.Equal(1, e.Lines));

        // Anonymous callers are known by address: the bad tokens and bad bodies share that budget.
        var anonymous = written.Where(e => e.Field("Source") == "address 127.0.0.1").ToList();
        Assert.All(anonymous, e => Assert.Equal((RefusalLog.Category, LogLevel.Information), (e.Category, e.Level)));
        Assert.Equal(Budget, anonymous.Count(e => e.Field("Count") is null));
        Assert.Contains(anonymous, e => e.Message.StartsWith("Refused the bearer token of GET /api/overview from address 127.0.0.1: IDX", StringComparison.Ordinal));
        Assert.Equal($"{200 - Budget}", Assert.Single(anonymous, e => e.Field("Count") is not null).Field("Count"));

        var byCustomer = written.Where(e => e.Field("Source") == $"customer {started.Conversation.Id}").ToList();
        Assert.All(byCustomer, e => Assert.Equal((RefusalLog.Category, LogLevel.Information), (e.Category, e.Level)));
        var lines = byCustomer.Where(e => e.Field("Count") is null).ToList();
        Assert.Equal(Budget, lines.Count);
        Assert.All(lines, e => Assert.StartsWith(
            $"Refused POST /api/conversations/{{id}}/messages from customer {started.Conversation.Id} at 127.0.0.1 with 429: Too many messages", e.Message));
        Assert.Equal($"{throttled - Budget}", Assert.Single(byCustomer, e => e.Field("Count") is not null).Field("Count"));
    }

    [Fact]
    public async Task AHubCallThatFailsUnexpectedlyIsLoggedOnceAtErrorWithItsStack()
    {
        var echo = await ConnectAsync(new HubConnectionBuilder().WithUrl(new Uri(silo.BaseAddress, EchoHub.Path)).Build());
        var mark = silo.NewMinute();

        var failure = await Assert.ThrowsAsync<HubException>(() => echo.InvokeAsync<string>(nameof(EchoHub.Echo), LoggingSiloFixture.FailingPayload));
        Assert.Equal("hello", await echo.InvokeAsync<string>(nameof(EchoHub.Echo), "hello"));

        // SignalR tells the client nothing about the bug; the log tells the operator everything, once.
        Assert.Equal("An unexpected error occurred invoking 'Echo' on the server.", failure.Message);
        var error = Assert.Single(silo.Logs.Since(mark), e => e.Level >= LogLevel.Error);
        Assert.Equal(LogLevel.Error, error.Level);
        Assert.Equal($"EchoHub.Echo failed for connection {echo.ConnectionId} at 127.0.0.1", error.Message);
        var exception = Assert.IsType<InvalidOperationException>(error.Exception);
        Assert.Equal("Echo broke, as a bug would.", exception.Message);
        Assert.Contains("FailingEcho.InvokeMethodAsync", error.Text);
    }
}
