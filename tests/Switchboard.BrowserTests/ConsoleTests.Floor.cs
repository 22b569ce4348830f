using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.BrowserTests;

/// <summary>Issue 19: the agent's workspace and the supervisor's floor.</summary>
public sealed partial class ConsoleTests
{
    private HttpClient SupervisorHttp()
    {
        var http = new HttpClient { BaseAddress = fixture.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Tokens.IssueAgent("sam", supervisor: true).Token);
        return http;
    }

    private static async Task<JsonElement> ReadAsync(HttpClient http, string path) =>
        JsonDocument.Parse(await http.GetStringAsync(path)).RootElement.Clone();

    [SkippableFact]
    public async Task AgentsSignInAwayAndTakeNothingUntilTheyChooseOnlineAndAnAwaySupervisorTakesOnlyEscalations()
    {
        fixture.RequireBrowser();
        using var http = SupervisorHttp();
        var dev = await SignInAsync("dev", online: false);
        await Expect(dev.Locator("#inbox-empty")).ToContainTextAsync("You are Away");
        await ShotAsync(dev, "floor-1-signed-in-away");

        var customer = await StartChatAsync("Jon Berg", "account", null, "I cannot change my password.");
        await Expect(customer.Locator("#thread")).ToContainTextAsync("We have your question");
        var waiting = await ReadAsync(http, "/api/queues/account");
        Assert.Single(waiting.GetProperty("waiting").EnumerateArray());
        Assert.Empty((await ReadAsync(http, "/api/agents/dev")).GetProperty("conversations").EnumerateArray());
        await Expect(dev.Locator("#conversation-list li")).ToHaveCountAsync(0);

        await GoOnlineAsync(dev);
        await Expect(dev.Locator("#conversation-title")).ToHaveTextAsync("Jon Berg");
        await Expect(customer.Locator("#status")).ToHaveTextAsync("Dev Patel is with you.");
        await ShotAsync(dev, "floor-2-online-takes-the-waiting-chat");
        await ResolveAsync(dev, "Jon Berg");

        // Sam serves every skill, yet signs in Away: a shipping chat waits for a shipping agent, but a high-tier
        // complaint (the supervisors' queue) reaches him.
        var sam = await SignInAsync("sam", online: false);
        await Expect(sam.Locator("#inbox-empty")).ToContainTextAsync("escalations to supervisors still reach you");
        var shipping = await StartChatAsync("Kai Holm", "shipping", null, "Where is my parcel?");
        await Expect(shipping.Locator("#thread")).ToContainTextAsync("We have your question");
        using var anonymous = new HttpClient { BaseAddress = fixture.BaseAddress };
        var complaint = await PostAsync(anonymous, "/api/conversations", null, null,
            new { customerName = "Lia Ström", topic = "payment", text = "You took 9000 euros twice. I will post a review.", complaint = true, amount = 9000 });
        Assert.Equal(System.Net.HttpStatusCode.Created, complaint.Status);
        await Expect(sam.Locator("#conversation-list li")).ToHaveCountAsync(1);
        await Expect(sam.Locator("#conversation-title")).ToHaveTextAsync("Lia Ström");
        await Expect(sam.GetByRole(AriaRole.Radio, new() { Name = "Away" })).ToBeCheckedAsync();
        Assert.Equal("away", (await ReadAsync(http, "/api/agents/sam")).GetProperty("presence").GetString());
        await ShotAsync(sam, "floor-3-away-supervisor-gets-the-escalation");

        await GoOnlineAsync(sam);
        await Expect(sam.Locator("#conversation-list li", new() { HasText = "Kai Holm" })).ToBeVisibleAsync();
        await ResolveAsync(sam, "Lia Ström");
        await ResolveAsync(sam, "Kai Holm");
        Assert.Empty(_pageErrors);
    }
}
