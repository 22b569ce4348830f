using System.Collections.Immutable;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Agents;
using Switchboard.Api;
using Switchboard.Auth;
using Switchboard.Conversations;
using Switchboard.Hubs;

namespace Switchboard.Tests.EndToEnd;

/// <summary>Who may do what: tokens, roles, and each caller kept to its own conversations.</summary>
[Collection(SiloCollection.Name)]
public sealed class AccessTests(SiloFixture silo) : HubTests
{
    [Fact]
    public async Task WithoutATokenNoAgentConnectsAndNoConversationIsRead()
    {
        var (_, skill) = silo.NewLane();
        var started = await silo.StartOverHttpAsync(new StartConversation("Ann", skill, "Hi"));

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => silo.AgentConnectionWithToken(null).StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        var read = await HttpAssert.ProblemAsync(await silo.Http.GetAsync($"/api/conversations/{started.Conversation.Id}"), HttpStatusCode.Unauthorized);
        Assert.Contains("Sign in", read.Detail);
        await HttpAssert.ProblemAsync(await silo.Http.PostAsJsonAsync($"/api/conversations/{started.Conversation.Id}/messages", new { text = "hi" }, silo.Json), HttpStatusCode.Unauthorized);
        await HttpAssert.ProblemAsync(await silo.Http.GetAsync("/api/overview"), HttpStatusCode.Unauthorized);
        await silo.AssertUnchangedAsync(started.Conversation);
    }

