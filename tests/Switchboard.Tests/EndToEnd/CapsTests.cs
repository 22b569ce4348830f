using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.Channels;
using Switchboard.Conversations;
using Switchboard.Hubs;

namespace Switchboard.Tests.EndToEnd;

/// <summary>
/// A silo with small transcript caps (a dozen messages, 16 KiB of text) so a test fills a conversation in a few
/// calls, the product's limits on open conversations per client (3 per connection, 3 per address), and no rate limit
/// in the way of filling (the rates have their own tests).
/// </summary>
public sealed class CapsFixture : SiloFixture
{
    public const int MaxMessages = 12;
    public const int MaxTranscriptBytes = 16 * 1024;
    public const int AgentReserve = 2;
    public const int OpenPerClient = 3;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Switchboard:Limits:MaxMessagesPerConversation"] = MaxMessages.ToString();
        settings["Switchboard:Limits:MaxTranscriptBytes"] = MaxTranscriptBytes.ToString();
        settings["Switchboard:Limits:AgentReserveMessages"] = AgentReserve.ToString();
        settings["Switchboard:Limits:OpenConversationsPerConnection"] = OpenPerClient.ToString();
        settings["Switchboard:Limits:OpenConversationsPerAddress"] = OpenPerClient.ToString();
        settings["Switchboard:Limits:CustomerMessagesPerSecond"] = "10000";
        settings["Switchboard:Limits:CustomerBurst"] = "10000";
    }
}

[CollectionDefinition(Name)]
public sealed class CapsCollection : ICollectionFixture<CapsFixture>
{
    public const string Name = "silo over kestrel with small caps";
}

/// <summary>What a stranger can grow: one conversation's transcript, and how many conversations one client keeps open.</summary>
[Collection(CapsCollection.Name)]
public sealed class CapsTests(CapsFixture silo) : HubTests
{
    private static readonly string LongText = new('x', 4000);

