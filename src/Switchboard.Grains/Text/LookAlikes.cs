using System.Globalization;
using System.Text;

namespace Switchboard.Text;

/// <summary>
/// When two names look the same to a reader. Each name is reduced to a skeleton: compatibility forms folded (NFKC:
/// full-width and mathematical letters become plain ones), the Cyrillic and Greek letters that are drawn like Latin
/// ones replaced by those, lower-cased, invisible formatting characters dropped and runs of spaces made one. Two names
/// with the same skeleton are look-alikes. The table is deliberately small (the letters seen in real spoofs of Latin
/// names, in the spirit of Unicode's confusables list); it never makes a name refused on its own, only next to a name
/// it would be mistaken for.
/// </summary>
public static class LookAlikes
{
    public static string Skeleton(string name)
    {
        if (!Names.IsValidUtf16(name))
        {
            return name;
        }

        var folded = name.Normalize(NormalizationForm.FormKC);
        var skeleton = new StringBuilder(folded.Length);
        var space = false;
        Span<char> lower = stackalloc char[2];
        foreach (var rune in folded.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune))
            {
                space = skeleton.Length > 0;
                continue;
            }

            if (IsIgnorable(rune))
            {
                continue;
            }

            if (space)
            {
                skeleton.Append(' ');
                space = false;
            }

            if (Latin(rune.Value) is { } latin)
            {
                skeleton.Append(latin);
            }
            else
            {
                skeleton.Append(lower[..Rune.ToLowerInvariant(rune).EncodeToUtf16(lower)]);
            }
        }

        return skeleton.ToString();
    }

    /// <summary>Drawn as nothing, or as a change to the character before: zero-width and bidi controls, tags, variation selectors.</summary>
    private static bool IsIgnorable(Rune rune) =>
        Rune.GetUnicodeCategory(rune) == UnicodeCategory.Format
        || rune.Value is 0x034F or (>= 0xFE00 and <= 0xFE0F) or (>= 0xE0100 and <= 0xE01EF) or 0x115F or 0x1160 or 0x3164 or 0xFFA0;

    /// <summary>
    /// The Latin letter a Cyrillic or Greek letter is drawn like, in either case (capital eta looks like H, small eta
    /// like n), or null. Written as code points: the letters themselves would look the same as their Latin twins here.
    /// </summary>
    private static char? Latin(int c) => c switch
    {
        0x0410 or 0x0430 or 0x0391 or 0x03B1 => 'a', // Cyrillic А а, Greek Α α
        0x0412 or 0x0432 or 0x0392 or 0x044C => 'b', // Cyrillic В в, Greek Β, Cyrillic soft sign ь
        0x0421 or 0x0441 or 0x03F9 or 0x03F2 => 'c', // Cyrillic С с, Greek lunate sigma Ϲ ϲ
        0x0501 => 'd',                                // Cyrillic komi de ԁ
        0x0415 or 0x0435 or 0x0395 => 'e',            // Cyrillic Е е, Greek Ε
        0x041D or 0x043D or 0x0397 or 0x04BA or 0x04BB => 'h', // Cyrillic Н н, Greek Η, Cyrillic shha Һ һ
        0x0406 or 0x0456 or 0x0399 or 0x03B9 or 0x04C0 => 'i', // Cyrillic І і, Greek Ι ι, Cyrillic palochka Ӏ
        0x0408 or 0x0458 or 0x037F or 0x03F3 => 'j', // Cyrillic Ј ј, Greek yot Ϳ ϳ
        0x041A or 0x043A or 0x039A or 0x03BA => 'k', // Cyrillic К к, Greek Κ κ
        0x04CF => 'l',                                // Cyrillic small palochka ӏ
        0x041C or 0x043C or 0x039C => 'm',            // Cyrillic М м, Greek Μ
        0x039D or 0x043F or 0x03B7 => 'n',            // Greek Ν, Cyrillic п, Greek η
        0x041E or 0x043E or 0x039F or 0x03BF => 'o', // Cyrillic О о, Greek Ο ο
        0x0420 or 0x0440 or 0x03A1 or 0x03C1 => 'p', // Cyrillic Р р, Greek Ρ ρ
        0x051A or 0x051B => 'q',                      // Cyrillic Ԛ ԛ
        0x0433 => 'r',                                // Cyrillic г
        0x0405 or 0x0455 => 's',                      // Cyrillic dze Ѕ ѕ
        0x0422 or 0x0442 or 0x03A4 or 0x03C4 => 't', // Cyrillic Т т, Greek Τ τ
        0x03C5 => 'u',                                // Greek υ
        0x0474 or 0x0475 or 0x03BD => 'v',            // Cyrillic izhitsa Ѵ ѵ, Greek ν
        0x051C or 0x051D => 'w',                      // Cyrillic Ԝ ԝ
        0x0425 or 0x0445 or 0x03A7 or 0x03C7 => 'x', // Cyrillic Х х, Greek Χ χ
        0x0423 or 0x0443 or 0x04AE or 0x04AF or 0x03A5 or 0x03B3 => 'y', // Cyrillic У у Ү ү, Greek Υ γ
        0x0396 => 'z',                                // Greek Ζ
        _ => null,
    };
}

/// <summary>
/// The names of the agents and supervisors in configuration, by skeleton: what a customer's name or another agent's
/// name must not be mistaken for. Built once from the settings.
/// </summary>
public sealed class StaffNames
{
    private readonly Dictionary<string, List<(string AgentId, string Name)>> _bySkeleton = new(StringComparer.Ordinal);

    public StaffNames(IEnumerable<(string AgentId, string Name)> staff)
    {
        foreach (var (agentId, name) in staff)
        {
            var skeleton = LookAlikes.Skeleton(name);
            if (!_bySkeleton.TryGetValue(skeleton, out var named))
            {
                _bySkeleton[skeleton] = named = [];
            }

            named.Add((agentId, name));
        }
    }

    /// <summary>Whether <paramref name="name"/> looks like a member of staff's name, or is one.</summary>
    public bool LooksLikeStaff(string name) => _bySkeleton.ContainsKey(LookAlikes.Skeleton(name));

    /// <summary>
    /// A member of staff other than <paramref name="agentId"/> whose name <paramref name="name"/> looks like without
    /// being it (the same letters in any case are the same name: two people may share one, and ids tell them apart).
    /// </summary>
    public (string AgentId, string Name)? Imitated(string agentId, string name)
    {
        if (!_bySkeleton.TryGetValue(LookAlikes.Skeleton(name), out var named))
        {
            return null;
        }

        foreach (var staff in named)
        {
            if (staff.AgentId != agentId && !string.Equals(staff.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return staff;
            }
        }

        return null;
    }
}
