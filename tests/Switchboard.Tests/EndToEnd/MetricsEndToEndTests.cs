using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.Conversations;
using Switchboard.Hubs;

namespace Switchboard.Tests.EndToEnd;

[Collection(SiloCollection.Name)]
public sealed partial class MetricsEndToEndTests(SiloFixture silo) : HubTests
{
    [Fact]
    public async Task HealthEndpointsSayLiveAndReadyOnceTheSiloHasJoined()
    {
        Assert.Equal(HttpStatusCode.OK, (await silo.Http.GetAsync("/health/live")).StatusCode);
        var ready = await silo.Http.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AServedChatIsRatedOnceAndAnUnansweredOneLeftIsAbandonedInStatsAndOverview()
    {
        var (agentId, served) = silo.NewLane();
        var (_, unanswered) = silo.NewLane();
        var agent = await ConnectAgentAsync(agentId, out var assignments);

        var session = await silo.StartOverHttpAsync(new StartConversation("Ann", served, "Where is order 1234?"));
        var started = session.Conversation;
        using var customer = silo.As(session.CustomerToken);
        await assignments.WaitAsync(c => c.Id == started.Id);
        await agent.InvokeAsync<ChatMessage>(nameof(AgentHub.SendMessage), started.Id, "It ships tomorrow.");

        var early = await customer.PostAsJsonAsync($"/api/conversations/{started.Id}/rating", new { score = 5 }, silo.Json);
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        await agent.InvokeAsync(nameof(AgentHub.Resolve), started.Id);

        var outOfRange = await customer.PostAsJsonAsync($"/api/conversations/{started.Id}/rating", new { score = 6 }, silo.Json);
        Assert.Equal(HttpStatusCode.BadRequest, outOfRange.StatusCode);
        var rated = await customer.PostAsJsonAsync($"/api/conversations/{started.Id}/rating", new { score = 5, comment = "Quick!" }, silo.Json);
        Assert.Equal(HttpStatusCode.Created, rated.StatusCode);
        var again = await customer.PostAsJsonAsync($"/api/conversations/{started.Id}/rating", new { score = 1 }, silo.Json);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var stored = await customer.GetFromJsonAsync<ConversationView>($"/api/conversations/{started.Id}", silo.Json);
        Assert.Equal(5, stored!.Rating?.Score);

        var waiting = await silo.StartOverHttpAsync(new StartConversation("Ann", unanswered, "Where is order 1234?"));
        using var leaver = silo.As(waiting.CustomerToken);
        var left = await leaver.PostAsync($"/api/conversations/{waiting.Conversation.Id}/leave", null);
        Assert.Equal(HttpStatusCode.OK, left.StatusCode);
        var abandoned = await silo.ReadAsync<ConversationView>(left);
        Assert.True(abandoned.Abandoned);
        Assert.Equal(ConversationStatus.Resolved, abandoned.Status);

        using var stats = JsonDocument.Parse(await silo.SupervisorHttp.GetStringAsync("/api/stats"));
        var servedToday = Queue(stats, served).GetProperty("kpis").GetProperty("today");
        Assert.Equal(1, servedToday.GetProperty("handled").GetInt64());
        Assert.Equal(1.0, servedToday.GetProperty("csat").GetDouble());
        Assert.Equal(1.0, servedToday.GetProperty("oneTouchResolutionRate").GetDouble());
        Assert.Equal(1, servedToday.GetProperty("firstResponse").GetProperty("count").GetInt64());
        Assert.Equal("stellar", Queue(stats, served).GetProperty("band").GetString());
        var unansweredToday = Queue(stats, unanswered).GetProperty("kpis").GetProperty("today");
        Assert.Equal(1, unansweredToday.GetProperty("abandoned").GetInt64());
        Assert.Equal(1.0, unansweredToday.GetProperty("abandonmentRate").GetDouble());
        var agentToday = stats.RootElement.GetProperty("agents").EnumerateArray()
            .Single(a => a.GetProperty("id").GetString() == agentId).GetProperty("kpis").GetProperty("today");
        Assert.Equal(1, agentToday.GetProperty("handled").GetInt64());

        using var overview = JsonDocument.Parse(await silo.SupervisorHttp.GetStringAsync("/api/overview"));
        Assert.Equal("stellar", Queue(overview, served).GetProperty("band").GetString());
        Assert.Equal(JsonValueKind.Null, Queue(overview, unanswered).GetProperty("band").ValueKind);
    }

    [Fact]
    public async Task MetricsEndpointServesPrometheusTextWithTheNamedSeries()
    {
        var (agentId, skill) = silo.NewLane();
        var agent = await ConnectAgentAsync(agentId, out var assignments);
        var session = await silo.StartOverHttpAsync(new StartConversation("Ann", skill, "Where is order 1234?"));
        var started = session.Conversation;
        await assignments.WaitAsync(c => c.Id == started.Id);
        await agent.InvokeAsync<ChatMessage>(nameof(AgentHub.SendMessage), started.Id, "Hello!");
        await agent.InvokeAsync(nameof(AgentHub.Resolve), started.Id);
        using var customer = silo.As(session.CustomerToken);
        var rated = await customer.PostAsJsonAsync($"/api/conversations/{started.Id}/rating", new { score = 4 }, silo.Json);
        Assert.Equal(HttpStatusCode.Created, rated.StatusCode);

        var response = await silo.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();

        var names = new HashSet<string>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                Assert.True(line.Length == 0 || CommentLine().IsMatch(line), $"Not a Prometheus comment: {line}");
                continue;
            }

            var sample = SampleLine().Match(line);
            Assert.True(sample.Success, $"Not a Prometheus sample: {line}");
            names.Add(sample.Groups["name"].Value);
        }

