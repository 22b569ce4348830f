using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.BrowserTests;

/// <summary>Issue 19: the agent's workspace and the supervisor's floor.</summary>
public sealed partial class ConsoleTests
{
    private HttpClient SupervisorHttp()
    {
        var http = new HttpClient { BaseAddress = _otherSilo ?? fixture.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Tokens.IssueAgent("sam", supervisor: true).Token);
        return http;
    }

    private static async Task<JsonElement> ReadAsync(HttpClient http, string path) =>
        JsonDocument.Parse(await http.GetStringAsync(path)).RootElement.Clone();

    /// <summary>
    /// An agent nobody has signed in yet (made with <c>PUT /api/agents</c>, with a fresh id): the configured ones may
    /// have been signed in by an earlier test within the grace period, and would resume the presence they had.
    /// </summary>
    private async Task<string> MakeAgentAsync(HttpClient supervisor, string prefix, string name, Dictionary<string, int> skills, bool isSupervisor = false, int capacity = 2)
    {
        var id = $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];
        using var made = await supervisor.PutAsJsonAsync($"/api/agents/{id}", new { name, skills, capacity, supervisor = isSupervisor });
        Assert.Equal(System.Net.HttpStatusCode.OK, made.StatusCode);
        return id;
    }

    /// <summary>Signs in through the form and checks the agent starts Away, as every sign-in does.</summary>
    private async Task<IPage> SignInFreshAsync(string agentId)
    {
        _agents.Add(agentId);
        var page = await OpenAsync("/");
        await page.GetByLabel("Agent id").FillAsync(agentId);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#connection")).ToHaveTextAsync("Connected");
        await Expect(page.GetByRole(AriaRole.Radio, new() { Name = "Away" })).ToBeCheckedAsync();
        await Expect(page.GetByRole(AriaRole.Radio, new() { Name = "Online" })).Not.ToBeCheckedAsync();
        return page;
    }

    [SkippableFact]
    public async Task AgentsSignInAwayAndTakeNothingUntilTheyChooseOnlineAndAnAwaySupervisorTakesOnlyEscalations()
    {
        fixture.RequireBrowser();
        using var http = SupervisorHttp();
        var ana = await MakeAgentAsync(http, "ana", "Ana Costa", new() { ["account"] = 3 });
        var agent = await SignInFreshAsync(ana);
        await Expect(agent.Locator("#inbox-empty")).ToContainTextAsync("You are Away");
        await ShotAsync(agent, "floor-1-signed-in-away");

        var customer = await StartChatAsync("Jon Berg", "account", null, "I cannot change my password.");
        await Expect(customer.Locator("#thread")).ToContainTextAsync("We have your question");
        var waiting = await ReadAsync(http, "/api/queues/account");
        Assert.Single(waiting.GetProperty("waiting").EnumerateArray());
        Assert.Empty((await ReadAsync(http, $"/api/agents/{ana}")).GetProperty("conversations").EnumerateArray());
        await Expect(agent.Locator("#conversation-list li")).ToHaveCountAsync(0);

        await GoOnlineAsync(agent);
        await Expect(agent.Locator("#conversation-title")).ToHaveTextAsync("Jon Berg");
        await Expect(customer.Locator("#status")).ToHaveTextAsync("Ana Costa is with you.");
        await ShotAsync(agent, "floor-2-online-takes-the-waiting-chat");
        await ResolveAsync(agent, "Jon Berg");

        // A supervisor who serves every skill signs in Away: a shipping chat waits for a shipping agent, but a
        // high-tier complaint (the supervisors' queue) reaches them.
        var sol = await MakeAgentAsync(http, "sol", "Sol Reyes (supervisor)",
            new() { ["shipping"] = 4, ["payment"] = 4, ["returns"] = 4, ["account"] = 4, ["general"] = 4 }, isSupervisor: true, capacity: 3);
        var supervisor = await SignInFreshAsync(sol);
        await Expect(supervisor.Locator("#inbox-empty")).ToContainTextAsync("escalations to supervisors still reach you");
        var shipping = await StartChatAsync("Kai Holm", "shipping", null, "Where is my parcel?");
        await Expect(shipping.Locator("#thread")).ToContainTextAsync("We have your question");
        using var anonymous = new HttpClient { BaseAddress = fixture.BaseAddress };
        var complaint = await PostAsync(anonymous, "/api/conversations", null, null,
            new { customerName = "Lia Ström", topic = "payment", text = "You took 9000 euros twice. I will post a review.", complaint = true, amount = 9000 });
        Assert.Equal(System.Net.HttpStatusCode.Created, complaint.Status);
        await Expect(supervisor.Locator("#conversation-list li")).ToHaveCountAsync(1);
        await Expect(supervisor.Locator("#conversation-title")).ToHaveTextAsync("Lia Ström");
        await Expect(supervisor.GetByRole(AriaRole.Radio, new() { Name = "Away" })).ToBeCheckedAsync();
        Assert.Equal("away", (await ReadAsync(http, $"/api/agents/{sol}")).GetProperty("presence").GetString());
        await ShotAsync(supervisor, "floor-3-away-supervisor-gets-the-escalation");

        await GoOnlineAsync(supervisor);
        await Expect(supervisor.Locator("#conversation-list li", new() { HasText = "Kai Holm" })).ToBeVisibleAsync();
        await ResolveAsync(supervisor, "Lia Ström");
        await ResolveAsync(supervisor, "Kai Holm");
        Assert.Empty(_pageErrors);
    }

    /// <summary>Clicks Refresh on the supervisor's overview until <paramref name="ready"/> holds (the overview is read on demand).</summary>
    private static async Task RefreshUntilAsync(IPage supervisor, Func<Task<bool>> ready)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!await ready())
        {
            Assert.True(DateTime.UtcNow < until, "The overview did not show what was expected within 30 s.");
            await supervisor.Locator("#overview-refresh").ClickAsync();
            await Task.Delay(300);
        }
    }

    private static async Task AnswerAsync(IPage agent, string customerName, string text)
    {
        var item = agent.Locator("#conversation-list li", new() { HasText = customerName });
        await item.GetByRole(AriaRole.Button).ClickAsync();
        await Expect(agent.Locator("#conversation-title")).ToHaveTextAsync(customerName);
        var box = agent.Locator("#message");
        await box.FillAsync(text);
        await box.PressAsync("Enter");
        await Expect(agent.Locator("#thread .message.agent").Last).ToContainTextAsync(text);
    }

    [SkippableFact]
    public async Task TheFloorCountsAnOverflowedChatOnceColoursAQueueOnlyByItsBandAndSaysWhenChatsWait()
    {
        fixture.RequireBrowser();
        // Overflow in seconds needs a silo of its own: the shared one keeps each test to its own queues.
        await using var silo = await ConsoleFixture.StartSiloAsync(new Dictionary<string, string?>
        {
            ["Switchboard:Sla:OverflowAfter"] = "00:00:02",
            ["Switchboard:Agents:sam:Capacity"] = "1",
        });
        _otherSilo = silo.BaseAddress;

        // Returns: two answered in time and one late (an angry customer's 1 s clock), all within seconds: a Stellar
        // mean first response, and an attainment well under 90 %.
        var emma = await SignInAsync("emma");
        foreach (var (name, angry) in new[] { ("Mo Aziz", false), ("Nia Roy", false), ("Oli Park", true) })
        {
            var customer = await StartChatAsync(name, "returns", null, "My refund has not arrived.");
            await Expect(emma.Locator("#conversation-list li", new() { HasText = name })).ToBeVisibleAsync();
            if (angry)
            {
                var message = customer.GetByLabel("Your message");
                await message.FillAsync("This is ridiculous!!! Where is my money?");
                await message.PressAsync("Enter");
                await Expect(emma.Locator("#conversation-list li", new() { HasText = name }).Locator(".clock")).ToContainTextAsync("late");
            }

            await AnswerAsync(emma, name, "I am on it.");
            await ResolveAsync(emma, name);
        }

        await emma.Locator("label[for=presence-away]").ClickAsync();
        await Expect(emma.Locator("#toasts")).ToContainTextAsync("You are Away");

        // Sam (capacity 1 here) is Away and full with an escalation; a returns chat nobody can take overflows to
        // general, then to the supervisors, and waits in all three queues.
        var sam = await SignInAsync("sam", online: false);
        using var anonymous = new HttpClient { BaseAddress = silo.BaseAddress };
        var complaint = await PostAsync(anonymous, "/api/conversations", null, null,
            new { customerName = "Pia Lind", topic = "payment", text = "Charged 8000 twice.", complaint = true, amount = 8000 });
        Assert.Equal(System.Net.HttpStatusCode.Created, complaint.Status);
        await Expect(sam.Locator("#conversation-title")).ToHaveTextAsync("Pia Lind");
        await StartChatAsync("Quin Daly", "returns", null, "Can I return shoes I wore once?");

        await sam.GetByRole(AriaRole.Button, new() { Name = "Supervisor" }).ClickAsync();
        var supervisors = sam.Locator("#queues-table tr[data-queue='supervisors']");
        await RefreshUntilAsync(sam, async () => await supervisors.Locator(".overflowed").CountAsync() == 1);
        // One waiting customer: "1", and under it "1 overflowed".
        await Expect(supervisors.Locator(".waiting")).ToHaveTextAsync("11 overflowed");
        await Expect(sam.Locator("#queues-table tr[data-queue='returns'] .waiting")).ToHaveTextAsync("0");
        await Expect(sam.Locator("#queues-table tr[data-queue='general'] .waiting")).ToHaveTextAsync("0");
        await Expect(supervisors.Locator(".overflowed")).ToHaveTextAsync("1 overflowed");
        await Expect(supervisors.Locator("td").Nth(1)).ToHaveTextAsync(Countdown());
        await Expect(sam.Locator("#tickets-empty")).ToHaveTextAsync("No tickets yet. 1 chat is waiting for an agent (see Queues).");

        var returns = sam.Locator("#queues-table tr[data-queue='returns']");
        await Expect(returns.Locator(".band")).ToHaveTextAsync("Stellar");
        await Expect(returns.Locator(".band")).ToHaveClassAsync("band good");
        await Expect(returns.Locator(".attainment")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+ %$"));
        await Expect(returns.Locator(".attainment")).ToHaveClassAsync("num attainment");
        var attainment = int.Parse((await returns.Locator(".attainment").TextContentAsync())!.TrimEnd(' ', '%'), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(attainment, 1, 89);
        await ShotAsync(sam, "floor-4-overview-overflow-band");
        Assert.Empty(_pageErrors);
    }

    [SkippableFact]
    public async Task AnAgentMadeOverTheApiAppearsInTheSupervisorsOverview()
    {
        fixture.RequireBrowser();
        using var http = SupervisorHttp();
        var id = await MakeAgentAsync(http, "zoe", "Zoe Lam", new() { ["general"] = 3 });

        var sam = await SignInAsync("sam", online: false);
        await sam.GetByRole(AriaRole.Button, new() { Name = "Supervisor" }).ClickAsync();
        var row = sam.Locator($"#agents-table tr[data-agent='{id}']");
        await Expect(row).ToContainTextAsync("Zoe Lam");
        await Expect(row).ToContainTextAsync("Offline");
        await Expect(row.Locator(".load-text")).ToHaveTextAsync("0 / 2");

        // She signs in through the development sign-in like any configured agent, and the overview follows.
        await SignInFreshAsync(id);
        await RefreshUntilAsync(sam, async () => (await row.TextContentAsync())!.Contains("Away", StringComparison.Ordinal));
        await ShotAsync(sam, "floor-5-made-agent-in-overview");
        Assert.Empty(_pageErrors);
    }

    // Whether an element's whole box is inside another's (the thread's visible area, the header).
    private const string InsideScript = """
        ([inner, outer]) => {
          const a = document.querySelector(inner).getBoundingClientRect();
          const b = document.querySelector(outer).getBoundingClientRect();
          return a.top >= b.top - 1 && a.bottom <= b.bottom + 1 && a.left >= b.left - 1 && a.right <= b.right + 1;
        }
        """;

    [SkippableFact]
    public async Task TheTopicTagIsShownWholeAndTheNewestMessageStaysInViewWhileTheReplyGrows()
    {
        fixture.RequireBrowser();
        var agent = await SignInAsync("alice");
        await agent.SetViewportSizeAsync(1100, 700);
        const string name = "Maximiliana Theodora Featherstonehaugh-Wolfeschlegelsteinhausen";
        var customer = await StartChatAsync(name, "shipping", "A-9", "My parcel is lost.");
        await Expect(agent.Locator("#conversation-title")).ToHaveTextAsync(name);

        var tag = agent.Locator("#conversation-topic");
        await Expect(tag).ToHaveTextAsync("Shipping and delivery");
        Assert.True(await tag.EvaluateAsync<bool>("el => el.scrollWidth <= el.clientWidth"), "The topic tag is cut off.");
        Assert.True(await agent.EvaluateAsync<bool>(InsideScript, new[] { "#conversation-topic", ".conversation-header" }), "The topic tag leaves the header.");

        var message = customer.GetByLabel("Your message");
        for (var i = 1; i <= 8; i++)
        {
            await message.FillAsync($"Line {i} of my story: the parcel left the depot on Monday and nobody has seen it since.");
            await message.PressAsync("Enter");
            await Task.Delay(250);
        }

        var newest = agent.Locator("#thread .message.customer").Last;
        await Expect(newest).ToContainTextAsync("Line 8 of my story");
        Assert.True(await agent.EvaluateAsync<bool>(InsideScript, new[] { "#thread li:last-child", "#thread" }), "The newest message is not in view.");
        var before = await agent.Locator("#message").EvaluateAsync<double>("el => el.offsetHeight");

        // A long reply, line by line, with a phrase the house rules mark (a note grows the composer too).
        var box = agent.Locator("#message");
        await box.ClickAsync();
        for (var i = 1; i <= 7; i++)
        {
            await box.PressSequentiallyAsync(i == 4 ? $"Please wait, line {i}" : $"Line {i} of my answer");
            await box.PressAsync("Shift+Enter");
        }

        await Expect(agent.Locator("#rule-notes")).ToContainTextAsync("Thank you for your patience");
        var after = await agent.Locator("#message").EvaluateAsync<double>("el => el.offsetHeight");
        Assert.True(after > before + 40, $"The reply box did not grow with its text ({before} -> {after} px).");
        Assert.True(await agent.EvaluateAsync<bool>(InsideScript, new[] { "#thread li:last-child", "#thread" }), "The newest message went out of view while the reply grew.");
        Assert.True(await agent.Locator("#thread").EvaluateAsync<double>("el => el.clientHeight") > 100, "The thread has no room left.");
        await ShotAsync(agent, "floor-6-long-reply-keeps-the-newest-message");

        await box.FillAsync("");
        await ResolveAsync(agent, name);
        Assert.Empty(_pageErrors);
    }

    /// <summary>
    /// Before the console loads: notifications allowed for the silo's origin, a page whose hidden state the test sets
    /// (<c>__setHidden(true)</c> overrides document.hidden and visibilityState and fires visibilitychange, as the
    /// browser does when the agent switches tabs), and a recording in place of window.Notification and of the chime's
    /// oscillators.
    /// </summary>
    private async Task RecordNotificationsAsync(IPage page, bool allow)
    {
        if (allow)
        {
            await page.Context.GrantPermissionsAsync(["notifications"], new() { Origin = fixture.BaseAddress.GetLeftPart(UriPartial.Authority) });
        }

        await page.AddInitScriptAsync("""
            (() => {
              let hidden = false;
              Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => hidden });
              Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
              window.__setHidden = value => { hidden = value; document.dispatchEvent(new Event('visibilitychange')); };
              const Real = window.Notification;
              window.__notifications = [];
              function Recording(title, options) {
                window.__notifications.push({ title, body: options?.body ?? '', tag: options?.tag ?? '' });
                this.title = title;
                this.close = () => {};
              }
              Object.defineProperty(Recording, 'permission', { get: () => (Real ? Real.permission : 'denied') });
              Recording.requestPermission = (...args) => (Real ? Real.requestPermission(...args) : Promise.resolve('denied'));
              window.Notification = Recording;
              window.__chimes = 0;
              if (window.AudioContext) {
                const create = AudioContext.prototype.createOscillator;
                AudioContext.prototype.createOscillator = function () { window.__chimes++; return create.call(this); };
              }
            })();
            """);
    }

    private sealed record RecordedNotification(string Title, string Body, string Tag);

    private static async Task<RecordedNotification[]> NotificationsAsync(IPage page) =>
        [.. JsonDocument.Parse(await page.EvaluateAsync<string>("() => JSON.stringify(window.__notifications)")).RootElement.EnumerateArray()
            .Select(n => new RecordedNotification(n.GetProperty("title").GetString()!, n.GetProperty("body").GetString()!, n.GetProperty("tag").GetString()!))];

    [SkippableFact]
    public async Task WhileTheTabIsHiddenANewChatAndANewCustomerMessageChimeAndShowADesktopNotification()
    {
        fixture.RequireBrowser();
        var agent = await SignInAsync("bruno", page => RecordNotificationsAsync(page, allow: true));
        Assert.Equal("granted", await agent.EvaluateAsync<string>("() => Notification.permission"));
        await Expect(agent.Locator("#notify")).ToBeHiddenAsync();

        // Looking at the console: the toast and the list say it, nothing else.
        var dana = await StartChatAsync("Dana Holt", "general", null, "Do you sell gift cards?");
        await Expect(agent.Locator("#conversation-title")).ToHaveTextAsync("Dana Holt");
        Assert.Empty(await NotificationsAsync(agent));
        Assert.Equal(0, await agent.EvaluateAsync<int>("() => window.__chimes"));

        // The agent switches to another tab.
        await agent.EvaluateAsync("() => window.__setHidden(true)");
        await StartChatAsync("Emil Voss", "general", null, "Can I change my delivery day?");
        await agent.WaitForFunctionAsync("() => window.__notifications.length >= 1");
        var reply = dana.GetByLabel("Your message");
        await reply.FillAsync("And can they be sent by email?");
        await reply.PressAsync("Enter");
        await agent.WaitForFunctionAsync("() => window.__notifications.length >= 2");

        var shown = await NotificationsAsync(agent);
        Assert.Equal(2, shown.Length);
        Assert.Equal("New chat: Emil Voss · General questions", shown[0].Title);
        Assert.Equal("Can I change my delivery day?", shown[0].Body);
        Assert.Equal("Dana Holt wrote", shown[1].Title);
        Assert.Equal("And can they be sent by email?", shown[1].Body);
        Assert.NotEqual(shown[0].Tag, shown[1].Tag);
        Assert.True(await agent.EvaluateAsync<int>("() => window.__chimes") >= 4, "No chime for each of the two.");

        await agent.EvaluateAsync("() => window.__setHidden(false)");
        await ResolveAsync(agent, "Dana Holt");
        await ResolveAsync(agent, "Emil Voss");

        // An agent who has not allowed notifications is offered them in the top bar.
        var asked = await SignInAsync("emma", page => RecordNotificationsAsync(page, allow: false), online: false);
        await Expect(asked.Locator("#notify")).ToBeVisibleAsync();
        await ShotAsync(asked, "floor-7-notify-me");
        Assert.Empty(_pageErrors);
    }
}
