using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Switchboard.Auth;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.BrowserTests;

public sealed partial class ConsoleTests
{
    [SkippableFact]
    public async Task AGermanAndARussianCustomerEachReadTheirOwnLanguageAndTheAgentSeesWhichTheyWrite()
    {
        fixture.RequireBrowser();
        // The angry clock as shipped (30 s): the shared silo shortens it to 1 s for its breach tests.
        await using var silo = await ConsoleFixture.StartSiloAsync(new Dictionary<string, string?>
        {
            ["Switchboard:Sla:AngryFirstResponse"] = "00:00:30",
        });
        _otherSilo = silo.BaseAddress;

        // The agent signs in as usual, then chooses Deutsch on the console: the page redraws in German.
        var agent = await SignInAsync("chloe");
        await agent.Locator("#language-choice").SelectOptionAsync("de");
        await Expect(agent.Locator("html")).ToHaveAttributeAsync("lang", "de");
        await Expect(agent.Locator("#inbox-title")).ToContainTextAsync("Meine Gespräche");
        await Expect(agent.Locator("#connection")).ToHaveTextAsync("Verbunden");

        // A German customer chooses Deutsch on the chat page before writing: form, topics and the server's notices in German.
        var german = await OpenAsync("/chat");
        await german.GetByLabel("Language").SelectOptionAsync("de");
        // A name like a member of staff's is refused, and the page says why in German.
        await german.GetByLabel("Ihr Name").FillAsync("Chloe Dubois");
        await Expect(german.GetByLabel("Worum geht es?").Locator("option[value=payment]")).ToHaveTextAsync("Zahlung und Rechnung");
        await german.GetByLabel("Worum geht es?").SelectOptionAsync("payment");
        await german.GetByLabel("Bestellnummer").FillAsync("D-4711");
        await german.GetByLabel("Ihre Frage").FillAsync("Guten Tag, mir wurde die Bestellung doppelt abgebucht. Können Sie das bitte prüfen?");
        await german.GetByRole(AriaRole.Button, new() { Name = "Chat starten" }).ClickAsync();
        await Expect(german.Locator("#start-error")).ToHaveTextAsync("Bitte verwenden Sie Ihren eigenen Namen: Dieser ähnelt dem Namen einer Person aus unserem Team.");
        await german.GetByLabel("Ihr Name").FillAsync("Greta Vogel");
        await german.GetByRole(AriaRole.Button, new() { Name = "Chat starten" }).ClickAsync();
        await Expect(german.Locator("#thread .message.system").First).ToContainTextAsync("Vielen Dank, wir haben Ihre Frage erhalten.");

        var gretaItem = agent.Locator("#conversation-list li", new() { HasText = "Greta Vogel" });
        await gretaItem.GetByRole(AriaRole.Button).ClickAsync();
        await Expect(agent.Locator("#conversation-language")).ToHaveTextAsync("DE");
        await Expect(agent.Locator("#conversation-topic")).ToHaveTextAsync("Zahlung und Rechnung");
        // The German quick replies, because Greta writes German.
        var box = agent.GetByRole(AriaRole.Combobox, new() { Name = "Antwort an Greta Vogel" });
        await box.PressSequentiallyAsync("/charged");
        await box.PressAsync("Enter");
        await Expect(box).ToHaveValueAsync(new Regex("^Ich sehe zwei Belastungen für die Bestellung D-4711, Greta Vogel\\."));
        await box.PressAsync("Enter");

        await Expect(german.Locator("#thread .message.system", new() { HasText = "Chloe Dubois ist jetzt für Sie da." })).ToBeVisibleAsync();
        await Expect(german.Locator("#thread .message.agent")).ToContainTextAsync("Ich sehe zwei Belastungen");
        await Expect(german.Locator("#status")).ToHaveTextAsync("Chloe Dubois ist für Sie da.");
        await ShotAsync(german, "chat-de");
        // The choice is remembered: a reload is German from the start.
        await german.ReloadAsync();
        await Expect(german.Locator("html")).ToHaveAttributeAsync("lang", "de");
        await Expect(german.GetByLabel("Ihre Nachricht")).ToBeVisibleAsync();

        // A Russian customer (the address names the language) writes angrily: the Russian word list and "!!!" make it
        // angry, which gives the 30 s first-response clock.
        var russian = await OpenAsync("/chat?lang=ru");
        await russian.GetByLabel("Ваше имя").FillAsync("Ольга Смирнова");
        await russian.GetByLabel("О чём Ваш вопрос?").SelectOptionAsync("account");
        await russian.GetByLabel("Ваш вопрос", new() { Exact = true }).FillAsync("Это безобразие, верните деньги!!!");
        await russian.GetByRole(AriaRole.Button, new() { Name = "Начать чат" }).ClickAsync();
        await Expect(russian.Locator("#thread .message.system").First).ToContainTextAsync("Спасибо, мы получили Ваш вопрос.");
        await Expect(russian.Locator("#thread .message.system", new() { HasText = "К чату подключился специалист: Chloe Dubois." })).ToBeVisibleAsync();
        await Expect(russian.Locator("#status")).ToHaveTextAsync("Chloe Dubois на связи.");
        await ShotAsync(russian, "chat-ru");
        // On a phone the header keeps the language choice in reach.
        await russian.SetViewportSizeAsync(390, 760);
        await Expect(russian.Locator("#language-choice")).ToBeInViewportAsync();
        await ShotAsync(russian, "chat-ru-narrow");
        await russian.SetViewportSizeAsync(1360, 860);

        var olgaItem = agent.Locator("#conversation-list li", new() { HasText = "Ольга Смирнова" });
        await olgaItem.GetByRole(AriaRole.Button).ClickAsync();
        await Expect(agent.Locator("#conversation-language")).ToHaveTextAsync("RU");
        // In the list too, beside each name whose language is not the console's (German here).
        await Expect(olgaItem.Locator(".item-language")).ToHaveTextAsync("RU");
        await Expect(gretaItem.Locator(".item-language")).ToBeHiddenAsync();
        await Expect(agent.Locator("#context-facts")).ToContainTextAsync("Русский");
        await Expect(agent.Locator("#context-facts .mood-angry")).ToHaveTextAsync("Wütend");
        await ShotAsync(agent, "console-de");

        // The server's word on the clock: angry, due 30 s after the start.
        var (id, _) = await SavedChatAsync(russian);
        using var http = new HttpClient { BaseAddress = silo.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Bearer", silo.Services.GetRequiredService<TokenIssuer>().IssueAgent("sam", supervisor: true).Token);
        var view = JsonDocument.Parse(await http.GetStringAsync($"/api/conversations/{id}")).RootElement;
        Assert.Equal("ru", view.GetProperty("language").GetString());
        Assert.Equal("angry", view.GetProperty("emotion").GetString());
        Assert.Equal(TimeSpan.FromSeconds(30), view.GetProperty("firstResponseDueAt").GetDateTimeOffset() - view.GetProperty("startedAt").GetDateTimeOffset());

        foreach (var item in new[] { gretaItem, olgaItem })
        {
            await item.GetByRole(AriaRole.Button).ClickAsync();
            await agent.GetByRole(AriaRole.Button, new() { Name = "Abschließen" }).ClickAsync();
            await Expect(item).ToContainTextAsync("Beendet");
        }

        await Expect(german.Locator("#status")).ToHaveTextAsync("Dieser Chat ist beendet.");
        await Expect(russian.Locator("#status")).ToHaveTextAsync("Чат завершён.");
        Assert.Empty(_pageErrors);
    }
}
