using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Switchboard.Settings;

/// <summary>
/// The quick replies and house rules supervisors set from the console (key 0: one phrasebook). Read by each silo's
/// <c>PhrasebookCache</c> at most every few seconds, never per message.
/// </summary>
public interface IPhrasebookGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Sets the quick replies of a served language (null: back to the configured ones); checked here too, refused
    /// with <see cref="SwitchboardError.Invalid"/> and nothing changed. Stored before it returns. Idempotent.
    /// </summary>
    [RetrySafe]
    Task<Phrasebook> SetQuickRepliesAsync(string language, ImmutableList<QuickReplyText>? replies);

    /// <summary>As <see cref="SetQuickRepliesAsync"/>, for the phrases the house rules advise against (phrase → better wording).</summary>
    [RetrySafe]
    Task<Phrasebook> SetForbiddenPhrasesAsync(string language, ImmutableDictionary<string, string>? phrases);

    /// <summary>The phrasebook as stored.</summary>
    [ReadOnly]
    [RetrySafe]
    Task<Phrasebook> GetAsync();
}