    [Fact]
    public async Task ACustomerPastTheMessageCapIsRefusedAndToldOnceToStartANewOneWhileTheAgentMayStillCloseIt()
    {
        var (agentId, skill) = silo.NewLane();
        var agent = silo.AgentConnection(agentId);
        var assigned = new Inbox<ConversationView>(agent, nameof(IAgentClient.ConversationAssigned));
        var agentHeard = new Inbox<MessagePosted>(agent, nameof(IAgentClient.MessagePosted));
        await ConnectAsync(agent);
        var customer = silo.CustomerConnection();
        var customerHeard = new Inbox<MessagePosted>(customer, nameof(ICustomerClient.MessagePosted));
        await ConnectAsync(customer);
        var started = await customer.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), new StartConversation("Mia", skill, "Hello"));
        var id = started.Conversation.Id;
        await assigned.WaitAsync(c => c.Id == id);

        var accepted = new List<ChatMessage>();
        HubException? refused = null;
        for (var i = 0; refused is null && i <= CapsFixture.MaxMessages; i++)
        {
            try
            {
                accepted.Add(await customer.InvokeAsync<ChatMessage>(nameof(CustomerHub.SendMessage), id, $"Question {i}"));
            }
            catch (HubException ex)
            {
                refused = ex;
            }
        }

        // The message that reached the cap was taken; the next one is refused, naming the cap and what to do.
        Assert.NotNull(refused);
        Assert.Contains($"Conversation '{id}' is full: a conversation holds at most {CapsFixture.MaxMessages} messages", refused.Message);
        Assert.Contains("Please start a new conversation.", refused.Message);
        using var overHttp = silo.As(started.CustomerToken);
        var httpRefusal = await overHttp.PostAsJsonAsync($"/api/conversations/{id}/messages", new { text = "And over HTTP?" }, silo.Json);
        Assert.Contains("is full", (await HttpAssert.ProblemAsync(httpRefusal, HttpStatusCode.Conflict)).Detail);
        Assert.Equal(CapsFixture.MaxMessages, accepted[^1].Sequence);
        Assert.Equal(CapsFixture.MaxMessages + 1, (await customerHeard.WaitAsync(m => m.Message.Text == ConversationGrain.FullNotice)).Message.Sequence);
        await agentHeard.WaitAsync(m => m.ConversationId == id && m.Message.Text == ConversationGrain.FullNotice);

        // The agent keeps a reserve to answer and say goodbye, then is refused too; resolving always works.
        for (var i = 0; i < CapsFixture.AgentReserve; i++)
        {
            await agent.InvokeAsync<ChatMessage>(nameof(AgentHub.SendMessage), id, $"Answer {i}");
        }

        var agentRefused = await Assert.ThrowsAsync<HubException>(() => agent.InvokeAsync<ChatMessage>(nameof(AgentHub.SendMessage), id, "One more thing"));
        Assert.Contains($"kept for closing it", agentRefused.Message);
        await agent.InvokeAsync(nameof(AgentHub.Resolve), id);

        var stored = await silo.ReadConversationAsync(id);
        Assert.True(stored.Full);
        Assert.Equal(ConversationStatus.Resolved, stored.Status);
        Assert.Equal(["Hello", .. accepted.Select(m => m.Text)], stored.Messages.Where(m => m.From == MessageAuthor.Customer).Select(m => m.Text));
        Assert.Equal(Enumerable.Range(0, CapsFixture.AgentReserve).Select(i => $"Answer {i}"), stored.Messages.Where(m => m.From == MessageAuthor.Agent).Select(m => m.Text));
        Assert.Single(stored.Messages, m => m.Text == ConversationGrain.FullNotice);
        Assert.Equal(Enumerable.Range(1, stored.Messages.Length), stored.Messages.Select(m => m.Sequence));
    }

    [Fact]
    public async Task ATranscriptAtItsByteCapRefusesMoreOverHttpAndTheWebhookWith409AndTheChannelsNextStartOpensANewOne()
    {
        var (_, skill) = silo.NewLane();
        using var visitor = ClientAddresses.HttpFrom(silo.BaseAddress, "127.0.0.21");
        var start = await visitor.PostAsJsonAsync("/api/conversations", new StartConversation("Ola", skill, "Hi"), silo.Json);
        Assert.Equal(HttpStatusCode.Created, start.StatusCode);
        var started = await silo.ReadAsync<StartedConversation>(start);
        using var customer = silo.As(started.CustomerToken);

        var (accepted, refusal) = await FillAsync(() => customer.PostAsJsonAsync($"/api/conversations/{started.Conversation.Id}/messages", new { text = LongText }, silo.Json));
        var problem = await HttpAssert.ProblemAsync(refusal, HttpStatusCode.Conflict);
        Assert.Contains("is full", problem.Detail);
        Assert.Contains($"and {CapsFixture.MaxTranscriptBytes / 1024} KiB of text. Please start a new conversation.", problem.Detail);
        var stored = await silo.ReadConversationAsync(started.Conversation.Id);
        Assert.True(stored.Full);
        Assert.Equal(accepted, stored.Messages.Count(m => m.Text == LongText));
        Assert.Single(stored.Messages, m => m.Text == ConversationGrain.FullNotice);
        Assert.InRange(stored.Messages.Sum(m => (long)m.Text.Length), CapsFixture.MaxTranscriptBytes, CapsFixture.MaxTranscriptBytes + 4000 + ConversationGrain.FullNotice.Length);
        var chat = await ConnectAsync(silo.CustomerConnection());
        Assert.True((await chat.InvokeAsync<ConversationView>(nameof(CustomerHub.JoinConversation), stored.Id, started.CustomerToken)).Full);
        var hubRefusal = await Assert.ThrowsAsync<HubException>(() => chat.InvokeAsync<ChatMessage>(nameof(CustomerHub.SendMessage), stored.Id, "Short one?"));
        Assert.Contains("is full", hubRefusal.Message);

        // A channel's customer: the webhook is refused the same way, and their next start opens a new conversation
        // beside the full one instead of joining it.
        var customerId = $"c-{Guid.NewGuid():N}";
        var opened = await silo.ReadAsync<ConversationView>(await PostSignedAsync("/conversations", ChannelStart(customerId, skill, "Hello from the app")));
        var (_, webhookRefusal) = await FillAsync(() => PostSignedAsync($"/conversations/{opened.Id}/messages", Json(new { messageId = $"m-{Guid.NewGuid():N}", text = LongText })));
        Assert.Contains($"Conversation '{opened.Id}' is full", (await HttpAssert.ProblemAsync(webhookRefusal, HttpStatusCode.Conflict)).Detail);
        var next = await PostSignedAsync("/conversations", ChannelStart(customerId, skill, "Me again"));
        Assert.Equal(HttpStatusCode.Created, next.StatusCode);
        var reopened = await silo.ReadAsync<ConversationView>(next);
        Assert.NotEqual(opened.Id, reopened.Id);
        Assert.False(reopened.Full);
        Assert.True((await silo.ReadConversationAsync(opened.Id)).Full);
    }

    [Fact]
    public async Task AChatConnectionKeepsAtMostThreeConversationsOpenAndAKnownCustomerAtMostThreeWhereverTheyStart()
    {
        var skills = Enumerable.Range(0, 4).Select(_ => silo.NewLane().Skill).ToArray();
        var connection = await ConnectAsync(silo.CustomerConnection());
        var starts = skills.Select((skill, i) => new StartConversation("Sam", skill, $"Question {i}", StartId: $"start-{Guid.NewGuid():N}")).ToArray();
        var started = new List<StartedConversation>();
        for (var i = 0; i < CapsFixture.OpenPerClient; i++)
        {
            started.Add(await connection.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), starts[i]));
        }

        var refused = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), starts[3]));
        Assert.Contains($"This chat already has {CapsFixture.OpenPerClient} open conversations, the most one connection may have at once", refused.Message);
        // A start already counted, sent again (its answer was lost), is answered, not refused.
        var retried = await connection.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), starts[0]);
        Assert.True(retried.Replayed);
        Assert.Equal(started[0].Conversation.Id, retried.Conversation.Id);
        // Another connection is another client; and a conversation that closed frees its place.
        var other = await ConnectAsync(silo.CustomerConnection());
        await other.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), new StartConversation("Kim", skills[0], "Hello"));
        await connection.InvokeAsync<ConversationView>(nameof(CustomerHub.LeaveConversation), started[1].Conversation.Id);
        var fourth = await connection.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), starts[3]);
        Assert.False(fourth.Replayed);

        // A known customer (who proves it with their identity token) keeps at most three open however many
        // connections they use: their record counts, not the connection.
        var identity = started[0].Customer.Token;
        var open = 0;
        for (var i = 0; i < 3; i++)
        {
            var elsewhere = await ConnectAsync(silo.CustomerConnection());
            await elsewhere.InvokeAsync<string>(nameof(CustomerHub.Identify), identity);
            try
            {
                await elsewhere.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), new StartConversation("Sam", skills[1 + i], $"More {i}"));
                open++;
            }
            catch (HubException ex)
            {
                Assert.Contains($"already has {CapsFixture.OpenPerClient} open conversations", ex.Message);
                Assert.Contains("at most 3 may be open at once", ex.Message);
                break;
            }
        }

        // Their first conversation is open, so two more fit and the third is refused.
        Assert.Equal(2, open);
    }

    [Fact]
    public async Task AnAddressKeepsAtMostThreeConversationsStartedOverHttpOpenAndOtherAddressesAreNotTouched()
    {
        var (_, skill) = silo.NewLane();
        using var visitor = ClientAddresses.HttpFrom(silo.BaseAddress, "127.0.0.31");
        using var neighbour = ClientAddresses.HttpFrom(silo.BaseAddress, "127.0.0.32");
        var keys = Enumerable.Range(0, 4).Select(_ => $"start-{Guid.NewGuid():N}").ToArray();
        var started = new List<StartedConversation>();
        for (var i = 0; i < CapsFixture.OpenPerClient; i++)
        {
            var response = await StartOverHttpAsync(visitor, skill, keys[i]);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            started.Add(await silo.ReadAsync<StartedConversation>(response));
        }

        var refused = await HttpAssert.ProblemAsync(await StartOverHttpAsync(visitor, skill, keys[3]), HttpStatusCode.Conflict);
        Assert.Equal(
            $"Address 127.0.0.31 already has {CapsFixture.OpenPerClient} open conversations started over HTTP, the most one client address may have at once; continue in one of them, or leave one before starting another.",
            refused.Detail);
        // A counted start sent again is answered with its conversation; another address starts as it likes.
        var retried = await StartOverHttpAsync(visitor, skill, keys[0]);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(started[0].Conversation.Id, (await silo.ReadAsync<StartedConversation>(retried)).Conversation.Id);
        Assert.Equal(HttpStatusCode.Created, (await StartOverHttpAsync(neighbour, skill, $"start-{Guid.NewGuid():N}")).StatusCode);

        // Leaving one frees its place.
        using var customer = silo.As(started[2].CustomerToken);
        Assert.Equal(HttpStatusCode.OK, (await customer.PostAsync($"/api/conversations/{started[2].Conversation.Id}/leave", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await StartOverHttpAsync(visitor, skill, keys[3])).StatusCode);
    }

    [Fact]
    public async Task AStartRefusedForWhatItSaysActivatesNoConversation()
    {
        var (_, skill) = silo.NewLane();
        using var visitor = ClientAddresses.HttpFrom(silo.BaseAddress, "127.0.0.41");
        var chat = await ConnectAsync(silo.CustomerConnection());
        var startIds = Enumerable.Range(0, 20).Select(_ => $"start-{Guid.NewGuid():N}").ToArray();
        var bad = new[] { new StartConversation("Eve", "no-such-topic", "Hi"), new StartConversation("Eve", skill, ""), new StartConversation(new string('e', 201), skill, "Hi") };

        for (var i = 0; i < startIds.Length; i++)
        {
            var start = bad[i % bad.Length] with { StartId = startIds[i] };
            if (i % 2 == 0)
            {
                var request = new HttpRequestMessage(HttpMethod.Post, "/api/conversations") { Content = JsonContent.Create(start, options: silo.Json) };
                await HttpAssert.ProblemAsync(await visitor.SendAsync(request), HttpStatusCode.BadRequest);
            }
            else
            {
                await Assert.ThrowsAsync<HubException>(() => chat.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), start));
            }
        }

        // The conversations those starts would have opened (their ids come from the start ids): none is active, while
        // one a good start opened is.
        var opened = (await chat.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), new StartConversation("Eve", skill, "Hi"))).Conversation.Id;
        var wouldBe = startIds.Select(startId => silo.Tokens.ConversationIdForStart(null, startId)).ToArray();
        var active = (await silo.Grains.GetGrain<Orleans.Runtime.IManagementGrain>(0).GetDetailedGrainStatistics())
            .Where(s => s.GrainType.Contains(nameof(ConversationGrain), StringComparison.Ordinal))
            .Select(s => s.GrainId.Key.ToString())
            .ToHashSet();
        Assert.Contains(opened, active);
        Assert.DoesNotContain(wouldBe, active.Contains);
    }

    private Task<HttpResponseMessage> StartOverHttpAsync(HttpClient client, string skill, string startId)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/conversations")
        {
            Content = JsonContent.Create(new StartConversation("Vic", skill, "Is anyone there?"), options: silo.Json),
        };
        request.Headers.Add(Api.ConversationApi.IdempotencyKeyHeader, startId);
        return client.SendAsync(request);
    }

    /// <summary>Posts until a post is refused; how many were taken, and the refusal.</summary>
    private static async Task<(int Accepted, HttpResponseMessage Refusal)> FillAsync(Func<Task<HttpResponseMessage>> post)
    {
        // The byte cap holds four of these and takes the fifth, which reaches it.
        for (var accepted = 0; accepted <= CapsFixture.MaxMessages; accepted++)
        {
            var response = await post();
            if (response.StatusCode != HttpStatusCode.Created)
            {
                return (accepted, response);
            }
        }

        throw new Xunit.Sdk.XunitException($"No post was refused after {CapsFixture.MaxMessages + 1}.");
    }

    private byte[] ChannelStart(string customerId, string skill, string text) =>
        Json(new { messageId = $"m-{Guid.NewGuid():N}", conversation = new StartConversation("Ann", skill, text, CustomerId: customerId) });

    private byte[] Json<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, silo.Json);

    private Task<HttpResponseMessage> PostSignedAsync(string path, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/channels/{SiloFixture.Channel}{path}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(ChannelSignature.Header, ChannelSignature.Sign(SiloFixture.ChannelSecret, body));
        return silo.Http.SendAsync(request);
    }
}
