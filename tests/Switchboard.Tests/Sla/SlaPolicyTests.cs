using Switchboard.Conversations;
using Switchboard.Sla;

namespace Switchboard.Tests.Sla;

public sealed class SlaPolicyTests
{
    private static readonly SlaOptions Options = new();

    [Theory]
    [InlineData(false, null, false, ComplaintTier.None)]
    [InlineData(true, null, false, ComplaintTier.Low)]
    [InlineData(true, 499.99, false, ComplaintTier.Low)]
    [InlineData(true, 500.0, false, ComplaintTier.Medium)]
    [InlineData(true, 5000.0, false, ComplaintTier.Medium)]
    [InlineData(true, 5000.01, false, ComplaintTier.High)]
    [InlineData(true, 20.0, true, ComplaintTier.High)]
    [InlineData(false, null, true, ComplaintTier.High)]
    public void ComplaintTiersFollowTheAmountAndAnyPublicReviewThreat(bool complaint, double? amount, bool review, ComplaintTier expected) =>
        Assert.Equal(expected, SlaPolicy.Classify(complaint, (decimal?)amount, review, Options));

    [Theory]
    [InlineData(ComplaintTier.None, Emotion.Neutral, 90)]
    [InlineData(ComplaintTier.None, Emotion.Calm, 120)]
    [InlineData(ComplaintTier.None, Emotion.Upset, 60)]
    [InlineData(ComplaintTier.None, Emotion.Angry, 30)]
    [InlineData(ComplaintTier.High, Emotion.Neutral, 600)]
    [InlineData(ComplaintTier.Medium, Emotion.Calm, 1800)]
    [InlineData(ComplaintTier.Low, Emotion.Neutral, 7200)]
    [InlineData(ComplaintTier.Low, Emotion.Angry, 30)]
    [InlineData(ComplaintTier.High, Emotion.Upset, 60)]
    public void EachClassHasItsFirstResponseClock(ComplaintTier tier, Emotion emotion, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), SlaPolicy.FirstResponseTarget(tier, emotion, Options));

    [Theory]
    [InlineData("Where is my parcel?", Emotion.Neutral, Emotion.Neutral)]
    [InlineData("Where is my parcel?!!!", Emotion.Neutral, Emotion.Upset)]
    [InlineData("WHERE IS MY PARCEL", Emotion.Neutral, Emotion.Upset)]
    [InlineData("This is ridiculous", Emotion.Calm, Emotion.Upset)]
    [InlineData("THIS IS A SCAM!!!", Emotion.Neutral, Emotion.Angry)]
    [InlineData("Thanks, that helps", Emotion.Angry, Emotion.Angry)]
    [InlineData("OK", Emotion.Calm, Emotion.Calm)]
    [InlineData("I am fed up with waiting!!!", Emotion.Upset, Emotion.Angry)]
    public void MessagesRaiseEmotionButNeverLowerIt(string text, Emotion current, Emotion expected) =>
        Assert.Equal(expected, SlaPolicy.Detect(text, current, Options));

    [Fact]
    public void ShortCapitalisedWordsAreNotShouting() =>
        Assert.Equal(Emotion.Neutral, SlaPolicy.Detect("My order ID is ABC123 from the UK", Emotion.Neutral, Options));

    [Fact]
    public void TheAngryWordListIsConfigurable()
    {
        var options = new SlaOptions { AngryWords = ["bananas"] };

        Assert.Equal(Emotion.Upset, SlaPolicy.Detect("This is bananas", Emotion.Neutral, options));
        Assert.Equal(Emotion.Neutral, SlaPolicy.Detect("This is ridiculous", Emotion.Neutral, options));
    }

    [Fact]
    public void EmotionComplaintsAndBreachesRaisePriority()
    {
        Assert.Equal(0, SlaPolicy.PriorityBoost(Emotion.Neutral, ComplaintTier.None, breached: false, Options));
        Assert.Equal(2, SlaPolicy.PriorityBoost(Emotion.Upset, ComplaintTier.None, breached: false, Options));
        Assert.Equal(4 + 2 + 3, SlaPolicy.PriorityBoost(Emotion.Angry, ComplaintTier.Low, breached: true, Options));
    }

    [Fact]
    public void TheWarningComesTwoThirdsOfTheWayToTheDeadline()
    {
        var start = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

        Assert.Equal(start.AddSeconds(60), SlaPolicy.WarningAt(start, start.AddSeconds(90), Options));
    }

    [Fact]
    public void SettingsThatCannotWorkAreReported()
    {
        var options = new SlaOptions { WarningShare = 1.5, ReservationTimeout = TimeSpan.Zero, MediumComplaintAmount = 9000 };

        Assert.Equal(3, options.Problems().Count());
    }
}
