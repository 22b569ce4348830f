using Switchboard.Languages;

namespace Switchboard.Tests.Languages;

/// <summary>The server's texts to customers: complete in every language, with the same placeholders; tags checked and matched.</summary>
public sealed class ServerTextsTests
{
    public static TheoryData<string> BuiltInLanguages => [.. ServerTexts.BuiltIn.Keys.Where(k => k != LanguageTags.Default)];

    [Fact]
    public void EnglishGermanAndRussianAreBuiltIn() =>
        Assert.Equal(["de", "en", "ru"], ServerTexts.BuiltIn.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(BuiltInLanguages))]
    public void EveryLanguageHasEveryTextWithTheSamePlaceholdersAndNoOthers(string language) =>
        Assert.Empty(ServerTexts.Problems(language, ServerTexts.BuiltIn[language], "the built-in catalogue"));

    [Fact]
    public void AMissingTextAWrongPlaceholderAndAnUnknownKeyAreEachNamed()
    {
        var texts = new Dictionary<string, string>(ServerTexts.BuiltIn["de"]);
        texts.Remove("conversation.resolved");
        texts["agent.joined"] = "{name} ist jetzt für Sie da.";
        texts["greeting"] = "Hallo";

        var problems = ServerTexts.Problems("de", texts, "test").ToArray();

        Assert.Contains(problems, p => p.Contains("no text for 'conversation.resolved'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'agent.joined' must use the placeholders {agent}; it uses {name}", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'greeting'", StringComparison.Ordinal));
        Assert.Equal(3, problems.Length);
    }

    [Fact]
    public void TheEnglishFullNoticeIsTheCataloguesOwn() =>
        Assert.Equal(Conversations.ConversationGrain.FullNotice, ServerTexts.BuiltIn["en"]["conversation.full"]);

    [Fact]
    public void TextsFillTheirPlaceholdersAndTopicsAreNamedInTheLanguage()
    {
        var options = new SwitchboardOptions
        {
            Skills = { ["shipping"] = new SkillOptions { DisplayName = "Shipping and delivery" }, ["returns"] = new SkillOptions() },
            Languages = { ["de"] = new LanguageOptions { Topics = { ["shipping"] = "Versand" } } },
        };
        var german = options.Language("de");

        Assert.Equal("Anna Weber ist jetzt für Sie da.", german.Text("agent.joined", ("agent", "Anna Weber")));
        Assert.Equal("Versand", german.Topic("shipping"));
        Assert.Equal("returns", german.Topic("returns"));
        Assert.Equal("Shipping and delivery", options.Language("en").Topic("shipping"));
        Assert.Equal("Sie sind Nummer 4 in der Warteschlange.", german.Text("acknowledgement.position", ("position", 4)));
    }

    [Theory]
    [InlineData("de", "de")]
    [InlineData("DE-at", "de")]
    [InlineData("ru-RU", "ru")]
    [InlineData("sr-Latn-RS", "en")]
    [InlineData("fr", "en")]
    [InlineData(null, "en")]
    [InlineData("not a tag", "en")]
    public void ATagIsMatchedToAServedLanguageOrTheDefault(string? tag, string served) =>
        Assert.Equal(served, LanguageTags.Resolve(tag, ["en", "de", "ru"]));

    [Theory]
    [InlineData("de", true)]
    [InlineData("gsw-CH", true)]
    [InlineData("zh-Hant-TW", true)]
    [InlineData("de-CH-1996", true)]
    [InlineData("", false)]
    [InlineData("d", false)]
    [InlineData("de_DE", false)]
    [InlineData("de-", false)]
    [InlineData("1e", false)]
    [InlineData("de--AT", false)]
    [InlineData("de-abcdefghi", false)]
    [InlineData("dé", false)]
    public void OnlyWellFormedTagsAreTaken(string tag, bool wellFormed) =>
        Assert.Equal(wellFormed, LanguageTags.IsWellFormed(tag));

    [Fact]
    public void MalformedLanguageSettingsAreReportedAtStart()
    {
        var options = new SwitchboardOptions
        {
            Skills = { ["shipping"] = new SkillOptions(), ["general"] = new SkillOptions() },
            Languages =
            {
                ["de"] = new LanguageOptions
                {
                    Topics = { ["gardening"] = "Garten" },
                    QuickReplies = [new QuickReplyOptions { Shortcut = "", Title = "Leer", Text = "" }],
                    ForbiddenPhrases = new() { ["unmöglich"] = "" },
                    ShoutingSignals = 3,
                },
                ["fr"] = new LanguageOptions { Texts = { ["agent.joined"] = "{agent} vous répond." } },
                ["Deutsch"] = new LanguageOptions(),
            },
        };

        var problems = options.Problems().ToArray();

        Assert.Contains(problems, p => p.Contains("Switchboard:Languages:de:Topics names skill 'gardening'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Switchboard:Languages:de:QuickReplies:0 ('Leer') needs a shortcut and a text", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'unmöglich' needs a phrase and its better wording", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("ShoutingSignals must be 1", StringComparison.Ordinal));
        // A fourth language without a built-in catalogue needs every text.
        Assert.Contains(problems, p => p.Contains("has no text for 'conversation.resolved' in 'fr'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("not 'Deutsch'", StringComparison.Ordinal));
    }

    [Fact]
    public void AFourthLanguageWithEveryTextIsServed()
    {
        var texts = ServerTexts.BuiltIn["en"].ToDictionary(t => t.Key, t => "fr: " + t.Value);
        var options = new SwitchboardOptions
        {
            Skills = { ["general"] = new SkillOptions() },
            Sla = { FallbackQueue = "general" },
            Languages = { ["fr"] = new LanguageOptions { Texts = texts } },
        };

        Assert.Empty(options.Problems());
        Assert.Contains("fr", options.ServedLanguages());
        Assert.Equal("fr: The conversation was resolved.", options.Language("fr").Text("conversation.resolved"));
    }

    [Fact]
    public void AnAgentsMessageIsCheckedAgainstTheCustomersLanguagesPhrases()
    {
        var options = new SwitchboardOptions();

        var german = Conversations.MessageRules.Check(
            "Das ist leider unmöglich.", 0, options.MessageRules, options.Language("de").ForbiddenPhrases!);
        var russian = Conversations.MessageRules.Check(
            "Успокойтесь, пожалуйста.", 0, options.MessageRules, options.Language("ru").ForbiddenPhrases!);

        Assert.Equal("Ich schaue, was wir für Sie tun können.", Assert.Single(german).Alternative);
        Assert.Equal("Я понимаю, как это неприятно.", Assert.Single(russian).Alternative);
        Assert.Empty(Conversations.MessageRules.Check("Das ist leider unmöglich.", 0, options.MessageRules));
    }

    [Fact]
    public void TheConsoleGetsEveryLanguagesTopicsQuickRepliesAndPhrases()
    {
        var options = new SwitchboardOptions
        {
            Skills = { ["shipping"] = new SkillOptions { DisplayName = "Shipping" } },
            QuickReplies = [new QuickReplyOptions { Shortcut = "hello", Title = "Greeting", Text = "Hello {name}" }],
            Languages =
            {
                ["de"] = new LanguageOptions
                {
                    Topics = { ["shipping"] = "Versand" },
                    QuickReplies = [new QuickReplyOptions { Shortcut = "hallo", Title = "Begrüßung", Text = "Guten Tag {name}" }],
                },
            },
        };

        var languages = Api.ConsoleApi.Settings(options).Languages!;

        Assert.Equal(["de", "en", "ru"], languages.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("Versand", languages["de"].Topics["shipping"]);
        Assert.Equal("hallo", Assert.Single(languages["de"].QuickReplies!).Shortcut);
        Assert.Equal("hello", Assert.Single(languages["en"].QuickReplies!).Shortcut);
        // Russian has no quick replies set here: the console falls back (its page's language, then English).
        Assert.Null(languages["ru"].QuickReplies);
        Assert.Equal("Shipping", languages["ru"].Topics["shipping"]);
        Assert.Contains("невозможно", languages["ru"].ForbiddenPhrases!.Keys);
    }
}
