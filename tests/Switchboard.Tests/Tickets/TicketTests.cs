using System.Collections.Immutable;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.Channels;
using Switchboard.Conversations;
using Switchboard.Hubs;
using Switchboard.Supervision;
using Switchboard.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Switchboard.Tests.Tickets;

/// <summary>
/// Leave a message → ticket → answered later, through the public surface: the customer hub and HTTP, the supervisor's
/// hub and HTTP, a real SMTP conversation with a local sink, and a real webhook call to a local receiver.
/// </summary>
[Collection(TicketSiloCollection.Name)]
public sealed class TicketTests(TicketSiloFixture silo, ITestOutputHelper output) : HubTests
{
    [Fact]
    public async Task AWebCustomersMessageBecomesATicketThatIsClaimedAnsweredAndMailedExactlyOnce()
    {
        var (_, skill) = silo.NewLane();
        var email = $"ann-{Guid.NewGuid():N}@example.test";
        var (customer, started) = await StartAsync(skill, "Where is order 1234?");
        // Nobody who handles the topic is online: leaving a message is offered at once.
        Assert.NotNull(started.LeaveMessageFrom);
        Assert.True(started.LeaveMessageFrom <= started.StartedAt);
        var closed = new Inbox<ConversationClosed>(customer, nameof(ICustomerClient.ConversationClosed));

        var requestId = Guid.NewGuid().ToString();
        var left = await customer.InvokeAsync<ConversationView>(nameof(CustomerHub.LeaveMessage), started.Id, requestId, email, "Where is order 1234? It is a gift.");
        var again = await customer.InvokeAsync<ConversationView>(nameof(CustomerHub.LeaveMessage), started.Id, requestId, email, "Where is order 1234? It is a gift.");

        Assert.Equal(ConversationStatus.Ticket, left.Status);
        Assert.Equal(email, left.Ticket?.Contact);
        Assert.Null(left.LeaveMessageFrom);
        Assert.Equal(left.Messages.Length, again.Messages.Length);
        var queue = await silo.SupervisorHttp.GetFromJsonAsync<Queues.QueueView>($"/api/queues/{skill}", silo.Json);
        Assert.DoesNotContain(queue!.Waiting, w => w.ConversationId == started.Id);
        var ticket = Assert.Single(await BoardAsync(), t => t.ConversationId == started.Id);
        Assert.Equal((email, skill, "Where is order 1234? It is a gift."), (ticket.Contact, ticket.Topic, ticket.LeftMessage));

        var supervisor = await ConnectAsync(silo.AgentConnection(SiloFixture.Supervisor));
        var claimed = await supervisor.InvokeAsync<ConversationView>(nameof(AgentHub.ClaimTicket), started.Id);
        Assert.Equal((ConversationStatus.Ticket, SiloFixture.Supervisor), (claimed.Status, claimed.Ticket?.ClaimedBy));
        var answerId = Guid.NewGuid().ToString();
        await supervisor.InvokeAsync<ConversationView>(nameof(AgentHub.AnswerTicket), started.Id, answerId, "It ships tomorrow with tracking.");

        var mail = await silo.Smtp.WaitForMailToAsync(email);
        await closed.WaitAsync(c => c.ConversationId == started.Id);
        // The console's retry of the same answer sends nothing more.
        await supervisor.InvokeAsync<ConversationView>(nameof(AgentHub.AnswerTicket), started.Id, answerId, "It ships tomorrow with tracking.");
        await supervisor.InvokeAsync<ConversationView>(nameof(AgentHub.RetryTicketAnswer), started.Id);

        Assert.Contains("It ships tomorrow with tracking.", mail.TextBody);
        Assert.Contains("> Where is order 1234? It is a gift.", mail.TextBody);
        Assert.Equal("support@example.test", mail.From.Mailboxes.Single().Address);
        var done = await silo.ReadConversationAsync(started.Id);
        Assert.Equal((ConversationStatus.Resolved, AnswerDelivery.Delivered, 1), (done.Status, done.Ticket!.Answer!.Delivery, done.Ticket.Answer.Attempts));
        Assert.Single(done.Messages, m => m.From == MessageAuthor.Agent && m.Text == "It ships tomorrow with tracking.");
        Assert.DoesNotContain(await BoardAsync(), t => t.ConversationId == started.Id);
        Assert.Single(silo.Smtp.MailsTo(email));
        output.WriteLine($"mail delivered on attempt {done.Ticket.Answer.Attempts}, {(done.Ticket.Answer.DeliveredAt - done.Ticket.Answer.At)!.Value.TotalMilliseconds:0} ms after the answer");
    }

