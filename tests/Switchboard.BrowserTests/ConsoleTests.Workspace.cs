using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.BrowserTests;

/// <summary>The agent's workspace: the views Mine / Unassigned / Closed today, and the search over past conversations.</summary>
public sealed partial class ConsoleTests
{
    [SkippableFact]
    public async Task AnAgentFindsAClosedConversationBySearchAndInClosedTodayAfterAReload()
    {
        fixture.RequireBrowser();
        // A silo of its own: the chats this test leaves open (and the agents it makes) must not reach another test's agents.
        await using var ownSilo = await ConsoleFixture.StartSiloAsync();
        _otherSilo = ownSilo.BaseAddress;
        var agent = await SignInAsync("chloe");
        var customer = await StartChatAsync("Rosa Lind", "account", "C-4411", "I lost the phone with my two-factor app.");
        await Expect(agent.Locator("#conversation-title")).ToHaveTextAsync("Rosa Lind");
        var box = agent.GetByRole(AriaRole.Combobox, new() { Name = "Reply to Rosa Lind" });
        await box.FillAsync("I have reset your two-factor device; sign in with the code we emailed.");
        await box.PressAsync("Enter");
        await Expect(customer.Locator("#thread .message.agent")).ToHaveCountAsync(1);
        await ResolveAsync(agent, "Rosa Lind");

        // The next morning's reload, as far as the page knows: My conversations no longer has it; Closed today does.
        await agent.ReloadAsync();
        await Expect(agent.Locator("#connection")).ToHaveTextAsync("Connected");
        await Expect(agent.Locator("#conversation-list li", new() { HasText = "Rosa Lind" })).ToHaveCountAsync(0);
        await agent.GetByRole(AriaRole.Tab, new() { Name = "Closed today" }).ClickAsync();
        var closed = agent.Locator("#workspace-list li", new() { HasText = "Rosa Lind" });
        await Expect(closed).ToContainTextAsync("C-4411");
        await Expect(closed).ToContainTextAsync("Resolved");
        await ShotAsync(agent, "workspace-1-closed-today");

        var search = agent.GetByRole(AriaRole.Searchbox, new() { Name = "Search my past conversations" });
        await search.FillAsync("no such words anywhere");
        await search.PressAsync("Enter");
        await Expect(agent.Locator(".workspace-status")).ToHaveTextAsync("None of your past conversations matches “no such words anywhere”.");
        foreach (var query in new[] { "rosa", "C-4411", "two-factor device" })
        {
            await search.FillAsync(query);
            await search.PressAsync("Enter");
            await Expect(agent.Locator(".workspace-status")).ToHaveTextAsync(new Regex($"^1 conversation found for “{Regex.Escape(query)}”$"));
            await Expect(agent.Locator("#workspace-list li")).ToHaveCountAsync(1);
            await Expect(agent.Locator("#workspace-list li")).ToContainTextAsync("Rosa Lind");
        }

        await Expect(agent.Locator("#workspace-list .workspace-snippet")).ToContainTextAsync("two-factor device");
        await ShotAsync(agent, "workspace-2-search");
        await agent.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Open the conversation with Rosa Lind") }).ClickAsync();
        var dialog = agent.Locator("#past-thread");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog.Locator(".message.customer")).ToContainTextAsync("I lost the phone with my two-factor app.");
        await Expect(dialog.Locator(".message.agent")).ToContainTextAsync("I have reset your two-factor device");
        await ShotAsync(agent, "workspace-3-opened-read-only");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();

        // On a phone-sized screen the search and its result still fit.
        await agent.SetViewportSizeAsync(390, 780);
        await Expect(agent.Locator("#workspace-list li")).ToBeVisibleAsync();
        await ShotAsync(agent, "workspace-4-search-narrow");
        await agent.SetViewportSizeAsync(1360, 860);

