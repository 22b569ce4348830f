using System.Collections.Immutable;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.Agents;
using Switchboard.Api;
using Switchboard.Conversations;
using Switchboard.Hubs;

namespace Switchboard.Tests.EndToEnd;

/// <summary>The agent's workspace over HTTP: the Unassigned view and its pick, Closed today and search, each agent kept to its own.</summary>
[Collection(SiloCollection.Name)]
public sealed class WorkspaceApiTests(SiloFixture silo) : HubTests
{
    private sealed record Hit(string Id, string CustomerName, string Topic, string? Order, DateTimeOffset ClosedAt, bool EndedByCustomer, string Snippet);

    [Fact]
    public async Task AnAwayAgentSeesAWaitingChatOfItsSkillAndPicksItAndBadPicksChangeNothing()
    {
        var (agentId, skill) = silo.NewLane();
        var (otherId, _) = silo.NewLane();
        var connection = silo.AgentConnection(agentId);
        var assigned = new Inbox<ConversationView>(connection, nameof(IAgentClient.ConversationAssigned));
        await ConnectAsync(connection);
        await connection.InvokeAsync<AgentView>(nameof(AgentHub.SetPresence), AgentPresence.Away);
        var started = (await silo.StartOverHttpAsync(new StartConversation(
            "Ina Berg", skill, "Is the blue kettle back in stock?", Context: ImmutableDictionary<string, string>.Empty.Add("order", "K-310")))).Conversation;
        using var agent = silo.As(silo.AgentToken(agentId));
        using var other = silo.As(silo.AgentToken(otherId));

        var waiting = Assert.Single(await agent.GetFromJsonAsync<UnassignedChat[]>("/api/workspace/unassigned", silo.Json) ?? [], c => c.Id == started.Id);
        Assert.Equal((skill, "Ina Berg", "K-310", "Is the blue kettle back in stock?"), (waiting.Queue, waiting.CustomerName, waiting.Order, waiting.LastMessage));
        // Another lane's agent has not the skill: the chat is not theirs to see or take.
        Assert.DoesNotContain(await other.GetFromJsonAsync<UnassignedChat[]>("/api/workspace/unassigned", silo.Json) ?? [], c => c.Id == started.Id);

        var pick = $"/api/workspace/unassigned/{started.Id}/pick";
        await HttpAssert.ProblemAsync(await other.PostAsJsonAsync(pick, new PickRequest(skill, waiting.Ticket), silo.Json), HttpStatusCode.Conflict);
        await HttpAssert.ProblemAsync(await agent.PostAsJsonAsync(pick, new PickRequest(skill, waiting.Ticket + 1), silo.Json), HttpStatusCode.Conflict);
        await HttpAssert.ProblemAsync(await agent.PostAsJsonAsync(pick, new PickRequest("no-such-queue", waiting.Ticket), silo.Json), HttpStatusCode.BadRequest);
        await HttpAssert.ProblemAsync(await agent.PostAsJsonAsync(pick, new PickRequest("supervisors", waiting.Ticket), silo.Json), HttpStatusCode.Forbidden);
        await HttpAssert.ProblemAsync(await agent.PostAsJsonAsync("/api/workspace/unassigned/not-an-id/pick", new PickRequest(skill, waiting.Ticket), silo.Json), HttpStatusCode.BadRequest);
        await HttpAssert.ProblemAsync(await silo.Http.PostAsJsonAsync(pick, new PickRequest(skill, waiting.Ticket), silo.Json), HttpStatusCode.Unauthorized);
        await silo.AssertUnchangedAsync(started);

        var taken = await silo.ReadAsync<ConversationView>(await agent.PostAsJsonAsync(pick, new PickRequest(skill, waiting.Ticket), silo.Json));
        Assert.Equal((ConversationStatus.Assigned, agentId), (taken.Status, taken.AgentId));
        await assigned.WaitAsync(c => c.Id == started.Id);
        Assert.DoesNotContain(await agent.GetFromJsonAsync<UnassignedChat[]>("/api/workspace/unassigned", silo.Json) ?? [], c => c.Id == started.Id);
        await connection.InvokeAsync(nameof(AgentHub.Resolve), started.Id);
    }

    [Fact]
    public async Task ClosedTodayAndSearchListTheAgentsOwnClosedConversationsOnly()
    {
        var (agentId, skill) = silo.NewLane();
        var (otherId, _) = silo.NewLane();
        var connection = silo.AgentConnection(agentId);
        var assigned = new Inbox<ConversationView>(connection, nameof(IAgentClient.ConversationAssigned));
        await ConnectAsync(connection);
        var since = DateTimeOffset.UtcNow.AddMinutes(-1);
        var started = (await silo.StartOverHttpAsync(new StartConversation(
            "Olaf Sørensen", skill, "The lamp I ordered flickers", Context: ImmutableDictionary<string, string>.Empty.Add("order", "L-5521")))).Conversation;
        await assigned.WaitAsync(c => c.Id == started.Id);
        await connection.InvokeAsync<ChatMessage>(nameof(AgentHub.SendMessage), started.Id, "I am sending you a replacement bulb today.");
        await connection.InvokeAsync(nameof(AgentHub.Resolve), started.Id);
        using var agent = silo.As(silo.AgentToken(agentId));
        using var other = silo.As(silo.AgentToken(otherId));

        var closed = await agent.GetFromJsonAsync<Hit[]>($"/api/workspace/closed?since={Uri.EscapeDataString(since.ToString("O"))}", silo.Json);
        Assert.Equal(started.Id, Assert.Single(closed!).Id);
        foreach (var query in new[] { "olaf sorensen", "L-5521", "replacement bulb" })
        {
            var hit = Assert.Single((await agent.GetFromJsonAsync<Hit[]>($"/api/workspace/search?q={Uri.EscapeDataString(query)}", silo.Json))!);
            Assert.Equal((started.Id, "L-5521", false), (hit.Id, hit.Order, hit.EndedByCustomer));
        }

        Assert.Empty((await other.GetFromJsonAsync<Hit[]>("/api/workspace/search?q=L-5521", silo.Json))!);
        Assert.Empty((await other.GetFromJsonAsync<Hit[]>("/api/workspace/closed", silo.Json))!);
        await HttpAssert.ProblemAsync(await agent.GetAsync("/api/workspace/search?q=%20"), HttpStatusCode.BadRequest);
        await HttpAssert.ProblemAsync(await agent.GetAsync($"/api/workspace/search?q={new string('a', WorkspaceApi.MaxQueryLength + 1)}"), HttpStatusCode.BadRequest);
        await HttpAssert.ProblemAsync(await agent.GetAsync("/api/workspace/closed?since=yesterday"), HttpStatusCode.BadRequest);
        await HttpAssert.ProblemAsync(await silo.Http.GetAsync("/api/workspace/search?q=L-5521"), HttpStatusCode.Unauthorized);
    }
}