    [Fact]
    public async Task AnAnswerTheMailServerRefusesStaysOnTheBoardUndeliveredAndARetryDeliversItOnce()
    {
        var (_, skill) = silo.NewLane();
        var email = $"bo-{Guid.NewGuid():N}@example.test";
        var (customer, started) = await StartAsync(skill, "My parcel is damaged.");
        var closed = new Inbox<ConversationClosed>(customer, nameof(ICustomerClient.ConversationClosed));
        await customer.InvokeAsync<ConversationView>(nameof(CustomerHub.LeaveMessage), started.Id, Guid.NewGuid().ToString(), email, "My parcel is damaged.");
        var supervisor = silo.AgentConnection(SiloFixture.Supervisor);
        var alerts = new Inbox<SupervisorAlert>(supervisor, nameof(IAgentClient.SupervisorAlert));
        await ConnectAsync(supervisor);
        await supervisor.InvokeAsync<ConversationView>(nameof(AgentHub.ClaimTicket), started.Id);

        silo.Smtp.Refusing = true;
        try
        {
            await supervisor.InvokeAsync<ConversationView>(nameof(AgentHub.AnswerTicket), started.Id, Guid.NewGuid().ToString(), "We are sending a new one.");
            var alert = await alerts.WaitAsync(a => a.ConversationId == started.Id && a.Kind == SupervisorAlertKind.Undelivered);
            output.WriteLine($"alert: {alert.Detail}");
        }
        finally
        {
            silo.Smtp.Refusing = false;
        }

        var ticket = Assert.Single(await BoardAsync(), t => t.ConversationId == started.Id);
        Assert.Equal((AnswerDelivery.Failed, TicketSiloFixture.MaxAttempts), (ticket.Answer!.Delivery, ticket.Answer.Attempts));
        Assert.Contains("sink is down", ticket.Answer.LastError);
        Assert.Empty(silo.Smtp.MailsTo(email));
        // The customer is not shown why it failed.
        var asCustomer = await customer.InvokeAsync<ConversationView>(nameof(CustomerHub.JoinConversation), started.Id, silo.Tokens.IssueCustomer(started.Id).Token);
        Assert.Null(asCustomer.Ticket!.Answer!.LastError);

        await supervisor.InvokeAsync<ConversationView>(nameof(AgentHub.RetryTicketAnswer), started.Id);
        var mail = await silo.Smtp.WaitForMailToAsync(email);
        await closed.WaitAsync(c => c.ConversationId == started.Id);
        await supervisor.InvokeAsync<ConversationView>(nameof(AgentHub.RetryTicketAnswer), started.Id);

        Assert.Contains("We are sending a new one.", mail.TextBody);
        Assert.Single(silo.Smtp.MailsTo(email));
        var done = await silo.ReadConversationAsync(started.Id);
        Assert.Equal((ConversationStatus.Resolved, AnswerDelivery.Delivered), (done.Status, done.Ticket!.Answer!.Delivery));
        Assert.DoesNotContain(await BoardAsync(), t => t.ConversationId == started.Id);
    }

