using Microsoft.Extensions.Time.Testing;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Customers;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// A fake-time cluster for customers coming back. The hold is 40 s here so it differs from every clock; agents keep
/// what they are given (no reservation timeout), and nothing overflows or becomes a ticket during a test.
/// </summary>
public sealed class CustomerClusterFixture : ClusterFixture
{
    public static readonly TimeSpan Hold = TimeSpan.FromSeconds(40);

    public CustomerClusterFixture()
    {
        Time = new FakeTimeProvider(FakeTimeStart);
        Configure = options =>
        {
            NoPresenceRefresh(options);
            NoReservationTimeout(options);
            NoOverflow(options);
            options.Customers.LastAgentHold = Hold;
        };
    }
}

[CollectionDefinition(Name)]
public sealed class CustomerClusterCollection : ICollectionFixture<CustomerClusterFixture>
{
    public const string Name = "customer cluster";
}

[Collection(CustomerClusterCollection.Name)]
public sealed class CustomerRoutingTests(CustomerClusterFixture fixture)
{
    private FakeTimeProvider Time => fixture.Time!;

    private RecordingNotifier Notifier => fixture.Notifier;

    [Fact]
    public async Task AReturningCustomerGoesToTheirLastAgentAlthoughAnotherIsLessLoaded()
    {
        var (skill, customer, alice, bruno, first, busy) = await LastAgentBusyAsync(capacity: 3);
        Time.Advance(TimeSpan.FromMinutes(11));

        var second = await StartAsync(customer, skill, "It happened again");
        var (agentId, assigned) = await Notifier.WaitForAssignmentAsync(second.Id);

        Assert.Equal(Id(alice), agentId);
        Assert.Equal(PreferenceReason.LastAgent, assigned.Preference?.Reason);
        Assert.Null(assigned.ReopenedFrom);
        Assert.Equal(first, Assert.Single(assigned.History).Id);
        Assert.Empty((await bruno.GetAsync())!.Conversations);
        await fixture.AssertInvariantsAsync([alice, bruno], [first, busy, second.Id], skill);
    }

    [Fact]
    public async Task ABusyLastAgentHoldsTheConversationForTheHoldThenTheNextFreeAgentGetsIt()
    {
        var (skill, customer, alice, bruno, first, busy) = await LastAgentBusyAsync(capacity: 1);

        var second = await StartAsync(customer, skill, "Hello again");
        await Notifier.WaitForQueuedAsync(second.Id);
        Assert.Equal(second.StartedAt + CustomerClusterFixture.Hold, second.Preference?.HoldUntil);

        Time.Advance(CustomerClusterFixture.Hold - TimeSpan.FromSeconds(1));
        Assert.Equal(ConversationStatus.Waiting, (await Conversation(second.Id).GetAsync()).Status);
        Assert.Empty((await bruno.GetAsync())!.Conversations);

        Time.Advance(TimeSpan.FromSeconds(1));
        var (agentId, _) = await Notifier.WaitForAssignmentAsync(second.Id);
        Assert.Equal(Id(bruno), agentId);
        Assert.Single((await alice.GetAsync())!.Conversations);
        await fixture.AssertInvariantsAsync([alice, bruno], [first, busy, second.Id], skill);
    }

    [Fact]
    public async Task ALastAgentWhoFreesASlotDuringTheHoldGetsTheConversation()
    {
        var (skill, customer, alice, bruno, first, busy) = await LastAgentBusyAsync(capacity: 1);

        var second = await StartAsync(customer, skill, "Hello again");
        await Notifier.WaitForQueuedAsync(second.Id);
        Time.Advance(TimeSpan.FromSeconds(10));
        await Conversation(busy).ResolveAsync(Id(alice));

        var (agentId, _) = await Notifier.WaitForAssignmentAsync(second.Id);
        Assert.Equal(Id(alice), agentId);
        await fixture.AssertInvariantsAsync([alice, bruno], [first, busy, second.Id], skill);
    }

