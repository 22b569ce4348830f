using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.BrowserTests;

/// <summary>
/// The agent console and the customer chat in headless Chromium against the real silo, with the demo agents of
/// appsettings.json. Each test uses its own agents and topics; pages are closed at the end, so agents go Offline.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed partial class ConsoleTests(ConsoleFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<IBrowserContext> _contexts = [];
    private readonly List<string> _pageErrors = [];
    private readonly List<string> _agents = [];

    [GeneratedRegex(@"^\d+:\d\d$")]
    private static partial Regex Countdown();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.CloseAsync();
        }

        // The next test starts with these agents Offline, so they take none of its chats.
        if (fixture.Unavailable is null)
        {
            using var http = new HttpClient { BaseAddress = fixture.BaseAddress };
            foreach (var agentId in _agents)
            {
                await WaitUntilOfflineAsync(http, agentId);
            }
        }
    }

    private static async Task WaitUntilOfflineAsync(HttpClient http, string agentId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (!(await http.GetStringAsync($"/api/agents/{agentId}", timeout.Token)).Contains("\"presence\":\"offline\"", StringComparison.Ordinal))
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    [SkippableFact]
    public async Task AgentAnswersWithAPersonalisedQuickReplyAndBothPagesShowTheChatClosed()
    {
        fixture.RequireBrowser();
        var agent = await SignInAsync("alice");
        await Expect(agent.Locator("#inbox-empty")).ToBeVisibleAsync();
        await ShotAsync(agent, "console-1-signed-in");

        var customer = await StartChatAsync("Ben Carter", "shipping", "A-1042", "Where is my parcel? It should have arrived yesterday.");
        await Expect(customer.Locator("#thread")).ToContainTextAsync("We have your question");
        await ShotAsync(customer, "chat-1-started");

        var item = agent.Locator("#conversation-list li", new() { HasText = "Ben Carter" });
        await Expect(item).ToContainTextAsync("Shipping and delivery");
        await Expect(item.Locator(".clock")).ToHaveTextAsync(Countdown());
        await Expect(agent.Locator("#context-facts")).ToContainTextAsync("A-1042");
        await Expect(agent.Locator("#thread")).ToContainTextAsync("It should have arrived yesterday.");

        // The deadline is the server's: after a reload the clock is still counting down.
        await agent.ReloadAsync();
        await Expect(item.Locator(".clock")).ToHaveTextAsync(Countdown());
        await Expect(agent.Locator("#conversation-title")).ToHaveTextAsync("Ben Carter");
        await ShotAsync(agent, "console-2-conversation");

        var box = agent.GetByRole(AriaRole.Combobox, new() { Name = "Reply to Ben Carter" });
        await box.PressSequentiallyAsync("/wh");
        var replies = agent.GetByRole(AriaRole.Listbox, new() { Name = "Quick replies" });
        await Expect(replies).ToBeVisibleAsync();
        await Expect(replies.GetByRole(AriaRole.Option).First).ToContainTextAsync("/where");
        await Expect(replies.GetByRole(AriaRole.Option).First).ToHaveAttributeAsync("aria-selected", "true");
        await box.PressAsync("ArrowDown");
        await Expect(replies.GetByRole(AriaRole.Option).Nth(1)).ToHaveAttributeAsync("aria-selected", "true");
        await box.PressAsync("ArrowUp");
        await Expect(replies.GetByRole(AriaRole.Option).First).ToHaveAttributeAsync("aria-selected", "true");
        await ShotAsync(agent, "console-3-quick-replies");
        await box.PressAsync("Enter");
        const string personalised = "Hi Ben Carter, I have checked order A-1042: it is on its way and I will send you the tracking link right now.";
        await Expect(box).ToHaveValueAsync(personalised);
        await Expect(replies).ToBeHiddenAsync();
        await box.PressAsync("Enter");

        await Expect(customer.Locator("#thread .message.agent")).ToHaveTextAsync(new Regex(Regex.Escape(personalised)));
        await Expect(customer.Locator("#status")).ToHaveTextAsync("Alice Martin is with you.");
        await Expect(customer.Locator("#thread .message.agent .meta")).ToContainTextAsync("Alice Martin");
        await Expect(item.Locator(".clock")).ToHaveTextAsync("Answered");
        await ShotAsync(customer, "chat-2-agent-answered");

        await box.FillAsync("Please wait");
        await Expect(agent.Locator("#composer-backdrop mark")).ToHaveTextAsync("Please wait");
        await Expect(agent.Locator("#rule-notes")).ToContainTextAsync("Thank you for your patience; I am checking this now.");
        await ShotAsync(agent, "console-4-forbidden-phrase");
        await box.PressAsync("Enter");
        await Expect(agent.GetByRole(AriaRole.Alertdialog)).ToContainTextAsync("“please wait”");
        await agent.GetByRole(AriaRole.Button, new() { Name = "Use this wording" }).ClickAsync();
        await Expect(box).ToHaveValueAsync("Thank you for your patience; I am checking this now.");
        await Expect(agent.Locator("#composer-backdrop mark")).ToHaveCountAsync(0);
        await box.PressAsync("Enter");
        await Expect(agent.Locator("#thread .message.agent")).ToHaveCountAsync(2);

        await box.FillAsync("The carrier says it is at the depot.");
        await box.PressAsync("Enter");
        await Expect(agent.Locator("#thread .message.agent")).ToHaveCountAsync(3);
        await box.FillAsync("It will be delivered tomorrow morning.");
        await box.PressAsync("Enter");
        var confirm = agent.GetByRole(AriaRole.Alertdialog);
        await Expect(confirm).ToContainTextAsync("message 4 in a row");
        await Expect(agent.Locator("#rule-notes")).ToContainTextAsync("3 messages in a row");
        await ShotAsync(agent, "console-5-fourth-in-a-row");
        await confirm.GetByRole(AriaRole.Button, new() { Name = "Send anyway" }).ClickAsync();
        await Expect(customer.Locator("#thread .message.agent")).ToHaveCountAsync(4);

        var reply = customer.GetByLabel("Your message");
        await reply.FillAsync("Great, thank you!");
        await reply.PressAsync("Enter");
        await Expect(agent.Locator("#thread .message.customer").Last).ToHaveTextAsync(new Regex("Great, thank you!"));

        await agent.GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();
        await Expect(agent.Locator("#conversation-state")).ToHaveTextAsync("Closed");
        await Expect(item).ToContainTextAsync("Closed");
        await Expect(customer.Locator("#closed")).ToBeVisibleAsync();
        await Expect(customer.Locator("#status")).ToHaveTextAsync("This chat is closed.");
        await Expect(customer.Locator("#thread")).ToContainTextAsync("The conversation was resolved.");
        await ShotAsync(agent, "console-6-resolved");
        await ShotAsync(customer, "chat-3-closed");

        // The tab remembers its conversation: a reload joins it again, each message once.
        await customer.ReloadAsync();
        await Expect(customer.Locator("#closed")).ToBeVisibleAsync();
        await Expect(customer.Locator("#thread .message.agent")).ToHaveCountAsync(4);
        await Expect(customer.Locator("#thread .message.customer")).ToHaveCountAsync(2);
        Assert.Empty(_pageErrors);
    }

    [SkippableFact]
    public async Task AReturningCustomersEarlierConversationIsShownToTheAgentAndOpensReadOnly()
    {
        fixture.RequireBrowser();
        var agent = await SignInAsync("dev");
        var customer = await StartChatAsync("Gus Hale", "account", "C-9", "I cannot sign in.");
        await Expect(agent.Locator("#conversation-title")).ToHaveTextAsync("Gus Hale");
        await Expect(agent.Locator("#history-empty")).ToBeVisibleAsync();
        var box = agent.GetByRole(AriaRole.Combobox, new() { Name = "Reply to Gus Hale" });
        await box.FillAsync("I have sent you a reset link.");
        await box.PressAsync("Enter");
        await Expect(customer.Locator("#thread .message.agent")).ToHaveCountAsync(1);
        await agent.GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();
        await Expect(customer.Locator("#closed")).ToBeVisibleAsync();

        // The same browser writes again: the page remembers the customer, so the agent sees the earlier chat.
        await customer.GetByRole(AriaRole.Button, new() { Name = "Start a new chat" }).ClickAsync();
        await customer.GetByLabel("Your name").FillAsync("Gus Hale");
        await customer.GetByLabel("What is it about?").SelectOptionAsync("account");
        await customer.GetByLabel("Your question").FillAsync("The link has expired.");
        await customer.GetByRole(AriaRole.Button, new() { Name = "Start chat" }).ClickAsync();
        var again = agent.Locator("#conversation-list li", new() { HasText = "The link has expired." });
        await again.ClickAsync();
        await Expect(agent.Locator("#context-facts")).ToContainTextAsync("Back to you");
        var past = agent.Locator("#context-history li");
        await Expect(past).ToHaveCountAsync(1);
        await Expect(past).ToContainTextAsync("Resolved");
        await Expect(past).ToContainTextAsync("I have sent you a reset link.");

        await past.GetByRole(AriaRole.Button).ClickAsync();
        var dialog = agent.Locator("#past-thread");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog).ToContainTextAsync("Read only");
        await Expect(dialog.Locator(".message.customer")).ToContainTextAsync("I cannot sign in.");
        await ShotAsync(agent, "console-8-previous-conversations");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        await agent.GetByRole(AriaRole.Button, new() { Name = "Resolve", Exact = true }).ClickAsync();
        await Expect(customer.Locator("#closed")).ToBeVisibleAsync();
        Assert.Empty(_pageErrors);
    }

    [SkippableFact]
    public async Task UnreadMessagesAreCountedAndATransferTakesTheConversationAway()
    {
        fixture.RequireBrowser();
        var agent = await SignInAsync("bruno");
        var first = await StartChatAsync("Dana Reyes", "general", null, "Do you ship to Norway?");
        await Expect(agent.Locator("#conversation-title")).ToHaveTextAsync("Dana Reyes");
        var second = await StartChatAsync("Eli Novak", "general", "B-77", "I want to change my order.");
        var eli = agent.Locator("#conversation-list li", new() { HasText = "Eli Novak" });
        await Expect(eli).ToBeVisibleAsync();
        await Expect(agent.Locator("#conversation-title")).ToHaveTextAsync("Dana Reyes");

        var reply = second.GetByLabel("Your message");
        await reply.FillAsync("Hello? Anyone there?");
        await reply.PressAsync("Enter");
        await Expect(eli.Locator(".unread")).ToHaveTextAsync("2");
        await Expect(agent).ToHaveTitleAsync(new Regex(@"^\(2\) "));
        await ShotAsync(agent, "console-7-unread");

        await agent.Keyboard.PressAsync("Alt+ArrowDown");
        await Expect(agent.Locator("#conversation-title")).ToHaveTextAsync("Eli Novak");
        await Expect(eli.Locator(".unread")).ToBeHiddenAsync();
        await Expect(agent.Locator("#context-facts")).ToContainTextAsync("B-77");

        await agent.GetByLabel("Transfer to queue").SelectOptionAsync("payment");
        await agent.GetByRole(AriaRole.Button, new() { Name = "Transfer" }).ClickAsync();
        await Expect(eli).ToHaveCountAsync(0);
        await Expect(agent.Locator("#conversation-title")).ToHaveTextAsync("Dana Reyes");
        await Expect(second.Locator("#thread")).ToContainTextAsync("Transferred to Payment and billing");
        await Expect(first.Locator("#status")).ToHaveTextAsync("Bruno Silva is with you.");

        // The transferred chat reaches a payment agent with its history.
        var chloe = await SignInAsync("chloe");
        await Expect(chloe.Locator("#conversation-title")).ToHaveTextAsync("Eli Novak");
        await Expect(chloe.Locator("#thread")).ToContainTextAsync("Hello? Anyone there?");
        await ResolveAsync(chloe, "Eli Novak");
        await ResolveAsync(agent, "Dana Reyes");
        Assert.Empty(_pageErrors);
    }

    [SkippableFact]
    public async Task SupervisorSeesTheQueuesAndEveryAgentsLoad()
    {
        fixture.RequireBrowser();
        var emma = await SignInAsync("emma");
        await StartChatAsync("Fay Lund", "returns", "C-310", "The shoes are too small.");
        await Expect(emma.Locator("#conversation-title")).ToHaveTextAsync("Fay Lund");

        var sam = await SignInAsync("sam");
        await sam.Locator("label[for=presence-away]").ClickAsync();
        await Expect(sam.GetByRole(AriaRole.Radio, new() { Name = "Away" })).ToBeCheckedAsync();
        await Expect(sam.Locator("#inbox-empty")).ToContainTextAsync("You are Away");
        var gus = await StartChatAsync("Gus Moreau", "account", null, "I cannot sign in.");

        await sam.GetByRole(AriaRole.Button, new() { Name = "Supervisor" }).ClickAsync();
        var account = sam.Locator("#queues-table tr[data-queue='account']");
        await Expect(account.Locator(".waiting")).ToHaveTextAsync("1");
        await Expect(account).ToContainTextAsync("Account and sign-in");
        await Expect(account.Locator("td").Nth(1)).ToHaveTextAsync(Countdown());
        var emmaRow = sam.Locator("#agents-table tr[data-agent='emma']");
        await Expect(emmaRow).ToContainTextAsync("Online");
        await Expect(emmaRow.Locator(".load-text")).ToHaveTextAsync("1 / 3");
        await Expect(emma.Locator("#inbox-count")).ToHaveTextAsync("1 of 3");
        await Expect(sam.Locator("#agents-table tr[data-agent='sam']")).ToContainTextAsync("Away");

        // An angry message moves the deadline into the past: the breach is on the supervisor's screen as it happens.
        var message = gus.GetByLabel("Your message");
        await message.FillAsync("This is ridiculous!!! I need my account now.");
        await message.PressAsync("Enter");
        var breach = sam.Locator("#alerts .alert-breach");
        await Expect(breach).ToContainTextAsync("Account and sign-in");
        await Expect(breach).ToContainTextAsync("No first answer");
        await ShotAsync(sam, "console-8-supervisor");

        // Back Online, the supervisor takes the waiting chat and closes it, so no test inherits it.
        await sam.GetByRole(AriaRole.Button, new() { Name = "Conversations" }).ClickAsync();
        await sam.Locator("label[for=presence-online]").ClickAsync();
        await ResolveAsync(sam, "Gus Moreau");
        await ResolveAsync(emma, "Fay Lund");
        Assert.Empty(_pageErrors);
    }

    [SkippableFact]
    public async Task ChatsWaitingBeforeTheAgentSignsInAllReachTheList()
    {
        fixture.RequireBrowser();
        await StartChatAsync("Hana Sato", "account", null, "My two-factor codes do not arrive.");
        await StartChatAsync("Ivan Petrov", "account", null, "Please delete my old address.");

        // The assignments are pushed while the page reads its conversations: neither may be lost.
        var agent = await SignInAsync("dev");
        await Expect(agent.Locator("#conversation-list li")).ToHaveCountAsync(2);
        await Expect(agent.Locator("#inbox-count")).ToHaveTextAsync("2 of 2");
        await Expect(agent.Locator("#conversation-list")).ToContainTextAsync("Hana Sato");
        await Expect(agent.Locator("#conversation-list")).ToContainTextAsync("Ivan Petrov");

        await ResolveAsync(agent, "Hana Sato");
        await ResolveAsync(agent, "Ivan Petrov");
        Assert.Empty(_pageErrors);
    }

    [SkippableFact]
    public async Task AnUnknownAgentIdIsRefusedAtSignIn()
    {
        fixture.RequireBrowser();
        var page = await OpenAsync("/");
        await page.GetByLabel("Agent id").FillAsync("Alice");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("There is no agent 'Alice'");
        await Expect(page.Locator("#app")).ToBeHiddenAsync();
        await ShotAsync(page, "console-0-sign-in-refused");
        Assert.Empty(_pageErrors);
    }

    private async Task<IPage> OpenAsync(string path)
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = fixture.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1360, Height = 860 },
            Locale = "en-GB",
        });
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        page.PageError += (_, error) =>
        {
            output.WriteLine($"page error on {page.Url}: {error}");
            lock (_pageErrors)
            {
                _pageErrors.Add(error);
            }
        };
        await page.GotoAsync(path);
        return page;
    }

    private async Task<IPage> SignInAsync(string agentId)
    {
        _agents.Add(agentId);
        var page = await OpenAsync("/");
        await page.GetByLabel("Agent id").FillAsync(agentId);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#connection")).ToHaveTextAsync("Connected");
        await Expect(page.GetByRole(AriaRole.Radio, new() { Name = "Online" })).ToBeCheckedAsync();
        await Expect(page.Locator("#inbox-count")).ToHaveTextAsync(new Regex(@"^\d+ of \d+$"));
        return page;
    }

    private async Task<IPage> StartChatAsync(string name, string topic, string? order, string question)
    {
        var page = await OpenAsync("/chat");
        await page.GetByLabel("Your name").FillAsync(name);
        await page.GetByLabel("What is it about?").SelectOptionAsync(topic);
        if (order is not null)
        {
            await page.GetByLabel("Order number").FillAsync(order);
        }

        await page.GetByLabel("Your question").FillAsync(question);
        await page.GetByRole(AriaRole.Button, new() { Name = "Start chat" }).ClickAsync();
        await Expect(page.Locator("#thread .message.customer").First).ToHaveTextAsync(new Regex(Regex.Escape(question)));
        return page;
    }

    private static async Task ResolveAsync(IPage agent, string customerName)
    {
        var item = agent.Locator("#conversation-list li", new() { HasText = customerName });
        await item.GetByRole(AriaRole.Button).ClickAsync();
        await Expect(agent.Locator("#conversation-title")).ToHaveTextAsync(customerName);
        await agent.GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();
        await Expect(item).ToContainTextAsync("Closed");
    }

    private async Task ShotAsync(IPage page, string name)
    {
        var path = Path.Combine(ConsoleFixture.ScreenshotFolder, $"{name}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        output.WriteLine($"screenshot: {Path.GetRelativePath(ConsoleFixture.RepositoryRoot, path)}");
    }
}
