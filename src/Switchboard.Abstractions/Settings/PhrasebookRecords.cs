using System.Collections.Immutable;

namespace Switchboard.Settings;

/// <summary>A quick reply as a supervisor sets it: "/" + <paramref name="Shortcut"/> in the message box inserts <paramref name="Text"/>.</summary>
/// <param name="Topic">The skill it is mostly for; null for any.</param>
[GenerateSerializer, Immutable, Alias("Switchboard.QuickReplyText")]
public sealed record QuickReplyText(
    [property: Id(0)] string Shortcut,
    [property: Id(1)] string Title,
    [property: Id(2)] string? Topic,
    [property: Id(3)] string Text);

/// <summary>
/// One language's quick replies and house-rule phrases (phrase → better wording) as supervisors set them; a null part
/// was not set, and the configured one applies.
/// </summary>
[GenerateSerializer, Immutable, Alias("Switchboard.PhrasebookLanguage")]
public sealed record PhrasebookLanguage(
    [property: Id(0)] ImmutableList<QuickReplyText>? QuickReplies,
    [property: Id(1)] ImmutableDictionary<string, string>? ForbiddenPhrases);

/// <summary>
/// What supervisors set on the administration screen for quick replies and house rules, by language code; what they
/// did not set comes from configuration. <paramref name="Version"/> counts the changes, so a newer copy is told from an older one.
/// </summary>
[GenerateSerializer, Immutable, Alias("Switchboard.Phrasebook")]
public sealed record Phrasebook(
    [property: Id(0)] ImmutableDictionary<string, PhrasebookLanguage> Languages,
    [property: Id(1)] long Version)
{
    public static Phrasebook Empty { get; } = new(ImmutableDictionary<string, PhrasebookLanguage>.Empty, 0);

    public ImmutableList<QuickReplyText>? QuickRepliesFor(string language) => Languages.GetValueOrDefault(language)?.QuickReplies;

    public ImmutableDictionary<string, string>? ForbiddenPhrasesFor(string language) => Languages.GetValueOrDefault(language)?.ForbiddenPhrases;
}