    [Fact]
    public async Task AnOfflineLastAgentIsNotWaitedForAndTheConversationIsRoutedAtOnce()
    {
        var skill = fixture.NewSkill();
        var alice = await fixture.OnlineAgentAsync(2, (skill, 3));
        var customer = NewCustomer();
        var first = await ServedAndResolvedAsync(customer, skill, alice);
        await alice.DisconnectAsync(ClusterFixture.ConnectionOf(alice));
        var bruno = await fixture.OnlineAgentAsync(2, (skill, 3));

        var second = await StartAsync(customer, skill, "Anyone there?");
        var (agentId, assigned) = await Notifier.WaitForAssignmentAsync(second.Id);

        Assert.Equal(Id(bruno), agentId);
        Assert.Equal(Id(alice), assigned.Preference?.AgentId);
        Assert.Null(assigned.Preference?.HoldUntil);
        await fixture.AssertInvariantsAsync([alice, bruno], [first, second.Id], skill);
    }

    [Fact]
    public async Task TheHoldEndsAtTheFirstResponseDeadlineWhenThatComesFirst()
    {
        var (skill, customer, alice, bruno, first, busy) = await LastAgentBusyAsync(capacity: 1);

        // Angry: first answer due in 30 s, sooner than the 40 s hold.
        var second = (await fixture.Grains.GetGrain<ICustomerGrain>(customer)
            .StartAsync(new StartConversation("Ann", skill, "Again!", Emotion: Emotion.Angry), NewId())).Conversation;
        await Notifier.WaitForQueuedAsync(second.Id);
        Assert.Equal(second.FirstResponseDueAt, second.Preference?.HoldUntil);
        Assert.Equal(TimeSpan.FromSeconds(30), second.FirstResponseDueAt - second.StartedAt);

        Time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(ConversationStatus.Waiting, (await Conversation(second.Id).GetAsync()).Status);
        Time.Advance(TimeSpan.FromSeconds(1));
        var (agentId, _) = await Notifier.WaitForAssignmentAsync(second.Id);
        Assert.Equal(Id(bruno), agentId);
        // At the deadline the breach re-queues the conversation (higher priority, same ticket) while the queue's
        // offer to Bruno is in flight: the queue must drop that entry too once Bruno has it.
        await fixture.AssertInvariantsAsync([alice, bruno], [first, busy, second.Id], skill);
    }

    [Fact]
    public async Task ACustomerWritingAgainWithinTenMinutesOfTheResolveGoesBackToTheAgentWhoResolvedIt()
    {
        var (skill, customer, alice, bruno, first, busy) = await LastAgentBusyAsync(capacity: 3);
        Time.Advance(TimeSpan.FromMinutes(5));

        var second = await StartAsync(customer, skill, "One more thing about that order");
        var (agentId, assigned) = await Notifier.WaitForAssignmentAsync(second.Id);

        Assert.Equal(Id(alice), agentId);
        Assert.Equal(PreferenceReason.Reopened, assigned.Preference?.Reason);
        Assert.Equal(first, assigned.ReopenedFrom);
        Assert.NotEqual(first, second.Id);
        Assert.Equal(ConversationStatus.Resolved, (await Conversation(first).GetAsync()).Status);
        await fixture.AssertInvariantsAsync([alice, bruno], [first, busy, second.Id], skill);
    }

    [Fact]
    public async Task ReturningCustomersNeverFillTheirLastAgentBeyondCapacity()
    {
        var skill = fixture.NewSkill();
        var alice = await fixture.OnlineAgentAsync(2, (skill, 3));
        var customers = Enumerable.Range(0, 5).Select(_ => NewCustomer()).ToList();
        var served = new List<string>();
        foreach (var customer in customers)
        {
            served.Add(await ServedAndResolvedAsync(customer, skill, alice));
        }

        var bruno = await fixture.OnlineAgentAsync(5, (skill, 3));
        var again = await Task.WhenAll(customers.Select(c => StartAsync(c, skill, "Back again")));
        var ids = again.Select(c => c.Id).ToHashSet();
        await Notifier.WaitUntilAsync(seen => seen.Count(n => n.Kind == RecordingNotifier.Assigned && ids.Contains(n.ConversationId)) == 2);
        Assert.Equal(2, (await alice.GetAsync())!.Conversations.Length);

        Time.Advance(CustomerClusterFixture.Hold);
        var assigned = await Task.WhenAll(ids.Select(Notifier.WaitForAssignmentAsync));

        Assert.Equal(2, assigned.Count(a => a.AgentId == Id(alice)));
        Assert.Equal(3, assigned.Count(a => a.AgentId == Id(bruno)));
        Assert.Equal(2, (await alice.GetAsync())!.Conversations.Length);
        await fixture.AssertInvariantsAsync([alice, bruno], [.. served, .. ids], skill);
    }

