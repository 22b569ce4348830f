using Switchboard.Conversations;

namespace Switchboard.Tests.Routing;

public sealed class MessageRulesTests
{
    private static readonly MessageRulesOptions Options = new();
    private static readonly DateTimeOffset Noon = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AForbiddenPhraseIsFlaggedWithItsBetterAlternative()
    {
        var violation = Assert.Single(MessageRules.Check("Sorry, that is NOT our responsibility.", 0, Options));

        Assert.Equal(MessageRules.ForbiddenPhrase, violation.Rule);
        Assert.Equal("that is not our responsibility", violation.Phrase);
        Assert.Equal("Let me find out who can sort this out for you.", violation.Alternative);
    }

    [Fact]
    public void AFourthAgentMessageInARowBreaksTheRuleAndAThirdDoesNot()
    {
        Assert.Empty(MessageRules.Check("One more thing.", 2, Options));
        Assert.Equal(MessageRules.TooManyInARow, Assert.Single(MessageRules.Check("One more thing.", 3, Options)).Rule);
    }

    [Fact]
    public void OnlyAgentMessagesSinceTheCustomerLastWroteCount()
    {
        ChatMessage[] thread =
        [
            new(1, MessageAuthor.Agent, "a", "earlier", Noon),
            new(2, MessageAuthor.Customer, null, "hi", Noon),
            new(3, MessageAuthor.System, null, "joined", Noon),
            new(4, MessageAuthor.Agent, "a", "one", Noon),
            new(5, MessageAuthor.Agent, "a", "two", Noon),
        ];

        Assert.Equal(2, MessageRules.AgentMessagesInARow(thread));
        Assert.Equal(0, MessageRules.AgentMessagesInARow(thread[..3]));
    }

    [Fact]
    public void TheForbiddenPhrasesAreConfigurable()
    {
        var options = new MessageRulesOptions { ForbiddenPhrases = new() { ["no can do"] = "Let me check what I can do." } };

        Assert.Single(MessageRules.Check("No can do, sorry", 0, options));
        Assert.Empty(MessageRules.Check("That is impossible", 0, options));
    }
}
