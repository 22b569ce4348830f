using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Customers;
using Switchboard.Text;

namespace Switchboard.Tests.Text;

public sealed class NameRulesTests
{
    private const string Field = "'name'";

    // Written as code points where the characters would be invisible or look like others in this file.
    private const string RightToLeftOverride = "\u202E";
    private const string CyrillicA = "\u0430";
    private const string CyrillicDze = "\u0455";
    private const string CyrillicEm = "\u043C";

    private static readonly SwitchboardOptions Options = new()
    {
        Skills = { ["shipping"] = new SkillOptions() },
        Agents =
        {
            ["sam"] = new AgentOptions { Name = "Sam Okafor", Supervisor = true, Skills = { ["shipping"] = 5 } },
            ["alice"] = new AgentOptions { Name = "Alice Martin", Skills = { ["shipping"] = 3 } },
        },
    };

    private static string? Problem(string name, int max = 100) => Names.Problem(Names.Normalize(name), Field, max);

    [Theory]
    [InlineData("Ann")]
    [InlineData("Zoë Ångström-Ñúñez")]
    [InlineData("محمد")]
    [InlineData("שרה כהן")]
    [InlineData("山田 太郎")]
    [InlineData("O'Brien (Mr)")]
    [InlineData("👨‍👩‍👧‍👦 family")]
    [InlineData("Ana 🏴󠁧󠁢󠁥󠁮󠁧󠁿")]
    [InlineData("Ravi\u200Dkumar")]
    public void OrdinaryNamesInAnyScriptAreAccepted(string name) => Assert.Null(Problem(name));

    [Theory]
    [InlineData("\u202A")]
    [InlineData("\u202B")]
    [InlineData("\u202C")]
    [InlineData("\u202D")]
    [InlineData("\u202E")]
    [InlineData("\u2066")]
    [InlineData("\u2067")]
    [InlineData("\u2068")]
    [InlineData("\u2069")]
    [InlineData("\u200E")]
    [InlineData("\u200F")]
    [InlineData("\u061C")]
    public void EveryBidiControlIsRefusedInANameAndNamed(string control)
    {
        var problem = Problem($"Ann{control}ssor");

        Assert.Contains("bidirectional control", problem);
        Assert.Contains($"U+{(int)control[0]:X4}", problem);
        Assert.StartsWith(Field, problem);
    }

    [Theory]
    [InlineData("\u2028")]
    [InlineData("\u2029")]
    public void LineAndParagraphSeparatorsAreRefusedInAName(string separator) =>
        Assert.Contains("line or paragraph separator", Problem($"Ann{separator}Smith"));

    [Theory]
    [InlineData("\u200B")]
    [InlineData("\u200C\u200D")]
    [InlineData("\u2060\uFEFF")]
    [InlineData("\u200B \u200B")]
    [InlineData("\u3164")]
    [InlineData("\u2800\u2800")]
    [InlineData("\uFE0F\u034F")]
    [InlineData("\U000E0041\U000E0042")]
    public void ANameWithNothingVisibleIsRefused(string name) => Assert.Contains("no visible character", Problem(name));

    [Fact]
    public void NineteenEmojiAreNineteenCharactersHoweverManyCodeUnitsTheyTake()
    {
        // A family: four emoji joined by zero-width joiners, 11 UTF-16 code units, one character to a reader.
        var name = string.Concat(Enumerable.Repeat("\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466", 19));

        Assert.Equal(209, name.Length);
        Assert.Null(Problem(name, max: 19));
        Assert.Contains("this one has 19", Problem(name, max: 18));
    }

    [Fact]
    public void LengthIsCountedInCharactersAsPeopleSeeThemAndTheRefusalSaysSo()
    {
        Assert.Null(Problem(new string('x', 100)));
        Assert.Null(Problem(string.Concat(Enumerable.Repeat("e\u0301", 100))));

        var problem = Problem(new string('x', 60_000));

        Assert.Contains("at most 100 characters (an emoji, or a letter with its accents, counts as one); this one has 60000", problem);
    }

    [Fact]
    public void MarksStackedOnOneLetterAreRefusedHoweverShortTheNameLooks()
    {
        Assert.Contains("more than 16 code points", Problem("Z" + new string('\u0301', 60_000)));
        Assert.Null(Problem("Z" + new string('\u0301', 3)));
    }

