using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Switchboard.Text;

namespace Switchboard.Settings;

/// <summary>One thing wrong with what was sent, and the field (as the client named it) to fix.</summary>
public readonly record struct FieldProblem(string Field, string Message);

/// <summary>
/// What quick replies and house-rule phrases may be: checked by the administration API (every problem, each named by
/// its field) and again by the phrasebook grain (the first), the authority.
/// </summary>
public static partial class PhrasebookRules
{
    public const int MaxShortcutLength = 40;
    public const int MaxTitleLength = 100;
    public const int MaxPhraseLength = 200;
    public const int MaxQuickReplies = 200;
    public const int MaxPhrases = 200;

    // The console opens the list on "/" followed by anything but spaces; a shortcut is what can follow.
    [GeneratedRegex(@"^[\p{L}\p{N}_.-]+$")]
    private static partial Regex ShortcutForm();

    /// <summary>Null when <paramref name="language"/> is served; otherwise why not.</summary>
    public static string? LanguageProblem(string language, SwitchboardOptions options) =>
        options.ServedLanguages().Contains(language)
            ? null
            : $"'{language}' is not a served language. Served: {string.Join(", ", options.ServedLanguages().Order(StringComparer.Ordinal))}.";

    public static List<FieldProblem> QuickReplyProblems(IReadOnlyList<QuickReplyText?> replies, SwitchboardOptions options, string field = "replies")
    {
        var problems = new List<FieldProblem>();
        if (replies.Count > MaxQuickReplies)
        {
            problems.Add(new(field, $"At most {MaxQuickReplies} quick replies per language; these are {replies.Count}."));
            return problems;
        }

        var shortcuts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < replies.Count; i++)
        {
            var at = $"{field}[{i}]";
            if (replies[i] is not { } reply)
            {
                problems.Add(new(at, "A quick reply needs a shortcut, a title and a text."));
                continue;
            }

            if (string.IsNullOrWhiteSpace(reply.Shortcut))
            {
                problems.Add(new($"{at}.shortcut", "A shortcut is required: agents type / and the shortcut."));
            }
            else if (reply.Shortcut.Length > MaxShortcutLength || !ShortcutForm().IsMatch(reply.Shortcut))
            {
                problems.Add(new($"{at}.shortcut", $"A shortcut is 1–{MaxShortcutLength} letters, digits, '-', '_' or '.', without spaces."));
            }
            else if (!shortcuts.Add(reply.Shortcut))
            {
                problems.Add(new($"{at}.shortcut", $"The shortcut '{reply.Shortcut}' is used twice in this language."));
            }

            if (TextProblem(reply.Title, MaxTitleLength, multiline: false) is { } title)
            {
                problems.Add(new($"{at}.title", $"The title {title}"));
            }

            if (TextProblem(reply.Text, options.MaxMessageLength, multiline: true) is { } text)
            {
                problems.Add(new($"{at}.text", $"The text {text}"));
            }

            if (reply.Topic is { Length: > 0 } topic && !options.IsKnownSkill(topic))
            {
                problems.Add(new($"{at}.topic", $"There is no topic '{topic}'. Topics: {string.Join(", ", options.Skills.Keys.Order(StringComparer.Ordinal))}."));
            }
        }

        return problems;
    }

    public static List<FieldProblem> PhraseProblems(IReadOnlyList<KeyValuePair<string?, string?>> phrases, SwitchboardOptions options, string field = "phrases")
    {
        var problems = new List<FieldProblem>();
        if (phrases.Count > MaxPhrases)
        {
            problems.Add(new(field, $"At most {MaxPhrases} phrases per language; these are {phrases.Count}."));
            return problems;
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < phrases.Count; i++)
        {
            var (phrase, alternative) = phrases[i];
            var at = $"{field}[{i}]";
            if (TextProblem(phrase, MaxPhraseLength, multiline: false) is { } problem)
            {
                problems.Add(new($"{at}.phrase", $"The phrase {problem}"));
            }
            else if (phrase!.Trim().Length < 2)
            {
                problems.Add(new($"{at}.phrase", "A phrase needs at least 2 characters: a single letter would match almost every message."));
            }
            else if (!seen.Add(phrase.Trim()))
            {
                problems.Add(new($"{at}.phrase", $"The phrase '{phrase.Trim()}' is listed twice."));
            }

            if (TextProblem(alternative, options.MaxMessageLength, multiline: false) is { } better)
            {
                problems.Add(new($"{at}.alternative", $"The better wording {better}"));
            }
        }

        return problems;
    }

    /// <summary>Why a text cannot be used (completing a sentence about it), or null.</summary>
    private static string? TextProblem(string? text, int maxLength, bool multiline)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return "is required.";
        }

        if (text.Length > maxLength)
        {
            return $"may be at most {maxLength} characters; it has {text.Length}.";
        }

        foreach (var c in text)
        {
            if (char.IsControl(c) && !(multiline && c is '\n' or '\r' or '\t'))
            {
                return $"contains a control character (U+{(int)c:X4}); use plain text.";
            }

            if (Names.IsBidiOverride(c))
            {
                return $"contains a bidirectional override (U+{(int)c:X4}); use the text as written.";
            }
        }

        return null;
    }

    /// <summary>The phrases as stored: trimmed, keyed without regard to case.</summary>
    public static ImmutableDictionary<string, string> Normalize(IEnumerable<KeyValuePair<string, string>> phrases) =>
        phrases.ToImmutableDictionary(p => p.Key.Trim(), p => p.Value.Trim(), StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The phrases the house rules check for a conversation in <paramref name="language"/>: the supervisors' for it,
    /// else the configured ones for it, else English's (the supervisors', then the configured).
    /// </summary>
    public static IReadOnlyDictionary<string, string> ForbiddenPhrases(this Phrasebook book, Languages.LanguagePack language, SwitchboardOptions options) =>
        book.ForbiddenPhrasesFor(language.Code)
        ?? language.ForbiddenPhrases
        ?? book.ForbiddenPhrasesFor(Languages.LanguageTags.Default)
        ?? options.MessageRules.EffectiveForbiddenPhrases;
}