        // In Russian the views and the result are drawn again in its words, with its plural forms.
        await agent.Locator("#language-choice").SelectOptionAsync("ru");
        await Expect(agent.GetByRole(AriaRole.Tab, new() { NameRegex = new Regex("^Закрыты сегодня") })).ToBeVisibleAsync();
        await Expect(agent.Locator(".workspace-status")).ToHaveTextAsync("По запросу «two-factor device» найден 1 разговор");
        await ShotAsync(agent, "workspace-8-search-russian");
        await agent.Locator("#language-choice").SelectOptionAsync("en");
        await agent.GetByRole(AriaRole.Tab, new() { Name = "Mine" }).ClickAsync();
        await Expect(agent.Locator("#conversation-list")).ToBeVisibleAsync();
        Assert.Empty(_pageErrors);
    }

    [SkippableFact]
    public async Task AnAgentWhoIsAwaySeesAWaitingChatUnderUnassignedAndTakesIt()
    {
        fixture.RequireBrowser();
        // A silo of its own: the chats this test leaves open (and the agents it makes) must not reach another test's agents.
        await using var ownSilo = await ConsoleFixture.StartSiloAsync();
        _otherSilo = ownSilo.BaseAddress;
        var agent = await SignInAsync("emma", online: false);
        var customer = await StartChatAsync("Piet Kramer", "returns", "R-88", "How do I send back a chair?");
        await Expect(customer.Locator("#thread")).ToContainTextAsync("We have your question");

        var tab = agent.GetByRole(AriaRole.Tab, new() { NameRegex = new Regex("^Unassigned") });
        await tab.ClickAsync();
        await Expect(tab).ToHaveAttributeAsync("aria-selected", "true");
        var waiting = agent.Locator("#workspace-list li", new() { HasText = "Piet Kramer" });
        await Expect(waiting).ToContainTextAsync("How do I send back a chair?");
        await Expect(waiting).ToContainTextAsync("Returns");
        await ShotAsync(agent, "workspace-5-unassigned");

        await waiting.GetByRole(AriaRole.Button, new() { Name = "Take the chat with Piet Kramer" }).ClickAsync();
        await Expect(agent.GetByRole(AriaRole.Tab, new() { Name = "Mine" })).ToHaveAttributeAsync("aria-selected", "true");
        await Expect(agent.Locator("#conversation-title")).ToHaveTextAsync("Piet Kramer");
        await Expect(agent.Locator("#conversation-list li", new() { HasText = "Piet Kramer" })).ToHaveCountAsync(1);
        // Still Away: taking one chat is not taking all of them.
        await Expect(agent.GetByRole(AriaRole.Radio, new() { Name = "Away" })).ToBeCheckedAsync();
        await Expect(customer.Locator("#status")).ToHaveTextAsync(new Regex("is with you"));
        await ShotAsync(agent, "workspace-6-picked");

        await tab.ClickAsync();
        await Expect(agent.Locator("#workspace-list li", new() { HasText = "Piet Kramer" })).ToHaveCountAsync(0);
        await agent.GetByRole(AriaRole.Tab, new() { Name = "Mine" }).ClickAsync();
        await ResolveAsync(agent, "Piet Kramer");
        Assert.Empty(_pageErrors);
    }

    [SkippableFact]
    public async Task OnAPhoneTheTopicTagIsWholeAndTheNewestMessageStaysInViewWhileTheReplyGrows()
    {
        fixture.RequireBrowser();
        // A silo of its own: the chats this test leaves open (and the agents it makes) must not reach another test's agents.
        await using var ownSilo = await ConsoleFixture.StartSiloAsync();
        _otherSilo = ownSilo.BaseAddress;
        var agent = await SignInAsync("dev");
        await agent.SetViewportSizeAsync(390, 780);
        const string name = "Bartholomew Alexander Montgomery-Fitzwilliam";
        var customer = await StartChatAsync(name, "account", null, "My account is locked.");
        await Expect(agent.Locator("#conversation-title")).ToHaveTextAsync(name);
        var tag = agent.Locator("#conversation-topic");
        await Expect(tag).ToHaveTextAsync("Account and sign-in");
        Assert.True(await tag.EvaluateAsync<bool>("el => el.scrollWidth <= el.clientWidth"), "The topic tag is cut off.");
        Assert.True(await agent.EvaluateAsync<bool>(InsideScript, new[] { "#conversation-topic", ".conversation-header" }), "The topic tag leaves the header.");

        var message = customer.GetByLabel("Your message");
        for (var i = 1; i <= 5; i++)
        {
            await message.FillAsync($"Message {i}: I tried to sign in three times and now it says my account is locked.");
            await message.PressAsync("Enter");
            await Expect(agent.Locator("#thread .message.customer")).ToHaveCountAsync(i + 1);
        }

        var box = agent.Locator("#message");
        await box.ClickAsync();
        for (var i = 1; i <= 6; i++)
        {
            await box.PressSequentiallyAsync($"Line {i} of my answer");
            await box.PressAsync("Shift+Enter");
        }

        await Expect(agent.Locator("#thread .message.customer").Last).ToContainTextAsync("Message 5");
        await ShotAsync(agent, "workspace-7-phone-long-reply");
        Assert.True(await agent.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= innerWidth"), "The page is wider than the phone.");
        Assert.True(await agent.EvaluateAsync<bool>(InsideScript, new[] { "#thread li:last-child", "#thread" }), "The newest message went out of view while the reply grew.");
        Assert.True(await agent.Locator("#thread").EvaluateAsync<double>("el => el.clientHeight") > 60, "The thread has no room left.");

        await box.FillAsync("");
        await agent.SetViewportSizeAsync(1360, 860);
        await ResolveAsync(agent, name);
        Assert.Empty(_pageErrors);
    }
}
