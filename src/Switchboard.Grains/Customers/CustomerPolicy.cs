using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Switchboard.Conversations;

namespace Switchboard.Customers;

/// <summary>The customer rules as pure functions: who to prefer, what history to show, when outreach is allowed.</summary>
public static partial class CustomerPolicy
{
    public const int ExcerptLength = 140;

    /// <summary>
    /// The agent to offer a new conversation on <paramref name="topic"/> to first. A conversation on the same topic
    /// resolved by an agent within the reopen window goes back to that agent (and is linked as reopened); otherwise
    /// the agent who served the customer most recently within the return window, preferring one who served this
    /// topic. Null when nobody qualifies. Whether the agent serves the topic and is online is checked at start.
    /// </summary>
    public static (RoutingPreference Preference, string? ReopenedFrom)? Prefer(
        IEnumerable<CustomerConversation> history, string topic, DateTimeOffset now, CustomerOptions options)
    {
        var conversations = history as IReadOnlyCollection<CustomerConversation> ?? [.. history];
        var reopened = conversations
            .Where(c => !c.IsOpen && c.Topic == topic && c.ResolvedBy is not null && c.ResolvedAt is { } at && now - at <= options.ReopenWindow)
            .MaxBy(c => c.ResolvedAt);
        if (reopened is not null)
        {
            return (new RoutingPreference(reopened.ResolvedBy!, PreferenceReason.Reopened), reopened.Id);
        }

        var served = conversations
            .Where(c => ServedBy(c) is not null && now - LastContact(c) <= options.ReturnToLastAgentWindow)
            .OrderByDescending(c => c.Topic == topic)
            .ThenByDescending(LastContact)
            .FirstOrDefault();
        return served is null ? null : (new RoutingPreference(ServedBy(served)!, PreferenceReason.LastAgent), null);
    }

    /// <summary>The agent who served the customer in it: who resolved it, or who holds it now; nobody if abandoned.</summary>
    public static string? ServedBy(CustomerConversation conversation) =>
        conversation.Abandoned ? null : conversation.ResolvedBy ?? (conversation.IsOpen ? conversation.AgentId : null);

    public static DateTimeOffset LastContact(CustomerConversation conversation) => conversation.ResolvedAt ?? conversation.StartedAt;

    /// <summary>The most recent <paramref name="count"/> conversations other than <paramref name="except"/>, newest first.</summary>
    public static ImmutableArray<CustomerConversation> Recent(IEnumerable<CustomerConversation> history, int count, string? except = null) =>
        [.. history.Where(c => c.Id != except).OrderByDescending(c => c.StartedAt).ThenBy(c => c.Id, StringComparer.Ordinal).Take(count)];

    /// <summary>
    /// How long until another outreach is allowed, or null if one is allowed now: at most
    /// <see cref="OutreachOptions.MaxPerCustomer"/> within any <see cref="OutreachOptions.Window"/>.
    /// </summary>
    public static TimeSpan? OutreachRetryAfter(IEnumerable<DateTimeOffset> sentAt, DateTimeOffset now, OutreachOptions options)
    {
        var recent = sentAt.Where(at => now - at < options.Window).Order().ToList();
        if (recent.Count < options.MaxPerCustomer)
        {
            return null;
        }

        // The oldest that must leave the window before one more fits.
        return recent[recent.Count - options.MaxPerCustomer] + options.Window - now;
    }

    /// <summary>Fills <c>{key}</c> placeholders; <paramref name="missing"/> lists those with no value (then the text is partial).</summary>
    public static string Fill(string template, IReadOnlyDictionary<string, string> values, out IReadOnlyList<string> missing)
    {
        var absent = new List<string>();
        var text = Placeholder().Replace(template, match =>
        {
            var key = match.Groups[1].Value;
            if (values.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value))
            {
                return value;
            }

            absent.Add(key);
            return match.Value;
        });
        missing = absent;
        return text;
    }

    /// <summary>The profile after a start: the latest name, language, VIP flag and attributes win; orders accumulate.</summary>
    public static CustomerProfile Merge(CustomerProfile? profile, string name, bool vip, IReadOnlyDictionary<string, string>? context, int maxOrders = 20)
    {
        var attributes = (profile?.Attributes ?? ImmutableDictionary<string, string>.Empty).ToBuilder();
        var orders = profile?.Orders ?? [];
        foreach (var (key, value) in context ?? ImmutableDictionary<string, string>.Empty)
        {
            if (key == "order")
            {
                orders = [value, .. orders.Where(o => o != value).Take(maxOrders - 1)];
            }
            else
            {
                attributes[key] = value;
            }
        }

        var language = context?.GetValueOrDefault("language") ?? profile?.Language;
        return new CustomerProfile(name, language, vip, orders, attributes.ToImmutable());
    }

    /// <summary>What the customer's history records of a conversation, from its view.</summary>
    public static CustomerConversation Summarize(ConversationView view)
    {
        var resolved = view.Status == ConversationStatus.Resolved;
        var last = view.Messages.LastOrDefault(m => m.From != MessageAuthor.System) ?? view.Messages.FirstOrDefault();
        return new CustomerConversation(
            view.Id,
            view.Topic,
            view.StartedAt,
            view.Status,
            view.AgentId,
            view.ResolvedAt,
            resolved && !view.Abandoned ? view.AgentId : null,
            view.Abandoned,
            view.Rating?.Score,
            Excerpt(last?.Text ?? ""),
            view.Outreach?.Trigger,
            view.Outreach?.CustomerAnswered ?? false,
            view.ReopenedFrom,
            Version(view));
    }

    /// <summary>
    /// Grows with every change a history cares about: messages only accumulate, and a rating comes once, after the
    /// last message (a resolved conversation takes no more).
    /// </summary>
    public static int Version(ConversationView view) => view.Messages.Length + (view.Rating is null ? 0 : 1);

    /// <summary>
    /// One line of at most <see cref="ExcerptLength"/> UTF-16 code units (what it costs to keep a hundred of them per
    /// customer), whitespace made spaces, cut with "…" between two characters as people see them (text elements):
    /// never inside an emoji or between a letter and its accent.
    /// </summary>
    public static string Excerpt(string text)
    {
        var source = text.AsSpan().Trim();
        var cut = source.Length;
        if (source.Length > ExcerptLength)
        {
            // The longest run of whole text elements that leaves room for the ellipsis.
            cut = 0;
            while (cut < source.Length)
            {
                var next = StringInfo.GetNextTextElementLength(source[cut..]);
                if (cut + next > ExcerptLength - 1)
                {
                    break;
                }

                cut += next;
            }
        }

        var line = new StringBuilder(Math.Min(cut + 1, ExcerptLength));
        foreach (var c in source[..cut])
        {
            line.Append(char.IsWhiteSpace(c) ? ' ' : c);
        }

        return cut == source.Length ? line.ToString() : line.ToString().TrimEnd() + "…";
    }

    [GeneratedRegex(@"\{([A-Za-z0-9_.-]+)\}")]
    private static partial Regex Placeholder();
}
