using System.Collections.Immutable;
using Switchboard.Conversations;

namespace Switchboard.Customers;

/// <summary>What the channels have told about a customer, merged over their conversations (latest wins).</summary>
/// <param name="Orders">Order numbers the channel sent (context key <c>order</c>), most recent first.</param>
/// <param name="Attributes">Everything else the channel sent in a start's context.</param>
[GenerateSerializer, Immutable, Alias("Switchboard.CustomerProfile")]
public sealed record CustomerProfile(
    [property: Id(0)] string Name,
    [property: Id(1)] string? Language,
    [property: Id(2)] bool Vip,
    [property: Id(3)] ImmutableArray<string> Orders,
    [property: Id(4)] ImmutableDictionary<string, string> Attributes);

/// <summary>
/// One of a customer's conversations as their history keeps it: reported by the conversation as it changes (started,
/// assigned, resolved, rated, answered) and shown to the agents who serve the customer later.
/// </summary>
/// <param name="AgentId">The agent who holds or last held it; null while nobody has.</param>
/// <param name="ResolvedBy">The agent who resolved it (also when the customer closed a served one); null if abandoned or open.</param>
/// <param name="LastMessage">An excerpt of the last customer or agent message.</param>
/// <param name="Trigger">The outreach trigger that opened it; null for one the customer started.</param>
/// <param name="CustomerAnswered">For outreach: whether the customer wrote back.</param>
/// <param name="ReopenedFrom">The resolved conversation this one reopened (written again within the reopen window).</param>
/// <param name="Version">Grows with each report, so a late report never overwrites a newer one.</param>
[GenerateSerializer, Immutable, Alias("Switchboard.CustomerConversation")]
public sealed record CustomerConversation(
    [property: Id(0)] string Id,
    [property: Id(1)] string Topic,
    [property: Id(2)] DateTimeOffset StartedAt,
    [property: Id(3)] ConversationStatus Status,
    [property: Id(4)] string? AgentId,
    [property: Id(5)] DateTimeOffset? ResolvedAt,
    [property: Id(6)] string? ResolvedBy,
    [property: Id(7)] bool Abandoned,
    [property: Id(8)] int? Rating,
    [property: Id(9)] string LastMessage,
    [property: Id(10)] string? Trigger,
    [property: Id(11)] bool CustomerAnswered,
    [property: Id(12)] string? ReopenedFrom,
    [property: Id(13)] int Version)
{
    public bool IsOpen => Status != ConversationStatus.Resolved;

    /// <summary>open, resolved or abandoned: what the agent reads in the history.</summary>
    public string Outcome => IsOpen ? "open" : Abandoned ? "abandoned" : "resolved";
}

/// <summary>What a start says about its customer: merged into their profile.</summary>
[GenerateSerializer, Immutable, Alias("Switchboard.CustomerDetails")]
public sealed record CustomerDetails(
    [property: Id(0)] string Name,
    [property: Id(1)] bool Vip,
    [property: Id(2)] ImmutableDictionary<string, string>? Context);

/// <summary>A customer as the API shows them: profile, every recorded conversation (most recent first), outreach sent.</summary>
[GenerateSerializer, Immutable, Alias("Switchboard.CustomerView")]
public sealed record CustomerView(
    [property: Id(0)] string Id,
    [property: Id(1)] CustomerProfile Profile,
    [property: Id(2)] ImmutableArray<CustomerConversation> Conversations,
    [property: Id(3)] ImmutableArray<DateTimeOffset> OutreachSentAt);

/// <summary>What a shop's system sends to open an outbound conversation (<c>POST /api/outreach</c>).</summary>
/// <param name="Trigger">A configured trigger, e.g. <c>lateDelivery</c>; it names the skill, the template and the priority.</param>
/// <param name="Order">Fills <c>{order}</c> in the template; also recorded as the conversation's <c>order</c>.</param>
/// <param name="Priority">Overrides the trigger's priority (0–10).</param>
[GenerateSerializer, Immutable, Alias("Switchboard.StartOutreach")]
public sealed record StartOutreach(
    [property: Id(0)] string CustomerId,
    [property: Id(1)] string CustomerName,
    [property: Id(2)] string Trigger,
    [property: Id(3)] string? Order = null,
    [property: Id(4)] int? Priority = null,
    [property: Id(5)] bool Vip = false,
    [property: Id(6)] ImmutableDictionary<string, string>? Context = null);
