using Switchboard.Agents;
using Switchboard.Metrics;

namespace Switchboard.Conversations;

/// <summary>
/// A supervisor on a live conversation (watch, join, write, reassign to a named agent) and the staff's internal
/// notes. Watching touches nothing of the agent's: the watchers hear the conversation through a group of their own.
/// </summary>
public sealed partial class ConversationGrain
{
    /// <summary>Enough for a long handover; a note is for staff, not a second transcript.</summary>
    internal const int MaxNotes = 100;

    public async Task<ConversationView> WatchAsync(string supervisorId)
    {
        EnsureStarted();
        if (!State.Watched)
        {
            // Stored, so that an activation elsewhere (after a migration or a silo's death) still pushes to watchers.
            State.Watched = true;
            await CommitAsync();
        }

        Notifier.Watch(Id, watched: true);
        return View();
    }

    public async Task<ConversationView> JoinAsSupervisorAsync(string supervisorId, string supervisorName)
    {
        EnsureStarted();
        if (State.Supervisors.Contains(supervisorId))
        {
            return View();
        }

        EnsureAssigned();
        var now = Time.GetUtcNow();
        State.Supervisors.Add(supervisorId);
        State.Watched = true;
        var notice = Append(MessageAuthor.System, supervisorId, Language.Text("supervisor.joined", ("supervisor", supervisorName)), now, supervisorName);
        await CommitAsync();
        Notifier.Watch(Id, watched: true);
        Notifier.MessagePosted(Id, State.AgentId, notice);
        return View();
    }

    public async Task<ChatMessage> PostSupervisorMessageAsync(string supervisorId, string supervisorName, string messageId, string text)
    {
        EnsureStarted();
        ConversationRules.ValidateClientId(messageId, "A message id");
        // The same key space as the agent's own replies: a supervisor's ids are theirs alone.
        var key = $"agent:{supervisorId}:{messageId}";
        if (Replay(key, MessageAuthor.Agent, text) is { } original)
        {
            return original;
        }

        EnsureAssigned();
        if (!State.Supervisors.Contains(supervisorId))
        {
            throw SwitchboardException.Forbidden($"Join conversation '{Id}' before writing into it.");
        }

        return await PostStaffMessageAsync(supervisorId, text, key, supervisorName);
    }

    public async Task<ConversationView> ReassignToAgentAsync(string supervisorId, string agentId)
    {
        EnsureOpen();
        ArgumentException.ThrowIfNullOrWhiteSpace(agentId);
        if (State.Status == ConversationStatus.Assigned && State.AgentId == agentId)
        {
            return View();
        }

        if (State.Status is not (ConversationStatus.Assigned or ConversationStatus.Waiting))
        {
            throw SwitchboardException.Conflict($"Conversation '{Id}' is a ticket: claim it from the ticket board instead.");
        }

        var previous = State.Status == ConversationStatus.Assigned ? State.AgentId : null;
        var queues = State.Queues.ToArray();
        var agent = GrainFactory.Grain<IAgentGrain>(agentId);
        // As an offer: only the agent's grain grants a slot, and until the assignment is stored the slot counts as
        // claimed by this conversation (IsAssignedToAsync).
        _reservingWith = agentId;
        try
        {
            var reservation = await agent.TryReserveAsync(Id, State.Topic, State.RequiredProficiency);
            if (!reservation.Granted && PrimaryQueue == Queues.Queues.Supervisors)
            {
                reservation = await agent.TryReserveAsync(Id, Queues.Queues.Supervisors, 1);
            }

            if (!reservation.Granted)
            {
                throw SwitchboardException.Conflict(
                    $"Agent '{agentId}' cannot take conversation '{Id}': it needs {State.Topic} at proficiency {State.RequiredProficiency}, online, with free capacity.");
            }

            var joined = Assign(agentId, reservation.AgentName);
            await CommitAsync();
            if (previous is null)
            {
                Metrics.Record(ConversationEvents.Assigned(State));
            }

            ReportToCustomer();
            if (previous is not null)
            {
                Notifier.ConversationWithdrawn(previous, Id, $"reassigned to {agentId} by supervisor {supervisorId}");
            }

            Notifier.ConversationAssigned(agentId, View());
            Notifier.MessagePosted(Id, agentId: null, joined);
        }
        finally
        {
            _reservingWith = null;
        }

        if (previous is not null)
        {
            await ReleaseAgentAsync(previous);
        }

        await RemoveFromQueuesAsync(queues);
        return View();
    }

    public async Task<InternalNote> AddNoteAsync(string authorId, string authorName, bool supervisor, string noteId, string text)
    {
        EnsureStarted();
        ConversationRules.ValidateClientId(noteId, "A note id");
        if (State.Notes.Find(n => n.Id == noteId && n.AuthorId == authorId) is { } original)
        {
            return original.Text == text ? original : throw SwitchboardException.Conflict($"Note id '{noteId}' was already used for a different note.");
        }

        if (supervisor)
        {
            EnsureOpen();
        }
        else
        {
            EnsureHeldBy(authorId);
        }

        ConversationRules.ValidateText(text, _options);
        if (State.Notes.Count >= MaxNotes)
        {
            throw SwitchboardException.Conflict($"Conversation '{Id}' has {MaxNotes} notes, as many as it keeps.");
        }

        var note = new InternalNote(noteId, State.Notes.Count + 1, authorId, authorName, text, Time.GetUtcNow(), _transcript.Count);
        State.Notes.Add(note);
        await CommitAsync();
        Notifier.NotePosted(Id, State.Status == ConversationStatus.Assigned ? State.AgentId : null, note);
        return note;
    }

    /// <summary>A conversation a supervisor watched keeps its pushes going to the watchers on every activation.</summary>
    private void ResumeWatch()
    {
        if (State.Watched)
        {
            Notifier.Watch(Id, watched: true);
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (State.Watched)
        {
            Notifier.Watch(Id, watched: false);
        }

        await TrackBeforeLeavingAsync(reason, cancellationToken);
        await base.OnDeactivateAsync(reason, cancellationToken);
    }
}