    [Fact]
    public async Task AChannelCustomersAnswerReachesTheWebhookSignedAndAReceiverFailingTwiceGetsItOnTheThirdTryUnderOneMessageId()
    {
        var (_, skill) = silo.NewLane();
        var channelCustomer = $"+44{Random.Shared.Next(10_000_000, 99_999_999)}";
        var opened = await silo.ReadAsync<ConversationView>(await PostSignedAsync("/conversations", new
        {
            messageId = $"wamid.{Guid.NewGuid():N}",
            conversation = new { customerName = "Cem", topic = skill, text = "Can I change my address?", customerId = channelCustomer },
        }));
        var ticketMessageId = $"wamid.{Guid.NewGuid():N}";
        var left = await PostSignedAsync($"/conversations/{opened.Id}/ticket", new { messageId = ticketMessageId, text = "Please answer when you can." });
        var leftAgain = await PostSignedAsync($"/conversations/{opened.Id}/ticket", new { messageId = ticketMessageId, text = "Please answer when you can." });
        Assert.Equal(HttpStatusCode.OK, left.StatusCode);
        Assert.Equal(HttpStatusCode.OK, leftAgain.StatusCode);
        Assert.Equal($"channel:{SiloFixture.Channel}", (await silo.ReadAsync<ConversationView>(left)).Ticket?.Contact);

        silo.Webhook.Fail(2);
        var claim = await silo.SupervisorHttp.PostAsync($"/api/tickets/{opened.Id}/claim", null);
        Assert.Equal(HttpStatusCode.OK, claim.StatusCode);
        using var answer = new HttpRequestMessage(HttpMethod.Post, $"/api/tickets/{opened.Id}/answer") { Content = JsonContent.Create(new { text = "Yes: reply with the new one." }) };
        answer.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.OK, (await silo.SupervisorHttp.SendAsync(answer)).StatusCode);

        await silo.Webhook.WaitUntilAsync(all => all.Count(r => ConversationOf(r) == opened.Id) >= 3);
        var calls = silo.Webhook.All.Where(r => ConversationOf(r) == opened.Id).ToList();
        Assert.Equal([HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK], calls.Select(c => c.Answered));
        Assert.All(calls, c => Assert.True(ChannelSignature.Verify(TicketSiloFixture.OutboundSecret, c.Body, c.Signature), "signed with the outbound secret"));
        Assert.All(calls, c => Assert.False(ChannelSignature.Verify(SiloFixture.ChannelSecret, c.Body, c.Signature), "not with the inbound one"));
        var bodies = calls.Select(c => JsonDocument.Parse(c.Body).RootElement).ToList();
        var messageId = bodies[0].GetProperty("messageId").GetString();
        Assert.All(bodies, b => Assert.Equal(messageId, b.GetProperty("messageId").GetString()));
        Assert.All(calls, c => Assert.Equal(messageId, c.IdempotencyKey));
        Assert.Equal(("ticketAnswer", channelCustomer, "Yes: reply with the new one."),
            (bodies[2].GetProperty("type").GetString(), bodies[2].GetProperty("customerId").GetString(), bodies[2].GetProperty("text").GetString()));

