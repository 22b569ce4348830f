using System.Buffers;
using System.Collections.Frozen;

namespace Switchboard.Sla;

/// <summary>
/// One language's emotion signals, prepared once from configuration so that checking a message allocates nothing: the
/// angry words with the spellings people type for them (ß as ss, ä ö ü as ae oe ue, ё as е), and how much a message
/// written in capitals counts.
/// </summary>
public sealed class EmotionRules
{
    /// <summary>Words and phrases that show anger in English, the built-in list (<c>Switchboard:Sla:AngryWords</c> replaces it).</summary>
    public static readonly string[] EnglishAngryWords =
    [
        "unacceptable", "ridiculous", "outrageous", "disgusting", "furious", "worst", "scam", "fraud", "lawyer",
        "useless", "incompetent", "never again", "fed up", "sick of", "rip off", "rip-off",
    ];

    /// <summary>The built-in lists for the other languages the product ships (<c>Switchboard:Languages:&lt;language&gt;:AngryWords</c> replaces one).</summary>
    public static readonly FrozenDictionary<string, string[]> BuiltInAngryWords = new Dictionary<string, string[]>
    {
        ["de"] =
        [
            "Frechheit", "Unverschämtheit", "unverschämt", "inakzeptabel", "unzumutbar", "Zumutung", "lächerlich",
            "Betrug", "Betrüger", "Abzocke", "abgezockt", "Anwalt", "Saftladen", "nie wieder", "die Nase voll",
            "reicht mir", "Skandal", "Sauerei", "miserabel", "Katastrophe",
        ],
        ["ru"] =
        [
            "безобразие", "возмутительно", "издевательство", "обман", "мошенник", "развод", "верните деньги",
            "юрист", "в суд", "позор", "ужасн", "кошмар", "надоело", "сколько можно", "больше никогда",
            "отвратительн", "хамство", "бардак", "достали",
        ],
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// How many signals a message written in capitals counts, by language, where it is not one. None is built in: the
    /// rule is the same in every language (capitals alone make a customer upset; capitals with an angry word, or with
    /// "!!!", angry), so "ICH WARTE SEIT DREI TAGEN" reads as "WHERE IS MY PARCEL" does. A shop whose team answers capitals
    /// as anger sets <c>ShoutingSignals</c> to 2 for that language.
    /// </summary>
    public static readonly FrozenDictionary<string, int> BuiltInShoutingSignals =
        new Dictionary<string, int>().ToFrozenDictionary(StringComparer.Ordinal);

    public EmotionRules(IEnumerable<string> angryWords, int shoutingSignals = 1, int shoutingLetters = 8, int shoutingPercent = 80)
    {
        AngryWords = [.. angryWords.Where(w => !string.IsNullOrWhiteSpace(w)).SelectMany(Spellings).Distinct(StringComparer.OrdinalIgnoreCase)];
        _upperWords = [.. AngryWords.Select(w => w.ToUpperInvariant())];
        ShoutingSignals = shoutingSignals;
        ShoutingLetters = shoutingLetters;
        ShoutingPercent = shoutingPercent;
    }

    /// <summary>Every spelling matched (case-insensitively, anywhere in the message).</summary>
    public string[] AngryWords { get; }

    // The spellings in upper case: a message is upper-cased once into a buffer on the stack and searched ordinally,
    // which is what OrdinalIgnoreCase means, without its slow path for every word of a Cyrillic message.
    private readonly string[] _upperWords;

    // Messages up to this long are upper-cased on the stack; longer ones (up to MaxMessageLength) in a pooled buffer.
    private const int StackLimit = 1024;

    /// <summary>Signals a shouted message counts: 1 (upset on its own) or 2 (angry on its own).</summary>
    public int ShoutingSignals { get; }

    /// <summary>A message shouts with at least this many letters ...</summary>
    public int ShoutingLetters { get; }

    /// <summary>... of which at least this percentage are capitals.</summary>
    public int ShoutingPercent { get; }

    /// <summary>The word as written, and as people without the letter on their keyboard (or in capitals) type it.</summary>
    private static IEnumerable<string> Spellings(string word)
    {
        word = word.Trim();
        yield return word;
        // OrdinalIgnoreCase folds ä/Ä and Cyrillic, but ß has no single-letter capital it folds to, and many write
        // without umlauts or ё at all.
        var plain = word.Replace("ß", "ss", StringComparison.Ordinal)
            .Replace("ä", "ae", StringComparison.Ordinal).Replace("ö", "oe", StringComparison.Ordinal).Replace("ü", "ue", StringComparison.Ordinal)
            .Replace("Ä", "Ae", StringComparison.Ordinal).Replace("Ö", "Oe", StringComparison.Ordinal).Replace("Ü", "Ue", StringComparison.Ordinal);
        if (plain != word)
        {
            yield return plain;
        }

        if (word.Contains('ß', StringComparison.Ordinal))
        {
            yield return word.Replace("ß", "ẞ", StringComparison.Ordinal);
        }

        if (word.Contains('ё', StringComparison.OrdinalIgnoreCase))
        {
            yield return word.Replace('ё', 'е').Replace('Ё', 'Е');
        }
    }

    /// <summary>Shouting: enough letters, nearly all capitals. ß, which has no capital in common use, counts as neither.</summary>
    public bool IsShouting(string text)
    {
        int letters = 0, capitals = 0;
        foreach (var c in text)
        {
            if (c != 'ß' && char.IsLetter(c))
            {
                letters++;
                if (char.IsUpper(c))
                {
                    capitals++;
                }
            }
        }

        return letters >= ShoutingLetters && capitals * 100 >= letters * ShoutingPercent;
    }

    public bool HasAngryWord(string text)
    {
        if (_upperWords.Length == 0 || text.Length == 0)
        {
            return false;
        }

        char[]? rented = null;
        var upper = text.Length <= StackLimit ? stackalloc char[StackLimit] : (rented = ArrayPool<char>.Shared.Rent(text.Length));
        try
        {
            upper = upper[..text.Length];
            text.AsSpan().ToUpperInvariant(upper);
            foreach (var word in _upperWords)
            {
                if (upper.IndexOf(word, StringComparison.Ordinal) >= 0)
                {
                    return true;
                }
            }

            return false;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }
}
