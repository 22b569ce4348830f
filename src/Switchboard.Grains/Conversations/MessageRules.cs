using System.Collections.Immutable;

namespace Switchboard.Conversations;

/// <summary>What the server does when an agent's message breaks a rule.</summary>
public enum MessageRuleMode
{
    /// <summary>Accept the message; clients show the rule before sending and ask for confirmation.</summary>
    Warn,

    /// <summary>Refuse the message with the rule broken.</summary>
    Refuse,
}

/// <summary>The house rules for agent messages, bound from <c>Switchboard:MessageRules</c>.</summary>
public sealed class MessageRulesOptions
{
    public MessageRuleMode Mode { get; set; } = MessageRuleMode.Warn;

    /// <summary>Messaging channels throttle senders who write more than this in a row without a customer reply.</summary>
    public int MaxAgentMessagesInARow { get; set; } = 3;

    /// <summary>Phrase → a better alternative. Null means the built-in list.</summary>
    public Dictionary<string, string>? ForbiddenPhrases { get; set; }

    public static readonly ImmutableDictionary<string, string> DefaultForbiddenPhrases = new Dictionary<string, string>
    {
        ["that is not our responsibility"] = "Let me find out who can sort this out for you.",
        ["not our problem"] = "Let me see how we can help with this.",
        ["impossible"] = "Let me see what we can do.",
        ["please wait"] = "Thank you for your patience; I am checking this now.",
        ["calm down"] = "I understand how frustrating this is.",
        ["you should have"] = "Next time, it helps to …",
    }.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyDictionary<string, string> EffectiveForbiddenPhrases =>
        ForbiddenPhrases ?? (IReadOnlyDictionary<string, string>)DefaultForbiddenPhrases;
}

/// <summary>A rule an agent message breaks.</summary>
[GenerateSerializer, Immutable, Alias("Switchboard.MessageRuleViolation")]
public sealed record MessageRuleViolation(
    [property: Id(0)] string Rule,
    [property: Id(1)] string Message,
    [property: Id(2)] string? Phrase = null,
    [property: Id(3)] string? Alternative = null);

/// <summary>The rules, as pure code: the console runs the same checks before sending.</summary>
public static class MessageRules
{
    public const string ForbiddenPhrase = "forbidden-phrase";
    public const string TooManyInARow = "too-many-in-a-row";

    /// <param name="agentMessagesInARow">Agent messages since the customer last wrote, before this one.</param>
    public static ImmutableArray<MessageRuleViolation> Check(string text, int agentMessagesInARow, MessageRulesOptions options) =>
        Check(text, agentMessagesInARow, options, options.EffectiveForbiddenPhrases);

    /// <summary>As <see cref="Check(string, int, MessageRulesOptions)"/>, with one language's phrases (the conversation's).</summary>
    public static ImmutableArray<MessageRuleViolation> Check(
        string text, int agentMessagesInARow, MessageRulesOptions options, IReadOnlyDictionary<string, string> forbiddenPhrases)
    {
        var violations = ImmutableArray.CreateBuilder<MessageRuleViolation>();
        // In phrase order, so a refusal that names several reads the same every time.
        foreach (var (phrase, alternative) in forbiddenPhrases.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase))
        {
            if (text.Contains(phrase, StringComparison.OrdinalIgnoreCase))
            {
                violations.Add(new MessageRuleViolation(
                    ForbiddenPhrase, $"Avoid \"{phrase}\"; try: \"{alternative}\"", phrase, alternative));
            }
        }

        if (agentMessagesInARow >= options.MaxAgentMessagesInARow)
        {
            violations.Add(new MessageRuleViolation(
                TooManyInARow,
                $"This would be agent message {agentMessagesInARow + 1} in a row without a reply from the customer (the limit is {options.MaxAgentMessagesInARow})."));
        }

        return violations.ToImmutable();
    }

    /// <summary>Agent messages at the end of the thread since the customer last wrote (system notes do not count).</summary>
    public static int AgentMessagesInARow(IReadOnlyList<ChatMessage> messages)
    {
        var count = 0;
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            switch (messages[i].From)
            {
                case MessageAuthor.Customer:
                    return count;
                case MessageAuthor.Agent:
                    count++;
                    break;
            }
        }

        return count;
    }
}
