using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.BrowserTests;

/// <summary>Issue 18: what a customer expects of the chat page (typing, rating, End chat, a remembered name).</summary>
public sealed partial class ConsoleTests
{
    [SkippableFact]
    public async Task BothSidesSeeTheOtherTypeAndTheCustomerRatesTheResolvedChatOnceWhichTheStatsCount()
    {
        fixture.RequireBrowser();
        using var http = SupervisorHttp();
        var ida = await MakeAgentAsync(http, "ida", "Ida Lund", new() { ["account"] = 4 });
        var agent = await SignInFreshAsync(ida);
        await GoOnlineAsync(agent);
        var customer = await StartChatAsync("Noor Haddad", "account", null, "I cannot sign in to my account.");
        await Expect(agent.Locator("#conversation-title")).ToHaveTextAsync("Noor Haddad");

        // The customer types: the agent sees it, until the message arrives.
        var message = customer.GetByLabel("Your message");
        await message.PressSequentiallyAsync("It says my password is wrong");
        await Expect(agent.Locator("#typing")).ToHaveTextAsync("Noor Haddad is typing…");
        var listLine = agent.Locator("#conversation-list li", new() { HasText = "Noor Haddad" }).Locator(".item-bottom");
        await Expect(listLine).ToHaveAttributeAsync("data-typing", "typing…");
        await ShotAsync(agent, "chatpage-1-console-customer-typing");
        await message.PressAsync("Enter");
        await Expect(agent.Locator("#thread .message.customer").Last).ToContainTextAsync("my password is wrong");
        await Expect(agent.Locator("#typing")).ToBeHiddenAsync();
        await Expect(listLine).Not.ToHaveAttributeAsync("data-typing", new System.Text.RegularExpressions.Regex("."));

        // The agent types: the customer sees it under the agent's name, until it goes quiet for a few seconds.
        var box = agent.GetByRole(AriaRole.Combobox, new() { Name = "Reply to Noor Haddad" });
        await box.PressSequentiallyAsync("I have reset it");
        await Expect(customer.Locator("#typing")).ToHaveTextAsync("Ida Lund is typing…");
        await ShotAsync(customer, "chatpage-2-chat-agent-typing");
        await Expect(customer.Locator("#typing")).ToBeHiddenAsync();
        await box.PressSequentiallyAsync("; try again now.");
        await box.PressAsync("Enter");
        await Expect(customer.Locator("#thread .message.agent")).ToContainTextAsync("I have reset it; try again now.");

        await agent.GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();
        await Expect(customer.Locator("#closed")).ToBeVisibleAsync();
        var rating = customer.GetByRole(AriaRole.Group, new() { Name = "How was your chat with us?" });
        await Expect(rating.GetByRole(AriaRole.Radio)).ToHaveCountAsync(5);
        // Sent without a score: the customer is told, and nothing goes to the server.
        await customer.GetByRole(AriaRole.Button, new() { Name = "Send rating" }).ClickAsync();
        await Expect(customer.Locator("#rating-error")).ToHaveTextAsync("Choose a score from 1 to 5.");
        await rating.GetByRole(AriaRole.Radio, new() { Name = "4 of 5" }).CheckAsync();
        await customer.GetByLabel("Anything you want to add? (optional)").FillAsync("Quick and friendly.");
        await customer.SetViewportSizeAsync(390, 780);
        await ShotAsync(customer, "chatpage-3-chat-rating-form-narrow");
        await customer.SetViewportSizeAsync(1360, 860);
        await customer.GetByRole(AriaRole.Button, new() { Name = "Send rating" }).ClickAsync();
        await Expect(customer.Locator("#rating")).ToContainTextAsync("Thank you for your rating!");
        await Expect(customer.Locator("#rating")).ToContainTextAsync("You rated this chat 4 of 5.");
        await Expect(customer.Locator("#rating form")).ToHaveCountAsync(0);
        await ShotAsync(customer, "chatpage-4-chat-rating-thanks");

        // The rating is the agent's: one rating, satisfied (4 and 5 count), in the stats a supervisor reads.
        var stats = await ReadAsync(http, "/api/stats");
        var today = stats.GetProperty("agents").EnumerateArray().Single(a => a.GetProperty("id").GetString() == ida).GetProperty("kpis").GetProperty("today");
        Assert.Equal(1, today.GetProperty("ratings").GetInt64());
        Assert.Equal(1.0, today.GetProperty("csat").GetDouble());

        // A reload shows the stored rating, not the form again.
        await customer.ReloadAsync();
        await Expect(customer.Locator("#rating")).ToContainTextAsync("You rated this chat 4 of 5.");
        await Expect(customer.Locator("#rating")).ToContainTextAsync("Quick and friendly.");
        await Expect(customer.Locator("#rating form")).ToHaveCountAsync(0);
        Assert.Empty(_pageErrors);
    }

