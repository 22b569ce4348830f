using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.BrowserTests;

/// <summary>
/// The agent console and the customer chat in headless Chromium against the real silo, with the demo agents of
/// appsettings.json, signed in through the development sign-in. Each test uses its own agents and topics; pages are
/// closed at the end, so agents go Offline.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed partial class ConsoleTests(ConsoleFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<IBrowserContext> _contexts = [];
    private readonly List<string> _pageErrors = [];
    private readonly List<string> _agents = [];

    // Set by a test that runs on a silo of its own: pages open there.
    private Uri? _otherSilo;

    private const string SessionKey = "switchboard.session";

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
        if (fixture.Unavailable is null && _otherSilo is null)
        {
            using var http = new HttpClient { BaseAddress = fixture.BaseAddress };
            // A supervisor's token reads every agent.
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Tokens.IssueAgent("sam", supervisor: true).Token);
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
    public async Task AShopWritingFirstReachesTheCustomersChatPageAndTheirAnswerReachesTheAgent()
    {
        fixture.RequireBrowser();
        var agent = await SignInAsync("dev");
        var customer = await StartChatAsync("Ivy Lund", "account", null, "How do I change my e-mail address?");
        await Expect(agent.Locator("#conversation-title")).ToHaveTextAsync("Ivy Lund");
        await agent.GetByRole(AriaRole.Button, new() { Name = "Resolve", Exact = true }).ClickAsync();
        await Expect(customer.Locator("#closed")).ToBeVisibleAsync();

        // The shop's system sees an odd sign-in and writes to this customer (the id the chat page was given).
        var identity = JsonDocument.Parse(await customer.EvaluateAsync<string>("() => localStorage.getItem('switchboard.customer')")).RootElement;
        var customerId = identity.GetProperty("id").GetString()!;
        Assert.StartsWith("web:", customerId);
        using var shop = new HttpClient { BaseAddress = fixture.BaseAddress };
        shop.DefaultRequestHeaders.Authorization = new("Bearer", fixture.Tokens.IssueAgent("sam", supervisor: true).Token);
        var opened = await shop.PostAsJsonAsync("/api/outreach", new { customerId, customerName = "Ivy Lund", trigger = "abnormalSignIn" });
        Assert.Equal(System.Net.HttpStatusCode.Created, opened.StatusCode);

        await Expect(customer.Locator("#thread")).ToContainTextAsync("we noticed a sign-in to your account");
        await Expect(customer.Locator("#composer")).ToBeVisibleAsync();
        await ShotAsync(customer, "chat-4-outreach-arrived");
        var reply = customer.GetByLabel("Your message");
        await reply.FillAsync("That was not me!");
        await reply.PressAsync("Enter");

        var outbound = agent.Locator("#conversation-list li", new() { HasText = "That was not me!" });
        await outbound.ClickAsync();
        await Expect(agent.Locator("#context-facts")).ToContainTextAsync("Unusual sign-in to the account (we wrote first; the customer answered)");
        await Expect(agent.Locator("#thread .message.customer").Last).ToContainTextAsync("That was not me!");
        await ShotAsync(agent, "console-9-outreach-answered");
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


    [SkippableFact]
    public async Task ADemoAgentSignsInThroughTheFormStaysSignedInAcrossAReloadAndSignsOut()
    {
        fixture.RequireBrowser();
        var page = await OpenAsync("/");
        await Expect(page.Locator(".dev-note")).ToHaveTextAsync("Development sign-in: any configured agent, no password.");
        await Expect(page.GetByLabel("Access token")).ToBeHiddenAsync();
        await Expect(page.Locator("#agent-ids option[value='chloe']")).ToHaveCountAsync(1);
        await Expect(page.Locator("#demo-agents")).ToContainTextAsync("Chloe Dubois");
        await Expect(page.Locator("#demo-agents button[data-agent='sam']")).ToContainTextAsync("sam · supervisor");
        await ShotAsync(page, "console-0-sign-in");

        _agents.Add("chloe");
        await page.GetByLabel("Agent id").FillAsync("chloe");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#connection")).ToHaveTextAsync("Connected");
        await Expect(page.Locator("#me")).ToHaveTextAsync("Chloe Dubois");
        var saved = await StoredSessionAsync(page);
        Assert.Equal("chloe", saved.GetProperty("agentId").GetString());
        Assert.StartsWith("eyJ", saved.GetProperty("token").GetString());

        // The token is kept: a reload goes straight back to the console.
        await page.ReloadAsync();
        await Expect(page.Locator("#connection")).ToHaveTextAsync("Connected");
        await Expect(page.Locator("#signin")).ToBeHiddenAsync();
        await Expect(page.Locator("#me")).ToHaveTextAsync("Chloe Dubois");

        // Sign out forgets it, also for the next reload; a demo agent's button signs in at once.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByLabel("Agent id")).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("key => localStorage.getItem(key)", SessionKey));
        await page.ReloadAsync();
        await Expect(page.GetByLabel("Agent id")).ToBeVisibleAsync();
        await Expect(page.Locator("#app")).ToBeHiddenAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Chloe Dubois" }).ClickAsync();
        await Expect(page.Locator("#connection")).ToHaveTextAsync("Connected");
        await Expect(page.Locator("#me")).ToHaveTextAsync("Chloe Dubois");
        Assert.Empty(_pageErrors);
    }

    [SkippableTheory]
    [InlineData("expired", "Your sign-in expired; sign in again.")]
    [InlineData("garbage", "Your saved sign-in could not be read; sign in again.")]
    [InlineData("forged", "The server does not accept your saved sign-in: The token's signature is not valid. Sign in again.")]
    public async Task AStoredTokenThatCannotBeUsedSendsTheAgentBackToSignInWithTheReason(string kind, string reason)
    {
        fixture.RequireBrowser();
        var token = kind switch
        {
            "expired" => UnsignedToken("alice", DateTimeOffset.UtcNow.AddMinutes(-5)),
            "forged" => UnsignedToken("alice", DateTimeOffset.UtcNow.AddHours(1)),
            _ => "not-a-token",
        };
        var page = await OpenAsync("/");
        await SeedSessionAsync(page, token, "alice");

        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync(reason);
        await Expect(page.Locator("#app")).ToBeHiddenAsync();
        await Expect(page.GetByLabel("Agent id")).ToHaveValueAsync("alice");
        // A token that cannot be used is not kept.
        Assert.Null(await page.EvaluateAsync<string?>("key => localStorage.getItem(key)", SessionKey));
        await ShotAsync(page, $"console-0-sign-in-{kind}");
        Assert.Empty(_pageErrors);
    }

    [SkippableFact]
    public async Task AnAgentIsSentBackToSignInWhenItsTokenExpiresWhileTheConsoleIsOpen()
    {
        fixture.RequireBrowser();
        _agents.Add("dev");
        var page = await OpenAsync("/");
        var token = fixture.Tokens.IssueAgent("dev", supervisor: false, lifetime: TimeSpan.FromSeconds(6)).Token;
        await SeedSessionAsync(page, token, "dev");
        await Expect(page.Locator("#connection")).ToHaveTextAsync("Connected");
        await Expect(page.Locator("#me")).ToHaveTextAsync("Dev Patel");

        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Your sign-in expired; sign in again.");
        await Expect(page.Locator("#app")).ToBeHiddenAsync();
        await Expect(page.GetByLabel("Agent id")).ToHaveValueAsync("dev");
        Assert.Null(await page.EvaluateAsync<string?>("key => localStorage.getItem(key)", SessionKey));
        Assert.Empty(_pageErrors);
    }

    [SkippableFact]
    public async Task AHubThatRefusesTheTokenSendsTheAgentBackToSignInInsteadOfRetrying()
    {
        fixture.RequireBrowser();
        // The profile read accepts the token; the hub's negotiate answers 401, as it does for a token it no longer takes.
        var negotiations = 0;
        var page = await OpenAsync("/", p => p.RouteAsync("**/hubs/agent/negotiate**", async route =>
        {
            Interlocked.Increment(ref negotiations);
            await route.FulfillAsync(new() { Status = 401, ContentType = "application/problem+json", Body = """{"status":401,"detail":"The token was refused."}""" });
        }));
        await page.GetByLabel("Agent id").FillAsync("alice");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The server no longer accepts your sign-in; sign in again.");
        await Expect(page.Locator("#app")).ToBeHiddenAsync();
        Assert.Null(await page.EvaluateAsync<string?>("key => localStorage.getItem(key)", SessionKey));
        Assert.Equal(1, negotiations);
        Assert.Empty(_pageErrors);
    }

    [SkippableFact]
    public async Task APlainAgentGetsNoSupervisorViewAndItsTokenIsRefusedTheOverview()
    {
        fixture.RequireBrowser();
        var bruno = await SignInAsync("bruno");
        await Expect(bruno.Locator("#me")).ToHaveTextAsync("Bruno Silva");
        await Expect(bruno.GetByRole(AriaRole.Button, new() { Name = "Supervisor" })).ToBeHiddenAsync();
        await Expect(bruno.Locator("#supervisor")).ToBeHiddenAsync();
        await ShotAsync(bruno, "console-9-plain-agent");

        // The console's own token, from the page: the server refuses it the supervisor's API.
        var status = await bruno.EvaluateAsync<int>(
            "async key => (await fetch('/api/overview', { headers: { authorization: `Bearer ${JSON.parse(localStorage.getItem(key)).token}` } })).status",
            SessionKey);
        Assert.Equal(403, status);
        var overview = new Uri(fixture.BaseAddress, "/api/overview").ToString();
        Assert.Equal(401, (await bruno.APIRequest.GetAsync(overview)).Status);

        var issued = await bruno.APIRequest.PostAsync(new Uri(fixture.BaseAddress, "/api/dev/token").ToString(),
            new() { DataObject = new { agentId = "sam" } });
        var samToken = (await issued.JsonAsync())!.Value.GetProperty("token").GetString();
        var asSupervisor = await bruno.APIRequest.GetAsync(overview, new() { Headers = new Dictionary<string, string> { ["Authorization"] = $"Bearer {samToken}" } });
        Assert.Equal(200, asSupervisor.Status);
        Assert.Empty(_pageErrors);
    }

    [SkippableFact]
    public async Task WithoutTheDevelopmentSignInTheAgentPastesAnAccessToken()
    {
        fixture.RequireBrowser();
        // The same silo, with the settings a production silo sends: no development sign-in, no demo agents.
        var page = await OpenAsync("/", async p => await p.RouteAsync("**/api/console-settings", async route =>
        {
            var response = await route.FetchAsync();
            var settings = JsonNode.Parse(await response.TextAsync())!;
            settings["developmentSignIn"] = false;
            settings["demoAgents"] = null;
            await route.FulfillAsync(new() { Response = response, Body = settings.ToJsonString() });
        }));
        var box = page.GetByLabel("Access token");
        await Expect(box).ToBeVisibleAsync();
        await Expect(page.Locator("#dev-signin")).ToBeHiddenAsync();

        await box.FillAsync("hello");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("That is not an access token");
        await box.FillAsync(fixture.Tokens.IssueCustomer("some-conversation").Token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("That token is not an agent’s");
        await ShotAsync(page, "console-0-token-sign-in");

        _agents.Add("emma");
        await box.FillAsync($"Bearer {fixture.Tokens.IssueAgent("emma", supervisor: false).Token}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#connection")).ToHaveTextAsync("Connected");
        await Expect(page.Locator("#me")).ToHaveTextAsync("Emma Novak");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByLabel("Access token")).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Access token")).ToHaveValueAsync("");
        Assert.Empty(_pageErrors);
    }

    [SkippableFact]
    public async Task TheChatPageRejoinsItsConversationAfterAReloadWithItsCustomerToken()
    {
        fixture.RequireBrowser();
        var emma = await SignInAsync("emma");
        var customer = await StartChatAsync("Jon Berg", "returns", "D-501", "Can I return a gift without the receipt?");
        await Expect(emma.Locator("#conversation-title")).ToHaveTextAsync("Jon Berg");
        var saved = JsonDocument.Parse((await customer.EvaluateAsync<string>("() => sessionStorage.getItem('switchboard.conversation')"))).RootElement;
        Assert.Matches("^[0-9a-f]{32}$", saved.GetProperty("id").GetString());
        Assert.StartsWith("eyJ", saved.GetProperty("token").GetString());

        await customer.ReloadAsync();
        await Expect(customer.Locator("#chat")).ToBeVisibleAsync();
        await Expect(customer.Locator("#start")).ToBeHiddenAsync();
        await Expect(customer.Locator("#thread .message.customer")).ToHaveCountAsync(1);

        // Re-joined for real: the agent's answer after the reload arrives live, and the customer can write back.
        var box = emma.GetByRole(AriaRole.Combobox, new() { Name = "Reply to Jon Berg" });
        await box.FillAsync("Yes: a gift receipt or the order number is enough.");
        await box.PressAsync("Enter");
        await Expect(customer.Locator("#thread .message.agent")).ToContainTextAsync("the order number is enough");
        var reply = customer.GetByLabel("Your message");
        await reply.FillAsync("Great, I have the order number.");
        await reply.PressAsync("Enter");
        await Expect(emma.Locator("#thread .message.customer").Last).ToContainTextAsync("I have the order number");
        await ShotAsync(customer, "chat-4-rejoined-after-reload");

        // A token the server refuses (here another conversation's) starts afresh instead of failing forever.
        await customer.EvaluateAsync("([key, token]) => { const saved = JSON.parse(sessionStorage.getItem(key)); saved.token = token; sessionStorage.setItem(key, JSON.stringify(saved)); }",
            new[] { "switchboard.conversation", fixture.Tokens.IssueCustomer("another-conversation").Token });
        await customer.ReloadAsync();
        await Expect(customer.Locator("#start")).ToBeVisibleAsync();
        await Expect(customer.Locator("#start-error")).ToHaveTextAsync("We could not open your earlier chat again. Please start a new one.");
        Assert.Null(await customer.EvaluateAsync<string?>("() => sessionStorage.getItem('switchboard.conversation')"));
        await ShotAsync(customer, "chat-5-token-refused");

        await ResolveAsync(emma, "Jon Berg");
        Assert.Empty(_pageErrors);
    }

    [SkippableFact]
    public async Task AStartAndMessagesWhoseAnswersWereLostAreSentAgainWithTheirIdsAndStoredOnce()
    {
        fixture.RequireBrowser();
        // The agent's first reply is stored, but the console hears "Unavailable: ..." instead of the answer; the answer
        // to its second try waits, so the console can be seen trying again.
        var console = new HubTap().Answer("SendMessageOnce", 1, AnswerFate.Unavailable).Answer("SendMessageOnce", 2, AnswerFate.Hold);
        var chloe = await SignInAsync("chloe", page => console.AttachAsync(page, "/hubs/agent"));

        // The first start opens the conversation, but the page hears "Unavailable: ..."; the answer to its second
        // try waits, so the page can be seen trying again; the connection drops under the first message's answer.
        var chat = new HubTap()
            .Answer("StartConversation", 1, AnswerFate.Unavailable)
            .Answer("StartConversation", 2, AnswerFate.Hold)
            .Answer("SendMessageOnce", 1, AnswerFate.Drop);
        var customer = await OpenAsync("/chat", page => chat.AttachAsync(page, "/hubs/customer"));
        await customer.GetByLabel("Your name").FillAsync("Kim Ode");
        await customer.GetByLabel("What is it about?").SelectOptionAsync("payment");
        await customer.GetByLabel("Your question").FillAsync("Was I charged twice for order P-88?");
        await customer.GetByRole(AriaRole.Button, new() { Name = "Start chat" }).ClickAsync();

        await Expect(customer.Locator("#retrying")).ToHaveTextAsync("Starting your chat · trying again…");
        await Expect(customer.Locator("#start-error")).ToBeHiddenAsync();
        await ShotAsync(customer, "chat-6-start-trying-again");
        chat.Release();

        await Expect(customer.Locator("#chat")).ToBeVisibleAsync();
        await Expect(customer.Locator("#retrying")).ToBeHiddenAsync();
        await Expect(customer.Locator("#thread .message.customer")).ToHaveCountAsync(1);
        var starts = chat.Calls("StartConversation");
        Assert.Equal(2, starts.Count);
        var startId = starts[0][0].GetProperty("startId").GetString();
        Assert.True(Guid.TryParse(startId, out _), $"start id '{startId}' is not a UUID");
        Assert.Equal(startId, starts[1][0].GetProperty("startId").GetString());
        Assert.Null(await customer.EvaluateAsync<string?>("() => sessionStorage.getItem('switchboard.pendingStart')"));

        // One conversation: the customer has one, and the agent one item for them.
        using var supervisor = new HttpClient { BaseAddress = fixture.BaseAddress };
        supervisor.DefaultRequestHeaders.Authorization = new("Bearer", fixture.Tokens.IssueAgent("sam", supervisor: true).Token);
        var customerId = JsonDocument.Parse(await customer.EvaluateAsync<string>("() => localStorage.getItem('switchboard.customer')"))
            .RootElement.GetProperty("id").GetString()!;
        var record = JsonDocument.Parse(await supervisor.GetStringAsync($"/api/customers/{Uri.EscapeDataString(customerId)}")).RootElement;
        var conversationId = Assert.Single(record.GetProperty("conversations").EnumerateArray()).GetProperty("id").GetString()!;
        Assert.Equal(conversationId, JsonDocument.Parse(await customer.EvaluateAsync<string>("() => sessionStorage.getItem('switchboard.conversation')"))
            .RootElement.GetProperty("id").GetString());
        var item = chloe.Locator("#conversation-list li", new() { HasText = "Kim Ode" });
        await Expect(item).ToHaveCountAsync(1);
        await item.GetByRole(AriaRole.Button).ClickAsync();

        // The agent's reply: answered "Unavailable", sent again with its id, shown once on both sides.
        var box = chloe.GetByRole(AriaRole.Combobox, new() { Name = "Reply to Kim Ode" });
        await box.FillAsync("Let me look at order P-88 for you.");
        await box.PressAsync("Enter");
        await Expect(chloe.Locator("#send-retrying")).ToHaveTextAsync("Sending · trying again…");
        await ShotAsync(chloe, "console-10-reply-trying-again");
        console.Release();
        await Expect(chloe.Locator("#send-retrying")).ToBeHiddenAsync();
        await Expect(customer.Locator("#thread .message.agent")).ToHaveCountAsync(1);
        await Expect(box).ToHaveValueAsync("");
        await Expect(chloe.Locator("#thread .message.agent")).ToHaveCountAsync(1);
        var replies = console.Calls("SendMessageOnce");
        Assert.Equal(2, replies.Count);
        Assert.Equal(replies[0][1].GetString(), replies[1][1].GetString());

        // The customer's message: the connection drops before its answer; the page reconnects, joins again and sends
        // it again with its id.
        var message = customer.GetByLabel("Your message");
        await message.FillAsync("Yes, twice: 49.90 each.");
        await message.PressAsync("Enter");
        await Expect(message).ToHaveValueAsync("");
        var sends = chat.Calls("SendMessageOnce");
        Assert.Equal(2, sends.Count);
        Assert.Equal(sends[0][1].GetString(), sends[1][1].GetString());
        Assert.Equal(1, chat.Answered("SendMessageOnce"));
        Assert.True(chat.Calls("JoinConversation").Count >= 1, "the page did not join its chat again after the reconnect");
        await Expect(customer.Locator("#thread .message.customer")).ToHaveCountAsync(2);
        await Expect(chloe.Locator("#thread .message.customer")).ToHaveCountAsync(2);
        await Expect(customer.Locator("#send-error")).ToBeHiddenAsync();
        await ShotAsync(customer, "chat-7-sent-again-stored-once");

        // Stored once each: the opening, the reply, the message.
        var view = JsonDocument.Parse(await supervisor.GetStringAsync($"/api/conversations/{conversationId}")).RootElement;
        var texts = view.GetProperty("messages").EnumerateArray()
            .Where(m => m.GetProperty("from").GetString() != "system").Select(m => m.GetProperty("text").GetString()).ToList();
        Assert.Equal(["Was I charged twice for order P-88?", "Let me look at order P-88 for you.", "Yes, twice: 49.90 each."], texts);

        await ResolveAsync(chloe, "Kim Ode");
        Assert.Empty(_pageErrors);
    }

    [SkippableFact]
    public async Task AStartIdOrAMessageIdServesOnlyItsOwnStartOrMessageAndOpensNobodyElsesConversation()
    {
        fixture.RequireBrowser();
        var chat = new HubTap();
        var customer = await OpenAsync("/chat", page => chat.AttachAsync(page, "/hubs/customer"));
        await StartChatFormAsync(customer, "Lea Moss", "general", "Do you deliver on Sundays?");
        var message = customer.GetByLabel("Your message");
        await message.FillAsync("Only after 6 pm would suit me.");
        await message.PressAsync("Enter");
        await Expect(customer.Locator("#thread .message.customer")).ToHaveCountAsync(2);
        var startId = chat.Calls("StartConversation")[0][0].GetProperty("startId").GetString()!;
        var messageId = chat.Calls("SendMessageOnce")[0][1].GetString()!;
        var (first, firstToken) = await SavedChatAsync(customer);
        using var http = new HttpClient { BaseAddress = fixture.BaseAddress };

        // The start id again with another first message: refused, nothing opened.
        var other = await PostAsync(http, "/api/conversations", startId, null, new { customerName = "Lea Moss", topic = "general", text = "Refund me now." });
        Assert.Equal(System.Net.HttpStatusCode.Conflict, other.Status);
        Assert.Contains("a start id is for one start only", other.Detail);

        // The page's message id: over HTTP too it answers the message first stored, and refuses another text.
        var replayed = await PostAsync(http, $"/api/conversations/{first}/messages", messageId, firstToken, new { text = "Only after 6 pm would suit me." });
        Assert.Equal(System.Net.HttpStatusCode.OK, replayed.Status);
        Assert.True(replayed.Replayed);
        Assert.Equal(3, replayed.Body.GetProperty("sequence").GetInt32());
        var changed = await PostAsync(http, $"/api/conversations/{first}/messages", messageId, firstToken, new { text = "Actually, mornings." });
        Assert.Equal(System.Net.HttpStatusCode.Conflict, changed.Status);
        Assert.Equal($"Message id '{messageId}' was already used for a different message.", changed.Detail);
        await Expect(customer.Locator("#thread .message.customer")).ToHaveCountAsync(2);

        // The customer is known now (the page keeps their identity): their next start's id is theirs alone. Someone
        // else sending it, with the very same start, opens a conversation of their own.
        Assert.Equal(System.Net.HttpStatusCode.OK, (await PostAsync(http, $"/api/conversations/{first}/leave", null, firstToken, null)).Status);
        await Expect(customer.Locator("#closed")).ToBeVisibleAsync();
        await customer.GetByRole(AriaRole.Button, new() { Name = "Start a new chat" }).ClickAsync();
        await StartChatFormAsync(customer, "Lea Moss", "general", "Can I pick up in store?");
        var (second, secondToken) = await SavedChatAsync(customer);
        var secondStartId = chat.Calls("StartConversation")[^1][0].GetProperty("startId").GetString()!;
        Assert.NotEqual(startId, secondStartId);
        var stranger = await PostAsync(http, "/api/conversations", secondStartId, null, new { customerName = "Lea Moss", topic = "general", text = "Can I pick up in store?" });
        Assert.Equal(System.Net.HttpStatusCode.Created, stranger.Status);
        var strangers = stranger.Body.GetProperty("conversation");
        Assert.NotEqual(second, strangers.GetProperty("id").GetString());
        Assert.NotEqual(JsonDocument.Parse(await customer.EvaluateAsync<string>("() => localStorage.getItem('switchboard.customer')")).RootElement.GetProperty("id").GetString(),
            stranger.Body.GetProperty("customer").GetProperty("id").GetString());
        await Expect(customer.Locator("#thread .message.customer")).ToHaveCountAsync(1);
        await ShotAsync(customer, "chat-8-start-id-is-the-customers-own");

        // Nothing left waiting for the next test's agents.
        foreach (var (id, token) in new[] { (second, secondToken), (strangers.GetProperty("id").GetString()!, stranger.Body.GetProperty("customerToken").GetString()!) })
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, (await PostAsync(http, $"/api/conversations/{id}/leave", null, token, null)).Status);
        }

        await Expect(customer.Locator("#closed")).ToBeVisibleAsync();
        Assert.Empty(_pageErrors);
    }

    private static async Task StartChatFormAsync(IPage page, string name, string topic, string question)
    {
        await page.GetByLabel("Your name").FillAsync(name);
        await page.GetByLabel("What is it about?").SelectOptionAsync(topic);
        await page.GetByLabel("Your question").FillAsync(question);
        await page.GetByRole(AriaRole.Button, new() { Name = "Start chat" }).ClickAsync();
        await Expect(page.Locator("#thread .message.customer").First).ToHaveTextAsync(new Regex(Regex.Escape(question)));
    }

    // The conversation id and customer token the chat page keeps for its tab.
    private static async Task<(string Id, string Token)> SavedChatAsync(IPage page)
    {
        var saved = JsonDocument.Parse(await page.EvaluateAsync<string>("() => sessionStorage.getItem('switchboard.conversation')")).RootElement;
        return (saved.GetProperty("id").GetString()!, saved.GetProperty("token").GetString()!);
    }

    private sealed record Answer(System.Net.HttpStatusCode Status, bool Replayed, JsonElement Body)
    {
        public string Detail => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("detail", out var detail) ? detail.GetString() ?? "" : "";
    }

    // A JSON POST with an Idempotency-Key and a bearer token when given.
    private static async Task<Answer> PostAsync(HttpClient http, string path, string? idempotencyKey, string? token, object? body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new Answer(
            response.StatusCode,
            response.Headers.TryGetValues("Idempotent-Replayed", out var replayed) && replayed.Contains("true"),
            text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    // A token as the console reads it, with a signature no server accepts.
    private static string UnsignedToken(string agentId, DateTimeOffset expires)
    {
        static string Part(object value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value)))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var payload = new Dictionary<string, object>
        {
            ["sub"] = agentId,
            ["role"] = new[] { "agent" },
            ["iss"] = "switchboard",
            ["aud"] = "switchboard",
            ["exp"] = expires.ToUnixTimeSeconds(),
        };
        return $"{Part(new { alg = "HS256", typ = "JWT", kid = "switchboard" })}.{Part(payload)}.{Part("not the signature")}";
    }

    private static async Task<JsonElement> StoredSessionAsync(IPage page) =>
        JsonDocument.Parse(await page.EvaluateAsync<string>("key => localStorage.getItem(key)", SessionKey)).RootElement;

    private async Task<IPage> OpenAsync(string path, Func<IPage, Task>? beforeLoad = null)
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = (_otherSilo ?? fixture.BaseAddress).ToString(),
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
        if (beforeLoad is not null)
        {
            await beforeLoad(page);
        }

        await page.GotoAsync(path);
        return page;
    }

    /// <summary>
    /// Signs in through the form and, as a real agent does, chooses Online (or Away). Agents sign in Away; one an
    /// earlier test signed in within the offline grace period resumes the presence it had, so both are taken here.
    /// </summary>
    private async Task<IPage> SignInAsync(string agentId, Func<IPage, Task>? beforeLoad = null, bool online = true)
    {
        _agents.Add(agentId);
        var page = await OpenAsync("/", beforeLoad);
        await page.GetByLabel("Agent id").FillAsync(agentId);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#connection")).ToHaveTextAsync("Connected");
        await Expect(page.Locator("#presence input:checked")).ToHaveCountAsync(1);
        await Expect(page.Locator("#inbox-count")).ToHaveTextAsync(new Regex(@"^\d+ of \d+$"));
        await ChooseAsync(page, online ? "Online" : "Away");
        return page;
    }

    private static Task GoOnlineAsync(IPage page) => ChooseAsync(page, "Online");

    private static async Task ChooseAsync(IPage page, string presence)
    {
        var radio = page.GetByRole(AriaRole.Radio, new() { Name = presence });
        if (await radio.IsCheckedAsync())
        {
            return;
        }

        await page.Locator($"label[for=presence-{presence.ToLowerInvariant()}]").ClickAsync();
        await Expect(radio).ToBeCheckedAsync();
        // The server has it once the console says so.
        await Expect(page.Locator("#toasts")).ToContainTextAsync($"You are {presence}");
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

    /// <summary>
    /// Reloads the page with a saved sign-in in place. Written by a script that runs before the page's own, not just
    /// before a reload: a localStorage write made right before a reload can reach the next document too late.
    /// </summary>
    private static async Task SeedSessionAsync(IPage page, string token, string agentId)
    {
        var value = JsonSerializer.Serialize(new { token, agentId });
        await page.AddInitScriptAsync(
            $"if (!sessionStorage.getItem('test.seeded')) {{ sessionStorage.setItem('test.seeded', '1'); localStorage.setItem({JsonSerializer.Serialize(SessionKey)}, {JsonSerializer.Serialize(value)}); }}");
        await page.ReloadAsync();
    }
}
