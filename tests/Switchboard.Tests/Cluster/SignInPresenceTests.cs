using System.Collections.Immutable;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Agents;
using Switchboard.Conversations;

namespace Switchboard.Tests.Cluster;

/// <summary>The product's sign-in presence (Away) on fake time, in a cluster of its own.</summary>
public sealed class SignInPresenceClusterFixture : ClusterFixture
{
    public SignInPresenceClusterFixture()
    {
        Time = new FakeTimeProvider(FakeTimeStart);
        SignInStatus = AgentPresence.Away;
        Configure = options =>
        {
            NoPresenceRefresh(options);
            NoReservationTimeout(options);
            NoOverflow(options);
        };
    }
}

[CollectionDefinition(Name)]
public sealed class SignInPresenceClusterCollection : ICollectionFixture<SignInPresenceClusterFixture>
{
    public const string Name = "sign-in presence cluster";
}

[Collection(SignInPresenceClusterCollection.Name)]
public sealed class SignInPresenceTests(SignInPresenceClusterFixture fixture)
{
    private FakeTimeProvider Time => fixture.Time!;

    private async Task<(IAgentGrain Agent, AgentView View)> SignInAsync(bool supervisor, params (string Skill, int Proficiency)[] skills)
    {
        var agent = fixture.Grains.GetGrain<IAgentGrain>($"agent-{Guid.NewGuid():N}");
        await agent.ConfigureAsync(new AgentProfile("Test Agent", skills.ToImmutableDictionary(s => s.Skill, s => s.Proficiency), 2, supervisor));
        return (agent, await agent.ConnectAsync(ClusterFixture.ConnectionOf(agent)));
    }

    [Fact]
    public async Task AnAgentSignsInAwayAndIsRoutedNothingUntilTheyChooseOnline()
    {
        var skill = fixture.NewSkill();
        var (agent, signedIn) = await SignInAsync(supervisor: false, (skill, 3));
        Assert.Equal(AgentPresence.Away, signedIn.Presence);

        var (_, id) = await fixture.StartAsync(skill);
        await fixture.Notifier.WaitForQueuedAsync(id);
        await fixture.RestAsync([agent.GetPrimaryKeyString()], [id]);
        Assert.Empty((await agent.GetAsync())!.Conversations);
        Assert.Contains(id, (await fixture.QueueAsync(skill)).Waiting.Select(e => e.ConversationId));

        Assert.Equal(AgentPresence.Online, (await agent.SetPresenceAsync(AgentPresence.Online)).Presence);
        Assert.Equal(agent.GetPrimaryKeyString(), (await fixture.Notifier.WaitForAssignmentAsync(id)).AgentId);
    }

    [Fact]
    public async Task AConsoleBackWithinTheGracePeriodResumesItsPresenceButASignInAfterItStartsAway()
    {
        var (agent, _) = await SignInAsync(supervisor: false, (fixture.NewSkill(), 3));
        await agent.SetPresenceAsync(AgentPresence.Online);

        // A dropped connection or a reload: the console is back within the grace period, still Online.
        await agent.DisconnectAsync(ClusterFixture.ConnectionOf(agent));
        Time.Advance(fixture.OfflineGracePeriod / 2);
        Assert.Equal(AgentPresence.Online, (await agent.ConnectAsync("reconnected")).Presence);

        // Signed out for longer than the grace period: the next connection is a sign-in.
        await agent.DisconnectAsync("reconnected");
        Time.Advance(fixture.OfflineGracePeriod + TimeSpan.FromSeconds(1));
        Assert.Equal(AgentPresence.Away, (await agent.ConnectAsync("next-morning")).Presence);
    }

    [Fact]
    public async Task AnAwaySupervisorTakesNoChatsOfTheirSkillsButEscalationsStillReachThem()
    {
        var skill = fixture.NewSkill();
        var (supervisor, signedIn) = await SignInAsync(supervisor: true, (skill, 5));
        Assert.Equal(AgentPresence.Away, signedIn.Presence);

        var (_, ordinary) = await fixture.StartAsync(skill);
        await fixture.Notifier.WaitForQueuedAsync(ordinary);
        var (_, complaint) = await fixture.StartAsync(new StartConversation("Ann", skill, "You charged me twice.", Complaint: true, Amount: 9000));
        Assert.Equal(supervisor.GetPrimaryKeyString(), (await fixture.Notifier.WaitForAssignmentAsync(complaint)).AgentId);

        await fixture.RestAsync([supervisor.GetPrimaryKeyString()], [ordinary, complaint]);
        Assert.Equal(complaint, Assert.Single((await supervisor.GetAsync())!.Conversations));
        Assert.Contains(ordinary, (await fixture.QueueAsync(skill)).Waiting.Select(e => e.ConversationId));
    }
}
