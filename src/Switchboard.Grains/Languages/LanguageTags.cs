namespace Switchboard.Languages;

/// <summary>Language tags as customers' clients send them (BCP 47): checked for shape, then matched to a served language.</summary>
public static class LanguageTags
{
    /// <summary>The language of customers who name none, or one the shop does not serve.</summary>
    public const string Default = "en";

    /// <summary>Longer than any tag people use (<c>zh-Hant-TW</c>, <c>de-CH-1996</c>), short enough to store and echo.</summary>
    public const int MaxLength = 35;

    /// <summary>
    /// A well-formed tag: a 2–3 letter language, then subtags of 1–8 ASCII letters or digits separated by hyphens
    /// (<c>de</c>, <c>de-AT</c>, <c>sr-Latn-RS</c>). Not a full BCP 47 parser: enough to refuse what is not a tag at all.
    /// </summary>
    public static bool IsWellFormed(string? tag)
    {
        if (string.IsNullOrEmpty(tag) || tag.Length > MaxLength)
        {
            return false;
        }

        var subtag = 0;
        var length = 0;
        foreach (var c in tag)
        {
            if (c == '-')
            {
                if (!SubtagFits(subtag, length))
                {
                    return false;
                }

                subtag++;
                length = 0;
            }
            else if (char.IsAsciiLetter(c) || (subtag > 0 && char.IsAsciiDigit(c)))
            {
                length++;
            }
            else
            {
                return false;
            }
        }

        return SubtagFits(subtag, length);
    }

    private static bool SubtagFits(int subtag, int length) => subtag == 0 ? length is 2 or 3 : length is >= 1 and <= 8;

    /// <summary>Refuses a malformed tag (null, no tag, is fine: the default).</summary>
    public static void Validate(string? tag)
    {
        if (tag is not null && !IsWellFormed(tag))
        {
            throw SwitchboardException.Invalid(
                $"The language must be a language tag such as 'en', 'de' or 'ru-RU' (BCP 47, at most {MaxLength} characters).");
        }
    }

    /// <summary>
    /// The served language a tag asks for: its primary language, lower-case (<c>de-AT</c> → <c>de</c>), when the shop
    /// serves it; otherwise (or with no tag, or a malformed one) <see cref="Default"/>.
    /// </summary>
    public static string Resolve(string? tag, ICollection<string> served)
    {
        if (!IsWellFormed(tag))
        {
            return Default;
        }

        var hyphen = tag!.IndexOf('-', StringComparison.Ordinal);
        var primary = (hyphen < 0 ? tag : tag[..hyphen]).ToLowerInvariant();
        return served.Contains(primary) ? primary : Default;
    }
}
