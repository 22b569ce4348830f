using System.Collections.Immutable;
using Switchboard.Sla;

namespace Switchboard.Languages;

/// <summary>
/// What a shop sets for one language besides English, bound from <c>Switchboard:Languages:&lt;code&gt;</c>. English
/// keeps its settings where they always were (<c>Switchboard:QuickReplies</c>, <c>Switchboard:MessageRules</c>,
/// <c>Switchboard:Sla:AngryWords</c>, the skills' <c>DisplayName</c>).
/// </summary>
public sealed class LanguageOptions
{
    /// <summary>Skill → how the skill is named to customers in this language; a skill not named here keeps its <c>DisplayName</c>.</summary>
    public Dictionary<string, string> Topics { get; set; } = [];

    /// <summary>Quick replies for conversations in this language; none set: agents get the set of their own page's language, then English.</summary>
    public List<QuickReplyOptions>? QuickReplies { get; set; }

    /// <summary>Phrase → a better wording in this language. Null: the built-in list where there is one (de, ru), else none.</summary>
    public Dictionary<string, string>? ForbiddenPhrases { get; set; }

    /// <summary>Words and phrases that show anger in this language. Null: the built-in list where there is one (de, ru).</summary>
    public string[]? AngryWords { get; set; }

    /// <summary>How many emotion signals a message in capitals counts (1 upset, 2 angry). Null: the built-in value (2 for de and ru, else 1).</summary>
    public int? ShoutingSignals { get; set; }

    /// <summary>Texts the server sends to customers (keys of the built-in catalogue), over the built-in ones; a language without a built-in catalogue needs them all.</summary>
    public Dictionary<string, string> Texts { get; set; } = [];

    /// <summary>The built-in forbidden phrases for the languages the product ships, in their formal register (Sie, Вы).</summary>
    public static readonly ImmutableDictionary<string, ImmutableDictionary<string, string>> BuiltInForbiddenPhrases =
        new Dictionary<string, ImmutableDictionary<string, string>>
        {
            ["de"] = new Dictionary<string, string>
            {
                ["nicht zuständig"] = "Ich finde heraus, wer das für Sie klären kann.",
                ["nicht unser Problem"] = "Ich schaue, wie wir Ihnen dabei helfen können.",
                ["unmöglich"] = "Ich schaue, was wir für Sie tun können.",
                ["bitte warten"] = "Vielen Dank für Ihre Geduld, ich prüfe das gerade.",
                ["beruhigen Sie sich"] = "Ich verstehe, wie ärgerlich das für Sie ist.",
                ["Sie hätten"] = "Beim nächsten Mal hilft es, …",
            }.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase),
            ["ru"] = new Dictionary<string, string>
            {
                ["не наша проблема"] = "Давайте посмотрим, как мы можем Вам помочь.",
                ["мы не отвечаем за"] = "Я выясню, кто сможет решить этот вопрос для Вас.",
                ["невозможно"] = "Давайте посмотрим, что мы можем сделать.",
                ["ожидайте"] = "Спасибо за терпение, я уже проверяю это.",
                ["успокойтесь"] = "Я понимаю, как это неприятно.",
                ["Вы должны были"] = "В следующий раз поможет, если …",
            }.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase),
        }.ToImmutableDictionary(StringComparer.Ordinal);

    /// <summary>Everything wrong with one language's settings.</summary>
    public IEnumerable<string> Problems(string code, Func<string, bool> isKnownSkill)
    {
        var where = $"Switchboard:Languages:{code}";
        if (!LanguageTags.IsWellFormed(code) || code.Contains('-', StringComparison.Ordinal) || code != code.ToLowerInvariant())
        {
            yield return $"{where}: a language is configured by its lower-case 2–3 letter code (such as 'de' or 'fr'), not '{code}'.";
            yield break;
        }

        if (code == LanguageTags.Default)
        {
            yield return $"{where}: English is configured where it always was (Switchboard:QuickReplies, Switchboard:MessageRules, Switchboard:Sla:AngryWords); remove this section.";
        }

        foreach (var (skill, name) in Topics)
        {
            if (!isKnownSkill(skill))
            {
                yield return $"{where}:Topics names skill '{skill}', which is not in Switchboard:Skills.";
            }
            else if (string.IsNullOrWhiteSpace(name))
            {
                yield return $"{where}:Topics:{skill} is empty; give the topic's name in this language or leave it out.";
            }
        }

        foreach (var (reply, i) in (QuickReplies ?? []).Select((r, i) => (r, i)))
        {
            if (string.IsNullOrWhiteSpace(reply.Shortcut) || string.IsNullOrWhiteSpace(reply.Text))
            {
                yield return $"{where}:QuickReplies:{i} ('{reply.Title}') needs a shortcut and a text.";
            }
            else if (reply.Topic is { } topic && !isKnownSkill(topic))
            {
                yield return $"{where}:QuickReplies:{i} ('{reply.Shortcut}') is for topic '{topic}', which is not in Switchboard:Skills.";
            }
        }

        foreach (var (phrase, better) in ForbiddenPhrases ?? [])
        {
            if (string.IsNullOrWhiteSpace(phrase) || string.IsNullOrWhiteSpace(better))
            {
                yield return $"{where}:ForbiddenPhrases: '{phrase}' needs a phrase and its better wording.";
            }
        }

        if (AngryWords?.Any(string.IsNullOrWhiteSpace) == true)
        {
            yield return $"{where}:AngryWords has an empty entry.";
        }

        if (ShoutingSignals is not (null or 1 or 2))
        {
            yield return $"{where}:ShoutingSignals must be 1 (a message in capitals makes the customer upset) or 2 (angry).";
        }

        var texts = ServerTexts.BuiltIn.TryGetValue(code, out var builtIn)
            ? new Dictionary<string, string>(builtIn.Concat(Texts).GroupBy(t => t.Key).Select(g => g.Last()))
            : Texts;
        foreach (var problem in ServerTexts.Problems(code, texts, $"{where}:Texts"))
        {
            yield return problem;
        }
    }
}

