using Switchboard.Conversations;
using Switchboard.Sla;

namespace Switchboard.Tests.Sla;

/// <summary>The rules of docs/sla.md "What happens on the clock", each on the pure clock, without Orleans.</summary>
public sealed class ConversationClockTests
{
    private static readonly SlaOptions Options = new();
    private static readonly DateTimeOffset Start = new(2025, 3, 3, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    /// <summary>A chat on the default 90 s clock, started and queued at <see cref="Start"/>, waiting in its own queue.</summary>
    private static ConversationFacts Waiting() => new()
    {
        Started = true,
        Status = ConversationStatus.Waiting,
        StartedAt = Start,
        FirstResponseDueAt = Start + Options.DefaultFirstResponse,
        QueuedAt = Start,
        FallbackQueueExists = true,
    };

    private static ConversationFacts AssignedAt(int seconds) =>
        Waiting() with { Status = ConversationStatus.Assigned, AssignedAt = At(seconds) };

    private static DateTimeOffset At(double seconds) => Start + TimeSpan.FromSeconds(seconds);

    private static ClockDue Due(ConversationFacts facts, DateTimeOffset now) => ConversationClock.Due(facts, now, Options);

    private static DateTimeOffset? NextDue(ConversationFacts facts) => ConversationClock.NextDue(facts, Options);

    [Fact]
    public void AConversationThatNeverStartedHasNothingDue()
    {
        Assert.False(Due(default, DateTimeOffset.MaxValue).Any);
        Assert.Null(NextDue(default));
    }

    [Fact]
    public void TheAcknowledgementIsPartOfTheStartSoTheClockHasNothingDueAtTheStart()
    {
        Assert.False(Due(Waiting(), Start).Any);
        Assert.Equal(At(60), NextDue(Waiting()));
    }

    [Fact]
    public void TheAssignedAgentIsWarnedTwoThirdsOfTheWayToTheDeadline()
    {
        var facts = AssignedAt(45);

        Assert.Equal(At(60), NextDue(facts));
        Assert.False(Due(facts, At(60) - Tick).Any);
        Assert.Equal(ClockActions.Warn, Due(facts, At(60)).Actions);
    }

    [Fact]
    public void TheWarningFollowsTheClassClock()
    {
        var complaint = AssignedAt(0) with { FirstResponseDueAt = Start + Options.MediumComplaintFirstResponse, Tier = ComplaintTier.Medium };

        Assert.Equal(Start + TimeSpan.FromMinutes(20), ConversationClock.WarningAt(complaint, Options));
        Assert.False(Due(complaint with { AssignedAt = At(1199) }, At(1200) - Tick).Any);
        Assert.True(Due(complaint with { AssignedAt = At(1199) }, At(1200)).Has(ClockActions.Warn));
    }

    [Fact]
    public void AnAgentIsWarnedOnlyOnce()
    {
        var warned = AssignedAt(45) with { Warned = true };

        Assert.False(Due(warned, At(70)).Any);
        Assert.Equal(At(75), NextDue(warned));
    }

    [Fact]
    public void NoWarningIsSaidOnceTheDeadlineHasPassedButItIsMarkedAsGiven()
    {
        // Breached while waiting, taken by an agent after the deadline.
        var late = AssignedAt(100) with { Breached = true };

        Assert.Equal(At(60), NextDue(late));
        var due = Due(late, At(100));
        Assert.Equal(ClockActions.SkipWarning, due.Actions);
        Assert.False(due.Has(ClockActions.Warn));
    }

    [Fact]
    public void AWarningAndABreachAtTheDeadlineItselfLeaveTheWarningUnsaid()
    {
        var facts = AssignedAt(80);

        Assert.Equal(ClockActions.SkipWarning | ClockActions.Breach, Due(facts, At(90)).Actions);
    }

    [Fact]
    public void AWaitingConversationOrATicketIsNeverWarned()
    {
        Assert.False(Due(Waiting() with { QueuedAt = At(59) }, At(61)).Any);
        Assert.False(Due(Waiting() with { Status = ConversationStatus.Ticket }, At(61)).Any);
    }

    [Fact]
    public void AnAgentWhoDoesNotAnswerWithinTheReservationTimeoutLosesTheConversation()
    {
        var facts = AssignedAt(10) with { Warned = true };

        Assert.Equal(At(40), NextDue(facts));
        Assert.False(Due(facts, At(40) - Tick).Any);
        Assert.Equal(ClockActions.ExpireReservation, Due(facts, At(40)).Actions);
    }

    [Fact]
    public void AnAgentWhoHasAnsweredKeepsTheConversationPastTheReservationTimeout()
    {
        var answered = AssignedAt(10) with { FirstResponseAt = At(20) };

        Assert.False(Due(answered, At(3600)).Any);
        Assert.Null(NextDue(answered));
    }

    [Fact]
    public void AReservationTimeoutAndABreachFallDueTogether()
    {
        var facts = AssignedAt(60) with { Warned = true };

        Assert.Equal(At(90), NextDue(facts));
        Assert.Equal(ClockActions.ExpireReservation | ClockActions.Breach, Due(facts, At(90)).Actions);
    }

    [Fact]
    public void AnExpiredReservationStartsANewWaitSoNeitherOverflowNorTicketFollowInTheSamePass()
    {
        // Assigned long after it was first queued: the overflow and ticket times of that old wait do not apply.
        var facts = AssignedAt(400) with { Warned = true, Breached = true };

        Assert.Equal(ClockActions.ExpireReservation, Due(facts, At(430)).Actions);
    }

    [Theory]
    [InlineData(ConversationStatus.Waiting)]
    [InlineData(ConversationStatus.Assigned)]
    [InlineData(ConversationStatus.Ticket)]
    public void AnUnansweredConversationBreachesAtItsDeadlineWhetherWaitingAssignedOrATicket(ConversationStatus status)
    {
        // Warned, queued and assigned just before the deadline: the breach is the only thing due at it.
        var facts = Waiting() with { Status = status, Warned = true, QueuedAt = At(89), AssignedAt = status == ConversationStatus.Assigned ? At(89) : null };

        Assert.Equal(At(90), NextDue(facts));
        Assert.False(Due(facts, At(90) - Tick).Any);
        Assert.Equal(ClockActions.Breach, Due(facts, At(90)).Actions);
    }

    [Fact]
    public void AFirstAnswerStopsTheFirstResponseClock()
    {
        var answered = AssignedAt(30) with { FirstResponseAt = At(35) };

        Assert.False(Due(answered, At(90)).Any);
        Assert.False(Due(answered, At(86_400)).Any);
        Assert.Null(NextDue(answered));
    }

    [Fact]
    public void ABreachIsRecordedOnce()
    {
        var breached = Waiting() with { Status = ConversationStatus.Ticket, Breached = true };

        Assert.False(Due(breached, At(3600)).Any);
        Assert.Null(NextDue(breached));
    }

    [Fact]
    public void AResolvedConversationNeverBreaches()
    {
        var resolved = Waiting() with { Status = ConversationStatus.Resolved };

        Assert.False(Due(resolved, At(3600)).Any);
        Assert.Null(NextDue(resolved));
    }

    [Fact]
    public void AfterOverflowAfterWaitingItAlsoJoinsTheFallbackQueue()
    {
        var facts = Waiting() with { Breached = true };

        Assert.Equal(At(60), NextDue(facts));
        Assert.False(Due(facts, At(60) - Tick).Any);
        Assert.Equal(new ClockDue(ClockActions.Overflow | ClockActions.JoinFallbackQueue, 1), Due(facts, At(60)));
    }

    [Fact]
    public void AfterTwiceOverflowAfterItAlsoJoinsTheSupervisors()
    {
        var facts = Waiting() with { Breached = true, OverflowStage = 1, InFallbackQueue = true };

        Assert.Equal(At(120), NextDue(facts));
        Assert.False(Due(facts, At(120) - Tick).Any);
        Assert.Equal(new ClockDue(ClockActions.Overflow | ClockActions.JoinSupervisorsQueue, 2), Due(facts, At(120)));
    }

    [Fact]
    public void AMissingFallbackQueueIsSkippedButItsStageStillPasses()
    {
        var facts = Waiting() with { Breached = true, FallbackQueueExists = false };

        Assert.Equal(new ClockDue(ClockActions.Overflow, 1), Due(facts, At(60)));
        Assert.Equal(At(120), NextDue(facts with { OverflowStage = 1 }));
        Assert.Equal(new ClockDue(ClockActions.Overflow | ClockActions.JoinSupervisorsQueue, 2), Due(facts with { OverflowStage = 1 }, At(120)));
    }

    [Fact]
    public void AConversationAlreadyInTheFallbackQueueDoesNotJoinItAgain()
    {
        // A question about the fallback queue's own skill.
        var facts = Waiting() with { Breached = true, InFallbackQueue = true };

        Assert.Equal(new ClockDue(ClockActions.Overflow, 1), Due(facts, At(60)));
    }

    [Fact]
    public void AHighComplaintAlreadyWithTheSupervisorsDoesNotJoinThemAgain()
    {
        var facts = Waiting() with { Tier = ComplaintTier.High, Breached = true, OverflowStage = 1, InFallbackQueue = true, InSupervisorsQueue = true };

        Assert.Equal(new ClockDue(ClockActions.Overflow, 2), Due(facts, At(120)));
    }

    [Fact]
    public void AfterALongPauseBothOverflowStagesFallDueAtOnce()
    {
        var facts = Waiting() with { Breached = true };

        Assert.Equal(
            new ClockDue(ClockActions.Overflow | ClockActions.JoinFallbackQueue | ClockActions.JoinSupervisorsQueue, 2),
            Due(facts, At(150)));
    }

    [Fact]
    public void AFallbackQueueThatIsTheSupervisorsQueueIsJoinedOnce()
    {
        var options = new SlaOptions { FallbackQueue = Switchboard.Queues.Queues.Supervisors };
        var facts = Waiting() with { Breached = true };

        Assert.Equal(new ClockDue(ClockActions.Overflow | ClockActions.JoinFallbackQueue, 2), ConversationClock.Due(facts, At(150), options));
    }

    [Fact]
    public void OverflowCountsFromTheCurrentWaitNotFromTheStart()
    {
        // Back in the queue at 40 s after an agent lost it.
        var returned = Waiting() with { Breached = true, QueuedAt = At(40) };

        Assert.False(Due(returned, At(99)).Any);
        Assert.Equal(At(100), NextDue(returned));
        Assert.True(Due(returned, At(100)).Has(ClockActions.JoinFallbackQueue));
    }

    [Fact]
    public void AfterTicketAfterWaitingItBecomesATicket()
    {
        var facts = Waiting() with { Breached = true, OverflowStage = 2, InFallbackQueue = true, InSupervisorsQueue = true };

        Assert.Equal(At(300), NextDue(facts));
        Assert.False(Due(facts, At(300) - Tick).Any);
        Assert.Equal(new ClockDue(ClockActions.Ticket, 2), Due(facts, At(300)));
    }

    [Fact]
    public void AConversationUnseenForLongerThanTicketAfterOverflowsBreachesAndBecomesATicketInOnePass()
    {
        var due = Due(Waiting(), At(600));

        Assert.Equal(
            ClockActions.Breach | ClockActions.Overflow | ClockActions.JoinFallbackQueue | ClockActions.JoinSupervisorsQueue | ClockActions.Ticket,
            due.Actions);
        Assert.Equal(2, due.OverflowStage);
    }

    [Fact]
    public void ATicketNeitherOverflowsNorBecomesATicketAgain()
    {
        var ticket = Waiting() with { Status = ConversationStatus.Ticket, Breached = true };

        Assert.False(Due(ticket, At(86_400)).Any);
    }

    [Fact]
    public void AnAssignedConversationNeitherOverflowsNorBecomesATicket()
    {
        var assigned = AssignedAt(10) with { FirstResponseAt = At(15) };

        Assert.False(Due(assigned, At(600)).Any);
    }

    [Fact]
    public void AResolvedComplaintIsFollowedUpThreeDaysLater()
    {
        var resolvedAt = At(900);
        var followUpAt = ConversationClock.FollowUpDueAt(ComplaintTier.Low, resolvedAt, Options);
        var resolved = Waiting() with { Status = ConversationStatus.Resolved, Tier = ComplaintTier.Low, FirstResponseAt = At(30), FollowUpDueAt = followUpAt };

        Assert.Equal(resolvedAt + TimeSpan.FromDays(3), followUpAt);
        Assert.Equal(followUpAt, NextDue(resolved));
        Assert.False(Due(resolved, resolvedAt + TimeSpan.FromDays(3) - Tick).Any);
        Assert.Equal(ClockActions.FollowUp, Due(resolved, resolvedAt + TimeSpan.FromDays(3)).Actions);
    }

    [Fact]
    public void AResolvedOrdinaryChatIsNotFollowedUp()
    {
        var followUpAt = ConversationClock.FollowUpDueAt(ComplaintTier.None, At(900), Options);
        var resolved = Waiting() with { Status = ConversationStatus.Resolved, FirstResponseAt = At(30), FollowUpDueAt = followUpAt };

        Assert.Null(followUpAt);
        Assert.Null(NextDue(resolved));
        Assert.False(Due(resolved, At(900) + TimeSpan.FromDays(30)).Any);
    }

    [Fact]
    public void AFollowUpIsDueOnce()
    {
        var done = Waiting() with { Status = ConversationStatus.Resolved, FollowUpDueAt = At(60), FollowUpDone = true };

        Assert.Null(NextDue(done));
        Assert.False(Due(done, At(120)).Any);
    }

    [Fact]
    public void AnOpenComplaintIsNotFollowedUpBeforeItIsResolved()
    {
        // Stored follow-up times count only once resolved.
        var open = AssignedAt(10) with { Tier = ComplaintTier.Low, FirstResponseAt = At(20), FollowUpDueAt = At(60) };

        Assert.False(Due(open, At(120)).Any);
    }

    [Fact]
    public void AnAngryMessageBringsTheDeadlineForwardSoTheBreachIsDueAtOnce()
    {
        // A chat on the 90 s clock, assigned at 20 s: at 45 s the customer turns angry (30 s clock).
        var facts = AssignedAt(20);
        var raised = facts with { FirstResponseDueAt = ConversationClock.DeadlineAfter(facts, Emotion.Angry, Options) };

        Assert.Equal(At(30), raised.FirstResponseDueAt);
        Assert.Equal(At(20), NextDue(raised));
        var due = Due(raised, At(45));
        Assert.True(due.Has(ClockActions.Breach));
        Assert.True(due.Has(ClockActions.SkipWarning));
    }

    [Fact]
    public void AnUpsetHighComplaintGetsTheUpsetClock()
    {
        var complaint = Waiting() with { Tier = ComplaintTier.High, FirstResponseDueAt = Start + Options.HighComplaintFirstResponse };

        Assert.Equal(At(60), ConversationClock.DeadlineAfter(complaint, Emotion.Upset, Options));
    }

    [Fact]
    public void ARaisedEmotionNeverMovesTheDeadlineLater()
    {
        // Angry from the start (30 s); the upset clock (60 s) is later.
        var angry = Waiting() with { FirstResponseDueAt = At(30) };

        Assert.Equal(At(30), ConversationClock.DeadlineAfter(angry, Emotion.Upset, Options));
    }

    [Fact]
    public void AfterTheFirstAnswerARaisedEmotionLeavesTheDeadlineAlone()
    {
        var answered = AssignedAt(10) with { FirstResponseAt = At(20) };

        Assert.Equal(At(90), ConversationClock.DeadlineAfter(answered, Emotion.Angry, Options));
    }

    [Fact]
    public void AWaitingConversationResendsItsEntryWhenItsRefreshPeriodEnds()
    {
        var facts = Waiting() with { AnnounceAt = At(20) };

        Assert.Equal(At(20), NextDue(facts));
        Assert.False(Due(facts, At(20) - Tick).Any);
        Assert.Equal(ClockActions.Announce, Due(facts, At(20)).Actions);
        Assert.False(Due(facts with { Status = ConversationStatus.Assigned, AssignedAt = At(5), Warned = true }, At(20)).Any);
    }

    [Fact]
    public void TheFactsOfAStoredConversationSayWhichQueuesItWaitsIn()
    {
        var state = new ConversationState
        {
            Started = true,
            Status = ConversationStatus.Waiting,
            Tier = ComplaintTier.High,
            StartedAt = Start,
            FirstResponseDueAt = At(600),
            QueuedAt = At(5),
            OverflowStage = 1,
            Queues = [Switchboard.Queues.Queues.Supervisors, Options.FallbackQueue],
            Warned = true,
        };

        var facts = ConversationFacts.Of(state, Options, fallbackQueueExists: true, announceAt: At(25));

        Assert.Equal(
            Waiting() with
            {
                Tier = ComplaintTier.High,
                FirstResponseDueAt = At(600),
                QueuedAt = At(5),
                OverflowStage = 1,
                InFallbackQueue = true,
                InSupervisorsQueue = true,
                Warned = true,
                AnnounceAt = At(25),
            },
            facts);
    }

    [Fact]
    public void NothingIsDueBeforeNextDueAndSomethingIsDueAtIt()
    {
        var random = new Random(15);
        var supervisorsFallback = new SlaOptions { FallbackQueue = Switchboard.Queues.Queues.Supervisors };
        for (var i = 0; i < 20_000; i++)
        {
            var facts = RandomFacts(random);
            var options = random.Next(4) == 0 ? supervisorsFallback : Options;
            var next = ConversationClock.NextDue(facts, options);
            if (next is not { } at)
            {
                foreach (var now in new[] { Start, At(random.Next(0, 1_000_000)), Start + TimeSpan.FromDays(365) })
                {
                    Assert.False(ConversationClock.Due(facts, now, options).Any, $"Due at {now:O} with no NextDue: {facts}");
                }

                continue;
            }

            Assert.False(ConversationClock.Due(facts, at - Tick, options).Any, $"Due before NextDue {at:O}: {facts}");
            var earlier = at - TimeSpan.FromTicks((long)(random.NextDouble() * TimeSpan.FromHours(1).Ticks));
            Assert.False(ConversationClock.Due(facts, earlier, options).Any, $"Due at {earlier:O}, before NextDue {at:O}: {facts}");
            var due = ConversationClock.Due(facts, at, options);
            Assert.True(due.Any, $"Nothing due at NextDue {at:O}: {facts}");
            Assert.True(due.OverflowStage >= facts.OverflowStage);
            Assert.Equal(due.Has(ClockActions.Overflow), due.OverflowStage > facts.OverflowStage);
        }
    }

    private static ConversationFacts RandomFacts(Random random)
    {
        // Times on a whole-second grid within 10 min of the start, so that many of them coincide.
        DateTimeOffset Time() => At(random.Next(0, 600));
        DateTimeOffset? Maybe() => random.Next(3) == 0 ? null : Time();
        bool Coin() => random.Next(2) == 0;

        var status = (ConversationStatus)random.Next(4);
        return new ConversationFacts
        {
            Started = random.Next(20) != 0,
            Status = status,
            Tier = (ComplaintTier)random.Next(4),
            StartedAt = Start,
            FirstResponseDueAt = Time(),
            FirstResponseAt = random.Next(3) == 0 ? Time() : null,
            AssignedAt = status == ConversationStatus.Assigned || random.Next(5) == 0 ? Maybe() : null,
            Warned = Coin(),
            Breached = Coin(),
            QueuedAt = Time(),
            OverflowStage = random.Next(3),
            FallbackQueueExists = Coin(),
            InFallbackQueue = Coin(),
            InSupervisorsQueue = Coin(),
            FollowUpDueAt = Maybe(),
            FollowUpDone = Coin(),
            AnnounceAt = Maybe(),
        };
    }
}
