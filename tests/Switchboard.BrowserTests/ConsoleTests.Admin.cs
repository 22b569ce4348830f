using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.BrowserTests;

/// <summary>Issue 19: administration for supervisors, on the console's Administration screen.</summary>
public sealed partial class ConsoleTests
{
    [SkippableFact]
    public async Task ASupervisorMakesAnAgentOnTheAdminScreenWhoSignsInTakesAChatAndGetsANewQuickReplyWithoutAReload()
    {
        fixture.RequireBrowser();
        // A silo of its own: the chats this test leaves open (and the agents it makes) must not reach another test's agents.
        await using var ownSilo = await ConsoleFixture.StartSiloAsync();
        _otherSilo = ownSilo.BaseAddress;
        var supervisor = await SignInAsync("sam", online: false);
        await supervisor.GetByRole(AriaRole.Button, new() { Name = "Admin", Exact = true }).ClickAsync();
        await Expect(supervisor.Locator("#admin-agents tr[data-agent=sam]")).ToBeVisibleAsync();
        await supervisor.GetByRole(AriaRole.Button, new() { Name = "New agent" }).ClickAsync();

        // This page's own checks, next to each field.
        var form = supervisor.Locator("#agent-form");
        await form.Locator("#agent-form-capacity").FillAsync("0");
        await form.GetByRole(AriaRole.Button, new() { Name = "Create agent" }).ClickAsync();
        await Expect(form.Locator("#agent-form-id-error")).ToHaveTextAsync("Enter an agent id.");
        await Expect(form.Locator("#agent-form-name-error")).ToHaveTextAsync("Enter a name: customers and colleagues see it.");
        await Expect(form.Locator("#agent-form-capacity-error")).ToHaveTextAsync("Enter a whole number of chats, 1 or more.");
        await Expect(form.Locator("#agent-form-name")).ToHaveAttributeAsync("aria-invalid", "true");
        await ShotAsync(supervisor, "admin-1-field-errors");

        // The server's, next to the field it names: an id that is taken.
        await form.Locator("#agent-form-id").FillAsync("sam");
        await form.Locator("#agent-form-name").FillAsync("Rita Novak");
        await form.Locator("#agent-form-capacity").FillAsync("2");
        await form.Locator("#agent-form-skill-returns").SelectOptionAsync("4");
        await form.GetByRole(AriaRole.Button, new() { Name = "Create agent" }).ClickAsync();
        await Expect(form.Locator("#agent-form-id-error")).ToContainTextAsync("There is already an agent 'sam'");
        await Expect(form.Locator("#agent-form-name-error")).ToBeEmptyAsync();
        await ShotAsync(supervisor, "admin-2-id-taken");

        var id = $"rita-{Guid.NewGuid():N}"[..13];
        await form.Locator("#agent-form-id").FillAsync(id);
        await form.GetByRole(AriaRole.Button, new() { Name = "Create agent" }).ClickAsync();
        var row = supervisor.Locator($"#admin-agents tr[data-agent={id}]");
        await Expect(row).ToContainTextAsync("Rita Novak");
        await Expect(row).ToContainTextAsync("Returns and refunds · 4");
        await ShotAsync(supervisor, "admin-3-agent-created");

        // The new agent signs in (Away, as every sign-in), chooses Online and gets the next returns chat.
        var agent = await SignInFreshAsync(id);
        await GoOnlineAsync(agent);
        var customer = await StartChatAsync("Tomas Berg", "returns", null, "The shoes I sent back were never refunded.");
        await Expect(agent.Locator("#conversation-title")).ToHaveTextAsync("Tomas Berg");
        await Expect(customer.Locator("#status")).ToHaveTextAsync("Rita Novak is with you.");

        // A quick reply the supervisor adds for English is in the agent's console at once.
        try
        {
            var replies = supervisor.Locator("#quick-replies-form");
            await replies.GetByRole(AriaRole.Button, new() { Name = "Add" }).ClickAsync();
            var added = replies.Locator(".admin-row").Last;
            await added.GetByLabel("Shortcut").FillAsync("refundok");
            await added.GetByLabel("Title").FillAsync("Refund on its way");
            await added.GetByLabel("Topic").SelectOptionAsync("returns");
            await added.GetByLabel("Text").FillAsync("Hi {name}, your refund is on its way.");
            await replies.GetByRole(AriaRole.Button, new() { Name = "Save for English" }).ClickAsync();
            await Expect(replies.Locator("h4 .tag")).ToHaveTextAsync("set here");
            await ShotAsync(supervisor, "admin-4-quick-reply-saved");

            await agent.Locator("#message").FillAsync("/refundok");
            await Expect(agent.Locator("#quick-reply-list")).ToContainTextAsync("Refund on its way");
            await agent.Locator("#message").PressAsync("Enter");
            await Expect(agent.Locator("#message")).ToHaveValueAsync("Hi Tomas Berg, your refund is on its way.");
            await ShotAsync(agent, "admin-5-agent-has-the-new-quick-reply");

            await replies.GetByRole(AriaRole.Button, new() { Name = "Back to configuration" }).ClickAsync();
            await Expect(replies.Locator("h4 .tag")).ToHaveTextAsync("from configuration");
        }
        finally
        {
            using var http = SupervisorHttp();
            await http.DeleteAsync("/api/admin/quick-replies/en");
        }

        // In German, the screen and its form read in German (and the longer labels still fit).
        await supervisor.Locator("#language-choice").SelectOptionAsync("de");
        await Expect(supervisor.Locator("#show-admin")).ToHaveTextAsync("Verwaltung");
        await supervisor.GetByRole(AriaRole.Button, new() { Name = "Neue Person" }).ClickAsync();
        await Expect(supervisor.Locator("#agent-form")).ToContainTextAsync("Themen und Können");
        await ShotAsync(supervisor, "admin-6-german");

        await supervisor.SetViewportSizeAsync(390, 844);
        await supervisor.Locator("#admin").EvaluateAsync("admin => admin.scrollTo(0, 0)");
        await ShotAsync(supervisor, "admin-7-narrow-german");
        await ResolveAsync(agent, "Tomas Berg");
        Assert.Empty(_pageErrors);
    }
}