    [Fact]
    public void ALoneSurrogateIsRefusedAsNotText() =>
        Assert.Contains("not valid Unicode text", Problem("Ann\uD800"));

    [Fact]
    public void NamesAreTrimmedAndComposedSoOneNameIsStoredOneWay()
    {
        Assert.Equal("Zoë", Names.Normalize("  Zoe\u0308 "));
        Assert.Equal("Zoë", Names.Normalize("Zo\u00EB"));
    }

    [Fact]
    public void CyrillicAndGreekLookAlikesHaveTheSkeletonOfTheLatinName()
    {
        Assert.Equal(LookAlikes.Skeleton("Sam"), LookAlikes.Skeleton($"{CyrillicDze}{CyrillicA}{CyrillicEm}"));
        Assert.Equal(LookAlikes.Skeleton("Sam Okafor"), LookAlikes.Skeleton($"S{CyrillicA}m \u039Fkafor"));
        Assert.Equal(LookAlikes.Skeleton("Sam Okafor"), LookAlikes.Skeleton("Ｓａｍ  Okafor"));
        Assert.Equal(LookAlikes.Skeleton("Sam Okafor"), LookAlikes.Skeleton("Sa\u200Bm Okafor"));
        Assert.NotEqual(LookAlikes.Skeleton("Sam Okafor"), LookAlikes.Skeleton("Sám Okafor"));
        Assert.NotEqual(LookAlikes.Skeleton("Sam"), LookAlikes.Skeleton("Pam"));
    }

    [Fact]
    public void ACustomerNameThatLooksLikeAMemberOfStaffIsRefused()
    {
        foreach (var name in new[] { $"S{CyrillicA}m Okafor", "Sam Okafor", "sam okafor", "Ａｌｉｃｅ Martin" })
        {
            var refusal = Assert.Throws<SwitchboardException>(() => ConversationRules.ValidateStart(new StartConversation(name, "shipping", "Hi"), Options));
            Assert.Contains("may not look like a member of staff's name", refusal.Message);
        }

        ConversationRules.ValidateStart(new StartConversation("Sam Okafor-Jones", "shipping", "Hi"), Options);
        ConversationRules.ValidateStart(new StartConversation("Сергей", "shipping", "Hi"), Options);
    }