        var done = await EventuallyAsync(() => silo.ReadConversationAsync(opened.Id), c => c.Status == ConversationStatus.Resolved);
        Assert.Equal((AnswerDelivery.Delivered, 3), (done.Ticket!.Answer!.Delivery, done.Ticket.Answer.Attempts));
        Assert.Equal(3, silo.Webhook.All.Count(r => ConversationOf(r) == opened.Id));
    }

    [Fact]
    public async Task BadTicketRequestsAreRefusedReadablyAndChangeNothing()
    {
        var (agentId, skill) = silo.NewLane();
        var (customer, started) = await StartAsync(skill, "Hello?");
        var before = await silo.ReadConversationAsync(started.Id);

        async Task<string> RefusedAsync(string? email, string text) =>
            (await Assert.ThrowsAsync<HubException>(() => customer.InvokeAsync<ConversationView>(
                nameof(CustomerHub.LeaveMessage), started.Id, Guid.NewGuid().ToString(), email, text))).Message;

        Assert.Contains("not an email address", await RefusedAsync("ann at example", "Hello?"));
        Assert.Contains("not an email address", await RefusedAsync("ann@example.test, eve@example.test", "Hello?"));
        Assert.Contains("email address is required", await RefusedAsync(null, "Hello?"));
        Assert.Contains("needs some text", await RefusedAsync("ann@example.test", "   "));
        var token = silo.Tokens.IssueCustomer(started.Id).Token;
        using var asCustomer = silo.As(token);
        var overHttp = await asCustomer.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/api/conversations/{started.Id}/ticket")
        {
            Content = JsonContent.Create(new { email = "nobody", text = "Hello?" }),
            Headers = { { "Idempotency-Key", Guid.NewGuid().ToString() } },
        });
        Assert.Contains("not an email address", (await HttpAssert.ProblemAsync(overHttp, HttpStatusCode.BadRequest)).Detail);
        var withoutKey = await asCustomer.PostAsJsonAsync($"/api/conversations/{started.Id}/ticket", new { email = "ann@example.test", text = "Hello?" });
        await HttpAssert.ProblemAsync(withoutKey, HttpStatusCode.BadRequest);

        await silo.AssertUnchangedAsync(before);
        Assert.Equal(ConversationStatus.Waiting, (await silo.ReadConversationAsync(started.Id)).Status);
        Assert.DoesNotContain(await BoardAsync(), t => t.ConversationId == started.Id);

        // A ticket one supervisor claimed: another's claim is 409, and nobody else answers it.
        await customer.InvokeAsync<ConversationView>(nameof(CustomerHub.LeaveMessage), started.Id, Guid.NewGuid().ToString(), "ann@example.test", "Hello?");
        var answerBeforeClaim = await silo.SupervisorHttp.SendAsync(AnswerRequest(started.Id, "Too early."));
        Assert.Contains("Claim ticket", (await HttpAssert.ProblemAsync(answerBeforeClaim, HttpStatusCode.Conflict)).Detail);
        Assert.Equal(HttpStatusCode.OK, (await silo.SupervisorHttp.PostAsync($"/api/tickets/{started.Id}/claim", null)).StatusCode);
        using var other = silo.As(silo.OtherSupervisorToken());
        var second = await other.PostAsync($"/api/tickets/{started.Id}/claim", null);
        Assert.Contains("already claimed", (await HttpAssert.ProblemAsync(second, HttpStatusCode.Conflict)).Detail);
        await HttpAssert.ProblemAsync(await other.SendAsync(AnswerRequest(started.Id, "Mine now.")), HttpStatusCode.Conflict);
        var agent = await ConnectAsync(silo.AgentConnection(agentId));
        await Assert.ThrowsAsync<HubException>(() => agent.InvokeAsync<ConversationView>(nameof(AgentHub.AnswerTicket), started.Id, Guid.NewGuid().ToString(), "An agent's answer."));
        var secondMessage = await Assert.ThrowsAsync<HubException>(() => customer.InvokeAsync<ConversationView>(
            nameof(CustomerHub.LeaveMessage), started.Id, Guid.NewGuid().ToString(), "ann@example.test", "Another one."));
        Assert.Contains("already left", secondMessage.Message);

        var ticket = Assert.Single(await BoardAsync(), t => t.ConversationId == started.Id);
        Assert.Equal((SiloFixture.Supervisor, (TicketAnswer?)null, "Hello?"), (ticket.ClaimedBy, ticket.Answer, ticket.LeftMessage));
        Assert.DoesNotContain((await silo.ReadConversationAsync(started.Id)).Messages, m => m.From == MessageAuthor.Agent);
    }

    private static HttpRequestMessage AnswerRequest(string id, string text) =>
        new(HttpMethod.Post, $"/api/tickets/{id}/answer")
        {
            Content = JsonContent.Create(new { text }),
            Headers = { { "Idempotency-Key", Guid.NewGuid().ToString() } },
        };

    private async Task<(HubConnection Customer, ConversationView Started)> StartAsync(string skill, string text)
    {
        var customer = await ConnectAsync(silo.CustomerConnection());
        var started = await customer.InvokeAsync<StartedConversation>(
            nameof(CustomerHub.StartConversation), new StartConversation("Ann", skill, text, StartId: Guid.NewGuid().ToString()));
        return (customer, started.Conversation);
    }

    private async Task<ImmutableArray<TicketSummary>> BoardAsync() =>
        await silo.SupervisorHttp.GetFromJsonAsync<ImmutableArray<TicketSummary>>("/api/tickets", silo.Json);

    private static string? ConversationOf(WebhookReceiver.Received received) =>
        JsonDocument.Parse(received.Body).RootElement.GetProperty("conversationId").GetString();

    /// <summary>Reads until <paramref name="done"/> holds (the change is stored by the grain after the receiver answered).</summary>
    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    private async Task<HttpResponseMessage> PostSignedAsync(string path, object body)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, silo.Json);
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/channels/{SiloFixture.Channel}{path}") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(ChannelSignature.Header, ChannelSignature.Sign(SiloFixture.ChannelSecret, bytes));
        return await silo.Http.SendAsync(request);
    }
}

