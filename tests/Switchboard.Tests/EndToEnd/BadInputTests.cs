using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Hubs;

namespace Switchboard.Tests.EndToEnd;

/// <summary>Every refusal is a clear error and changes nothing.</summary>
[Collection(SiloCollection.Name)]
public sealed class BadInputTests(SiloFixture silo) : HubTests
{
    [Fact]
    public async Task AnUnknownTopicIsRefusedWithTheKnownTopicsNamed()
    {
        var response = await silo.Http.PostAsJsonAsync("/api/conversations", new StartConversation("Ann", "gardening", "Hello"), silo.Json);

        var problem = await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("Unknown topic 'gardening'", problem.Detail);
        Assert.Contains("shipping", problem.Detail);
        Assert.Equal(HttpStatusCode.NotFound, (await silo.SupervisorHttp.GetAsync("/api/queues/gardening")).StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task AnEmptyMessageIsRefusedAndNothingIsStored(string text)
    {
        var (id, before, customer) = await StartWaitingConversationAsync();

        var response = await customer.PostAsJsonAsync($"/api/conversations/{id}/messages", new { text }, silo.Json);

        Assert.Contains("needs some text", (await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest)).Detail);
        await silo.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task AMessageOverFourThousandCharactersIsRefusedAndNothingIsStored()
    {
        var (id, before, customer) = await StartWaitingConversationAsync();

        var response = await customer.PostAsJsonAsync($"/api/conversations/{id}/messages", new { text = new string('x', 4001) }, silo.Json);

        Assert.Contains("at most 4000 UTF-16 code units", (await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest)).Detail);
        await silo.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task AnUnknownConversationIsNotFound()
    {
        var missing = Guid.NewGuid().ToString("N");
        // A customer token for an id that was never started (tokens are only handed out at a start; this one is forged
        // with the silo's key to reach the grain).
        using var customer = silo.As(silo.Tokens.IssueCustomer(missing).Token);

        await HttpAssert.ProblemAsync(await silo.SupervisorHttp.GetAsync($"/api/conversations/{missing}"), HttpStatusCode.NotFound);
        var post = await customer.PostAsJsonAsync($"/api/conversations/{missing}/messages", new { text = "hello?" }, silo.Json);
        Assert.Contains("does not exist", (await HttpAssert.ProblemAsync(post, HttpStatusCode.NotFound)).Detail);
        await HttpAssert.ProblemAsync(await customer.GetAsync($"/api/conversations/{missing}"), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("{\"customerName\": \"Ann\", ")]
    [InlineData("{\"customerName\": 5, \"topic\": \"shipping\", \"text\": \"hi\"}")]
    [InlineData("[1, 2, 3]")]
    [InlineData("")]
    public async Task AMalformedBodyIsABadRequestWithProblemDetails(string body)
    {
        var response = await silo.Http.PostAsync("/api/conversations", new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.False(string.IsNullOrWhiteSpace(problem.Detail));
    }

    [Fact]
    public async Task PostingToAResolvedConversationIsAConflict()
    {
        var (agentId, skill) = silo.NewLane();
        var agent = await ConnectAsync(silo.AgentConnection(agentId));
        var assigned = new Inbox<ConversationView>(agent, nameof(IAgentClient.ConversationAssigned));
        var session = await silo.StartOverHttpAsync(new StartConversation("Ann", skill, "Hi"));
        var started = session.Conversation;
        using var customer = silo.As(session.CustomerToken);
        await assigned.WaitAsync(c => c.Id == started.Id);
        await agent.InvokeAsync(nameof(AgentHub.Resolve), started.Id);
        var before = await silo.ReadConversationAsync(started.Id);

        var response = await customer.PostAsJsonAsync($"/api/conversations/{started.Id}/messages", new { text = "One more thing" }, silo.Json);

        Assert.Contains("is resolved", (await HttpAssert.ProblemAsync(response, HttpStatusCode.Conflict)).Detail);
        await silo.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task AnAgentCannotPostTransferOrResolveAConversationThatIsNotTheirs()
    {
        var (ownerId, skill) = silo.NewLane();
        var (intruderId, _) = silo.NewLane();
        var owner = await ConnectAsync(silo.AgentConnection(ownerId));
        var assigned = new Inbox<ConversationView>(owner, nameof(IAgentClient.ConversationAssigned));
        var intruder = await ConnectAsync(silo.AgentConnection(intruderId));
        var started = (await silo.StartOverHttpAsync(new StartConversation("Ann", skill, "Hi"))).Conversation;
        await assigned.WaitAsync(c => c.Id == started.Id);
        var before = await silo.ReadConversationAsync(started.Id);

        var post = await Assert.ThrowsAsync<HubException>(() => intruder.InvokeAsync<ChatMessage>(nameof(AgentHub.SendMessage), started.Id, "Mine now"));
        var transfer = await Assert.ThrowsAsync<HubException>(() => intruder.InvokeAsync(nameof(AgentHub.Transfer), started.Id, skill));
        var resolve = await Assert.ThrowsAsync<HubException>(() => intruder.InvokeAsync(nameof(AgentHub.Resolve), started.Id));

        foreach (var refusal in new[] { post, transfer, resolve })
        {
            Assert.Contains($"is not assigned to agent '{intruderId}'", refusal.Message);
        }

        await silo.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task ACustomerConnectionGetsReadableHubErrorsAndChangesNothing()
    {
        var customer = await ConnectAsync(silo.CustomerConnection());

        var unknownTopic = await Assert.ThrowsAsync<HubException>(() =>
            customer.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), new StartConversation("Ann", "gardening", "Hi")));
        Assert.Contains("Unknown topic 'gardening'", unknownTopic.Message);

        var never = Guid.NewGuid().ToString("N");
        var unknownConversation = await Assert.ThrowsAsync<HubException>(() =>
            customer.InvokeAsync<ConversationView>(nameof(CustomerHub.JoinConversation), never, silo.Tokens.IssueCustomer(never).Token));
        Assert.Contains("does not exist", unknownConversation.Message);

        var (id, before, _) = await StartWaitingConversationAsync();
        var notJoined = await Assert.ThrowsAsync<HubException>(() =>
            customer.InvokeAsync<ChatMessage>(nameof(CustomerHub.SendMessage), id, "Let me in"));
        Assert.Contains("has not joined", notJoined.Message);

        await customer.InvokeAsync<ConversationView>(nameof(CustomerHub.JoinConversation), id, silo.Tokens.IssueCustomer(id).Token);
        var oversized = await Assert.ThrowsAsync<HubException>(() =>
            customer.InvokeAsync<ChatMessage>(nameof(CustomerHub.SendMessage), id, new string('x', 4001)));
        Assert.Contains("at most 4000 UTF-16 code units", oversized.Message);

        var noId = await Assert.ThrowsAsync<HubException>(() => customer.InvokeAsync<ChatMessage>(nameof(CustomerHub.SendMessage), "", "hi"));
        Assert.Contains("conversation id is required", noId.Message);

        await silo.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task AnAgentCanChooseOnlyOnlineOrAway()
    {
        var (agentId, _) = silo.NewLane();
        var agent = await ConnectAsync(silo.AgentConnection(agentId));

        var offline = await Assert.ThrowsAsync<HubException>(() => agent.InvokeAsync<AgentView>(nameof(AgentHub.SetPresence), AgentPresence.Offline));
        Assert.Contains("Choose Online or Away", offline.Message);
        await Assert.ThrowsAsync<HubException>(() => agent.InvokeAsync<AgentView>(nameof(AgentHub.SetPresence), 7));
        await Assert.ThrowsAsync<HubException>(() => agent.InvokeAsync<AgentView>(nameof(AgentHub.SetPresence), "asleep"));

        Assert.Equal(AgentPresence.Online, (await agent.InvokeAsync<AgentView>(nameof(AgentHub.GetProfile))).Presence);
        Assert.Equal(AgentPresence.Away, (await agent.InvokeAsync<AgentView>(nameof(AgentHub.SetPresence), AgentPresence.Away)).Presence);
    }

    [Fact]
    public async Task TransferringToTheQueueAConversationIsAlreadyInIsRefused()
    {
        var (agentId, skill) = silo.NewLane();
        var agent = await ConnectAsync(silo.AgentConnection(agentId));
        var assigned = new Inbox<ConversationView>(agent, nameof(IAgentClient.ConversationAssigned));
        var started = (await silo.StartOverHttpAsync(new StartConversation("Ann", skill, "Hi"))).Conversation;
        await assigned.WaitAsync(c => c.Id == started.Id);
        var before = await silo.ReadConversationAsync(started.Id);

        var refusal = await Assert.ThrowsAsync<HubException>(() => agent.InvokeAsync(nameof(AgentHub.Transfer), started.Id, skill.ToUpperInvariant()));
        var unknown = await Assert.ThrowsAsync<HubException>(() => agent.InvokeAsync(nameof(AgentHub.Transfer), started.Id, "gardening"));

        Assert.Contains("is already in the", refusal.Message);
        Assert.Contains("Unknown topic 'gardening'", unknown.Message);
        await silo.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task AnAgentTokenForAnUnknownAgentCannotConnect()
    {
        const string expected = "Agent 'nobody-by-this-name' does not exist.";
        var connection = silo.AgentConnection("nobody-by-this-name");
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += error =>
        {
            closed.TrySetResult(error);
            return Task.CompletedTask;
        };

        // Only started: the server closes it before the agent could choose anything.
        await StartOnlyAsync(connection);
        var error = await closed.Task.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Contains(expected, error?.Message);
    }

    private async Task<(string Id, ConversationView Before, HttpClient Customer)> StartWaitingConversationAsync()
    {
        // Nobody serves this lane's skill until its agent connects, so the conversation stays waiting.
        var (_, skill) = silo.NewLane();
        var started = await silo.StartOverHttpAsync(new StartConversation("Ann", skill, "Hi"));
        return (started.Conversation.Id, started.Conversation, silo.As(started.CustomerToken));
    }
}