/// <summary>One served language, prepared once: the texts to customers, topic names, emotion rules, house rules, quick replies.</summary>
public sealed class LanguagePack
{
    private readonly IReadOnlyDictionary<string, string> _texts;
    private readonly IReadOnlyDictionary<string, string> _english;
    private readonly IReadOnlyDictionary<string, string> _topics;

    public LanguagePack(
        string code, IReadOnlyDictionary<string, string> texts, IReadOnlyDictionary<string, string> topics, EmotionRules emotion,
        IReadOnlyDictionary<string, string>? forbiddenPhrases, IReadOnlyList<QuickReplyOptions>? quickReplies)
    {
        Code = code;
        _texts = texts;
        _english = ServerTexts.BuiltIn[LanguageTags.Default];
        _topics = topics;
        Emotion = emotion;
        ForbiddenPhrases = forbiddenPhrases;
        QuickReplies = quickReplies;
    }

    public string Code { get; }

    public EmotionRules Emotion { get; }

    /// <summary>The house rules' phrases in this language, or null when none are set for it.</summary>
    public IReadOnlyDictionary<string, string>? ForbiddenPhrases { get; }

    /// <summary>The quick replies in this language, or null when none are set for it.</summary>
    public IReadOnlyList<QuickReplyOptions>? QuickReplies { get; }

    /// <summary>Skill → its name in this language, for every skill.</summary>
    public IReadOnlyDictionary<string, string> Topics => _topics;

    /// <summary>A text to the customer in this language (English if it lacks one), placeholders filled.</summary>
    public string Text(string key, params ReadOnlySpan<(string Name, object? Value)> values) =>
        ServerTexts.Format(_texts.GetValueOrDefault(key) ?? _english.GetValueOrDefault(key) ?? key, values);

    public string Topic(string skill) => _topics.GetValueOrDefault(skill) ?? skill;
}
