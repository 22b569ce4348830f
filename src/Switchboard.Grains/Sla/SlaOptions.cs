namespace Switchboard.Sla;

/// <summary>First-response clocks and the staged actions on them, bound from <c>Switchboard:Sla</c>.</summary>
public sealed class SlaOptions
{
    /// <summary>An ordinary chat with no emotion known.</summary>
    public TimeSpan DefaultFirstResponse { get; set; } = TimeSpan.FromSeconds(90);

    public TimeSpan CalmFirstResponse { get; set; } = TimeSpan.FromSeconds(120);

    public TimeSpan UpsetFirstResponse { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan AngryFirstResponse { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan HighComplaintFirstResponse { get; set; } = TimeSpan.FromMinutes(10);

    public TimeSpan MediumComplaintFirstResponse { get; set; } = TimeSpan.FromMinutes(30);

    public TimeSpan LowComplaintFirstResponse { get; set; } = TimeSpan.FromHours(2);

    /// <summary>A complaint over this amount is high tier.</summary>
    public decimal HighComplaintAmount { get; set; } = 5000m;

    /// <summary>A complaint from this amount up to the high amount is medium tier.</summary>
    public decimal MediumComplaintAmount { get; set; } = 500m;

    /// <summary>The proficiency a medium-tier complaint needs (a senior agent).</summary>
    public int SeniorProficiency { get; set; } = 4;

    /// <summary>The share of the first-response time after which the assigned agent is warned.</summary>
    public double WarningShare { get; set; } = 2.0 / 3.0;

    /// <summary>An assigned agent who has not answered within this loses the conversation to the next agent.</summary>
    public TimeSpan ReservationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Waiting this long also queues the conversation in the fallback queue, twice this long with supervisors.</summary>
    public TimeSpan OverflowAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The first overflow queue.</summary>
    public string FallbackQueue { get; set; } = "general";

    /// <summary>Waiting this long with nobody taking it turns a conversation into a ticket.</summary>
    public TimeSpan TicketAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A resolved complaint's agent is reminded to follow up after this.</summary>
    public TimeSpan FollowUpAfter { get; set; } = TimeSpan.FromDays(3);

    /// <summary>How long the whole queue's work is assumed to take per conversation when nothing was assigned lately.</summary>
    public TimeSpan AssumedHandleTime { get; set; } = TimeSpan.FromMinutes(4);

    /// <summary>Words and phrases that show anger (case-insensitive). Null means the built-in list.</summary>
    public string[]? AngryWords { get; set; }

    public int UpsetPriorityBoost { get; set; } = 2;

    public int AngryPriorityBoost { get; set; } = 4;

    public int ComplaintPriorityBoost { get; set; } = 2;

    public int BreachPriorityBoost { get; set; } = 3;

    public static readonly string[] DefaultAngryWords = EmotionRules.EnglishAngryWords;

    public IReadOnlyList<string> EffectiveAngryWords => AngryWords ?? DefaultAngryWords;

    // Built on first use: settings do not change once bound. A method-backed field, so the binder never sees it.
    private EmotionRules? _englishEmotion;

    /// <summary>The English emotion rules, prepared once from <see cref="AngryWords"/>.</summary>
    public EmotionRules EnglishEmotion() => _englishEmotion ??= new EmotionRules(EffectiveAngryWords);

    public IEnumerable<string> Problems()
    {
        TimeSpan[] clocks =
        [
            DefaultFirstResponse, CalmFirstResponse, UpsetFirstResponse, AngryFirstResponse, HighComplaintFirstResponse,
            MediumComplaintFirstResponse, LowComplaintFirstResponse, ReservationTimeout, OverflowAfter, TicketAfter,
            FollowUpAfter, AssumedHandleTime,
        ];
        if (clocks.Any(c => c <= TimeSpan.Zero))
        {
            yield return "Every Switchboard:Sla duration must be positive.";
        }

        if (WarningShare is <= 0 or >= 1)
        {
            yield return "Switchboard:Sla:WarningShare must be between 0 and 1.";
        }

        if (MediumComplaintAmount > HighComplaintAmount)
        {
            yield return "Switchboard:Sla:MediumComplaintAmount must not exceed HighComplaintAmount.";
        }

        if (SeniorProficiency is < 1 or > 5)
        {
            yield return "Switchboard:Sla:SeniorProficiency must be 1–5.";
        }
    }
}
