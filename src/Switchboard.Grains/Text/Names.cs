using System.Buffers;
using System.Globalization;
using System.Text;

namespace Switchboard.Text;

/// <summary>
/// The rules for names people read: a customer's name, an agent's display name, a skill's display name. A name is
/// shown to other people next to what its owner says ("Alice Martin has joined the conversation."), so it must be
/// what it looks like: one line of visible text, read in the order it was written, of a length a person can take in.
/// </summary>
public static class Names
{
    /// <summary>
    /// The most code points one character (text element) of a name may be built from. The longest real ones, emoji
    /// such as a family or a kiss with two skin tones and a subdivision flag, take 7–10; more is marks stacked on one
    /// letter ("Zalgo" text), which spills over the lines around it and makes one character of any length.
    /// </summary>
    public const int MaxCodePointsPerCharacter = 16;

    /// <summary>
    /// Trimmed and in Unicode normalisation form C, so the same name typed on two keyboards (é as one code point, or
    /// as e and a combining accent) is stored, shown and compared as one. Text that is not valid UTF-16 is only
    /// trimmed: <see cref="Problem"/> refuses it.
    /// </summary>
    public static string Normalize(string? name)
    {
        var trimmed = name?.Trim() ?? "";
        if (Ascii.IsValid(trimmed) || !IsValidUtf16(trimmed))
        {
            return trimmed;
        }

        return trimmed.IsNormalized(NormalizationForm.FormC) ? trimmed : trimmed.Normalize(NormalizationForm.FormC);
    }

    /// <summary>Refuses <paramref name="name"/> with the first thing wrong with it (see <see cref="Problem"/>).</summary>
    public static void Validate(string name, string field, int maxLength)
    {
        if (Problem(name, field, maxLength) is { } problem)
        {
            throw SwitchboardException.Invalid(problem);
        }
    }

    /// <summary>
    /// What is wrong with a (normalised) name, or null: text that is not valid UTF-16; control characters;
    /// bidirectional controls; line or paragraph separators; nothing visible; more than <paramref name="maxLength"/>
    /// characters as people count them (text elements: an emoji, or a letter with its accents, is one); a character
    /// built of more than <see cref="MaxCodePointsPerCharacter"/> code points. <paramref name="field"/> names where the
    /// name came from (<c>'customerName'</c>, a configuration key), so the caller knows what to fix.
    /// </summary>
    public static string? Problem(string name, string field, int maxLength)
    {
        var visible = false;
        var text = name.AsSpan();
        for (var i = 0; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text[i..], out var rune, out var used) != OperationStatus.Done)
            {
                return $"{field} is not valid Unicode text (a lone surrogate, U+{(int)text[i]:X4}); send plain text.";
            }

            var c = rune.Value;
            if (Rune.IsControl(rune))
            {
                return $"{field} contains a control character (U+{c:X4}); send plain text.";
            }

            if (IsBidiControl(c))
            {
                return $"{field} contains a bidirectional control (U+{c:X4}), which makes text show in another order than it was written; a name may not contain one.";
            }

            if (c is 0x2028 or 0x2029)
            {
                return $"{field} contains a line or paragraph separator (U+{c:X4}); a name is one line.";
            }

            visible = visible || IsVisible(rune);
            i += used;
        }

        if (!visible)
        {
            return $"{field} has no visible character: it is only spaces, zero-width or formatting characters.";
        }

        var characters = 0;
        for (var rest = text; !rest.IsEmpty; characters++)
        {
            var length = StringInfo.GetNextTextElementLength(rest);
            if (length > MaxCodePointsPerCharacter && CodePoints(rest[..length]) > MaxCodePointsPerCharacter)
            {
                return $"{field} has a character built of more than {MaxCodePointsPerCharacter} code points (marks stacked on one letter); send plain text.";
            }

            rest = rest[length..];
        }

        return characters > maxLength
            ? $"{field} may have at most {maxLength} characters (an emoji, or a letter with its accents, counts as one); this one has {characters}."
            : null;
    }

    /// <summary>
    /// Controls that change the order in which text is shown: the embeddings and overrides (U+202A–U+202E), the
    /// isolates (U+2066–U+2069) and the marks (U+200E, U+200F, U+061C). In a name they can make "Sam" out of
    /// "maS" or carry the text after the name along with them.
    /// </summary>
    public static bool IsBidiControl(int c) => c is (>= 0x202A and <= 0x202E) or (>= 0x2066 and <= 0x2069) or 0x200E or 0x200F or 0x061C;

    /// <summary>
    /// The two overrides (U+202D left-to-right, U+202E right-to-left): they show text in an order other than it
    /// was written, which nobody's keyboard produces. Refused in messages too, where the marks, embeddings and
    /// isolates that right-to-left writers use are welcome.
    /// </summary>
    public static bool IsBidiOverride(int c) => c is 0x202D or 0x202E;

    /// <summary>Whether the text is well-formed UTF-16: every surrogate in a pair.</summary>
    public static bool IsValidUtf16(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A letter, digit, punctuation mark or symbol (emoji are symbols), except the few that draw nothing: the Hangul
    /// fillers and the blank braille pattern, favourites for names that look empty. Spaces, marks on nothing,
    /// zero-width and other formatting characters (U+200B, U+200D, U+2060, U+FEFF, tags, variation selectors),
    /// private-use and unassigned code points are not visible.
    /// </summary>
    private static bool IsVisible(Rune rune) => rune.Value switch
    {
        0x115F or 0x1160 or 0x3164 or 0xFFA0 or 0x2800 => false,
        _ => Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => true,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => true,
            UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
                or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
                or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation => true,
            UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol
                or UnicodeCategory.OtherSymbol => true,
            _ => false,
        },
    };

    private static int CodePoints(ReadOnlySpan<char> text)
    {
        var count = 0;
        foreach (var c in text)
        {
            if (!char.IsLowSurrogate(c))
            {
                count++;
            }
        }

        return count;
    }
}
