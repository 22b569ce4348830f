using Switchboard.Conversations;

namespace Switchboard.Sla;

/// <summary>The pure rules behind the first-response clock: class, deadline, emotion, priority.</summary>
public static class SlaPolicy
{
    /// <summary>High: over the high amount or a public review threat; medium: from the medium amount; else low.</summary>
    public static ComplaintTier Classify(bool complaint, decimal? amount, bool publicReviewThreat, SlaOptions options)
    {
        if (publicReviewThreat || (complaint && amount > options.HighComplaintAmount))
        {
            return ComplaintTier.High;
        }

        if (!complaint)
        {
            return ComplaintTier.None;
        }

        return amount >= options.MediumComplaintAmount ? ComplaintTier.Medium : ComplaintTier.Low;
    }

    /// <summary>
    /// A chat's clock follows its emotion (none known: the default). A complaint's clock follows its tier, shortened
    /// when the customer is upset or angry (their clock is then the shorter of the two).
    /// </summary>
    public static TimeSpan FirstResponseTarget(ComplaintTier tier, Emotion emotion, SlaOptions options)
    {
        TimeSpan? byEmotion = emotion switch
        {
            Emotion.Calm => options.CalmFirstResponse,
            Emotion.Upset => options.UpsetFirstResponse,
            Emotion.Angry => options.AngryFirstResponse,
            _ => null,
        };
        if (tier == ComplaintTier.None)
        {
            return byEmotion ?? options.DefaultFirstResponse;
        }

        var byTier = tier switch
        {
            ComplaintTier.High => options.HighComplaintFirstResponse,
            ComplaintTier.Medium => options.MediumComplaintFirstResponse,
            _ => options.LowComplaintFirstResponse,
        };
        return emotion is Emotion.Upset or Emotion.Angry && byEmotion < byTier ? byEmotion.Value : byTier;
    }

    /// <summary>
    /// The emotion a customer message shows, never lower than <paramref name="current"/>, by the English rules. Signals:
    /// "!!!", shouting (eight or more letters, at least 80 % capitals), a word or phrase from the angry list. One signal
    /// makes the customer upset, two or more angry.
    /// </summary>
    public static Emotion Detect(string text, Emotion current, SlaOptions options) => Detect(text, current, options.EnglishEmotion());

    /// <summary>As <see cref="Detect(string, Emotion, SlaOptions)"/>, by one language's rules (its words; what shouting counts).</summary>
    public static Emotion Detect(string text, Emotion current, EmotionRules rules)
    {
        var signals = 0;
        if (text.Contains("!!!", StringComparison.Ordinal))
        {
            signals++;
        }

        if (rules.IsShouting(text))
        {
            signals += rules.ShoutingSignals;
        }

        if (rules.HasAngryWord(text))
        {
            signals++;
        }

        if (signals == 0)
        {
            return current;
        }

        var shown = signals == 1 ? Emotion.Upset : Emotion.Angry;
        return Severity(shown) > Severity(current) ? shown : current;
    }

    public static int Severity(Emotion emotion) => emotion switch
    {
        Emotion.Calm => 0,
        Emotion.Neutral => 1,
        Emotion.Upset => 2,
        _ => 3,
    };

    /// <summary>Priority points on top of the channel's priority and the VIP boost.</summary>
    public static int PriorityBoost(Emotion emotion, ComplaintTier tier, bool breached, SlaOptions options) =>
        (emotion switch
        {
            Emotion.Upset => options.UpsetPriorityBoost,
            Emotion.Angry => options.AngryPriorityBoost,
            _ => 0,
        })
        + (tier == ComplaintTier.None ? 0 : options.ComplaintPriorityBoost)
        + (breached ? options.BreachPriorityBoost : 0);

    /// <summary>When the assigned agent is warned: the configured share of the way to the deadline.</summary>
    public static DateTimeOffset WarningAt(DateTimeOffset startedAt, DateTimeOffset dueAt, SlaOptions options) =>
        startedAt + ((dueAt - startedAt) * options.WarningShare);
}