    [SkippableFact]
    public async Task TheCustomerEndsTheChatTheAgentIsToldAndFreedAndTheNextChatStartsWithTheirName()
    {
        fixture.RequireBrowser();
        using var http = SupervisorHttp();
        // Capacity 1: the second chat can reach this agent only if ending the first gave the slot back.
        var otto = await MakeAgentAsync(http, "otto", "Otto Berg", new() { ["payment"] = 4 }, capacity: 1);
        var agent = await SignInFreshAsync(otto);
        await GoOnlineAsync(agent);
        var customer = await StartChatAsync("Rosa Diaz", "payment", null, "Was I charged twice?");
        await Expect(agent.Locator("#conversation-title")).ToHaveTextAsync("Rosa Diaz");
        var box = agent.GetByRole(AriaRole.Combobox, new() { Name = "Reply to Rosa Diaz" });
        await box.FillAsync("Let me look at your payments.");
        await box.PressAsync("Enter");
        await Expect(customer.Locator("#thread .message.agent")).ToContainTextAsync("Let me look");
        await Expect(agent.Locator("#inbox-count")).ToHaveTextAsync("1 of 1");

        // A second thought: the confirmation lets the customer keep chatting.
        var end = customer.GetByRole(AriaRole.Button, new() { Name = "End chat" });
        await end.ClickAsync();
        var confirm = customer.GetByRole(AriaRole.Dialog, new() { Name = "End this chat?" });
        await Expect(confirm).ToBeVisibleAsync();
        await confirm.GetByRole(AriaRole.Button, new() { Name = "Keep chatting" }).ClickAsync();
        await Expect(confirm).ToBeHiddenAsync();
        await Expect(customer.GetByLabel("Your message")).ToBeVisibleAsync();

        await end.ClickAsync();
        await ShotAsync(customer, "chatpage-5-chat-end-confirmation");
        await confirm.GetByRole(AriaRole.Button, new() { Name = "Yes, end chat" }).ClickAsync();
        await Expect(customer.Locator("#status")).ToHaveTextAsync("You ended this chat.");
        await Expect(customer.Locator("#closed")).ToBeVisibleAsync();
        await Expect(customer.GetByLabel("Your message")).ToBeHiddenAsync();
        await Expect(end).ToBeHiddenAsync();
        // An agent had answered: closed by the customer, not abandoned, so it can be rated.
        await Expect(customer.GetByRole(AriaRole.Group, new() { Name = "How was your chat with us?" })).ToBeVisibleAsync();
        await ShotAsync(customer, "chatpage-6-chat-ended");

        await Expect(agent.Locator("#conversation-state")).ToHaveTextAsync("Ended by the customer");
        await Expect(agent.Locator("#toasts")).ToContainTextAsync("Rosa Diaz ended the chat.");
        await Expect(agent.Locator("#thread")).ToContainTextAsync("The customer left the conversation.");
        await Expect(agent.Locator("#inbox-count")).ToHaveTextAsync("0 of 1");
        await ShotAsync(agent, "chatpage-7-console-ended-by-customer");

        // Start a new chat: the name is filled in, the topic is not; the customer changes the name.
        await customer.GetByRole(AriaRole.Button, new() { Name = "Start a new chat" }).ClickAsync();
        await Expect(customer.GetByLabel("Your name")).ToHaveValueAsync("Rosa Diaz");
        await Expect(customer.GetByLabel("What is it about?")).ToHaveValueAsync("");
        await customer.GetByLabel("Your name").FillAsync("Rosa María Díaz");
        await customer.GetByLabel("What is it about?").SelectOptionAsync("payment");
        await customer.GetByLabel("Your question").FillAsync("And when will the refund arrive?");
        await customer.GetByRole(AriaRole.Button, new() { Name = "Start chat" }).ClickAsync();

        await Expect(agent.Locator("#conversation-list li", new() { HasText = "Rosa María Díaz" })).ToBeVisibleAsync();
        await Expect(agent.Locator("#inbox-count")).ToHaveTextAsync("1 of 1");
        var held = (await ReadAsync(http, $"/api/agents/{otto}")).GetProperty("conversations");
        Assert.Equal(JsonValueKind.Array, held.ValueKind);
        Assert.Single(held.EnumerateArray());

        // A later visit in the same browser remembers the changed name.
        var later = await customer.Context.NewPageAsync();
        await later.GotoAsync("/chat");
        await Expect(later.GetByLabel("Your name")).ToHaveValueAsync("Rosa María Díaz");
        await Expect(later.GetByLabel("What is it about?")).ToBeFocusedAsync();

        await ResolveAsync(agent, "Rosa María Díaz");
        Assert.Empty(_pageErrors);
    }
}
