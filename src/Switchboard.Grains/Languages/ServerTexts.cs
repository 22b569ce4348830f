using System.Collections.Frozen;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Switchboard.Languages;

/// <summary>
/// What the server says to customers, per language: the catalogues built into this assembly
/// (<c>Languages/Texts/&lt;language&gt;.json</c>, flat key → text with <c>{name}</c> placeholders, the pages' format),
/// read once. A shop's own texts (<c>Switchboard:Languages:&lt;language&gt;:Texts</c>) go on top of them.
/// </summary>
public static partial class ServerTexts
{
    private const string ResourcePrefix = "Switchboard.Texts.";

    /// <summary>The built-in catalogues by language code; English has every key.</summary>
    public static FrozenDictionary<string, FrozenDictionary<string, string>> BuiltIn { get; } = Load();

    /// <summary>Every key a language needs: the English catalogue's.</summary>
    public static IReadOnlyCollection<string> Keys => BuiltIn[LanguageTags.Default].Keys;

    private static FrozenDictionary<string, FrozenDictionary<string, string>> Load()
    {
        var assembly = typeof(ServerTexts).Assembly;
        var catalogues = new Dictionary<string, FrozenDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            var texts = JsonSerializer.Deserialize<Dictionary<string, string>>(stream)
                ?? throw new InvalidOperationException($"The text catalogue {name} is empty.");
            catalogues[name[ResourcePrefix.Length..^".json".Length]] = texts.ToFrozenDictionary(StringComparer.Ordinal);
        }

        return catalogues.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The <c>{name}</c> placeholders of a text, in order of appearance, each once.</summary>
    public static IReadOnlyList<string> Placeholders(string text) =>
        [.. Placeholder().Matches(text).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal)];

    /// <summary>The problems with one language's texts against the English ones: missing keys, different placeholders, unknown keys.</summary>
    public static IEnumerable<string> Problems(string language, IReadOnlyDictionary<string, string> texts, string where)
    {
        var english = BuiltIn[LanguageTags.Default];
        foreach (var (key, text) in english)
        {
            if (!texts.TryGetValue(key, out var translated) || string.IsNullOrWhiteSpace(translated))
            {
                yield return $"{where} has no text for '{key}' in '{language}'.";
            }
            else if (!Placeholders(text).Order(StringComparer.Ordinal).SequenceEqual(Placeholders(translated).Order(StringComparer.Ordinal)))
            {
                yield return $"{where}: the '{language}' text for '{key}' must use the placeholders {Describe(text)}; it uses {Describe(translated)}.";
            }
        }

        foreach (var key in texts.Keys.Where(k => !english.ContainsKey(k)))
        {
            yield return $"{where} has a text for '{key}' in '{language}', which is not a known key.";
        }
    }

    private static string Describe(string text) =>
        Placeholders(text) is { Count: > 0 } names ? string.Join(", ", names.Select(n => $"{{{n}}}")) : "none";

    /// <summary>Fills <c>{name}</c> placeholders; an unknown one stays as written.</summary>
    public static string Format(string text, params ReadOnlySpan<(string Name, object? Value)> values)
    {
        foreach (var (name, value) in values)
        {
            text = text.Replace($"{{{name}}}", Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }

        return text;
    }

    [GeneratedRegex(@"\{(\w+)\}")]
    private static partial Regex Placeholder();
}