    [Fact]
    public async Task TwoStartsAtOnceOnOneTopicMakeOneConversation()
    {
        var skill = fixture.NewSkill();
        var customer = NewCustomer();

        var both = await Task.WhenAll(StartAsync(customer, skill, "Where is my parcel?"), StartAsync(customer, skill, "Where is my parcel?"));

        Assert.Equal(both[0].Id, both[1].Id);
        var view = await Conversation(both[0].Id).GetAsync();
        Assert.Single(view.Messages, m => m.From == MessageAuthor.Customer);
        Assert.Single((await fixture.Grains.GetGrain<ICustomerGrain>(customer).GetAsync())!.Conversations);
        await fixture.AssertInvariantsAsync([], [both[0].Id], skill);
    }

    [Fact]
    public async Task AStartBeyondTheOpenLimitIsRefusedAndChangesNothing()
    {
        var customer = NewCustomer();
        var skills = new[] { fixture.NewSkill(), fixture.NewSkill(), fixture.NewSkill() };
        var open = new List<string>();
        foreach (var skill in skills)
        {
            open.Add((await StartAsync(customer, skill, "Hello")).Id);
        }

        var refusedId = NewId();
        var refused = await Assert.ThrowsAsync<SwitchboardException>(() => fixture.Grains.GetGrain<ICustomerGrain>(customer)
            .StartAsync(new StartConversation("Ann", fixture.NewSkill(), "And another"), refusedId));

        Assert.Equal(SwitchboardError.Conflict, refused.Error);
        Assert.Contains("at most 3 may be open at once", refused.Message);
        Assert.Equal(3, (await fixture.Grains.GetGrain<ICustomerGrain>(customer).GetAsync())!.Conversations.Length);
        Assert.Equal(SwitchboardError.NotFound, (await Assert.ThrowsAsync<SwitchboardException>(() => Conversation(refusedId).GetAsync())).Error);
        await fixture.AssertInvariantsAsync([], open, skills);
    }

    private static string NewCustomer() => CustomerIds.NewWeb();

    private static string NewId() => Guid.NewGuid().ToString("N");

    private static string Id(IAgentGrain agent) => agent.GetPrimaryKeyString();

    private IConversationGrain Conversation(string id) => fixture.Grains.GetGrain<IConversationGrain>(id);

    private async Task<ConversationView> StartAsync(string customer, string skill, string text) =>
        (await fixture.Grains.GetGrain<ICustomerGrain>(customer).StartAsync(new StartConversation("Ann", skill, text), NewId())).Conversation;

    /// <summary>
    /// A customer whom Alice served (resolved) comes back while Alice is busy with another customer (<paramref name="busy"/>,
    /// her only free slot when capacity is 1) and Bruno, with the same skill and capacity, is free.
    /// </summary>
    private async Task<(string Skill, string Customer, IAgentGrain Alice, IAgentGrain Bruno, string First, string Busy)> LastAgentBusyAsync(int capacity)
    {
        var skill = fixture.NewSkill();
        var alice = await fixture.OnlineAgentAsync(capacity, (skill, 3));
        var customer = NewCustomer();
        var first = await ServedAndResolvedAsync(customer, skill, alice);
        var busy = await BusyAsync(skill, alice);
        var bruno = await fixture.OnlineAgentAsync(capacity, (skill, 3));
        return (skill, customer, alice, bruno, first, busy);
    }

    /// <summary>The customer's conversation on the skill, taken by <paramref name="agent"/> (the only one free) and resolved.</summary>
    private async Task<string> ServedAndResolvedAsync(string customer, string skill, IAgentGrain agent)
    {
        var started = await StartAsync(customer, skill, "Where is my parcel?");
        var (agentId, _) = await Notifier.WaitForAssignmentAsync(started.Id);
        Assert.Equal(Id(agent), agentId);
        await Conversation(started.Id).PostAgentMessageAsync(agentId, "It arrives tomorrow.");
        await Conversation(started.Id).ResolveAsync(agentId);
        return started.Id;
    }

    /// <summary>Gives the agent (the only one free) one more conversation of another customer.</summary>
    private async Task<string> BusyAsync(string skill, IAgentGrain agent)
    {
        var (_, id) = await fixture.StartAsync(skill);
        var (agentId, _) = await Notifier.WaitForAssignmentAsync(id);
        Assert.Equal(Id(agent), agentId);
        return id;
    }
}