/// <summary>When leaving a message is offered, and ticket settings a silo refuses at start.</summary>
[Collection(TicketSiloCollection.Name)]
public sealed class TicketOfferAndDurabilityTests(TicketSiloFixture silo) : HubTests
{
    [Fact]
    public async Task ACustomerWaitingForBusyAgentsIsOfferedToLeaveAMessageAfterOfferAfter()
    {
        var (agentId, skill) = silo.NewLane();
        var agent = silo.AgentConnection(agentId);
        var assigned = new Inbox<ConversationView>(agent, nameof(IAgentClient.ConversationAssigned));
        await ConnectAsync(agent);
        var customer = await ConnectAsync(silo.CustomerConnection());
        async Task<ConversationView> StartAsync(string text) => (await customer.InvokeAsync<StartedConversation>(
            nameof(CustomerHub.StartConversation), new StartConversation("Ann", skill, text, StartId: Guid.NewGuid().ToString()))).Conversation;

        // The lane's agent takes two at once; the third waits behind them, with an estimate.
        var first = await StartAsync("One");
        var second = await StartAsync("Two");
        await assigned.WaitAsync(c => c.Id == first.Id);
        await assigned.WaitAsync(c => c.Id == second.Id);
        var third = await StartAsync("Three");

        Assert.Equal(ConversationStatus.Waiting, third.Status);
        Assert.Equal(third.StartedAt + new TicketOptions().OfferAfter, third.LeaveMessageFrom);
        Assert.Null((await silo.ReadConversationAsync(first.Id)).LeaveMessageFrom);
    }

    [Theory]
    [InlineData("00:00:00", "OfferAfter")]
    [InlineData("2.00:00:00", "OfferAfter")]
    public void ImpossibleTicketSettingsAreRefusedByName(string offerAfter, string named)
    {
        var options = new SwitchboardOptions { Tickets = { OfferAfter = TimeSpan.Parse(offerAfter, System.Globalization.CultureInfo.InvariantCulture) } };
        Assert.Contains(options.Problems(), p => p.Contains($"Switchboard:Tickets:{named}", StringComparison.Ordinal));
        Assert.Contains(new TicketOptions { MaxAttempts = 0 }.Problems("Switchboard:Tickets"), p => p.Contains("MaxAttempts", StringComparison.Ordinal));
        Assert.Empty(new TicketOptions().Problems("Switchboard:Tickets"));
    }
}

/// <summary>The address a customer leaves is one plain mailbox: nothing a mail header could be bent with.</summary>
public sealed class TicketRulesTests
{
    [Theory]
    [InlineData("ann@example.com")]
    [InlineData("ann.lee+orders@mail.example.co.uk")]
    public void APlainAddressIsTaken(string email) => TicketRules.ValidateEmail(email);

    [Theory]
    [InlineData("ann")]
    [InlineData("ann@")]
    [InlineData("@example.com")]
    [InlineData("ann@example")]
    [InlineData("ann@example.com.")]
    [InlineData("ann@@example.com")]
    [InlineData("ann @example.com")]
    [InlineData("ann@example.com, eve@example.com")]
    [InlineData("Ann <ann@example.com>")]
    [InlineData("ann@example.com\r\nBcc: eve@example.com")]
    public void AnythingElseIsRefusedAsInvalid(string email) =>
        Assert.Equal(SwitchboardError.Invalid, Assert.Throws<SwitchboardException>(() => TicketRules.ValidateEmail(email)).Error);

