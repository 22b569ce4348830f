using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Conversations;
using Switchboard.Hubs;
using Switchboard.Metrics;

namespace Switchboard.Tests.EndToEnd;

/// <summary><c>GET /api/stats/today</c>: today in 15-minute intervals, what the supervisor's charts draw.</summary>
[Collection(SiloCollection.Name)]
public sealed class FloorChartsApiTests(SiloFixture silo) : HubTests
{
    [Fact]
    public async Task TodaysIntervalsCountAServedChatUnderItsTopicAndMarkAnAnomalyForSupervisorsOnly()
    {
        var (agentId, skill) = silo.NewLane();
        var connection = silo.AgentConnection(agentId);
        var assignments = new Inbox<ConversationView>(connection, nameof(IAgentClient.ConversationAssigned));
        var agent = await ConnectAsync(connection);
        var started = (await silo.StartOverHttpAsync(new StartConversation("Ann", skill, "Where is order 1234?"))).Conversation;
        await assignments.WaitAsync(c => c.Id == started.Id);
        await agent.InvokeAsync<ChatMessage>(nameof(AgentHub.SendMessage), started.Id, "It ships tomorrow.");
        // What a queue records when its FRT jumps (the rule itself: AnomalyAlertTests, on fake time).
        silo.Services.GetRequiredService<IServiceMetrics>().Record(new ServiceEvent(ServiceEventKind.Anomaly, DateTimeOffset.UtcNow, skill));

        using var today = JsonDocument.Parse(await silo.SupervisorHttp.GetStringAsync("/api/stats/today"));
        var root = today.RootElement;

        var at = root.GetProperty("at").GetDateTimeOffset();
        var from = root.GetProperty("from").GetDateTimeOffset();
        Assert.Equal(new DateTimeOffset(at.UtcDateTime.Date, TimeSpan.Zero), from);
        Assert.Equal("00:15:00", root.GetProperty("interval").GetString());
        var intervals = root.GetProperty("intervals").EnumerateArray().ToArray();
        Assert.Equal((int)((at - from) / TimeSpan.FromMinutes(15)) + 1, intervals.Length);
        Assert.Equal(from.AddMinutes(15 * (intervals.Length - 1)), intervals[^1].GetProperty("start").GetDateTimeOffset());

        var topic = root.GetProperty("topics").EnumerateArray().Single(t => t.GetProperty("name").GetString() == skill);
        var volume = topic.GetProperty("started").EnumerateArray().Select(n => n.GetInt64()).ToArray();
        Assert.Equal(intervals.Length, volume.Length);
        Assert.Equal(1, volume.Sum());
        var quarter = intervals[Array.FindIndex(volume, n => n == 1)];
        Assert.True(quarter.GetProperty("started").GetInt64() >= 1);
        Assert.True(quarter.GetProperty("answered").GetInt64() >= 1);
        Assert.Equal(JsonValueKind.Number, quarter.GetProperty("firstResponseP90Seconds").ValueKind);

        var anomaly = root.GetProperty("anomalies").EnumerateArray().Single(a => a.GetProperty("queue").GetString() == skill);
        Assert.StartsWith("Test lane", anomaly.GetProperty("displayName").GetString());

        await HttpAssert.ProblemAsync(await silo.Http.GetAsync("/api/stats/today"), HttpStatusCode.Unauthorized);
        using var plainAgent = silo.As(silo.AgentToken(agentId));
        await HttpAssert.ProblemAsync(await plainAgent.GetAsync("/api/stats/today"), HttpStatusCode.Forbidden);
    }
}
