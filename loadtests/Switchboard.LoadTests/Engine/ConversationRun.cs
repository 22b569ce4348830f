using Microsoft.AspNetCore.SignalR.Client;

namespace Switchboard.LoadTests.Engine;

/// <summary>Where one simulated conversation is.</summary>
public enum RunState
{
    Starting,
    Waiting,
    Assigned,
    Resolving,
    Done,
    Failed,
}

/// <summary>
/// One simulated conversation, seen from both of its sides. The customer's and the agent's clients update it from
/// different threads, so every change happens under <see cref="Gate"/>.
/// </summary>
public sealed class ConversationRun(long index, long due, bool measured, string topic, bool http, Pacer pacer, Uri server)
{
    public Lock Gate { get; } = new();

    public long Index { get; } = index;

    /// <summary>When the conversation was scheduled to start: every latency of it counts from here.</summary>
    public long Due { get; } = due;

    public bool Measured { get; } = measured;

    public string Topic { get; } = topic;

    /// <summary>Started over the channel webhook (HTTP) rather than the customer hub.</summary>
    public bool Http { get; } = http;

    /// <summary>The worker that fires this conversation's actions.</summary>
    public Pacer Pacer { get; } = pacer;

    public Uri Server { get; } = server;

    public RunState State { get; set; } = RunState.Starting;

    /// <summary>The customer's own id for the start: a retry of the start sends it again and gets the same conversation.</summary>
    public string StartId { get; } = Guid.NewGuid().ToString();

    public string? Id { get; set; }

    /// <summary>
    /// Which life of <see cref="CustomerConnection"/> (<see cref="LoadRun"/> counts its drops) this conversation was
    /// last joined in, by its start or a join: a connection that dropped and came back has joined nothing, so after a
    /// drop the conversation joins again before it posts, and to hear its pushes.
    /// </summary>
    public int? JoinedLife { get; set; }

    /// <summary>The customer's token for this conversation (HTTP calls and joining the customer hub carry it).</summary>
    public string? CustomerToken { get; set; }

    public SimulatedAgent? Agent { get; set; }

    /// <summary>The customer hub connection that hears this conversation's pushes and, on SignalR, sends its messages.</summary>
    public HubConnection? CustomerConnection { get; set; }

    /// <summary>True when <see cref="CustomerConnection"/> belongs to this conversation alone (closed with it).</summary>
    public bool OwnsConnection { get; set; }

    public long AssignedAt { get; set; }

    public long FirstResponseAt { get; set; }

    /// <summary>Exchanged messages (after the opening one) that reached the other side.</summary>
    public int Delivered { get; set; }

    /// <summary>Intended send time of the message now travelling; one is in flight at a time.</summary>
    public long InFlightDue { get; set; }

    public int LastAgentSequence { get; set; }

    public int LastCustomerSequence { get; set; } = 1;

    /// <summary>Counts think-time draws so each one gets its own roll of the dice.</summary>
    public int Step { get; set; }

    public bool Finished => State is RunState.Done or RunState.Failed;
}
