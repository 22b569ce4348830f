using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.Conversations;
using Switchboard.Customers;
using Switchboard.Hubs;

namespace Switchboard.Tests.EndToEnd;

/// <summary>Customers remembered, over the public surface: the customer hub, the channel API, outreach, the agent hub.</summary>
[Collection(SiloCollection.Name)]
public sealed class CustomerEndToEndTests(SiloFixture silo) : HubTests
{
    [Fact]
    public async Task ADoubleClickOnStartInTheWebChatMakesOneConversation()
    {
        var (agentId, skill) = silo.NewLane();
        var (_, assignments) = await ConnectAgentAsync(agentId);
        var customer = await ConnectAsync(silo.CustomerConnection());
        var start = new StartConversation("Ann", skill, "Where is order 1234?", CustomerId: NewCustomer());

        var both = await Task.WhenAll(
            customer.InvokeAsync<ConversationView>(nameof(CustomerHub.StartConversation), start),
            customer.InvokeAsync<ConversationView>(nameof(CustomerHub.StartConversation), start));

        Assert.Equal(both[0].Id, both[1].Id);
        var assigned = await assignments.WaitAsync(c => c.Id == both[0].Id);
        Assert.Equal(agentId, assigned.AgentId);
        var stored = await silo.Http.GetFromJsonAsync<ConversationView>($"/api/conversations/{both[0].Id}", silo.Json);
        Assert.Single(stored!.Messages, m => m.From == MessageAuthor.Customer);
        var remembered = await silo.Http.GetFromJsonAsync<CustomerView>($"/api/customers/{start.CustomerId}", silo.Json);
        Assert.Single(remembered!.Conversations);
    }

    [Fact]
    public async Task AChannelRetryJoinsTheOpenConversationAndOnlyNewTextIsPostedInIt()
    {
        var (agentId, skill) = silo.NewLane();
        var (_, assignments) = await ConnectAgentAsync(agentId);
        var start = new StartConversation("Bo", skill, "My parcel is late", CustomerId: NewCustomer());

        var first = await silo.Http.PostAsJsonAsync("/api/conversations", start, silo.Json);
        var retry = await silo.Http.PostAsJsonAsync("/api/conversations", start, silo.Json);
        var more = await silo.Http.PostAsJsonAsync("/api/conversations", start with { Text = "It was due Monday" }, silo.Json);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(HttpStatusCode.OK, more.StatusCode);
        var id = (await silo.ReadAsync<ConversationView>(first)).Id;
        Assert.Equal(id, (await silo.ReadAsync<ConversationView>(retry)).Id);
        var joined = await silo.ReadAsync<ConversationView>(more);
        Assert.Equal(id, joined.Id);
        Assert.Equal(["My parcel is late", "It was due Monday"], joined.Messages.Where(m => m.From == MessageAuthor.Customer).Select(m => m.Text));
        await assignments.WaitAsync(c => c.Id == id);
    }

    [Fact]
    public async Task TheAgentGetsTheCustomersEarlierConversationsWithTheAssignmentAndMayOpenThem()
    {
        var (agentId, skill) = silo.NewLane();
        var (otherId, _) = silo.NewLane();
        var (agent, assignments) = await ConnectAgentAsync(agentId);
        var (other, _) = await ConnectAgentAsync(otherId);
        var customer = await ConnectAsync(silo.CustomerConnection());
        var customerId = NewCustomer();

        var first = await customer.InvokeAsync<ConversationView>(
            nameof(CustomerHub.StartConversation), new StartConversation("Cy", skill, "Refund for order 9?", CustomerId: customerId));
        Assert.Empty(first.History);
        await assignments.WaitAsync(c => c.Id == first.Id);
        await agent.InvokeAsync<ChatMessage>(nameof(AgentHub.SendMessage), first.Id, "Refunded today.");
        await agent.InvokeAsync(nameof(AgentHub.Resolve), first.Id);
        await customer.InvokeAsync<ConversationRating>(nameof(CustomerHub.RateConversation), first.Id, 4, null);

        var second = await customer.InvokeAsync<ConversationView>(
            nameof(CustomerHub.StartConversation), new StartConversation("Cy", skill, "The refund has not arrived", CustomerId: customerId));
        var assigned = await assignments.WaitAsync(c => c.Id == second.Id);

        Assert.Empty(second.History);
        var past = Assert.Single(assigned.History);
        Assert.Equal((first.Id, "resolved", agentId, (int?)4, "Refunded today."), (past.Id, past.Outcome, past.ResolvedBy, past.Rating, past.LastMessage));
        Assert.Equal(customerId, assigned.CustomerId);
        var opened = await agent.InvokeAsync<ConversationView>(nameof(AgentHub.OpenPastConversation), first.Id);
        Assert.Equal("Refunded today.", opened.Messages.Single(m => m.From == MessageAuthor.Agent).Text);
        var refused = await Assert.ThrowsAsync<HubException>(() => other.InvokeAsync<ConversationView>(nameof(AgentHub.OpenPastConversation), first.Id));
        Assert.Contains("belongs to a customer you are not serving now", refused.Message);
        var supervisor = await ConnectAsync(silo.AgentConnection(SiloFixture.Supervisor));
        Assert.Equal(first.Id, (await supervisor.InvokeAsync<ConversationView>(nameof(AgentHub.OpenPastConversation), first.Id)).Id);
    }

