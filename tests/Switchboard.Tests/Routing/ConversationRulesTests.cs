using Switchboard.Conversations;

namespace Switchboard.Tests.Routing;

public sealed class ConversationRulesTests
{
    private static readonly SwitchboardOptions Options = new()
    {
        Skills = { ["shipping"] = new SkillOptions(), ["payment"] = new SkillOptions() },
    };

    private static SwitchboardError Refusal(Action action) => Assert.Throws<SwitchboardException>(action).Error;

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void EmptyMessagesAreRefused(string? text) =>
        Assert.Equal(SwitchboardError.Invalid, Refusal(() => ConversationRules.ValidateText(text, Options)));

    [Fact]
    public void MessagesOverTheLimitAreRefusedAndAtTheLimitAccepted()
    {
        ConversationRules.ValidateText(new string('a', 4000), Options);

        var error = Assert.Throws<SwitchboardException>(() => ConversationRules.ValidateText(new string('a', 4001), Options));
        Assert.Contains("4000", error.Message);
    }

    [Fact]
    public void UnknownTopicsAreRefusedWithTheKnownOnesNamed()
    {
        var error = Assert.Throws<SwitchboardException>(() =>
            ConversationRules.ValidateStart(new StartConversation("Ann", "gardening", "hi"), Options));

        Assert.Equal(SwitchboardError.Invalid, error.Error);
        Assert.Contains("payment, shipping", error.Message);
    }

    [Theory]
    [InlineData(-1, 1)]
    [InlineData(11, 1)]
    [InlineData(0, 0)]
    [InlineData(0, 6)]
    public void PriorityAndProficiencyOutOfRangeAreRefused(int priority, int proficiency) =>
        Assert.Equal(
            SwitchboardError.Invalid,
            Refusal(() => ConversationRules.ValidateStart(new StartConversation("Ann", "shipping", "hi", priority, RequiredProficiency: proficiency), Options)));

    [Fact]
    public void TopicsAreMatchedWithoutCaseOrSurroundingSpace() =>
        Assert.Equal("shipping", ConversationRules.NormalizeSkill("  Shipping "));

    [Fact]
    public void ConfigurationProblemsAreAllReported()
    {
        var options = new SwitchboardOptions
        {
            Skills = { ["Shipping"] = new SkillOptions() },
            Agents = { ["x"] = new AgentOptions { Capacity = 0, Skills = { ["gardening"] = 9 } } },
        };

        var problems = options.Problems().ToList();

        Assert.Contains(problems, p => p.Contains("lower-case"));
        Assert.Contains(problems, p => p.Contains("capacity"));
        Assert.Contains(problems, p => p.Contains("'gardening', which is not in"));
        Assert.Contains(problems, p => p.Contains("proficiency 9"));
    }
}
