using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.Agents;
using Switchboard.Channels;
using Switchboard.Conversations;
using Switchboard.Customers;
using Switchboard.Hubs;

namespace Switchboard.Tests.EndToEnd;

/// <summary>
/// Bounds on numbers and rules for text, from outside: capacities and proficiencies that break arithmetic, names that
/// hide, reorder or imitate, lengths counted as people count them, excerpts that never break a character.
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class TextAndBoundsTests(SiloFixture silo) : HubTests
{
    // Written as code points: in this file the characters would be invisible, or look like the Latin letters.
    private const string RightToLeftOverride = "\u202E";
    private const string ZeroWidthOnly = "\u200B\u200C\u200D\u2060\uFEFF";
    private const string LineSeparator = "\u2028";
    private const string CyrillicA = "\u0430";

    // Emoji people use in names are often sequences: a family is 4 emoji joined by zero-width joiners, 11 UTF-16 code
    // units; a kiss with two skin tones is 15. Nineteen of them passed the old limit of 200 "characters" (code units).
    private const string Family = "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466";
    private const string Kiss = "\U0001F469\U0001F3FB\u200D\u2764\uFE0F\u200D\U0001F48B\u200D\U0001F468\U0001F3FC";

    private static readonly string NineteenEmoji = string.Concat(Enumerable.Repeat(Family, 19));

    private static readonly string NineteenKisses = string.Concat(Enumerable.Repeat(Kiss, 19));

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(0)]
    [InlineData(51)]
    [InlineData(-1)]
    public async Task ACapacityOutsideOneToFiftyIsRefusedNamingCapacityAndChangesNothing(int capacity)
    {
        var (agentId, skill) = silo.NewLane();
        var before = await ReadAgentAsync(agentId);

        var response = await PutAgentAsync(agentId, "Agent Renamed", skill, proficiency: 3, capacity);

        var problem = await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("'capacity' must be between 1 and 50", problem.Detail);
        Assert.Contains($"it is {capacity}", problem.Detail);
        Assert.Equal(JsonSerializer.Serialize(before), JsonSerializer.Serialize(await ReadAgentAsync(agentId)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public async Task AProficiencyOutsideOneToFiveIsRefusedNamingTheSkillAndChangesNothing(int proficiency)
    {
        var (agentId, skill) = silo.NewLane();
        var before = await ReadAgentAsync(agentId);

        var response = await PutAgentAsync(agentId, "Agent Renamed", skill, proficiency, capacity: 2);

        var problem = await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains($"'skills': proficiency in '{skill}' must be between 1 and 5; it is {proficiency}", problem.Detail);
        Assert.Equal(JsonSerializer.Serialize(before), JsonSerializer.Serialize(await ReadAgentAsync(agentId)));
    }

    [Fact]
    public async Task StatsAnswerWhenEveryOnlineAgentHasTheLargestCapacityAndAfterAnOverflowingOneIsRefused()
    {
        var lanes = new[] { silo.NewLane(), silo.NewLane(), silo.NewLane() };
        foreach (var (agentId, skill) in lanes)
        {
            Assert.Equal(HttpStatusCode.OK, (await PutAgentAsync(agentId, $"Big {agentId}", skill, 3, capacity: 50)).StatusCode);
            await ConnectAsync(silo.AgentConnection(agentId));
        }

        var refused = await PutAgentAsync(lanes[0].AgentId, "Overflow", lanes[0].Skill, 3, int.MaxValue);
        var stats = await silo.SupervisorHttp.GetAsync("/api/stats");

        await HttpAssert.ProblemAsync(refused, HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
        using var read = JsonDocument.Parse(await stats.Content.ReadAsStringAsync());
        var agents = read.RootElement.GetProperty("agents").EnumerateArray().ToDictionary(a => a.GetProperty("id").GetString()!);
        Assert.All(lanes, lane => Assert.Equal(50, agents[lane.AgentId].GetProperty("capacity").GetInt32()));
        Assert.True(read.RootElement.GetProperty("cluster").GetProperty("capacity").GetInt64() >= 150);
    }

    public static TheoryData<string, string> HiddenOrReorderedNames => new()
    {
        { $"Ann{RightToLeftOverride}rosivrepuS", "bidirectional control (U+202E)" },
        { ZeroWidthOnly, "no visible character" },
        { $"Ann{LineSeparator}Smith", "line or paragraph separator (U+2028)" },
    };

    [Theory]
    [MemberData(nameof(HiddenOrReorderedNames))]
    public async Task ANameThatHidesOrReordersTextIsRefusedOverHttpTheHubAChannelAndTheAgentProfile(string name, string expected)
    {
        var (agentId, skill) = silo.NewLane();
        var before = await ReadAgentAsync(agentId);

        var http = await silo.Http.PostAsJsonAsync("/api/conversations", new StartConversation(name, skill, "Hello"), silo.Json);
        var customer = await ConnectAsync(silo.CustomerConnection());
        var hub = await Assert.ThrowsAsync<HubException>(() =>
            customer.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), new StartConversation(name, skill, "Hello")));
        var channel = await PostSignedAsync("/conversations", new { messageId = $"m-{Guid.NewGuid():N}", conversation = new StartConversation(name, skill, "Hello") });
        var profile = await PutAgentAsync(agentId, name, skill, 3, 2);

        var httpProblem = (await HttpAssert.ProblemAsync(http, HttpStatusCode.BadRequest)).Detail;
        Assert.Contains("'customerName'", httpProblem);
        Assert.Contains(expected, httpProblem);
        Assert.Contains(expected, hub.Message);
        Assert.Contains(expected, (await HttpAssert.ProblemAsync(channel, HttpStatusCode.BadRequest)).Detail);
        var profileProblem = (await HttpAssert.ProblemAsync(profile, HttpStatusCode.BadRequest)).Detail;
        Assert.Contains("'name'", profileProblem);
        Assert.Contains(expected, profileProblem);
        Assert.Empty((await silo.SupervisorHttp.GetFromJsonAsync<Queues.QueueView>($"/api/queues/{skill}", silo.Json))!.Waiting);
        Assert.Equal(JsonSerializer.Serialize(before), JsonSerializer.Serialize(await ReadAgentAsync(agentId)));
    }

    [Fact]
    public async Task NineteenEmojiAreANameForACustomerAndAnAgent()
    {
        var (agentId, skill) = silo.NewLane();
        var agent = await ConnectAsync(silo.AgentConnection(agentId));
        var assigned = new Inbox<ConversationView>(agent, nameof(IAgentClient.ConversationAssigned));

        Assert.True(NineteenEmoji.Length > 200 && NineteenKisses.Length > 200);

        var profile = await PutAgentAsync(agentId, NineteenKisses, skill, 3, 2);
        var started = await silo.StartOverHttpAsync(new StartConversation(NineteenEmoji, skill, "Hello"));

        Assert.Equal(NineteenKisses, (await silo.ReadAsync<AgentView>(profile)).Profile.Name);
        Assert.Equal(NineteenEmoji, started.Conversation.CustomerName);
        Assert.Equal(NineteenEmoji, (await assigned.WaitAsync(c => c.Id == started.Conversation.Id)).CustomerName);
        var joined = await silo.ReadConversationAsync(started.Conversation.Id);
        Assert.Contains(joined.Messages, m => m.Text == $"{NineteenKisses} has joined the conversation.");
    }

    [Fact]
    public async Task ASixtyThousandCharacterNameIsRefusedForAnAgentAndForACustomer()
    {
        var (agentId, skill) = silo.NewLane();
        var before = await ReadAgentAsync(agentId);
        var name = new string('x', 60_000);

        var profile = await PutAgentAsync(agentId, name, skill, 3, 2);
        var start = await silo.Http.PostAsJsonAsync("/api/conversations", new StartConversation(name, skill, "Hello"), silo.Json);

        var profileProblem = (await HttpAssert.ProblemAsync(profile, HttpStatusCode.BadRequest)).Detail;
        Assert.Contains("'name' may have at most 100 characters", profileProblem);
        Assert.Contains("this one has 60000", profileProblem);
        Assert.Contains("'customerName') may have at most 100 characters", (await HttpAssert.ProblemAsync(start, HttpStatusCode.BadRequest)).Detail);
        Assert.Equal(JsonSerializer.Serialize(before), JsonSerializer.Serialize(await ReadAgentAsync(agentId)));
        Assert.Empty((await silo.SupervisorHttp.GetFromJsonAsync<Queues.QueueView>($"/api/queues/{skill}", silo.Json))!.Waiting);
    }

    [Fact]
    public async Task ACyrillicLookAlikeOfTheSupervisorsNameIsRefusedForAnAgentAndForACustomer()
    {
        var (agentId, skill) = silo.NewLane();
        var before = await ReadAgentAsync(agentId);
        var lookAlike = $"L{CyrillicA}ne Supervisor";
        Assert.NotEqual("Lane Supervisor", lookAlike);

        var profile = await PutAgentAsync(agentId, lookAlike, skill, 3, 2);
        var customer = await silo.Http.PostAsJsonAsync("/api/conversations", new StartConversation(lookAlike, skill, "I am your supervisor"), silo.Json);
        var copy = await silo.Http.PostAsJsonAsync("/api/conversations", new StartConversation("lane supervisor", skill, "Me too"), silo.Json);

        Assert.Contains($"looks like the name of agent '{SiloFixture.Supervisor}'", (await HttpAssert.ProblemAsync(profile, HttpStatusCode.BadRequest)).Detail);
        Assert.Contains("may not look like a member of staff's name", (await HttpAssert.ProblemAsync(customer, HttpStatusCode.BadRequest)).Detail);
        Assert.Contains("may not look like a member of staff's name", (await HttpAssert.ProblemAsync(copy, HttpStatusCode.BadRequest)).Detail);
        Assert.Equal(JsonSerializer.Serialize(before), JsonSerializer.Serialize(await ReadAgentAsync(agentId)));
        Assert.Empty((await silo.SupervisorHttp.GetFromJsonAsync<Queues.QueueView>($"/api/queues/{skill}", silo.Json))!.Waiting);
    }

    [Fact]
    public async Task TheHistoryExcerptOfAnEmojiMessageNeverHoldsAReplacementCharacter()
    {
        var (_, skill) = silo.NewLane();
        var text = string.Concat(Enumerable.Repeat("😀", 100));

        var started = await silo.StartOverHttpAsync(new StartConversation("Ann", skill, text));
        var customer = await silo.SupervisorHttp.GetFromJsonAsync<CustomerView>($"/api/customers/{Uri.EscapeDataString(started.Customer.Id)}", silo.Json);

        var excerpt = customer!.Conversations.Single().LastMessage;
        Assert.DoesNotContain('\uFFFD', excerpt);
        Assert.Equal(string.Concat(Enumerable.Repeat("😀", 69)) + "…", excerpt);
    }

    [Fact]
    public async Task AMessageOfEmojiIsMeasuredInCodeUnitsAndMayCarryBidiMarksButNotAnOverride()
    {
        var started = await silo.StartOverHttpAsync(new StartConversation("Ann", silo.NewLane().Skill, "Hello"));
        using var customer = silo.As(started.CustomerToken);
        var path = $"/api/conversations/{started.Conversation.Id}/messages";

        var emoji = await customer.PostAsJsonAsync(path, new { text = string.Concat(Enumerable.Repeat("😀", 2000)) }, silo.Json);
        var tooMany = await customer.PostAsJsonAsync(path, new { text = string.Concat(Enumerable.Repeat("😀", 2001)) }, silo.Json);
        var marks = await customer.PostAsJsonAsync(path, new { text = "\u05D4\u05D6\u05DE\u05E0\u05D4 \u200F#42\u200F" }, silo.Json);
        var reordered = await customer.PostAsJsonAsync(path, new { text = $"refund {RightToLeftOverride}devorppa" }, silo.Json);

        Assert.Equal(HttpStatusCode.Created, emoji.StatusCode);
        Assert.Contains("at most 4000 UTF-16 code units long (a letter counts 1, an emoji 2 or more); this one has 4002",
            (await HttpAssert.ProblemAsync(tooMany, HttpStatusCode.BadRequest)).Detail);
        Assert.Equal(HttpStatusCode.Created, marks.StatusCode);
        Assert.Contains("bidirectional override (U+202E)", (await HttpAssert.ProblemAsync(reordered, HttpStatusCode.BadRequest)).Detail);
        var stored = await silo.ReadConversationAsync(started.Conversation.Id);
        Assert.DoesNotContain(stored.Messages, m => m.Text.Contains(RightToLeftOverride, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AConversationIdOfAnotherFormIsRefusedOnTheHubAndOverHttp()
    {
        var (agentId, _) = silo.NewLane();
        var agent = await ConnectAsync(silo.AgentConnection(agentId));
        var huge = new string('9', 300);

        var hub = await Assert.ThrowsAsync<HubException>(() => agent.InvokeAsync<ConversationView>(nameof(AgentHub.GetConversation), huge));
        var http = await silo.SupervisorHttp.GetAsync($"/api/conversations/{huge}");
        var channel = await PostSignedAsync($"/conversations/{huge}/messages", new { messageId = "m-1", text = "hi" });

        Assert.Contains(ConversationRules.ConversationIdRule, hub.Message);
        Assert.Contains(ConversationRules.ConversationIdRule, (await HttpAssert.ProblemAsync(http, HttpStatusCode.BadRequest)).Detail);
        Assert.Contains(ConversationRules.ConversationIdRule, (await HttpAssert.ProblemAsync(channel, HttpStatusCode.BadRequest)).Detail);
    }

    [Fact]
    public async Task AnAgentIdOverAHundredCharactersOrWithInvisibleCharactersIsRefused()
    {
        var (_, skill) = silo.NewLane();

        var tooLong = await PutAgentAsync(new string('a', 101), "Long Id", skill, 3, 2);
        var invisible = await PutAgentAsync("bob\u200B", "Bob", skill, 3, 2);

        Assert.Contains("An agent id is 1–100 characters", (await HttpAssert.ProblemAsync(tooLong, HttpStatusCode.BadRequest)).Detail);
        Assert.Contains("An agent id is 1–100 characters", (await HttpAssert.ProblemAsync(invisible, HttpStatusCode.BadRequest)).Detail);
        await HttpAssert.ProblemAsync(await silo.SupervisorHttp.GetAsync($"/api/agents/{new string('a', 101)}"), HttpStatusCode.NotFound);
    }

    private Task<HttpResponseMessage> PutAgentAsync(string agentId, string name, string skill, int proficiency, int capacity) =>
        silo.SupervisorHttp.PutAsJsonAsync(
            $"/api/agents/{Uri.EscapeDataString(agentId)}",
            new { name, skills = new Dictionary<string, int> { [skill] = proficiency }, capacity },
            silo.Json);

    private async Task<AgentView> ReadAgentAsync(string agentId) =>
        (await silo.SupervisorHttp.GetFromJsonAsync<AgentView>($"/api/agents/{agentId}", silo.Json))!;

    private Task<HttpResponseMessage> PostSignedAsync<T>(string path, T request)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(request, silo.Json);
        var message = new HttpRequestMessage(HttpMethod.Post, $"/api/channels/{SiloFixture.Channel}{path}") { Content = new ByteArrayContent(body) };
        message.Content.Headers.ContentType = new("application/json");
        message.Headers.Add(ChannelSignature.Header, ChannelSignature.Sign(SiloFixture.ChannelSecret, body));
        return silo.Http.SendAsync(message);
    }
}