    [Fact]
    public async Task OutreachOpensARoutedOutboundConversationThatTheCustomerHearsAndAnswers()
    {
        var (agent, assignments) = await ConnectAgentAsync(SiloFixture.OutreachAgent);
        var customerId = NewCustomer();
        var customer = silo.CustomerConnection();
        var opened = new Inbox<OutreachOpened>(customer, nameof(ICustomerClient.OutreachOpened));
        await ConnectAsync(customer);
        await customer.InvokeAsync(nameof(CustomerHub.ListenAsCustomer), customerId);

        var response = await silo.Http.PostAsJsonAsync(
            "/api/outreach", new StartOutreach(customerId, "Dana", SiloFixture.OutreachTrigger, Order: "5521"), silo.Json);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var started = await silo.ReadAsync<ConversationView>(response);
        Assert.Equal($"/api/conversations/{started.Id}", response.Headers.Location?.OriginalString);
        var opening = Assert.Single(started.Messages);
        Assert.Equal((MessageAuthor.System, "Hello Dana, your order 5521 is late. We are on it."), (opening.From, opening.Text));
        Assert.Equal(SiloFixture.OutreachSkill, started.Topic);
        Assert.Equal(2, started.Priority);
        var assigned = await assignments.WaitAsync(c => c.Id == started.Id);
        Assert.Equal(("testLate", "Delivery more than 24 h late", false), (assigned.Outreach?.Trigger, assigned.Outreach?.Reason, assigned.Outreach?.CustomerAnswered));
        var heard = await opened.WaitAsync(o => o.ConversationId == started.Id);
        Assert.Equal(opening.Text, heard.Message.Text);

        await customer.InvokeAsync<ConversationView>(nameof(CustomerHub.JoinConversation), started.Id);
        await customer.InvokeAsync<ChatMessage>(nameof(CustomerHub.SendMessage), started.Id, "Yes, where is it?");
        var answered = await silo.Http.GetFromJsonAsync<ConversationView>($"/api/conversations/{started.Id}", silo.Json);
        Assert.True(answered!.Outreach?.CustomerAnswered);
        Assert.Equal("5521", answered.Context["order"]);
        await agent.InvokeAsync(nameof(AgentHub.Resolve), started.Id);
    }

    [Fact]
    public async Task OutreachIsLimitedPerCustomerWith429AndRetryAfterAndNeverDuplicatesAnOpenOne()
    {
        var (agent, assignments) = await ConnectAgentAsync(SiloFixture.OutreachAgent);
        var outreach = new StartOutreach(NewCustomer(), "Eli", SiloFixture.OutreachTrigger, Order: "1");

        for (var i = 0; i < 2; i++)
        {
            var response = await silo.Http.PostAsJsonAsync("/api/outreach", outreach, silo.Json);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var started = await silo.ReadAsync<ConversationView>(response);
            await assignments.WaitAsync(c => c.Id == started.Id);
            if (i == 0)
            {
                // While one is open on that skill a second is refused, and does not count towards the limit.
                var open = await silo.Http.PostAsJsonAsync("/api/outreach", outreach, silo.Json);
                Assert.Contains($"'{started.Id}' open on {SiloFixture.OutreachSkill}", (await ProblemAsync(open, HttpStatusCode.Conflict)).Detail);
            }

            await agent.InvokeAsync(nameof(AgentHub.Resolve), started.Id);
        }

        var limited = await silo.Http.PostAsJsonAsync("/api/outreach", outreach, silo.Json);
        var problem = await ProblemAsync(limited, (HttpStatusCode)429);
        Assert.Contains("the next outreach is allowed in", problem.Detail);
        var retryAfter = limited.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromHours(23), TimeSpan.FromDays(1));
        var remembered = await silo.Http.GetFromJsonAsync<CustomerView>($"/api/customers/{outreach.CustomerId}", silo.Json);
        Assert.Equal(2, remembered!.OutreachSentAt.Length);
    }

    [Fact]
    public async Task AnUnknownTriggerIsRefusedWithTheKnownTriggersNamed()
    {
        var response = await silo.Http.PostAsJsonAsync("/api/outreach", new StartOutreach(NewCustomer(), "Fay", "birthday"), silo.Json);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("Unknown trigger 'birthday'. Known triggers: abnormalSignIn, idleCart, lateDelivery, longView, testLate.", problem.Detail);
        var unknown = await silo.Http.GetAsync($"/api/customers/{Uri.EscapeDataString("never-seen")}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    private static string NewCustomer() => $"customer-{Guid.NewGuid():N}";

    private async Task<ProblemDetails> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<ProblemDetails>(silo.Json))!;
    }

    private async Task<(HubConnection Connection, Inbox<ConversationView> Assignments)> ConnectAgentAsync(string agentId)
    {
        var connection = silo.AgentConnection(agentId);
        var assignments = new Inbox<ConversationView>(connection, nameof(IAgentClient.ConversationAssigned));
        await ConnectAsync(connection);
        return (connection, assignments);
    }
}