    [Fact]
    public void AnAgentNameThatImitatesAnotherAgentsIsRefusedButTheSameNameIsNot()
    {
        var spoof = new AgentProfile($"S{CyrillicA}m Okafor", [new("shipping", 3)], 2);

        Assert.Contains("looks like the name of agent 'sam'", AgentRules.Problem("mallory", spoof, Options));
        Assert.Null(AgentRules.Problem("sam", spoof with { Name = "Sam Okafor" }, Options));
        Assert.Null(AgentRules.Problem("samuel", spoof with { Name = "Sam Okafor" }, Options));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(51)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void ACapacityOutsideOneToFiftyIsRefusedNamingTheField(int capacity)
    {
        var problem = AgentRules.Problem("bob", new AgentProfile("Bob", [], capacity), Options);

        Assert.StartsWith("'capacity' must be between 1 and 50", problem);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public void AProficiencyOutsideOneToFiveIsRefusedNamingTheSkill(int proficiency) =>
        Assert.StartsWith(
            $"'skills': proficiency in 'shipping' must be between 1 and 5; it is {proficiency}",
            AgentRules.Problem("bob", new AgentProfile("Bob", [new("shipping", proficiency)], 2), Options));

    [Theory]
    [InlineData("bob")]
    [InlineData("Bob Smith")]
    [InlineData("lane-agent-00")]
    public void AgentIdsOfPrintableCharactersAreAccepted(string id) => Assert.True(AgentRules.IsAgentId(id));

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(" bob")]
    [InlineData("bob\u202E")]
    [InlineData("bo\u200Bb")]
    [InlineData("bob\u2028")]
    [InlineData("bob\u0007")]
    public void AgentIdsWithInvisibleOrControlCharactersAreRefused(string id) => Assert.False(AgentRules.IsAgentId(id));

    [Fact]
    public void AnAgentIdOverAHundredCharactersIsRefused()
    {
        Assert.True(AgentRules.IsAgentId(new string('a', 100)));
        Assert.False(AgentRules.IsAgentId(new string('a', 101)));
    }

    [Fact]
    public void ConfiguredAgentsOutOfBoundsOrImitatingEachOtherStopTheSiloWithReasons()
    {
        var options = new SwitchboardOptions
        {
            Skills = { ["shipping"] = new SkillOptions { DisplayName = "Ship\u202Eping" } },
            Agents =
            {
                ["sam"] = new AgentOptions { Name = "Sam Okafor", Capacity = 2 },
                ["mallory"] = new AgentOptions { Name = $"S{CyrillicA}m Okafor", Capacity = 2 },
                ["greedy"] = new AgentOptions { Name = "Greedy", Capacity = int.MaxValue },
                ["ghost"] = new AgentOptions { Name = "\u200B\u200B", Capacity = 2 },
                [new string('x', 101)] = new AgentOptions { Capacity = 2 },
            },
            MaxCustomerNameLength = 200,
        };

        var problems = options.Problems().ToList();

        Assert.Contains(problems, p => p.Contains("'mallory' and 'sam' have names that look alike"));
        Assert.Contains(problems, p => p.Contains("Agent 'greedy': the capacity must be between 1 and 50"));
        Assert.Contains(problems, p => p.Contains("Switchboard:Agents:ghost:Name has no visible character"));
        Assert.Contains(problems, p => p.Contains("An agent id is 1–100 characters"));
        Assert.Contains(problems, p => p.Contains("Switchboard:Skills:shipping:DisplayName contains a bidirectional control (U+202E)"));
        Assert.Contains(problems, p => p.Contains("MaxCustomerNameLength was replaced by Switchboard:MaxNameLength"));
    }

    [Fact]
    public void TheMostAnAgentMayHoldIsASetting()
    {
        var options = new SwitchboardOptions { Skills = { ["shipping"] = new SkillOptions() }, MaxAgentCapacity = 200 };

        Assert.Null(AgentRules.Problem("bob", new AgentProfile("Bob", [], 200), options));
        Assert.Contains("between 1 and 200", AgentRules.Problem("bob", new AgentProfile("Bob", [], 201), options));
    }

    [Fact]
    public void AMessageOfEmojiIsMeasuredInCodeUnitsAndTheRefusalSaysSo()
    {
        ConversationRules.ValidateText(string.Concat(Enumerable.Repeat("😀", 2000)), Options);

        var refusal = Assert.Throws<SwitchboardException>(() => ConversationRules.ValidateText(string.Concat(Enumerable.Repeat("😀", 2001)), Options));

        Assert.Contains("at most 4000 UTF-16 code units long (a letter counts 1, an emoji 2 or more); this one has 4002", refusal.Message);
    }

    [Fact]
    public void AMessageKeepsBidiMarksAndIsolatesButNotOverrides()
    {
        ConversationRules.ValidateText("שלום \u200Forder 42\u200F \u2067abc\u2069 \u202Bxyz\u202C", Options);

        var refusal = Assert.Throws<SwitchboardException>(() => ConversationRules.ValidateText($"refund {RightToLeftOverride}devorppa", Options));

        Assert.Contains("bidirectional override (U+202E)", refusal.Message);
    }

    [Fact]
    public void AnExcerptOfEmojiNeverSplitsOne()
    {
        var excerpt = CustomerPolicy.Excerpt(string.Concat(Enumerable.Repeat("😀", 100)));

        Assert.DoesNotContain('\uFFFD', excerpt);
        Assert.True(Names.IsValidUtf16(excerpt));
        Assert.EndsWith("…", excerpt);
        Assert.True(excerpt.Length <= CustomerPolicy.ExcerptLength);
        Assert.Equal(string.Concat(Enumerable.Repeat("😀", 69)) + "…", excerpt);
    }

    [Fact]
    public void AnExcerptCutsBetweenALetterAndItsAccentNever()
    {
        var excerpt = CustomerPolicy.Excerpt(new string('x', 138) + "e\u0301e\u0301e\u0301");

        Assert.Equal(new string('x', 138) + "…", excerpt);
    }

    [Fact]
    public void ConversationIdsAreTheServersThirtyTwoHexDigits()
    {
        Assert.True(ConversationRules.IsConversationId(Guid.NewGuid().ToString("N")));
        Assert.False(ConversationRules.IsConversationId(Guid.NewGuid().ToString("N").ToUpperInvariant()));
        Assert.False(ConversationRules.IsConversationId(new string('9', 300)));
        Assert.False(ConversationRules.IsConversationId(".."));
        Assert.False(ConversationRules.IsConversationId(null));
    }
}
