using System.Collections.Immutable;
using Microsoft.Extensions.Options;

namespace Switchboard.Settings;

[GenerateSerializer, Alias("Switchboard.PhrasebookState")]
public sealed class PhrasebookState
{
    [Id(0)] public Dictionary<string, PhrasebookLanguage> Languages { get; set; } = [];

    [Id(1)] public long Version { get; set; }
}

public sealed class PhrasebookGrain(
    [PersistentState("phrasebook", SwitchboardOptions.StorageName)] IPersistentState<PhrasebookState> state,
    IOptions<SwitchboardOptions> options) : Grain, IPhrasebookGrain
{
    private readonly SwitchboardOptions _options = options.Value;

    public Task<Phrasebook> SetQuickRepliesAsync(string language, ImmutableList<QuickReplyText>? replies)
    {
        // The edge checked already; this grain is the authority on the phrasebook and checks again whoever calls it.
        if (replies is not null && PhrasebookRules.QuickReplyProblems(replies, _options) is [var problem, ..])
        {
            throw SwitchboardException.Invalid($"{problem.Field}: {problem.Message}");
        }

        var trimmed = replies?.Select(r => r with { Shortcut = r.Shortcut.Trim(), Title = r.Title.Trim(), Topic = r.Topic is { Length: > 0 } t ? t : null }).ToImmutableList();
        return ChangeAsync(language, page => page with { QuickReplies = trimmed });
    }

    public Task<Phrasebook> SetForbiddenPhrasesAsync(string language, ImmutableDictionary<string, string>? phrases)
    {
        if (phrases is not null && PhrasebookRules.PhraseProblems([.. phrases.Select(p => new KeyValuePair<string?, string?>(p.Key, p.Value))], _options) is [var problem, ..])
        {
            throw SwitchboardException.Invalid($"{problem.Field}: {problem.Message}");
        }

        var normalized = phrases is null ? null : PhrasebookRules.Normalize(phrases);
        return ChangeAsync(language, page => page with { ForbiddenPhrases = normalized });
    }

    public Task<Phrasebook> GetAsync() => Task.FromResult(Book());

    private async Task<Phrasebook> ChangeAsync(string language, Func<PhrasebookLanguage, PhrasebookLanguage> change)
    {
        if (PhrasebookRules.LanguageProblem(language, _options) is { } problem)
        {
            throw SwitchboardException.Invalid(problem);
        }

        var before = state.State.Languages.GetValueOrDefault(language);
        var after = change(before ?? new PhrasebookLanguage(null, null));
        state.State.Languages[language] = after;
        state.State.Version++;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Not stored: not changed either, so what is read stays what is stored.
            if (before is null)
            {
                state.State.Languages.Remove(language);
            }
            else
            {
                state.State.Languages[language] = before;
            }

            state.State.Version--;
            throw;
        }

        return Book();
    }

    private Phrasebook Book() => new(state.State.Languages.ToImmutableDictionary(StringComparer.Ordinal), state.State.Version);
}
