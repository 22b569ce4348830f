using Switchboard.Conversations;
using Switchboard.Sla;

namespace Switchboard.Tests.Sla;

/// <summary>Emotion read from German and Russian customers as support teams there read it.</summary>
public sealed class EmotionLanguageTests
{
    private static readonly SwitchboardOptions Options = new();

    private static Emotion Detect(string language, string text) =>
        SlaPolicy.Detect(text, Emotion.Neutral, Options.Language(language).Emotion);

    [Theory]
    [InlineData("de", "Das ist eine Frechheit!!!")]
    [InlineData("de", "DAS IST UNVERSCHÄMT, ICH WILL MEIN GELD")]
    [InlineData("de", "Eine Unverschaemtheit, so eine Abzocke!!!")]
    [InlineData("ru", "Это безобразие, верните деньги!!!")]
    [InlineData("ru", "ВЫ МОШЕННИКИ")]
    [InlineData("ru", "Сколько можно ждать?!!!")]
    public void AngryGermanAndRussianMessagesAreAngry(string language, string text) =>
        Assert.Equal(Emotion.Angry, Detect(language, text));

    // Capitals alone are one signal in every language, as "WHERE IS MY PARCEL" is in English: upset, not angry.
    [Theory]
    [InlineData("de", "ICH WARTE SEIT DREI TAGEN")]
    [InlineData("de", "WO BLEIBT MEINE BESTELLUNG")]
    [InlineData("ru", "ГДЕ МОЙ ЗАКАЗ")]
    [InlineData("ru", "КОГДА ПРИДЁТ ПОСЫЛКА")]
    public void GermanAndRussianCapitalsAloneAreUpsetAsInEnglish(string language, string text) =>
        Assert.Equal(Emotion.Upset, Detect(language, text));

    [Theory]
    [InlineData("de", "Guten Tag, könnten Sie mir bitte sagen, wann meine Bestellung ankommt?")]
    [InlineData("de", "Vielen Dank für Ihre schnelle Hilfe, Frau Müller!")]
    [InlineData("de", "Ich habe die Bestellung 12345 über die Straße geschickt bekommen.")]
    [InlineData("de", "Mein Name ist Jürgen Groß, Kundennummer DE-4711.")]
    [InlineData("ru", "Здравствуйте! Подскажите, пожалуйста, когда придёт мой заказ?")]
    [InlineData("ru", "Спасибо большое, Вы мне очень помогли.")]
    [InlineData("ru", "Мой заказ № 4711, доставка в Москву.")]
    public void PoliteGermanAndRussianMessagesAreNotUpsetAtAll(string language, string text) =>
        Assert.Equal(Emotion.Neutral, Detect(language, text));

    [Theory]
    // Shouting alone: capitals with Cyrillic and umlauts count as capitals; ß, which has no capital in common use, counts as neither.
    [InlineData("de", "ÄRGERLICH ÜBERALL ÖFTER")]
    [InlineData("de", "WARUM DAUERT DAS SO LANGE, ICH BIN DRAUßEN")]
    [InlineData("ru", "ПОЧЕМУ ТАК ДОЛГО")]
    public void MessagesInCapitalsShoutInEveryAlphabet(string language, string text) =>
        Assert.True(Options.Language(language).Emotion.IsShouting(text), text);

    [Theory]
    // The words as people type them without the letter: ß as ss, umlauts as ae/oe/ue, ё as е, any case.
    [InlineData("de", "unverschaemt")]
    [InlineData("de", "UNVERSCHÄMT")]
    [InlineData("de", "lächerlich")]
    [InlineData("de", "LAECHERLICH")]
    [InlineData("ru", "БЕЗОБРАЗИЕ")]
    [InlineData("ru", "это ужасно")]
    public void AngryWordsMatchInAnyCaseAndCommonSpellings(string language, string text) =>
        Assert.True(Options.Language(language).Emotion.HasAngryWord(text), text);

    [Fact]
    public void EnglishWordsCountForEveryLanguageAndEnglishShoutingStaysUpset()
    {
        Assert.Equal(Emotion.Upset, Detect("de", "This is unacceptable"));
        Assert.Equal(Emotion.Upset, Detect("en", "WHERE IS MY PARCEL"));
        Assert.Equal(Emotion.Neutral, Detect("en", "Das ist eine Frechheit"));
    }

    [Fact]
    public void ALanguagesWordsAndShoutingAreConfigurable()
    {
        var options = new SwitchboardOptions
        {
            Languages = { ["de"] = new global::Switchboard.Languages.LanguageOptions { AngryWords = ["Quatsch"], ShoutingSignals = 2 } },
        };
        var rules = options.Language("de").Emotion;

        Assert.Equal(Emotion.Upset, SlaPolicy.Detect("So ein Quatsch", Emotion.Neutral, rules));
        Assert.Equal(Emotion.Neutral, SlaPolicy.Detect("Das ist eine Frechheit", Emotion.Neutral, rules));
        // A team that answers capitals as anger says so for its language.
        Assert.Equal(Emotion.Angry, SlaPolicy.Detect("ICH WARTE SEIT DREI TAGEN", Emotion.Neutral, rules));
    }
}
