using System.Text.Json;
using System.Text.RegularExpressions;

namespace Switchboard.Tests.Languages;

/// <summary>
/// The pages' catalogues (<c>wwwroot/i18n/&lt;language&gt;/&lt;area&gt;.json</c>), every language and every area found on
/// disk, so a language or an area someone adds is checked the day it lands: each key English has exists in every
/// other language with the same placeholders, and no language has a key English lacks. A count's texts are one key per
/// plural form (<c>key#one</c>, <c>key#few</c>, ...): each language has the forms its plural rules use.
/// </summary>
public sealed partial class PageCatalogueTests
{
    private static readonly string Root = Path.Combine(FindRepositoryRoot(), "src", "Switchboard.Silo", "wwwroot", "i18n");

    // The plural forms Intl.PluralRules gives for whole numbers (CLDR), for the languages this product ships; a
    // language not listed needs at least "other".
    private static readonly Dictionary<string, string[]> PluralForms = new()
    {
        ["en"] = ["one", "other"],
        ["de"] = ["one", "other"],
        ["ru"] = ["one", "few", "many", "other"],
    };

    public static TheoryData<string, string> LanguagesAndAreas
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var language in Languages().Where(l => l != "en"))
            {
                foreach (var area in Areas("en").Union(Areas(language)).Order(StringComparer.Ordinal))
                {
                    data.Add(language, area);
                }
            }

            return data;
        }
    }

    [Fact]
    public void EnglishGermanAndRussianHaveCatalogues() => Assert.Superset(new HashSet<string> { "en", "de", "ru" }, Languages().ToHashSet());

    [Theory]
    [MemberData(nameof(LanguagesAndAreas))]
    public void EveryEnglishTextIsTranslatedWithTheSamePlaceholdersAndNothingElse(string language, string area)
    {
        var english = Read("en", area);
        var translated = Read(language, area);
        Assert.True(english is not null, $"i18n/{language}/{area}.json has no English catalogue beside it (i18n/en/{area}.json).");
        Assert.True(translated is not null, $"i18n/{language}/{area}.json is missing.");
        var problems = new List<string>();

        foreach (var (key, forms) in Group(english!))
        {
            if (!Group(translated!).TryGetValue(key, out var theirs))
            {
                problems.Add($"'{key}' is missing");
                continue;
            }

            var placeholders = Placeholders(forms.Values.First());
            foreach (var (form, text) in theirs)
            {
                if (!Placeholders(text).SetEquals(placeholders))
                {
                    problems.Add($"'{Key(key, form)}' uses {{{string.Join("}, {", Placeholders(text).Order())}}} where English uses {{{string.Join("}, {", placeholders.Order())}}}");
                }
            }

            if (forms.Keys.Any(f => f.Length > 0))
            {
                var needed = PluralForms.GetValueOrDefault(language, ["other"]);
                problems.AddRange(needed.Where(f => !theirs.ContainsKey(f)).Select(f => $"'{key}' lacks its plural form '{f}'"));
            }
            else if (theirs.Keys.Any(f => f.Length > 0))
            {
                problems.Add($"'{key}' has plural forms where English has one text");
            }
        }

        problems.AddRange(Group(translated!).Keys.Except(Group(english!).Keys).Select(k => $"'{k}' is not an English key"));
        Assert.True(problems.Count == 0, $"i18n/{language}/{area}.json: {string.Join("; ", problems)}.");
    }

    [Theory]
    [MemberData(nameof(EnglishAreas))]
    public void EnglishHasTheFormsItsOwnPluralRulesUse(string area)
    {
        foreach (var (key, forms) in Group(Read("en", area)!).Where(g => g.Value.Keys.Any(f => f.Length > 0)))
        {
            Assert.True(forms.ContainsKey("one") && forms.ContainsKey("other"), $"i18n/en/{area}.json: '{key}' needs '#one' and '#other'.");
        }
    }

    public static TheoryData<string> EnglishAreas => [.. Areas("en")];

    private static IEnumerable<string> Languages() =>
        Directory.GetDirectories(Root).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    private static IEnumerable<string> Areas(string language) =>
        Directory.Exists(Path.Combine(Root, language))
            ? Directory.GetFiles(Path.Combine(Root, language), "*.json").Select(Path.GetFileNameWithoutExtension).OfType<string>()
            : [];

    private static Dictionary<string, string>? Read(string language, string area)
    {
        var path = Path.Combine(Root, language, $"{area}.json");
        return File.Exists(path) ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path)) : null;
    }

    // key → (plural form, or "" for a text without forms → text)
    private static Dictionary<string, Dictionary<string, string>> Group(Dictionary<string, string> catalogue)
    {
        var grouped = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var (key, text) in catalogue)
        {
            var hash = key.IndexOf('#', StringComparison.Ordinal);
            var name = hash < 0 ? key : key[..hash];
            if (!grouped.TryGetValue(name, out var forms))
            {
                grouped[name] = forms = [];
            }

            forms[hash < 0 ? "" : key[(hash + 1)..]] = text;
        }

        return grouped;
    }

    private static string Key(string key, string form) => form.Length == 0 ? key : $"{key}#{form}";

    private static HashSet<string> Placeholders(string text) => [.. Placeholder().Matches(text).Select(m => m.Groups[1].Value)];

    [GeneratedRegex(@"\{(\w+)\}")]
    private static partial Regex Placeholder();

    private static string FindRepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Cluster.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No Cluster.sln above {AppContext.BaseDirectory}.");
    }
}
