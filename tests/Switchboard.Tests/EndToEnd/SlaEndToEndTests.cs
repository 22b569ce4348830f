using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using Switchboard.Conversations;
using Switchboard.Hubs;
using Switchboard.Supervision;

namespace Switchboard.Tests.EndToEnd;

/// <summary>The real silo over Kestrel, with its grains on a fake clock so deadlines pass when a test says so.</summary>
public sealed class FakeTimeSiloFixture : SiloFixture
{
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));

    protected override FakeTimeProvider Clock => Time;

    protected override void Customize(WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TimeProvider>(Time);
        builder.Services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
    }
}

[CollectionDefinition(Name)]
public sealed class FakeTimeSiloCollection : ICollectionFixture<FakeTimeSiloFixture>
{
    public const string Name = "silo over kestrel on fake time";
}

[Collection(FakeTimeSiloCollection.Name)]
public sealed class SlaEndToEndTests(FakeTimeSiloFixture silo) : HubTests
{
    [Fact]
    public async Task TheCustomerIsAcknowledgedTheAgentWarnedAndSupervisorsToldOfTheBreachOverSignalR()
    {
        var (agentId, skill) = silo.NewLane();
        var supervisor = silo.AgentConnection(SiloFixture.Supervisor);
        var alerts = new Inbox<SupervisorAlert>(supervisor, nameof(IAgentClient.SupervisorAlert));
        await ConnectAsync(supervisor);
        var customer = silo.CustomerConnection();
        var queued = new Inbox<ConversationQueued>(customer, nameof(ICustomerClient.ConversationQueued));
        var messages = new Inbox<MessagePosted>(customer, nameof(ICustomerClient.MessagePosted));
        await ConnectAsync(customer);

        var started = (await customer.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), new StartConversation("Ann", skill, "Hello?"))).Conversation;
        var acknowledgement = await messages.WaitAsync(m => m.ConversationId == started.Id && m.Message.From == MessageAuthor.System);
        Assert.Matches("^We have your question\\. Nobody who handles .+ is available right now", acknowledgement.Message.Text);
        var place = await queued.WaitAsync(q => q.ConversationId == started.Id);
        Assert.Equal(1, place.Position);
        Assert.Null(place.EstimatedWait);

        silo.Time.Advance(TimeSpan.FromSeconds(50));
        var agent = silo.AgentConnection(agentId);
        var assigned = new Inbox<ConversationView>(agent, nameof(IAgentClient.ConversationAssigned));
        var warnings = new Inbox<SlaWarning>(agent, nameof(IAgentClient.SlaWarning));
        await ConnectAsync(agent);
        await assigned.WaitAsync(c => c.Id == started.Id);

        silo.Time.Advance(TimeSpan.FromSeconds(10));
        var warning = await warnings.WaitAsync(w => w.ConversationId == started.Id);
        Assert.Equal(TimeSpan.FromSeconds(30), warning.TimeLeft);
        Assert.Equal(started.FirstResponseDueAt, warning.DueAt);

        silo.Time.Advance(TimeSpan.FromSeconds(30));
        var alert = await alerts.WaitAsync(a => a.ConversationId == started.Id);
        Assert.Equal(SupervisorAlertKind.Breach, alert.Kind);
        Assert.Equal(skill, alert.Topic);
    }

    [Fact]
    public async Task OnlySupervisorsSeeTheTickets()
    {
        var (agentId, _) = silo.NewLane();
        var agent = await ConnectAsync(silo.AgentConnection(agentId));
        var supervisor = await ConnectAsync(silo.AgentConnection(SiloFixture.Supervisor));

        var refusal = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => agent.InvokeAsync<TicketSummary[]>(nameof(AgentHub.GetTickets)));
        Assert.Contains("Only supervisors", refusal.Message);
        Assert.NotNull(await supervisor.InvokeAsync<TicketSummary[]>(nameof(AgentHub.GetTickets)));
    }
}
