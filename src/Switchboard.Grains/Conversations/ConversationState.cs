namespace Switchboard.Conversations;

[GenerateSerializer, Alias("Switchboard.ConversationState")]
public sealed class ConversationState
{
    [Id(0)] public bool Started { get; set; }
    [Id(1)] public string CustomerName { get; set; } = "";
    [Id(2)] public string? CustomerId { get; set; }
    [Id(3)] public string Topic { get; set; } = "";
    [Id(4)] public ConversationStatus Status { get; set; }
    [Id(5)] public string? AgentId { get; set; }
    [Id(6)] public int Priority { get; set; }
    [Id(7)] public bool Vip { get; set; }
    [Id(8)] public int RequiredProficiency { get; set; } = 1;
    [Id(9)] public DateTimeOffset StartedAt { get; set; }

    /// <summary>What queue ordering ages from: the start, so transfers and returns keep the customer's place.</summary>
    [Id(10)] public DateTimeOffset WaitingSince { get; set; }

    /// <summary>Changes each time the conversation is queued; a queue's assignment counts only for the current one.</summary>
    [Id(11)] public int Ticket { get; set; }
    [Id(12)] public bool Returned { get; set; }
    /// <summary>
    /// The newest messages: those after the sealed pages (<see cref="Pages"/>), fewer than a page once stored.
    /// A state stored before pages existed holds every message here; it is sealed page by page at its next change.
    /// </summary>
    [Id(13)] public List<ChatMessage> Messages { get; set; } = [];
    [Id(14)] public DateTimeOffset? FirstResponseAt { get; set; }
    [Id(15)] public DateTimeOffset? ResolvedAt { get; set; }
    [Id(16)] public Emotion Emotion { get; set; }
    [Id(17)] public ComplaintTier Tier { get; set; }
    [Id(18)] public DateTimeOffset FirstResponseDueAt { get; set; }
    [Id(19)] public bool Warned { get; set; }
    [Id(20)] public bool Breached { get; set; }

    /// <summary>When the current agent got it: the reservation timeout counts from here.</summary>
    [Id(21)] public DateTimeOffset? AssignedAt { get; set; }

    /// <summary>The queues it waits in now: its own, then the overflow queues.</summary>
    [Id(22)] public List<string> Queues { get; set; } = [];

    /// <summary>When the current wait began: overflow and ticket count from here.</summary>
    [Id(23)] public DateTimeOffset QueuedAt { get; set; }
    [Id(24)] public int OverflowStage { get; set; }
    [Id(25)] public string? ExcludedAgentId { get; set; }
    [Id(26)] public List<SlaEvent> SlaEvents { get; set; } = [];
    [Id(27)] public DateTimeOffset? FollowUpDueAt { get; set; }
    [Id(28)] public bool FollowUpDone { get; set; }

    /// <summary>A durable reminder is registered to wake the conversation after a silo failure.</summary>
    [Id(29)] public bool WakeUp { get; set; }

    /// <summary>What the channel knows about the customer (order number, email, ...).</summary>
    [Id(30)] public Dictionary<string, string> Context { get; set; } = [];

    /// <summary>Agent messages that broke a house rule and were let through (warn mode).</summary>
    [Id(31)] public int RuleWarnings { get; set; }

    /// <summary>The customer left before any agent answered (the status is then Resolved).</summary>
    [Id(32)] public bool Abandoned { get; set; }

    /// <summary>The customer's rating after resolution; set once.</summary>
    [Id(33)] public ConversationRating? Rating { get; set; }

    /// <summary>The messaging channel that opened it (its webhook), or null for web chat and the public API.</summary>
    [Id(34)] public string? Channel { get; set; }

    /// <summary>
    /// A client's message id → the sequence it became (a channel's ids, a web client's, an agent's prefixed with
    /// theirs): a retry is answered with the stored message, not stored twice.
    /// </summary>
    /// <remarks>Only the ids of <see cref="Messages"/>: a sealed page keeps its own.</remarks>
    [Id(35)] public Dictionary<string, int> MessageIds { get; set; } = [];

    /// <summary>The customer's recent conversations when this one started (from their customer grain).</summary>
    [Id(36)] public List<Customers.CustomerConversation> History { get; set; } = [];

    /// <summary>Set for an outbound conversation: the trigger and whether the customer answered.</summary>
    [Id(37)] public OutreachInfo? Outreach { get; set; }

    /// <summary>The agent offered it first; its hold is cleared once the conversation is assigned or returned.</summary>
    [Id(38)] public RoutingPreference? Preference { get; set; }

    /// <summary>The resolved conversation the customer came back to within the reopen window.</summary>
    [Id(39)] public string? ReopenedFrom { get; set; }

    /// <summary>
    /// How many messages the conversation held when it reached its cap (<see cref="TranscriptLimits"/>); null while
    /// it has room. Set once: the note that tells the customer goes with it, and the agent's reserve counts from it.
    /// </summary>
    [Id(40)] public int? FullAt { get; set; }

    /// <summary>
    /// The pages of messages stored apart (<see cref="Transcript"/>), in order, each named by the random number it was
    /// written under; each holds <see cref="TranscriptLimits.MessagesPerPage"/> messages at the time it was sealed,
    /// and they come before <see cref="Messages"/>.
    /// </summary>
    [Id(41)] public List<long> Pages { get; set; } = [];

    /// <summary>The customer's language (a supported code), chosen at the start; null in states stored before languages (English).</summary>
    [Id(42)] public string? Language { get; set; }

    /// <summary>What the customer left when they chose to be answered later (they are then a ticket).</summary>
    [Id(43)] public Supervision.LeftMessage? LeftMessage { get; set; }

    /// <summary>The supervisor who claimed the ticket to answer it later.</summary>
    [Id(44)] public string? TicketClaimedBy { get; set; }

    /// <summary>The answer to the ticket and its delivery; its next attempt is one of the clock's due times.</summary>
    [Id(45)] public Supervision.TicketAnswer? TicketAnswer { get; set; }

    /// <summary>Nobody who handles the topic was available when the customer was acknowledged: leaving a message is offered at once.</summary>
    [Id(46)] public bool NobodyAvailableAtStart { get; set; }

    /// <summary>The staff's internal notes, in order (ConversationGrain.Supervision.cs); never the customer's to read.</summary>
    [Id(47)] public List<InternalNote> Notes { get; set; } = [];

    /// <summary>The supervisors who joined the conversation and may write into it.</summary>
    [Id(48)] public List<string> Supervisors { get; set; } = [];

    /// <summary>A supervisor watched it once: its pushes also go to the watchers' group (set once, never cleared).</summary>
    [Id(49)] public bool Watched { get; set; }
}
