using Microsoft.Playwright;
using Switchboard.Tests.Tickets;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.BrowserTests;

public sealed partial class ConsoleTests
{
    [SkippableFact]
    public async Task NobodyOnlineForTheTopicTheCustomerLeavesAMessageTheSupervisorAnswersItAndTheMailArrives()
    {
        fixture.RequireBrowser();
        await using var smtp = new SmtpSink();
        // A silo of its own: its mail server is the test's sink, and nobody is online for any topic.
        await using var silo = await ConsoleFixture.StartSiloAsync(new Dictionary<string, string?>
        {
            ["Switchboard:Tickets:Smtp:Host"] = "127.0.0.1",
            ["Switchboard:Tickets:Smtp:Port"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Switchboard:Tickets:Smtp:From"] = "Support <support@example.test>",
            ["Switchboard:Tickets:Smtp:Security"] = "None",
            ["Switchboard:Tickets:FirstRetry"] = "00:00:00.100",
            ["Switchboard:Tickets:MaxAttempts"] = "2",
        });
        _otherSilo = silo.BaseAddress;
        const string email = "pia.lind@example.test";
        const string question = "My parcel never arrived. Order C-881.";

        var customer = await StartChatAsync("Pia Lind", "returns", null, question);
        await customer.SetViewportSizeAsync(390, 780);
        await customer.GetByRole(AriaRole.Button, new() { Name = "Leave a message" }).ClickAsync();
        // Prefilled with what the customer wrote.
        await Expect(customer.GetByLabel("Message for our team")).ToHaveValueAsync(question);
        await customer.GetByLabel("Your email address").FillAsync("pia.lind at example");
        await customer.GetByRole(AriaRole.Button, new() { Name = "Leave my message" }).ClickAsync();
        await Expect(customer.Locator("#leave-error")).ToContainTextAsync("one email address");
        await customer.GetByLabel("Your email address").FillAsync(email);
        await ShotAsync(customer, "tickets-1-leave-message-form");
        await customer.GetByRole(AriaRole.Button, new() { Name = "Leave my message" }).ClickAsync();
        await Expect(customer.Locator("#leave-message .leave-done")).ToContainTextAsync(email);
        await Expect(customer.Locator("#thread")).ToContainTextAsync($"answer you by email at {email}");

        var sam = await SignInAsync("sam", online: false);
        await sam.GetByRole(AriaRole.Button, new() { Name = "Supervisor" }).ClickAsync();
        var ticket = sam.Locator("#tickets li.ticket-answerable", new() { HasText = "Pia Lind" });
        await Expect(ticket).ToContainTextAsync(email);
        await Expect(ticket).ToContainTextAsync(question);
        await ShotAsync(sam, "tickets-2-board");

        await ticket.GetByRole(AriaRole.Button, new() { Name = "Claim to answer" }).ClickAsync();
        smtp.Refusing = true;
        await ticket.GetByLabel("Your answer to Pia Lind").FillAsync("We are sending a new parcel today; you will get its tracking number by email.");
        await ShotAsync(sam, "tickets-3-answer");
        await ticket.GetByRole(AriaRole.Button, new() { Name = "Send answer" }).ClickAsync();
        await Expect(ticket.Locator(".ticket-state.failed")).ToContainTextAsync("Not delivered after 2 attempts");
        await Expect(sam.Locator("#alerts .alert-undelivered")).ToContainTextAsync("Pia Lind");
        await ShotAsync(sam, "tickets-4-undelivered");

        smtp.Refusing = false;
        await ticket.GetByRole(AriaRole.Button, new() { Name = "Retry delivery" }).ClickAsync();
        var mail = await smtp.WaitForMailToAsync(email);
        Assert.Contains("We are sending a new parcel today", mail.TextBody);
        await Expect(customer.Locator("#thread .message.agent")).ToContainTextAsync("We are sending a new parcel today");
        await Expect(customer.Locator("#status")).ToHaveTextAsync("This chat is closed.");
        await sam.Locator("#overview-refresh").ClickAsync();
        await Expect(ticket).ToHaveCountAsync(0);
        Assert.Single(smtp.MailsTo(email));
        Assert.Empty(_pageErrors);
    }
}