    [Fact]
    public async Task AnExpiredTokenIsRefusedAndSaysSo()
    {
        var (agentId, _) = silo.NewLane();
        var elevenHoursAgo = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-11));
        var expired = TokenIssuer.FromKey(SiloFixture.SigningKey, time: elevenHoursAgo).IssueAgent(agentId, supervisor: false).Token;

        using var agent = silo.As(expired);
        var problem = await HttpAssert.ProblemAsync(await agent.GetAsync($"/api/agents/{agentId}"), HttpStatusCode.Unauthorized);
        Assert.Contains("expired", problem.Detail);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => silo.AgentConnectionWithToken(expired).StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task ATokenSignedWithAnotherKeyOrWithoutASignatureIsRefused()
    {
        var (agentId, _) = silo.NewLane();
        var otherKey = TokenIssuer.FromKey("somebody-elses-signing-key-0123456789abc").IssueAgent(agentId, supervisor: true).Token;
        // The same claims with "alg": "none" and the signature cut off.
        var genuine = silo.AgentToken(agentId).Split('.');
        var unsigned = $"{Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{genuine[1]}.";
        // A real token with its payload swapped for one that claims the supervisor role.
        var payload = System.Text.Json.Nodes.JsonNode.Parse(Convert.FromBase64String(PadBase64(genuine[1].Replace('-', '+').Replace('_', '/'))))!;
        payload["role"] = new System.Text.Json.Nodes.JsonArray("agent", "supervisor");
        var promoted = $"{genuine[0]}.{Base64Url(payload.ToJsonString())}.{genuine[2]}";
        Assert.NotEqual(genuine[1], promoted.Split('.')[1]);

        foreach (var token in new[] { otherKey, unsigned, promoted })
        {
            using var caller = silo.As(token);
            var problem = await HttpAssert.ProblemAsync(await caller.GetAsync("/api/overview"), HttpStatusCode.Unauthorized);
            Assert.False(string.IsNullOrWhiteSpace(problem.Detail));
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => silo.AgentConnectionWithToken(token).StartAsync());
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
    }

    [Fact]
    public async Task APlainAgentIsForbiddenWhatOnlySupervisorsMayDo()
    {
        var (agentId, skill) = silo.NewLane();
        using var agent = silo.As(silo.AgentToken(agentId));
        var before = await silo.SupervisorHttp.GetFromJsonAsync<AgentView>($"/api/agents/{agentId}", silo.Json);

        foreach (var path in new[] { "/api/overview", "/api/stats", $"/api/queues/{skill}", "/api/tickets", $"/api/agents/{SiloFixture.Supervisor}" })
        {
            await HttpAssert.ProblemAsync(await agent.GetAsync(path), HttpStatusCode.Forbidden);
        }

        var promote = new AgentProfileRequest("Me, promoted", ImmutableDictionary<string, int>.Empty.Add(skill, 5), 99, Supervisor: true);
        await HttpAssert.ProblemAsync(await agent.PutAsJsonAsync($"/api/agents/{agentId}", promote, silo.Json), HttpStatusCode.Forbidden);
        Assert.Equal(agentId, (await agent.GetFromJsonAsync<AgentView>($"/api/agents/{agentId}", silo.Json))!.Id);

        var connection = await ConnectAsync(silo.AgentConnection(agentId));
        var overview = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<Overview>(nameof(AgentHub.GetOverview)));
        Assert.Contains("Only supervisors", overview.Message);
        var after = await silo.SupervisorHttp.GetFromJsonAsync<AgentView>($"/api/agents/{agentId}", silo.Json);
        Assert.Equal((before!.Profile.Name, before.Profile.Capacity, before.Profile.Supervisor), (after!.Profile.Name, after.Profile.Capacity, after.Profile.Supervisor));
        Assert.Equal(before.Profile.Skills, after.Profile.Skills);
    }

    [Fact]
    public async Task ACustomerTokenCannotConnectAsAnAgent()
    {
        var (_, skill) = silo.NewLane();
        var started = await silo.StartOverHttpAsync(new StartConversation("Ann", skill, "Hi"));

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => silo.AgentConnectionWithToken(started.CustomerToken).StartAsync());

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task ASupervisorAdministersAnAgentsProfileAndTheChangeTakesEffect()
    {
        var (agentId, skill) = silo.NewLane();
        var changed = new AgentProfileRequest("Renamed Agent", ImmutableDictionary<string, int>.Empty.Add(skill, 4), 5);

        var response = await silo.SupervisorHttp.PutAsJsonAsync($"/api/agents/{agentId}", changed, silo.Json);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var badSkill = await silo.SupervisorHttp.PutAsJsonAsync($"/api/agents/{agentId}", changed with { Skills = changed.Skills.Add("gardening", 3) }, silo.Json);
        Assert.Contains("gardening", (await HttpAssert.ProblemAsync(badSkill, HttpStatusCode.BadRequest)).Detail);

        var stored = await silo.SupervisorHttp.GetFromJsonAsync<AgentView>($"/api/agents/{agentId}", silo.Json);
        Assert.Equal(("Renamed Agent", 5, 4), (stored!.Profile.Name, stored.Profile.Capacity, stored.Profile.Skills[skill]));
    }

    [Fact]
    public async Task AnAgentReadsOnlyItsOwnConversationsAndASupervisorReadsAll()
    {
        var (ownerId, skill) = silo.NewLane();
        var (intruderId, _) = silo.NewLane();
        var owner = silo.AgentConnection(ownerId);
        var assigned = new Inbox<ConversationView>(owner, nameof(IAgentClient.ConversationAssigned));
        await ConnectAsync(owner);
        var intruder = await ConnectAsync(silo.AgentConnection(intruderId));
        var supervisor = await ConnectAsync(silo.AgentConnection(SiloFixture.Supervisor));
        var started = (await silo.StartOverHttpAsync(new StartConversation("Ann", skill, "My card number is private"))).Conversation;
        await assigned.WaitAsync(c => c.Id == started.Id);

        var hubRead = await Assert.ThrowsAsync<HubException>(() => intruder.InvokeAsync<ConversationView>(nameof(AgentHub.GetConversation), started.Id));
        Assert.Contains("is not assigned to you", hubRead.Message);
        using var intruderHttp = silo.As(silo.AgentToken(intruderId));
        await HttpAssert.ProblemAsync(await intruderHttp.GetAsync($"/api/conversations/{started.Id}"), HttpStatusCode.Forbidden);

        Assert.Equal(ownerId, (await owner.InvokeAsync<ConversationView>(nameof(AgentHub.GetConversation), started.Id)).AgentId);
        using var ownerHttp = silo.As(silo.AgentToken(ownerId));
        Assert.Equal(HttpStatusCode.OK, (await ownerHttp.GetAsync($"/api/conversations/{started.Id}")).StatusCode);
        Assert.Equal(started.Id, (await supervisor.InvokeAsync<ConversationView>(nameof(AgentHub.GetConversation), started.Id)).Id);
    }

    [Fact]
    public async Task ASupervisorTransfersAndResolvesAConversationAnotherAgentHolds()
    {
        var (ownerId, skill) = silo.NewLane();
        var (otherId, otherSkill) = silo.NewLane();
        var owner = silo.AgentConnection(ownerId);
        var ownerAssigned = new Inbox<ConversationView>(owner, nameof(IAgentClient.ConversationAssigned));
        var withdrawn = new Inbox<ConversationWithdrawn>(owner, nameof(IAgentClient.ConversationWithdrawn));
        await ConnectAsync(owner);
        var other = silo.AgentConnection(otherId);
        var otherAssigned = new Inbox<ConversationView>(other, nameof(IAgentClient.ConversationAssigned));
        var otherClosed = new Inbox<ConversationClosed>(other, nameof(IAgentClient.ConversationClosed));
        await ConnectAsync(other);
        var supervisor = await ConnectAsync(silo.AgentConnection(SiloFixture.Supervisor));
        var started = (await silo.StartOverHttpAsync(new StartConversation("Ann", skill, "Hi"))).Conversation;
        await ownerAssigned.WaitAsync(c => c.Id == started.Id);

        await supervisor.InvokeAsync(nameof(AgentHub.Transfer), started.Id, otherSkill);
        Assert.Contains("by supervisor", (await withdrawn.WaitAsync(w => w.ConversationId == started.Id)).Reason);
        await otherAssigned.WaitAsync(c => c.Id == started.Id);
        await supervisor.InvokeAsync(nameof(AgentHub.Resolve), started.Id);

        Assert.Equal(otherId, (await otherClosed.WaitAsync(c => c.ConversationId == started.Id)).ResolvedBy);
        Assert.Equal(ConversationStatus.Resolved, (await silo.ReadConversationAsync(started.Id)).Status);
        Assert.Empty((await other.InvokeAsync<AgentView>(nameof(AgentHub.GetProfile))).Conversations);
    }

    [Fact]
    public async Task ACustomerTokenOpensOnlyItsOwnConversation()
    {
        var (_, skill) = silo.NewLane();
        var mine = await silo.StartOverHttpAsync(new StartConversation("Ann", skill, "Hi"));
        var theirs = await silo.StartOverHttpAsync(new StartConversation("Bea", skill, "My address is 1 Private Road"));
        using var ann = silo.As(mine.CustomerToken);
        var theirId = theirs.Conversation.Id;

        await HttpAssert.ProblemAsync(await ann.GetAsync($"/api/conversations/{theirId}"), HttpStatusCode.Forbidden);
        await HttpAssert.ProblemAsync(await ann.PostAsJsonAsync($"/api/conversations/{theirId}/messages", new { text = "Hijack" }, silo.Json), HttpStatusCode.Forbidden);
        await HttpAssert.ProblemAsync(await ann.PostAsync($"/api/conversations/{theirId}/leave", null), HttpStatusCode.Forbidden);
        await HttpAssert.ProblemAsync(await ann.PostAsJsonAsync($"/api/conversations/{theirId}/rating", new { score = 1 }, silo.Json), HttpStatusCode.Forbidden);
        await HttpAssert.ProblemAsync(await ann.GetAsync("/api/overview"), HttpStatusCode.Forbidden);

        var customer = await ConnectAsync(silo.CustomerConnection());
        var join = await Assert.ThrowsAsync<HubException>(() => customer.InvokeAsync<ConversationView>(nameof(CustomerHub.JoinConversation), theirId, mine.CustomerToken));
        Assert.Contains($"not for conversation '{theirId}'", join.Message);
        var garbage = await Assert.ThrowsAsync<HubException>(() => customer.InvokeAsync<ConversationView>(nameof(CustomerHub.JoinConversation), theirId, "not-a-token"));
        Assert.Contains("not valid", garbage.Message);
        var post = await Assert.ThrowsAsync<HubException>(() => customer.InvokeAsync<ChatMessage>(nameof(CustomerHub.SendMessage), theirId, "Hijack"));
        Assert.Contains("has not joined", post.Message);

        await silo.AssertUnchangedAsync(theirs.Conversation);
        Assert.Equal(HttpStatusCode.OK, (await ann.GetAsync($"/api/conversations/{mine.Conversation.Id}")).StatusCode);
        Assert.Equal(mine.Conversation.Id, (await customer.InvokeAsync<ConversationView>(nameof(CustomerHub.JoinConversation), mine.Conversation.Id, mine.CustomerToken)).Id);
    }

    [Fact]
    public async Task TheDevelopmentSignInGivesTokensOnlyForConfiguredAgents()
    {
        var (agentId, _) = silo.NewLane();

        var response = await silo.Http.PostAsJsonAsync(AuthHosting.DevTokenPath, new { agentId }, silo.Json);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var issued = await silo.ReadAsync<DevTokenResponse>(response);
        Assert.False(issued.Supervisor);
        var unknown = await silo.Http.PostAsJsonAsync(AuthHosting.DevTokenPath, new { agentId = "nobody-by-this-name" }, silo.Json);
        Assert.Contains("no agent", (await HttpAssert.ProblemAsync(unknown, HttpStatusCode.NotFound)).Detail);

        var connection = await ConnectAsync(silo.AgentConnectionWithToken(issued.Token));
        Assert.Equal(agentId, (await connection.InvokeAsync<AgentView>(nameof(AgentHub.GetProfile))).Id);
        var settings = await silo.Http.GetFromJsonAsync<ConsoleSettings>("/api/console-settings", silo.Json);
        Assert.True(settings!.DevelopmentSignIn);
        Assert.Contains(settings.DemoAgents!, a => a.Id == agentId);
    }

    [Fact]
    public async Task TheDevelopmentSignInAnswersAnIdNobodyMadeWithoutActivatingAnAgentGrain()
    {
        var (_, skill) = silo.NewLane();
        var probes = Enumerable.Range(0, 200).Select(i => $"probe-{i}-{Guid.NewGuid():N}".PadRight(AgentRules.MaxAgentIdLength, 'x')).ToArray();

        foreach (var probe in probes)
        {
            var unknown = await silo.Http.PostAsJsonAsync(AuthHosting.DevTokenPath, new { agentId = probe }, silo.Json);
            Assert.Contains("no agent", (await HttpAssert.ProblemAsync(unknown, HttpStatusCode.NotFound)).Detail);
        }

        var tooLong = await silo.Http.PostAsJsonAsync(AuthHosting.DevTokenPath, new { agentId = new string('a', AgentRules.MaxAgentIdLength + 1) }, silo.Json);
        Assert.Contains(AgentRules.AgentIdRule, (await HttpAssert.ProblemAsync(tooLong, HttpStatusCode.BadRequest)).Detail);
        var activeAgents = (await silo.Grains.GetGrain<Orleans.Runtime.IManagementGrain>(0).GetDetailedGrainStatistics())
            .Where(s => s.GrainType.Contains(nameof(AgentGrain), StringComparison.Ordinal))
            .Select(s => s.GrainId.Key.ToString())
            .ToHashSet();
        Assert.NotEmpty(activeAgents);
        Assert.DoesNotContain(probes, activeAgents.Contains);

        // An agent a supervisor made (stored, not configured) signs in like a configured one.
        var made = $"made-{Guid.NewGuid():N}";
        var put = await silo.SupervisorHttp.PutAsJsonAsync($"/api/agents/{made}", new AgentProfileRequest("Made Agent", ImmutableDictionary<string, int>.Empty.Add(skill, 3), 2), silo.Json);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var signedIn = await silo.Http.PostAsJsonAsync(AuthHosting.DevTokenPath, new { agentId = made }, silo.Json);
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.Equal("Made Agent", (await silo.ReadAsync<DevTokenResponse>(signedIn)).Name);
    }

    [Fact]
    public void SilosThatFormAClusterRefuseToStartWithoutASigningKey()
    {
        var clustered = new AuthOptionsValidator(embedded: false).Validate(null, new AuthOptions());
        var weakKey = new AuthOptionsValidator(embedded: true).Validate(null, new AuthOptions { SigningKey = "too-short" });
        var embedded = new AuthOptionsValidator(embedded: true).Validate(null, new AuthOptions());

        Assert.Contains("SigningKey is required when silos form a cluster", clustered.FailureMessage);
        Assert.Contains("at least 32 bytes", weakKey.FailureMessage);
        Assert.True(embedded.Succeeded);
    }

    private static string Base64Url(string text) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string PadBase64(string text) => text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=');
}