    [Fact]
    public void AnAddressLongerThan254CharactersIsRefused() =>
        Assert.Throws<SwitchboardException>(() => TicketRules.ValidateEmail(new string('a', 250) + "@example.com"));

    [Theory]
    [InlineData("ftp://gateway.example.com/answers", "an-outbound-secret-of-length", "OutboundUrl must be an absolute http or https URL")]
    [InlineData("answers", "an-outbound-secret-of-length", "OutboundUrl must be an absolute http or https URL")]
    [InlineData("https://gateway.example.com/answers", null, "OutboundSecret must be at least 16 bytes")]
    [InlineData("https://gateway.example.com/answers", "short", "OutboundSecret must be at least 16 bytes")]
    [InlineData("https://gateway.example.com/answers", "the-inbound-secret-0123456789", "OutboundSecret must differ from its Secret")]
    public void AChannelsOutboundWebhookIsCheckedAtStart(string url, string? secret, string problem)
    {
        var channels = new ChannelsOptions { ["whatsapp"] = new ChannelOptions { Secret = "the-inbound-secret-0123456789", OutboundUrl = url, OutboundSecret = secret } };
        Assert.Contains(channels.Problems(), p => p.Contains(problem, StringComparison.Ordinal));
    }

    [Fact]
    public void AChannelWithAGoodOutboundWebhookOrNoneHasNoProblems()
    {
        var channels = new ChannelsOptions
        {
            ["whatsapp"] = new ChannelOptions { Secret = "the-inbound-secret-0123456789", OutboundUrl = "https://gateway.example.com/answers", OutboundSecret = "another-secret-0123456789" },
            ["sms"] = new ChannelOptions { Secret = "the-inbound-secret-0123456789" },
        };
        Assert.Empty(channels.Problems());
    }
}

/// <summary>The clock's own ticket (TicketAfter) and a message left on it: one ticket, now with somewhere to answer.</summary>
[Collection(FakeTimeSiloCollection.Name)]
public sealed class ClockTicketTests(FakeTimeSiloFixture silo) : HubTests
{
    [Fact]
    public async Task AWebCustomerWhoseWaitBecameATicketCanStillLeaveAnAddressAndTheTicketGetsIt()
    {
        var (_, skill) = silo.NewLane();
        var customer = silo.CustomerConnection();
        var messages = new Inbox<MessagePosted>(customer, nameof(ICustomerClient.MessagePosted));
        await ConnectAsync(customer);
        var started = (await customer.InvokeAsync<StartedConversation>(
            nameof(CustomerHub.StartConversation), new StartConversation("Eva", skill, "Hello?", StartId: Guid.NewGuid().ToString()))).Conversation;

        silo.Time.Advance(new Switchboard.Sla.SlaOptions().TicketAfter + TimeSpan.FromSeconds(1));
        await messages.WaitAsync(m => m.ConversationId == started.Id && m.Message.Text.StartsWith("All our agents are busy", StringComparison.Ordinal));
        var ticketed = await silo.ReadConversationAsync(started.Id);
        Assert.Equal(ConversationStatus.Ticket, ticketed.Status);
        Assert.Null(ticketed.Ticket?.Contact);
        Assert.NotNull(ticketed.LeaveMessageFrom);

        var left = await customer.InvokeAsync<ConversationView>(nameof(CustomerHub.LeaveMessage), started.Id, Guid.NewGuid().ToString(), "eva@example.test", "Hello? Still there?");

        Assert.Equal((ConversationStatus.Ticket, "eva@example.test"), (left.Status, left.Ticket?.Contact));
        var board = await silo.SupervisorHttp.GetFromJsonAsync<TicketSummary[]>("/api/tickets", silo.Json);
        var ticket = Assert.Single(board!, t => t.ConversationId == started.Id);
        Assert.Equal(("eva@example.test", "Hello? Still there?"), (ticket.Contact, ticket.LeftMessage));
    }
}
