using System.Net;
using System.Net.Http.Json;
using Switchboard.Api;
using Switchboard.Conversations;

namespace Switchboard.Tests.EndToEnd;

/// <summary>A silo where agents take only what routing gives them (<c>Switchboard:Workspace:AgentsMayPick</c> off).</summary>
public sealed class NoPickingFixture : SiloFixture
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Switchboard:Workspace:AgentsMayPick"] = "false";
        // Nobody serves the lanes here until a test says so: its chats wait.
        settings["Switchboard:SignInStatus"] = "Away";
    }
}

[CollectionDefinition(Name)]
public sealed class NoPickingCollection : ICollectionFixture<NoPickingFixture>
{
    public const string Name = "silo over kestrel where agents do not pick";
}

[Collection(NoPickingCollection.Name)]
public sealed class NoPickingTests(NoPickingFixture silo) : HubTests
{
    [Fact]
    public async Task WithPickingOffAPlainAgentIsRefusedTheUnassignedViewAndThePickButASupervisorIsNot()
    {
        var (agentId, skill) = silo.NewLane();
        // Signed in and Away (the product's sign-in): nothing is routed to them, so the chat waits to be picked.
        await StartOnlyAsync(silo.AgentConnection(agentId));
        var started = (await silo.StartOverHttpAsync(new StartConversation("Ann", skill, "Anyone there?"))).Conversation;
        using var agent = silo.As(silo.AgentToken(agentId));

        var listed = await HttpAssert.ProblemAsync(await agent.GetAsync("/api/workspace/unassigned"), HttpStatusCode.Forbidden);
        Assert.Contains("AgentsMayPick", listed.Detail);
        await HttpAssert.ProblemAsync(
            await agent.PostAsJsonAsync($"/api/workspace/unassigned/{started.Id}/pick", new PickRequest(skill, 1), silo.Json), HttpStatusCode.Forbidden);
        await silo.AssertUnchangedAsync(started);
        // Their own history is theirs to search whatever the setting.
        Assert.Equal(HttpStatusCode.OK, (await agent.GetAsync("/api/workspace/search?q=Ann")).StatusCode);

        var waiting = await silo.SupervisorHttp.GetFromJsonAsync<UnassignedChat[]>("/api/workspace/unassigned", silo.Json);
        Assert.Contains(waiting!, c => c.Id == started.Id && c.Queue == skill);
    }
}
