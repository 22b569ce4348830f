using System.Collections.Immutable;
using Switchboard.Conversations;
using Switchboard.Customers;
using Switchboard.Queues;
using Switchboard.Routing;

namespace Switchboard.Tests.Customers;

public sealed class CustomerPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly CustomerOptions Options = new();

    private static CustomerConversation Past(
        string id, string topic, TimeSpan ago, string? agent, bool resolved = true, bool abandoned = false, TimeSpan? resolvedAgo = null) =>
        new(id, topic, Now - ago - TimeSpan.FromMinutes(5), resolved ? ConversationStatus.Resolved : ConversationStatus.Assigned,
            agent, resolved ? Now - (resolvedAgo ?? ago) : null, resolved && !abandoned ? agent : null, abandoned, null, "", null, false, null, 1);

    [Fact]
    public void AConversationResolvedMinutesAgoOnTheSameTopicGoesBackToTheAgentWhoResolvedIt()
    {
        var preferred = CustomerPolicy.Prefer([Past("a", "shipping", TimeSpan.FromMinutes(4), "alice"), Past("b", "payment", TimeSpan.FromMinutes(1), "chloe")], "shipping", Now, Options);

        Assert.Equal(new RoutingPreference("alice", PreferenceReason.Reopened), preferred?.Preference);
        Assert.Equal("a", preferred?.ReopenedFrom);
    }

    [Fact]
    public void PastTheReopenWindowTheLastAgentWithinSevenDaysIsPreferredAndNothingIsReopened()
    {
        var preferred = CustomerPolicy.Prefer([Past("a", "shipping", TimeSpan.FromDays(2), "alice")], "shipping", Now, Options);

        Assert.Equal(new RoutingPreference("alice", PreferenceReason.LastAgent), preferred?.Preference);
        Assert.Null(preferred?.ReopenedFrom);
    }

    [Fact]
    public void AnAgentWhoServedTheSameTopicIsPreferredOverAMoreRecentOneOnAnotherTopic()
    {
        var preferred = CustomerPolicy.Prefer(
            [Past("a", "shipping", TimeSpan.FromDays(3), "alice"), Past("b", "payment", TimeSpan.FromDays(1), "chloe")], "shipping", Now, Options);

        Assert.Equal("alice", preferred?.Preference.AgentId);
    }

    [Fact]
    public void WithoutASameTopicConversationTheMostRecentAgentIsPreferred()
    {
        var preferred = CustomerPolicy.Prefer(
            [Past("a", "returns", TimeSpan.FromDays(3), "emma"), Past("b", "payment", TimeSpan.FromDays(1), "chloe")], "shipping", Now, Options);

        Assert.Equal("chloe", preferred?.Preference.AgentId);
    }

    [Fact]
    public void NobodyIsPreferredAfterSevenDaysOrForAnAbandonedConversation()
    {
        Assert.Null(CustomerPolicy.Prefer([Past("a", "shipping", TimeSpan.FromDays(8), "alice")], "shipping", Now, Options));
        Assert.Null(CustomerPolicy.Prefer([Past("a", "shipping", TimeSpan.FromMinutes(1), "alice", abandoned: true)], "shipping", Now, Options));
        Assert.Null(CustomerPolicy.Prefer([], "shipping", Now, Options));
    }

    [Fact]
    public void AnAgentHoldingAnotherOpenConversationOfTheCustomerIsPreferred()
    {
        var preferred = CustomerPolicy.Prefer([Past("a", "payment", TimeSpan.FromMinutes(2), "chloe", resolved: false)], "account", Now, Options);

        Assert.Equal(new RoutingPreference("chloe", PreferenceReason.LastAgent), preferred?.Preference);
    }

    [Fact]
    public void RecentHistoryIsNewestFirstLimitedAndLeavesOutTheCurrentConversation()
    {
        CustomerConversation[] history = [.. Enumerable.Range(1, 8).Select(i => Past($"c{i}", "shipping", TimeSpan.FromDays(10 - i), "alice"))];

        var recent = CustomerPolicy.Recent(history, 5, except: "c8");

        Assert.Equal(["c7", "c6", "c5", "c4", "c3"], recent.Select(c => c.Id));
    }

    [Fact]
    public void OutreachIsAllowedUntilTheLimitThenAgainWhenTheOldestLeavesTheWindow()
    {
        var options = new OutreachOptions { MaxPerCustomer = 2, Window = TimeSpan.FromDays(1) };

        Assert.Null(CustomerPolicy.OutreachRetryAfter([], Now, options));
        Assert.Null(CustomerPolicy.OutreachRetryAfter([Now - TimeSpan.FromHours(1)], Now, options));
        Assert.Equal(TimeSpan.FromHours(4), CustomerPolicy.OutreachRetryAfter([Now - TimeSpan.FromHours(20), Now - TimeSpan.FromHours(2)], Now, options));
        Assert.Null(CustomerPolicy.OutreachRetryAfter([Now - TimeSpan.FromHours(25), Now - TimeSpan.FromHours(2)], Now, options));
    }

    [Fact]
    public void TemplatesAreFilledAndMissingValuesAreNamed()
    {
        var filled = CustomerPolicy.Fill("Hello {name}, order {order} is late.", new Dictionary<string, string> { ["name"] = "Ann", ["order"] = "1234" }, out var none);
        var partial = CustomerPolicy.Fill("Hello {name}, order {order} is late.", new Dictionary<string, string> { ["name"] = "Ann" }, out var missing);

        Assert.Equal("Hello Ann, order 1234 is late.", filled);
        Assert.Empty(none);
        Assert.Equal(["order"], missing);
        Assert.Contains("{order}", partial);
    }

    [Fact]
    public void TheProfileKeepsEveryOrderNewestFirstAndTheLatestAttributes()
    {
        var first = CustomerPolicy.Merge(null, "Ann", false, ImmutableDictionary<string, string>.Empty.Add("order", "1").Add("language", "fr"));
        var second = CustomerPolicy.Merge(first, "Ann Smith", true, ImmutableDictionary<string, string>.Empty.Add("order", "2").Add("email", "a@x"));

        Assert.Equal(["2", "1"], second.Orders.AsEnumerable());
        Assert.Equal("fr", second.Language);
        Assert.Equal("Ann Smith", second.Name);
        Assert.True(second.Vip);
        Assert.Equal("a@x", second.Attributes["email"]);
    }

    [Fact]
    public void AnExcerptIsOneLineOfAtMostAHundredAndFortyCharacters()
    {
        var excerpt = CustomerPolicy.Excerpt("line one\nline two " + new string('x', 300));

        Assert.Equal(CustomerPolicy.ExcerptLength, excerpt.Length);
        Assert.StartsWith("line one line two", excerpt);
        Assert.EndsWith("…", excerpt);
    }

    [Fact]
    public void AHoldEndsAfterItsLengthOrAtTheFirstResponseDeadlineWhicheverIsFirst()
    {
        Assert.Equal(Now.AddSeconds(20), LastAgentHold.End(Now, TimeSpan.FromSeconds(20), Now.AddSeconds(90)));
        Assert.Equal(Now.AddSeconds(15), LastAgentHold.End(Now, TimeSpan.FromSeconds(20), Now.AddSeconds(15)));
    }

    [Fact]
    public void AnEntryIsHeldOnlyForItsPreferredAgentAndOnlyUntilTheHoldEnds()
    {
        var held = new QueueEntry("c", 1, 0, 1, Now, PreferredAgentId: "alice", HoldUntil: Now.AddSeconds(20));

        Assert.True(LastAgentHold.IsHeld(held, Now.AddSeconds(19)));
        Assert.False(LastAgentHold.IsHeld(held, Now.AddSeconds(20)));
        Assert.False(LastAgentHold.IsHeld(held with { PreferredAgentId = null }, Now));
        Assert.False(LastAgentHold.IsHeld(new QueueEntry("c", 1, 0, 1, Now), Now));
    }

    [Fact]
    public void ATriggerRoutedToAnUnknownSkillOrWithoutATemplateIsACheckedProblem()
    {
        var options = new CustomerOptions();
        options.Outreach.Triggers["lateDelivery"] = new OutreachTriggerOptions { Skill = "nowhere", Template = "" };

        var problems = options.Problems(skill => skill == "shipping").ToList();

        Assert.Contains(problems, p => p.Contains("'nowhere'"));
        Assert.Contains(problems, p => p.Contains("needs a Template"));
        Assert.Empty(new CustomerOptions().Problems(_ => true));
    }
}