        string[] expected =
        [
            "switchboard_conversations_started_total",
            "switchboard_conversations_assigned_total",
            "switchboard_conversations_resolved_total",
            "switchboard_conversations_abandoned_total",
            "switchboard_sla_breaches_total",
            "switchboard_assignment_latency_seconds_bucket",
            "switchboard_first_response_time_seconds_bucket",
            "switchboard_queue_length",
            "switchboard_agents",
            "process_cpu_seconds_total",
            "switchboard_ratings_total",
        ];
        Assert.All(expected, name => Assert.Contains(name, names));
        // Orleans' and the runtime's own meters, through prometheus-net's meter adapter.
        Assert.Contains(names, n => n.StartsWith("microsoft_orleans_", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("system_runtime_", StringComparison.Ordinal));
        Assert.Contains(SeriesOf(text, "switchboard_conversations_started_total"), l => l.Contains($"skill=\"{skill}\"") && !l.EndsWith(" 0"));
    }

    [Fact]
    public async Task TheQueueLengthGaugeCountsAConversationThatArrivesAndOneThatLeaves()
    {
        var (_, skill) = silo.NewLane();

        // Nobody serves the lane's skill yet: the conversation waits, and the gauge says so before anything leaves.
        var session = await silo.StartOverHttpAsync(new StartConversation("Ann", skill, "Where is order 1234?"));
        Assert.Equal(" 1", await QueueLengthAsync(skill));

        using var customer = silo.As(session.CustomerToken);
        var left = await customer.PostAsync($"/api/conversations/{session.Conversation.Id}/leave", null);
        Assert.Equal(HttpStatusCode.OK, left.StatusCode);
        Assert.Equal(" 0", await QueueLengthAsync(skill));
    }

    /// <summary>The value of <c>switchboard_queue_length</c> for the queue, as scraped (with its leading space).</summary>
    private async Task<string> QueueLengthAsync(string skill)
    {
        var series = SeriesOf(await silo.Http.GetStringAsync("/metrics"), "switchboard_queue_length")
            .Single(l => l.Contains($"skill=\"{skill}\"", StringComparison.Ordinal));
        return series[series.LastIndexOf(' ')..];
    }

    private static IEnumerable<string> SeriesOf(string text, string name) =>
        text.Split('\n').Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal));

    private static JsonElement Queue(JsonDocument document, string skill) =>
        document.RootElement.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("name").GetString() == skill);

    private Task<HubConnection> ConnectAgentAsync(string agentId, out Inbox<ConversationView> assignments)
    {
        var connection = silo.AgentConnection(agentId);
        assignments = new Inbox<ConversationView>(connection, nameof(IAgentClient.ConversationAssigned));
        return ConnectAsync(connection);
    }

    [GeneratedRegex("""^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$""")]
    private static partial Regex CommentLine();

    // name{label="value",...} value [timestamp]
    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (-?[0-9.]+([eE][-+]?[0-9]+)?|NaN|\+Inf|-Inf)( -?[0-9]+)?$""")]
    private static partial Regex SampleLine();
}
