using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Hubs;
using Xunit.Abstractions;

namespace Switchboard.Tests.EndToEnd;

/// <summary>Sizes, rates and shapes a client may send; over any of them it is told so and nothing changes.</summary>
[Collection(SiloCollection.Name)]
public sealed class LimitsTests(SiloFixture silo, ITestOutputHelper output) : HubTests
{
    [Fact]
    public async Task AFloodingCustomerIsThrottledWhileAnotherCustomersChatGoesOnIntact()
    {
        var (agentId, skill) = silo.NewLane();
        var agent = silo.AgentConnection(agentId);
        var assigned = new Inbox<ConversationView>(agent, nameof(IAgentClient.ConversationAssigned));
        var heard = new Inbox<MessagePosted>(agent, nameof(IAgentClient.MessagePosted));
        await ConnectAsync(agent);
        var flooder = await ConnectAsync(silo.CustomerConnection());
        var calm = await ConnectAsync(silo.CustomerConnection());
        var flood = (await flooder.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), new StartConversation("Flo", skill, "Hi"))).Conversation;
        var chat = (await calm.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), new StartConversation("Cal", skill, "Hello"))).Conversation;
        await assigned.WaitAsync(c => c.Id == flood.Id);
        await assigned.WaitAsync(c => c.Id == chat.Id);

        var sending = Enumerable.Range(0, 90).Select(i => TrySendAsync(flooder, flood.Id, $"spam {i}")).ToArray();
        var clock = Stopwatch.StartNew();
        var calmLatencies = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var sent = clock.Elapsed;
            var message = await calm.InvokeAsync<ChatMessage>(nameof(CustomerHub.SendMessage), chat.Id, $"Question {i}");
            Assert.Equal($"Question {i}", (await heard.WaitAsync(m => m.ConversationId == chat.Id && m.Message.Sequence == message.Sequence)).Message.Text);
            calmLatencies.Add((clock.Elapsed - sent).TotalMilliseconds);
        }

        var results = await Task.WhenAll(sending);
        var refusals = results.OfType<HubException>().ToArray();
        output.WriteLine($"measured: flood of 90 messages from one customer: {results.Count(r => r is null)} accepted, {refusals.Length} refused; " +
            $"the other customer's 5 messages reached the agent in {string.Join(", ", calmLatencies.Select(l => l.ToString("F1")))} ms meanwhile");

        Assert.NotEmpty(refusals);
        Assert.All(refusals, r => Assert.Contains("Too many messages", r.Message));
        var flooded = await silo.ReadConversationAsync(flood.Id);
        Assert.Equal(results.Count(r => r is null), flooded.Messages.Count(m => m.Text.StartsWith("spam", StringComparison.Ordinal)));
        var calmStored = await silo.ReadConversationAsync(chat.Id);
        Assert.Equal(["Hello", "Question 0", "Question 1", "Question 2", "Question 3", "Question 4"],
            calmStored.Messages.Where(m => m.From == MessageAuthor.Customer).Select(m => m.Text));
    }

    [Fact]
    public async Task AFloodOverHttpIsAnsweredTooManyRequestsWithRetryAfter()
    {
        var (_, skill) = silo.NewLane();
        var started = await silo.StartOverHttpAsync(new StartConversation("Ann", skill, "Hi"));
        using var customer = silo.As(started.CustomerToken);

        var responses = await Task.WhenAll(Enumerable.Range(0, 60).Select(i =>
            customer.PostAsJsonAsync($"/api/conversations/{started.Conversation.Id}/messages", new { text = $"again {i}" }, silo.Json)));

        var throttled = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToArray();
        Assert.NotEmpty(throttled);
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.TooManyRequests }));
        Assert.True(throttled[0].Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Contains("Try again in", (await HttpAssert.ProblemAsync(throttled[0], HttpStatusCode.TooManyRequests)).Detail);
        var stored = await silo.ReadConversationAsync(started.Conversation.Id);
        Assert.Equal(responses.Count(r => r.StatusCode == HttpStatusCode.Created), stored.Messages.Count(m => m.Text.StartsWith("again", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task OneConnectionCallingTooFastIsRefusedAndOthersAreNot()
    {
        var (agentId, _) = silo.NewLane();
        var (otherId, _) = silo.NewLane();
        var busy = await ConnectAsync(silo.AgentConnection(agentId));
        var other = await ConnectAsync(silo.AgentConnection(otherId));

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

        Assert.Contains(calls, c => c?.Message.Contains("Too many calls on this connection") == true);
        Assert.Equal(otherId, (await other.InvokeAsync<AgentView>(nameof(AgentHub.GetProfile))).Id);
    }

    [Fact]
    public async Task ABodyOverTheSizeLimitIsRefusedWith413()
    {
        var (_, skill) = silo.NewLane();
        var huge = $"{{\"customerName\":\"Ann\",\"topic\":\"{skill}\",\"text\":\"{new string('x', 70_000)}\"}}";

        var response = await silo.Http.PostAsync("/api/conversations", new StringContent(huge, Encoding.UTF8, "application/json"));

        await HttpAssert.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        var queue = await silo.SupervisorHttp.GetFromJsonAsync<Queues.QueueView>($"/api/queues/{skill}", silo.Json);
        Assert.Empty(queue!.Waiting);
    }

    [Fact]
    public async Task AHubMessageOverTheSizeLimitClosesOnlyThatConnection()
    {
        var (_, skill) = silo.NewLane();
        var big = await ConnectAsync(silo.CustomerConnection());
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        big.Closed += error =>
        {
            closed.TrySetResult(error);
            return Task.CompletedTask;
        };
        var bystander = await ConnectAsync(silo.CustomerConnection());

        _ = big.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), new StartConversation("Ann", skill, new string('x', 70_000)));
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(20));

        var started = await bystander.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), new StartConversation("Bea", skill, "Still here"));
        var queue = await silo.SupervisorHttp.GetFromJsonAsync<Queues.QueueView>($"/api/queues/{skill}", silo.Json);
        Assert.Equal([started.Conversation.Id], queue!.Waiting.Select(w => w.ConversationId));
    }

    [Theory]
    [InlineData("{\"customerName\":\"Ann\",\"topic\":\"shipping\",\"text\":\"hi\",\"isAdmin\":true}", "isAdmin")]
    [InlineData("{\"customerName\":\"Ann\",\"topic\":\"shipping\",\"text\":\"hi\",\"priority\":\"high\"}", "priority")]
    [InlineData("{\"customerName\":\"Ann\",\"topic\":\"shipping\",\"text\":\"hi\",\"vip\":1}", "vip")]
    [InlineData("{\"customerName\":\"Ann\",\"topic\":\"shipping\",\"text\":\"hi\",\"context\":{\"order\":1234}}", "context")]
    [InlineData("{\"customerName\":\"Ann\",\"topic\":\"shipping\",\"text\":\"hi\",\"emotion\":3}", "emotion")]
    public async Task AnUnknownFieldOrAWrongTypeIsRefusedWithTheFieldNamed(string body, string field)
    {
        var response = await silo.Http.PostAsync("/api/conversations", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Contains(field, (await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest)).Detail);
    }

    [Theory]
    [InlineData("Ann\u0000", "Hello")]
    [InlineData("Ann\u001b[2J", "Hello")]
    [InlineData("Ann", "Hello\u0007\u0008\u0008")]
    [InlineData("Ann\nSmith", "Hello")]
    public async Task ControlCharactersAreRefusedWhereTheyCouldRewriteWhatPeopleRead(string name, string text)
    {
        var (_, skill) = silo.NewLane();

        var response = await silo.Http.PostAsJsonAsync("/api/conversations", new StartConversation(name, skill, text), silo.Json);

        Assert.Contains("control character", (await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest)).Detail);
        var customer = await ConnectAsync(silo.CustomerConnection());
        var refusal = await Assert.ThrowsAsync<HubException>(() =>
            customer.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), new StartConversation(name, skill, text)));
        Assert.Contains("control character", refusal.Message);
        var queue = await silo.SupervisorHttp.GetFromJsonAsync<Queues.QueueView>($"/api/queues/{skill}", silo.Json);
        Assert.Empty(queue!.Waiting);
    }

    [Fact]
    public async Task LineBreaksAndTabsInAMessageAreFine()
    {
        var (_, skill) = silo.NewLane();

        var started = await silo.StartOverHttpAsync(new StartConversation("Ann", skill, "Order 1234:\n\t- a lamp\r\n\t- a rug"));

        Assert.Equal("Order 1234:\n\t- a lamp\r\n\t- a rug", started.Conversation.Messages[0].Text);
    }

    private static async Task<HubException?> TrySendAsync(HubConnection connection, string conversationId, string text)
    {
        try
        {
            await connection.InvokeAsync<ChatMessage>(nameof(CustomerHub.SendMessage), conversationId, text);
            return null;
        }
        catch (HubException ex)
        {
            return ex;
        }
    }
}
