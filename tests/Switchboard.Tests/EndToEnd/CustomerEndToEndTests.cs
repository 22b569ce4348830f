using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.Channels;
using Switchboard.Conversations;
using Switchboard.Customers;
using Switchboard.Hubs;
using Xunit.Abstractions;

namespace Switchboard.Tests.EndToEnd;

/// <summary>
/// Customers remembered, over the public surface: the customer hub, <c>POST /api/conversations</c>, the channel
/// webhook, outreach, the agent hub; and who may claim to be a returning customer.
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class CustomerEndToEndTests(SiloFixture silo, ITestOutputHelper output) : HubTests
{
    [Fact]
    public async Task ADoubleStartByAKnownCustomerMakesOneConversationAndAPooledConnectionSpeaksForNobody()
    {
        var (agentId, skill) = silo.NewLane();
        var (agent, assignments) = await ConnectAgentAsync(agentId);
        var customer = await ConnectAsync(silo.CustomerConnection());
        var first = await customer.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), new StartConversation("Ann", skill, "Hello"));
        await assignments.WaitAsync(c => c.Id == first.Conversation.Id);
        await agent.InvokeAsync(nameof(AgentHub.Resolve), first.Conversation.Id);

        // Not identified: the same connection starting again is somebody else (a gateway's pooled connection).
        var other = await customer.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), new StartConversation("Ben", skill, "Hi"));
        Assert.NotEqual(first.Customer.Id, other.Customer.Id);
        Assert.StartsWith("web:", other.Customer.Id);
        await assignments.WaitAsync(c => c.Id == other.Conversation.Id);

        // Ann comes back and clicks Start twice.
        var tab = await ConnectAsync(silo.CustomerConnection());
        await tab.InvokeAsync<string>(nameof(CustomerHub.Identify), first.Customer.Token);
        var start = new StartConversation("Ann", skill, "Where is order 1234?");
        var both = await Task.WhenAll(
            tab.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), start),
            tab.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), start));

        Assert.Equal(both[0].Conversation.Id, both[1].Conversation.Id);
        Assert.Equal((first.Customer.Id, first.Customer.Id), (both[0].Customer.Id, both[1].Customer.Id));
        var assigned = await assignments.WaitAsync(c => c.Id == both[0].Conversation.Id);
        Assert.Equal(agentId, assigned.AgentId);
        Assert.Single((await silo.ReadConversationAsync(assigned.Id)).Messages, m => m.From == MessageAuthor.Customer);
        var remembered = await silo.SupervisorHttp.GetFromJsonAsync<CustomerView>(CustomerPath(first.Customer.Id), silo.Json);
        Assert.Equal([assigned.Id, first.Conversation.Id], remembered!.Conversations.Select(c => c.Id));
        Assert.Equal("Ann", remembered.Profile.Name);
    }

    [Fact]
    public async Task AReturningCustomerWithTheirIdentityTokenJoinsTheirOpenConversationAndOnlyNewTextIsPosted()
    {
        var (agentId, skill) = silo.NewLane();
        var (_, assignments) = await ConnectAgentAsync(agentId);
        var start = new StartConversation("Bo", skill, "My parcel is late");

        var first = await silo.StartOverHttpAsync(start);
        using var returning = silo.As(first.Customer.Token);
        var retry = await returning.PostAsJsonAsync("/api/conversations", start, silo.Json);
        var more = await returning.PostAsJsonAsync("/api/conversations", start with { Text = "It was due Monday" }, silo.Json);

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(HttpStatusCode.OK, more.StatusCode);
        var id = first.Conversation.Id;
        Assert.Equal(id, (await silo.ReadAsync<StartedConversation>(retry)).Conversation.Id);
        var joined = await silo.ReadAsync<StartedConversation>(more);
        Assert.Equal((id, first.Customer.Id), (joined.Conversation.Id, joined.Customer.Id));
        Assert.Equal(["My parcel is late", "It was due Monday"], joined.Conversation.Messages.Where(m => m.From == MessageAuthor.Customer).Select(m => m.Text));
        // The token it answers with opens the joined conversation.
        using var asCustomer = silo.As(joined.CustomerToken);
        Assert.Equal(HttpStatusCode.OK, (await asCustomer.GetAsync($"/api/conversations/{id}")).StatusCode);
        await assignments.WaitAsync(c => c.Id == id);

        // Without the token the same name and text are somebody else: a conversation of their own.
        var stranger = await silo.StartOverHttpAsync(start);
        Assert.NotEqual(id, stranger.Conversation.Id);
        Assert.NotEqual(first.Customer.Id, stranger.Customer.Id);
        await assignments.WaitAsync(c => c.Id == stranger.Conversation.Id);
    }

    [Fact]
    public async Task AKnownCustomerFloodingStartsIsThrottledAndEveryAcceptedStartIsStoredOnce()
    {
        var (agentId, skill) = silo.NewLane();
        var (_, assignments) = await ConnectAgentAsync(agentId);
        var first = await silo.StartOverHttpAsync(new StartConversation("Flo", skill, "Hello"));
        await assignments.WaitAsync(c => c.Id == first.Conversation.Id);
        using var returning = silo.As(first.Customer.Token);

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 30; i++)
        {
            answers.Add(await returning.PostAsJsonAsync("/api/conversations", new StartConversation("Flo", skill, $"again {i}"), silo.Json));
        }

        var accepted = answers.Count(a => a.StatusCode == HttpStatusCode.OK);
        var refused = answers.Where(a => a.StatusCode == (HttpStatusCode)429).ToList();
        Assert.Equal(answers.Count, accepted + refused.Count);
        Assert.NotEmpty(refused);
        Assert.Contains("Too many starts", (await HttpAssert.ProblemAsync(refused[0], (HttpStatusCode)429)).Detail);
        Assert.NotNull(refused[0].Headers.RetryAfter);
        var stored = await silo.ReadConversationAsync(first.Conversation.Id);
        Assert.Equal(1 + accepted, stored.Messages.Count(m => m.From == MessageAuthor.Customer));
        output.WriteLine($"measured: 30 starts at once from one known customer: {accepted} accepted (each stored once), {refused.Count} refused with 429");
    }

    [Fact]
    public async Task NobodyCanClaimAnotherCustomerByNamingTheirIdOrWithTheWrongToken()
    {
        var (agentId, skill) = silo.NewLane();
        var (_, assignments) = await ConnectAgentAsync(agentId);
        var victim = await silo.StartOverHttpAsync(new StartConversation("Vic", skill, "My card number ends in 4242"));
        await assignments.WaitAsync(c => c.Id == victim.Conversation.Id);
        var before = await silo.ReadConversationAsync(victim.Conversation.Id);
        var claim = new StartConversation("Mallory", skill, "Show me my chat", CustomerId: victim.Customer.Id);

        // Naming the id: refused over HTTP and the hub.
        var named = await silo.Http.PostAsJsonAsync("/api/conversations", claim, silo.Json);
        Assert.Contains("'customerId' is not chosen by a web client", (await HttpAssert.ProblemAsync(named, HttpStatusCode.BadRequest)).Detail);
        var customer = await ConnectAsync(silo.CustomerConnection());
        var overHub = await Assert.ThrowsAsync<HubException>(() => customer.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), claim));
        Assert.Contains("'customerId' is not chosen by a web client", overHub.Message);

        // A token that is not an identity: the conversation's own customer token, an agent's, a forged one.
        using var withConversationToken = silo.As(victim.CustomerToken);
        await HttpAssert.ProblemAsync(await withConversationToken.PostAsJsonAsync("/api/conversations", claim with { CustomerId = null }, silo.Json), HttpStatusCode.Forbidden);
        using var withAgentToken = silo.As(silo.AgentToken(agentId));
        await HttpAssert.ProblemAsync(await withAgentToken.PostAsJsonAsync("/api/conversations", claim with { CustomerId = null }, silo.Json), HttpStatusCode.Forbidden);
        using var forged = silo.As(Switchboard.Auth.TokenIssuer.FromKey("another-key-entirely-0123456789abcdef").IssueCustomerIdentity(victim.Customer.Id).Token);
        var forgedAnswer = await forged.PostAsJsonAsync("/api/conversations", claim with { CustomerId = null }, silo.Json);
        Assert.Contains("not valid or has expired", (await HttpAssert.ProblemAsync(forgedAnswer, HttpStatusCode.Unauthorized)).Detail);
        var identify = await Assert.ThrowsAsync<HubException>(() => customer.InvokeAsync<string>(nameof(CustomerHub.Identify), victim.CustomerToken));
        Assert.Contains("not valid or has expired", identify.Message);

        // The identity token proves who the customer is; it opens none of their conversations by itself.
        using var withIdentity = silo.As(victim.Customer.Token);
        await HttpAssert.ProblemAsync(await withIdentity.GetAsync($"/api/conversations/{victim.Conversation.Id}"), HttpStatusCode.Forbidden);
        await silo.AssertUnchangedAsync(before);
        var remembered = await silo.SupervisorHttp.GetFromJsonAsync<CustomerView>(CustomerPath(victim.Customer.Id), silo.Json);
        Assert.Equal([victim.Conversation.Id], remembered!.Conversations.Select(c => c.Id));
    }

    [Fact]
    public async Task TheAgentGetsTheCustomersEarlierConversationsWithTheAssignmentAndMayOpenThem()
    {
        var (agentId, skill) = silo.NewLane();
        var (otherId, _) = silo.NewLane();
        var (agent, assignments) = await ConnectAgentAsync(agentId);
        var (other, _) = await ConnectAgentAsync(otherId);
        var customer = await ConnectAsync(silo.CustomerConnection());

        var first = await customer.InvokeAsync<StartedConversation>(
            nameof(CustomerHub.StartConversation), new StartConversation("Cy", skill, "Refund for order 9?"));
        Assert.Empty(first.Conversation.History);
        await assignments.WaitAsync(c => c.Id == first.Conversation.Id);
        await agent.InvokeAsync<ChatMessage>(nameof(AgentHub.SendMessage), first.Conversation.Id, "Refunded today.");
        await agent.InvokeAsync(nameof(AgentHub.Resolve), first.Conversation.Id);
        await customer.InvokeAsync<ConversationRating>(nameof(CustomerHub.RateConversation), first.Conversation.Id, 4, null);

        // Back the next day, in a new tab: the identity token says who they are.
        var tab = await ConnectAsync(silo.CustomerConnection());
        Assert.Equal(first.Customer.Id, await tab.InvokeAsync<string>(nameof(CustomerHub.Identify), first.Customer.Token));
        var second = await tab.InvokeAsync<StartedConversation>(
            nameof(CustomerHub.StartConversation), new StartConversation("Cy", skill, "The refund has not arrived"));
        var assigned = await assignments.WaitAsync(c => c.Id == second.Conversation.Id);

        Assert.Empty(second.Conversation.History);
        var past = Assert.Single(assigned.History);
        Assert.Equal((first.Conversation.Id, "resolved", agentId, (int?)4, "Refunded today."), (past.Id, past.Outcome, past.ResolvedBy, past.Rating, past.LastMessage));
        Assert.Equal(first.Customer.Id, assigned.CustomerId);
        var opened = await agent.InvokeAsync<ConversationView>(nameof(AgentHub.OpenPastConversation), first.Conversation.Id);
        Assert.Equal("Refunded today.", opened.Messages.Single(m => m.From == MessageAuthor.Agent).Text);
        var refused = await Assert.ThrowsAsync<HubException>(() => other.InvokeAsync<ConversationView>(nameof(AgentHub.OpenPastConversation), first.Conversation.Id));
        Assert.Contains("belongs to a customer you are not serving now", refused.Message);
        var supervisor = await ConnectAsync(silo.AgentConnection(SiloFixture.Supervisor));
        Assert.Equal(first.Conversation.Id, (await supervisor.InvokeAsync<ConversationView>(nameof(AgentHub.OpenPastConversation), first.Conversation.Id)).Id);
    }

    [Fact]
    public async Task AChannelsCustomerIsRememberedUnderTheChannelAndARetryIsAnsweredNotStoredTwice()
    {
        var (agentId, skill) = silo.NewLane();
        var (_, assignments) = await ConnectAgentAsync(agentId);
        var phone = $"+49-{Guid.NewGuid():N}";

        var first = await PostChannelStartAsync($"m1-{phone}", new StartConversation("Dee", skill, "Parcel missing", CustomerId: phone));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var opened = await silo.ReadAsync<ConversationView>(first);
        Assert.Equal($"{SiloFixture.Channel}:{phone}", opened.CustomerId);
        await assignments.WaitAsync(c => c.Id == opened.Id);

        // The customer writes again on the same topic: a new message in the open conversation, once.
        var again = new StartConversation("Dee", skill, "Any news?", CustomerId: phone);
        var joined = await PostChannelStartAsync($"m2-{phone}", again);
        var replayed = await PostChannelStartAsync($"m2-{phone}", again);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (joined.StatusCode, replayed.StatusCode));
        Assert.False(joined.Headers.Contains(ChannelApi.ReplayedHeader));
        Assert.Equal(["true"], replayed.Headers.GetValues(ChannelApi.ReplayedHeader));
        Assert.Equal(opened.Id, (await silo.ReadAsync<ConversationView>(replayed)).Id);
        var stored = await silo.ReadConversationAsync(opened.Id);
        Assert.Equal(["Parcel missing", "Any news?"], stored.Messages.Where(m => m.From == MessageAuthor.Customer).Select(m => m.Text));
        var remembered = await silo.SupervisorHttp.GetFromJsonAsync<CustomerView>(CustomerPath($"{SiloFixture.Channel}:{phone}"), silo.Json);
        Assert.Equal([opened.Id], remembered!.Conversations.Select(c => c.Id));
    }

    [Fact]
    public async Task OutreachOpensARoutedOutboundConversationThatTheCustomerHearsAndAnswers()
    {
        var (agent, assignments) = await ConnectAgentAsync(SiloFixture.OutreachAgent);
        var (laneAgent, laneSkill) = silo.NewLane();
        var (lane, laneAssignments) = await ConnectAgentAsync(laneAgent);
        var earlier = await silo.StartOverHttpAsync(new StartConversation("Dana", laneSkill, "Hello"));
        await laneAssignments.WaitAsync(c => c.Id == earlier.Conversation.Id);
        await lane.InvokeAsync(nameof(AgentHub.Resolve), earlier.Conversation.Id);
        var customerId = earlier.Customer.Id;
        var customer = silo.CustomerConnection();
        var heard = new Inbox<OutreachOpened>(customer, nameof(ICustomerClient.OutreachOpened));
        await ConnectAsync(customer);
        await customer.InvokeAsync<string>(nameof(CustomerHub.Identify), earlier.Customer.Token);

        var response = await silo.SupervisorHttp.PostAsJsonAsync(
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
        var pushed = await heard.WaitAsync(o => o.ConversationId == started.Id);
        Assert.Equal(opening.Text, pushed.Message.Text);

        // The push carries the conversation's customer token: the customer joins with it and answers.
        await customer.InvokeAsync<ConversationView>(nameof(CustomerHub.JoinConversation), started.Id, pushed.CustomerToken);
        await customer.InvokeAsync<ChatMessage>(nameof(CustomerHub.SendMessage), started.Id, "Yes, where is it?");
        var answered = await silo.ReadConversationAsync(started.Id);
        Assert.True(answered.Outreach?.CustomerAnswered);
        Assert.Equal("5521", answered.Context["order"]);
        await agent.InvokeAsync(nameof(AgentHub.Resolve), started.Id);
    }

    [Fact]
    public async Task OnlySupervisorsOpenOutreachOrReadACustomerAndOnlyForCustomersThatCanExist()
    {
        var outreach = new StartOutreach($"{SiloFixture.Channel}:{Guid.NewGuid():N}", "Gus", SiloFixture.OutreachTrigger, Order: "1");
        var (agentId, _) = silo.NewLane();
        using var agent = silo.As(silo.AgentToken(agentId));

        await HttpAssert.ProblemAsync(await silo.Http.PostAsJsonAsync("/api/outreach", outreach, silo.Json), HttpStatusCode.Unauthorized);
        await HttpAssert.ProblemAsync(await agent.PostAsJsonAsync("/api/outreach", outreach, silo.Json), HttpStatusCode.Forbidden);
        await HttpAssert.ProblemAsync(await agent.GetAsync(CustomerPath(outreach.CustomerId)), HttpStatusCode.Forbidden);
        await HttpAssert.ProblemAsync(await silo.Http.GetAsync(CustomerPath(outreach.CustomerId)), HttpStatusCode.Unauthorized);
        var bare = await silo.SupervisorHttp.PostAsJsonAsync("/api/outreach", outreach with { CustomerId = "customer-7" }, silo.Json);
        Assert.Contains("is not a customer id", (await HttpAssert.ProblemAsync(bare, HttpStatusCode.BadRequest)).Detail);
        var otherChannel = await silo.SupervisorHttp.PostAsJsonAsync("/api/outreach", outreach with { CustomerId = "sms:+4912" }, silo.Json);
        await HttpAssert.ProblemAsync(otherChannel, HttpStatusCode.BadRequest);
        var unknownWeb = await silo.SupervisorHttp.PostAsJsonAsync("/api/outreach", outreach with { CustomerId = CustomerIds.NewWeb() }, silo.Json);
        Assert.Contains("is not known", (await HttpAssert.ProblemAsync(unknownWeb, HttpStatusCode.NotFound)).Detail);

        await HttpAssert.ProblemAsync(await silo.SupervisorHttp.GetAsync(CustomerPath(outreach.CustomerId)), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task OutreachIsLimitedPerCustomerWith429AndRetryAfterAndNeverDuplicatesAnOpenOne()
    {
        var (agent, assignments) = await ConnectAgentAsync(SiloFixture.OutreachAgent);
        var outreach = new StartOutreach($"{SiloFixture.Channel}:{Guid.NewGuid():N}", "Eli", SiloFixture.OutreachTrigger, Order: "1");

        for (var i = 0; i < 2; i++)
        {
            var response = await silo.SupervisorHttp.PostAsJsonAsync("/api/outreach", outreach, silo.Json);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var started = await silo.ReadAsync<ConversationView>(response);
            Assert.Equal(SiloFixture.Channel, started.Channel);
            await assignments.WaitAsync(c => c.Id == started.Id);
            if (i == 0)
            {
                // While one is open on that skill a second is refused, and does not count towards the limit.
                var open = await silo.SupervisorHttp.PostAsJsonAsync("/api/outreach", outreach, silo.Json);
                Assert.Contains($"'{started.Id}' open on {SiloFixture.OutreachSkill}", (await HttpAssert.ProblemAsync(open, HttpStatusCode.Conflict)).Detail);
            }

            await agent.InvokeAsync(nameof(AgentHub.Resolve), started.Id);
        }

        var limited = await silo.SupervisorHttp.PostAsJsonAsync("/api/outreach", outreach, silo.Json);
        var problem = await HttpAssert.ProblemAsync(limited, (HttpStatusCode)429);
        Assert.Contains("the next outreach is allowed in", problem.Detail);
        var retryAfter = limited.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromHours(23), TimeSpan.FromDays(1));
        var remembered = await silo.SupervisorHttp.GetFromJsonAsync<CustomerView>(CustomerPath(outreach.CustomerId), silo.Json);
        Assert.Equal(2, remembered!.OutreachSentAt.Length);
    }

    [Fact]
    public async Task AnUnknownTriggerIsRefusedWithTheKnownTriggersNamed()
    {
        var response = await silo.SupervisorHttp.PostAsJsonAsync(
            "/api/outreach", new StartOutreach($"{SiloFixture.Channel}:fay", "Fay", "birthday"), silo.Json);

        var problem = await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("Unknown trigger 'birthday'. Known triggers: abnormalSignIn, idleCart, lateDelivery, longView, testLate.", problem.Detail);
    }

    private static string CustomerPath(string customerId) => $"/api/customers/{Uri.EscapeDataString(customerId)}";

    private async Task<HttpResponseMessage> PostChannelStartAsync(string messageId, StartConversation start)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new { messageId, conversation = start }, silo.Json);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/channels/{SiloFixture.Channel}/conversations")
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add(ChannelSignature.Header, ChannelSignature.Sign(SiloFixture.ChannelSecret, body));
        return await silo.Http.SendAsync(request);
    }

    private async Task<(HubConnection Connection, Inbox<ConversationView> Assignments)> ConnectAgentAsync(string agentId)
    {
        var connection = silo.AgentConnection(agentId);
        var assignments = new Inbox<ConversationView>(connection, nameof(IAgentClient.ConversationAssigned));
        await ConnectAsync(connection);
        return (connection, assignments);
    }
}
