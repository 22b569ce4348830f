using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.BrowserTests;

/// <summary>Issue 19: a supervisor on a live chat, and internal notes, with the customer's page watched throughout.</summary>
public sealed partial class ConsoleTests
{
    [SkippableFact]
    public async Task ASupervisorMonitorsJoinsAndReassignsALiveChatWhileInternalNotesNeverReachTheCustomer()
    {
        fixture.RequireBrowser();
        using var http = SupervisorHttp();
        var ana = await MakeAgentAsync(http, "ana", "Ana Costa", new() { ["account"] = 3 });
        var ben = await MakeAgentAsync(http, "ben", "Ben Lund", new() { ["account"] = 3 });
        var sol = await MakeAgentAsync(http, "sol", "Sol Reyes", new() { ["general"] = 4 }, isSupervisor: true);
        var first = await SignInFreshAsync(ana);
        await GoOnlineAsync(first);

        // The customer's page, with every frame its customer hub connection receives recorded.
        var frames = new List<string>();
        var customer = await OpenAsync("/chat", page =>
        {
            page.WebSocket += (_, socket) => socket.FrameReceived += (_, frame) =>
            {
                lock (frames)
                {
                    frames.Add(frame.Text ?? "");
                }
            };
            return Task.CompletedTask;
        });
        await customer.GetByLabel("Your name").FillAsync("Ida Berg");
        await customer.GetByLabel("What is it about?").SelectOptionAsync("account");
        await customer.GetByLabel("Your question").FillAsync("My account is locked.");
        await customer.GetByRole(AriaRole.Button, new() { Name = "Start chat" }).ClickAsync();
        await Expect(customer.Locator("#status")).ToHaveTextAsync("Ana Costa is with you.");
        await Expect(first.Locator("#conversation-title")).ToHaveTextAsync("Ida Berg");

        // Monitor: picked from the floor's live chats; the customer's next message arrives live.
        var supervisor = await SignInFreshAsync(sol);
        await supervisor.Locator("#show-supervisor").ClickAsync();
        await supervisor.GetByRole(AriaRole.Button, new() { Name = "Monitor the chat with Ida Berg" }).ClickAsync();
        var monitor = supervisor.Locator("#monitor");
        await Expect(monitor.Locator("#monitor-holder")).ToHaveTextAsync("with Ana Costa");
        await Expect(monitor.Locator("#monitor-thread")).ToContainTextAsync("My account is locked.");
        await Expect(monitor.Locator(".tag-readonly")).ToHaveTextAsync("Read only");
        var box = customer.GetByLabel("Your message");
        await box.FillAsync("Is anyone there?");
        await box.PressAsync("Enter");
        await Expect(monitor.Locator("#monitor-thread .message.customer").Last).ToContainTextAsync("Is anyone there?");
        await ShotAsync(supervisor, "live-1-supervisor-monitors");

        // Join and write: the customer and the agent both see the supervisor.
        await monitor.GetByRole(AriaRole.Button, new() { Name = "Join the chat" }).ClickAsync();
        const string joined = "Sol Reyes, a supervisor, has joined the conversation.";
        await Expect(customer.Locator("#thread")).ToContainTextAsync(joined);
        await Expect(first.Locator("#thread")).ToContainTextAsync(joined);
        await monitor.GetByLabel("Message to the customer").FillAsync("Hello Ida, I am helping Ana with your account.");
        await monitor.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(customer.Locator("#thread")).ToContainTextAsync("I am helping Ana with your account.");
        await Expect(first.Locator("#thread .message.agent", new() { HasText = "I am helping Ana" })).ToContainTextAsync("Sol Reyes");

        // Notes both ways: marked in the agent's and the supervisor's transcript.
        const string agentNote = "Caller verified by phone: unlock after the ID check.";
        await first.GetByLabel("Internal note (the customer never sees it)").FillAsync(agentNote);
        await first.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
        await Expect(first.Locator("#thread .message.note")).ToContainTextAsync(agentNote);
        await Expect(monitor.Locator("#monitor-thread .message.note")).ToContainTextAsync(agentNote);
        const string supervisorNote = "Fine by me; Ben takes over for the refund part.";
        await monitor.GetByLabel("Internal note (the customer never sees it)").FillAsync(supervisorNote);
        await monitor.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
        await Expect(first.Locator("#thread .message.note", new() { HasText = supervisorNote })).ToContainTextAsync("Internal note");
        await ShotAsync(first, "live-2-agent-sees-supervisor-and-notes");

        // A message after the notes: once the customer has it, any push of a note would have arrived before it.
        var answer = first.Locator("#message");
        await answer.FillAsync("Your account is unlocked again.");
        await answer.PressAsync("Enter");
        await Expect(customer.Locator("#thread")).ToContainTextAsync("Your account is unlocked again.");

        // Reassign to Ben, who comes Online for it: Ana loses it, Ben gets it with the notes, the customer is told.
        var second = await SignInFreshAsync(ben);
        await GoOnlineAsync(second);
        await supervisor.Locator("#live-chats-refresh").ClickAsync();
        await monitor.GetByLabel("Reassign to").SelectOptionAsync($"agent:{ben}");
        await monitor.GetByRole(AriaRole.Button, new() { Name = "Reassign", Exact = true }).ClickAsync();
        await Expect(customer.Locator("#status")).ToHaveTextAsync("Ben Lund is with you.");
        await Expect(second.Locator("#conversation-title")).ToHaveTextAsync("Ida Berg");
        await Expect(second.Locator("#thread .message.note")).ToHaveCountAsync(2);
        // Who wrote what, by name: Ana (from the notice that she joined) and the supervisor.
        await Expect(second.Locator("#thread .message.agent", new() { HasText = "Your account is unlocked again." })).ToContainTextAsync("Ana Costa");
        await Expect(first.Locator("#conversation-list li", new() { HasText = "Ida Berg" })).ToHaveCountAsync(0);
        await Expect(monitor.Locator("#monitor-holder")).ToHaveTextAsync("with Ben Lund");
        await ShotAsync(supervisor, "live-3-supervisor-after-reassign");
        await ShotAsync(second, "live-4-new-agent-has-the-notes");
        await ShotAsync(customer, "live-5-customer-sees-no-note");

        // The customer saw the supervisor and both agents, never a note: not on the page, not in any frame.
        await Expect(customer.Locator("#thread")).ToContainTextAsync("Ben Lund has joined the conversation.");
        await Expect(customer.Locator("#thread")).Not.ToContainTextAsync(new Regex("Caller verified|Ben takes over"));
        lock (frames)
        {
            Assert.Contains(frames, f => f.Contains("Your account is unlocked again.", StringComparison.Ordinal));
            Assert.DoesNotContain(frames, f => f.Contains("Caller verified", StringComparison.Ordinal) || f.Contains("Ben takes over", StringComparison.Ordinal));
        }

        // On a phone-sized screen the card and the monitor stack in one column.
        await supervisor.SetViewportSizeAsync(390, 844);
        await monitor.Locator(".monitor-head").ScrollIntoViewIfNeededAsync();
        await Expect(monitor.Locator("#monitor-title")).ToBeInViewportAsync();
        await ShotAsync(supervisor, "live-6-supervisor-monitor-narrow");

        // Closed, so nothing of this test waits for another test's agents (the shared silo's account queue).
        await ResolveAsync(second, "Ida Berg");
        Assert.Empty(_pageErrors);
    }
}
