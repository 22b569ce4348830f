using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.Api;
using Switchboard.Conversations;
using Switchboard.Hubs;
using Switchboard.LoadTests.Options;

namespace Switchboard.LoadTests.Engine;

/// <summary>
/// The life of one simulated conversation. The customer starts it; the agent's client gets it, thinks, replies; the
/// customer thinks and answers; after the agreed number of messages the agent resolves. Each side reacts only to
/// what its own client hears from the server, as real people would. The start carries a start id and every message a
/// message id, made once, so a call the server answered <c>Unavailable</c> or that was lost with its connection is made
/// again with them (<see cref="WithRetryAsync{T}"/>) and is still stored once; after a reconnect each side reads what
/// it missed, as the pages do.
/// </summary>
public sealed partial class LoadRun
{
    private static readonly Dictionary<string, string[]> OpeningLines = new()
    {
        ["shipping"] = ["Where is my parcel? Order {0} was due yesterday.", "Can I change the delivery address for order {0}?"],
        ["returns"] = ["I want to return order {0}; the size is wrong.", "My refund for order {0} has not arrived."],
        ["payment"] = ["I was charged twice for order {0}.", "My card was declined on order {0}."],
        ["account"] = ["I cannot sign in to my account.", "How do I change the e-mail on my account?"],
        ["general"] = ["Do you have a shop in Lyon?", "Is the winter sale still on?"],
    };

    private void StartConversation(long index, long due)
    {
        if (due >= _clock.LoadEnd)
        {
            // Past the end of the load (an interrupted run): the schedule stops here.
            return;
        }

        var measured = _clock.IsMeasured(due);
        if (measured)
        {
            _metrics.CountDue();
        }

        Interlocked.Increment(ref _arrivalsFired);
        var topic = _topics.Pick(_dice.Roll(index, Roll.Topic));
        var http = _dice.Roll(index, Roll.Channel) < _options.HttpShare;
        var server = _servers[(int)(index % _servers.Count)];
        var run = new ConversationRun(index, due, measured, topic, http, PacerFor(index), server);
        if (measured && _agentsByTopic.TryGetValue(topic, out var serving) && serving.All(a => a.Holding >= a.Profile.Capacity))
        {
            // Its assignment will wait for someone to resolve: staffing, not routing, sets that latency.
            _metrics.CountNoFreeAgent(topic);
        }

        _active[index] = run;
        _ = StartAsync(run);
    }

    private async Task StartAsync(ConversationRun run)
    {
        try
        {
            var connection = await CustomerConnectionForAsync(run);
            var start = new StartConversation(CustomerName(run.Index), run.Topic, OpeningLine(run));
            if (run.Http)
            {
                // The start id goes as the Idempotency-Key: a retry is answered with the conversation the first try opened.
                var started = await WithRetryAsync(run, "POST /api/conversations", null, async () =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/api/conversations") { Content = JsonContent.Create(start, options: _json) };
                    request.Headers.Add(ConversationApi.IdempotencyKeyHeader, run.StartId);
                    using var response = await _http[run.Server].SendAsync(request);
                    UnavailableAnswerException.ThrowIf(response, "start");
                    return response.IsSuccessStatusCode
                        ? (await response.Content.ReadFromJsonAsync<StartedConversation>(_json))!
                        : throw new RefusedException($"start refused: HTTP {(int)response.StatusCode}");
                });
                Started(run, started, joinedLife: null);
                // The channel's outbound side: its customer hears the agent through the customer hub.
                await WithRetryAsync(run, "customer JoinConversation", connection, () => JoinAgainAsync(run, connection));
            }
            else
            {
                var (started, life) = await WithRetryAsync(run, "customer StartConversation", connection, async () =>
                {
                    // The start joins the connection it arrives on to the conversation.
                    var life = Life(connection);
                    return (await connection.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), start with { StartId = run.StartId }), life);
                });
                Started(run, started, life);
            }
        }
        catch (RefusedException refused)
        {
            Fail(run, refused.Message);
        }
        catch (Exception ex)
        {
            Fail(run, $"start failed: {Describe(ex)}");
        }
    }

    /// <summary>
    /// Joins <paramref name="run"/>'s conversation on <paramref name="connection"/> unless it is joined there already
    /// (a connection that reconnected has a new id and has joined nothing), and takes in what the join shows: the
    /// agent's messages and a close that were pushed while nobody here listened.
    /// </summary>
    private async Task JoinAgainAsync(ConversationRun run, HubConnection connection)
    {
        string id;
        string token;
        var life = Life(connection);
        lock (run.Gate)
        {
            if (run.Id is null || run.CustomerToken is null || run.JoinedLife == life)
            {
                return;
            }

            id = run.Id;
            token = run.CustomerToken;
        }

        var joined = await connection.InvokeAsync<ConversationView>(nameof(CustomerHub.JoinConversation), id, token);
        lock (run.Gate)
        {
            run.JoinedLife = life;
        }

        ReadAtCustomer(run, joined);
    }

    /// <summary>
    /// What the customer's client learns from a view of its conversation (a join's, or a start's answer, which for a
    /// retried start may already hold the agent's first message): messages and a close it was not there to be pushed.
    /// </summary>
    private void ReadAtCustomer(ConversationRun run, ConversationView view)
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var message in view.Messages.Where(m => m.From == MessageAuthor.Agent))
        {
            OnAgentMessageAtCustomer(run, message, now);
        }

        if (view.Status == ConversationStatus.Resolved)
        {
            OnClosedAtCustomer(new ConversationClosed(view.Id, view.AgentId));
        }
    }

    /// <summary>A customer connection came back: every conversation on it joins again and reads what it missed.</summary>
    private async Task CatchUpCustomersAsync(HubConnection connection)
    {
        foreach (var run in _active.Values.Where(r => r.CustomerConnection == connection))
        {
            try
            {
                await WithRetryAsync(run, "customer JoinConversation", connection, () => JoinAgainAsync(run, connection));
            }
            catch (Exception ex)
            {
                Fail(run, $"join after reconnect failed: {Describe(ex)}");
            }
        }
    }

    /// <summary>
    /// An agent's connection came back: pushes are not replayed, so read what it holds, as the console does, and act on
    /// what it missed (an assignment, the customer's last message).
    /// </summary>
    private async Task CatchUpAgentAsync(SimulatedAgent agent)
    {
        ConversationView[] held;
        try
        {
            held = await WithRetryAsync(null, "agent GetConversations", agent.Connection,
                () => agent.Connection.InvokeAsync<ConversationView[]>(nameof(AgentHub.GetConversations)));
        }
        catch (Exception ex)
        {
            OnGeneratorError(ex);
            return;
        }

        foreach (var view in held)
        {
            OnAssigned(agent, view);
            foreach (var message in view.Messages)
            {
                OnMessageAtAgent(agent, new MessagePosted(view.Id, message));
            }
        }
    }

    private async Task<HubConnection> CustomerConnectionForAsync(ConversationRun run)
    {
        if (_customerLinks.Count > 0)
        {
            return run.CustomerConnection = _customerLinks[(int)(run.Index % _customerLinks.Count)];
        }

        // One connection per conversation, opened at its due time, as a web-chat page opens one: the connect counts.
        var connection = CustomerConnection(run.Server);
        lock (run.Gate)
        {
            run.CustomerConnection = connection;
            run.OwnsConnection = true;
        }

        await connection.StartAsync();
        return connection;
    }

    private void Started(ConversationRun run, StartedConversation started, int? joinedLife)
    {
        _metrics.StartCall.Record(run.Due, Stopwatch.GetTimestamp(), run.Measured);
        var id = started.Conversation.Id;
        _byId.TryAdd(id, run);
        lock (run.Gate)
        {
            run.Id ??= id;
            run.CustomerToken = started.CustomerToken;
            run.JoinedLife = joinedLife;
            if (run.State == RunState.Starting)
            {
                run.State = RunState.Waiting;
            }
        }

        if (run.Measured)
        {
            _metrics.CountStarted();
        }

        // A retried start is answered with the conversation as it stands: the agent may have written meanwhile.
        ReadAtCustomer(run, started.Conversation);
    }

    private void OnAssigned(SimulatedAgent agent, ConversationView view)
    {
        var now = Stopwatch.GetTimestamp();
        if (!TryParseIndex(view.CustomerName, out var index, out var ours) || !_active.TryGetValue(index, out var run))
        {
            // Not a conversation of this run (left over from an earlier one), or one that already failed here:
            // resolve it, so it does not hold the agent's capacity for the rest of the run.
            if (!ours)
            {
                _metrics.CountStale();
            }

            _ = ResolveQuietlyAsync(agent.Connection, view.Id);
            return;
        }

        _byId.TryAdd(view.Id, run);
        lock (run.Gate)
        {
            if (run.Finished || run.Agent is not null)
            {
                return;
            }

            run.Id ??= view.Id;
            run.Agent = agent;
            run.AssignedAt = now;
            run.State = RunState.Assigned;
        }

        if (run.Measured)
        {
            _metrics.CountAssigned();
        }

        _metrics.Assignment.Record(run.Due, now, run.Measured);
        if (!agent.Hold(run, now))
        {
            _metrics.CountOverCapacity();
        }

        AgentTurn(run, now);
    }

    /// <summary>After a think time the agent writes the next message, or resolves once the exchange is complete.</summary>
    private void AgentTurn(ConversationRun run, long now)
    {
        int delivered;
        int step;
        lock (run.Gate)
        {
            delivered = run.Delivered;
            step = run.Step++;
        }

        var due = now + RunClock.Ticks(_options.AgentThink.Sample(_dice.Roll(run.Index, Roll.Think + step)));
        if (delivered < _options.Messages)
        {
            run.Pacer.At(due, d => _ = AgentSendAsync(run, d));
        }
        else
        {
            run.Pacer.At(due, d => _ = AgentResolveAsync(run, d));
        }
    }

    private async Task AgentSendAsync(ConversationRun run, long due)
    {
        string id;
        SimulatedAgent agent;
        int number;
        lock (run.Gate)
        {
            if (run.Finished)
            {
                return;
            }

            run.InFlightDue = due;
            id = run.Id!;
            agent = run.Agent!;
            number = run.Delivered + 1;
        }

        // Made once per message: every try of it carries the same id, so the server stores it once.
        var messageId = Guid.NewGuid().ToString("N");
        var text = number == 1 ? $"Hi, I am {agent.Profile.Name}; looking into it now." : $"Reply {number}: thanks, one more detail please.";
        try
        {
            await WithRetryAsync(run, "agent SendMessageOnce", agent.Connection,
                () => agent.Connection.InvokeAsync<ChatMessage>(nameof(AgentHub.SendMessageOnce), id, messageId, text));
        }
        catch (Exception ex)
        {
            Fail(run, $"agent message refused: {Describe(ex)}");
            return;
        }

        if (number == _options.Messages)
        {
            // The exchange ends on the agent's own message: it resolves without waiting for an answer.
            var now = Stopwatch.GetTimestamp();
            int step;
            lock (run.Gate)
            {
                step = run.Step++;
            }

            run.Pacer.At(now + RunClock.Ticks(_options.AgentThink.Sample(_dice.Roll(run.Index, Roll.Think + step))), d => _ = AgentResolveAsync(run, d));
        }
    }

    private void OnMessageAtCustomer(MessagePosted posted)
    {
        if (posted.Message.From == MessageAuthor.Agent && _byId.TryGetValue(posted.ConversationId, out var run))
        {
            OnAgentMessageAtCustomer(run, posted.Message, Stopwatch.GetTimestamp());
        }
    }

    private void OnAgentMessageAtCustomer(ConversationRun run, ChatMessage message, long now)
    {
        bool first;
        bool answer;
        long sent;
        lock (run.Gate)
        {
            // The same message can come as a push and in a JoinConversation answer: the sequence tells them apart.
            if (run.Finished || message.Sequence <= run.LastAgentSequence)
            {
                return;
            }

            run.LastAgentSequence = message.Sequence;
            first = run.FirstResponseAt == 0;
            if (first)
            {
                run.FirstResponseAt = now;
            }

            sent = run.InFlightDue;
            run.Delivered++;
            answer = run.Delivered < _options.Messages;
        }

        _metrics.AgentToCustomer.Record(sent, now, run.Measured);
        _metrics.CountMessage(_clock.InWindow(now));
        if (first)
        {
            _metrics.FirstResponse.Record(run.Due, now, run.Measured);
        }

        if (answer)
        {
            int step;
            lock (run.Gate)
            {
                step = run.Step++;
            }

            var due = now + RunClock.Ticks(_options.CustomerThink.Sample(_dice.Roll(run.Index, Roll.Think + step)));
            run.Pacer.At(due, d => _ = CustomerSendAsync(run, d));
        }
    }

    private async Task CustomerSendAsync(ConversationRun run, long due)
    {
        string id;
        string? token;
        int number;
        lock (run.Gate)
        {
            if (run.Finished)
            {
                return;
            }

            run.InFlightDue = due;
            id = run.Id!;
            token = run.CustomerToken;
            number = run.Delivered + 1;
        }

        var text = string.Create(CultureInfo.InvariantCulture, $"Message {number}: the order number is {1000 + run.Index % 9000}.");
        // Made once per message: every try of it carries the same id, so the server stores it once.
        var messageId = Guid.NewGuid().ToString("N");
        try
        {
            if (run.Http)
            {
                await WithRetryAsync(run, "POST /api/conversations/{id}/messages", null, async () =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/conversations/{id}/messages")
                    {
                        Content = JsonContent.Create(new { text }, options: _json),
                    };
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                    request.Headers.Add(ConversationApi.IdempotencyKeyHeader, messageId);
                    using var response = await _http[run.Server].SendAsync(request);
                    UnavailableAnswerException.ThrowIf(response, "customer message");
                    if (!response.IsSuccessStatusCode)
                    {
                        throw new RefusedException($"customer message refused: HTTP {(int)response.StatusCode}");
                    }
                });
            }
            else
            {
                var connection = run.CustomerConnection!;
                await WithRetryAsync(run, "customer SendMessageOnce", connection, async () =>
                {
                    // A connection that reconnected has joined nothing: join again first.
                    await JoinAgainAsync(run, connection);
                    await connection.InvokeAsync<ChatMessage>(nameof(CustomerHub.SendMessageOnce), id, messageId, text);
                });
            }
        }
        catch (RefusedException refused)
        {
            Fail(run, refused.Message);
        }
        catch (Exception ex)
        {
            Fail(run, $"customer message refused: {Describe(ex)}");
        }
    }

    private void OnMessageAtAgent(SimulatedAgent agent, MessagePosted posted)
    {
        // The agent's group also hears its own messages; the customer's opening line came with the assignment.
        if (posted.Message.From != MessageAuthor.Customer || posted.Message.Sequence <= 1
            || !_byId.TryGetValue(posted.ConversationId, out var run))
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        long sent;
        lock (run.Gate)
        {
            if (run.Finished || run.Agent != agent || posted.Message.Sequence <= run.LastCustomerSequence)
            {
                return;
            }

            run.LastCustomerSequence = posted.Message.Sequence;
            sent = run.InFlightDue;
            run.Delivered++;
        }

        _metrics.CustomerToAgent.Record(sent, now, run.Measured);
        _metrics.CountMessage(_clock.InWindow(now));
        AgentTurn(run, now);
    }

    private async Task AgentResolveAsync(ConversationRun run, long due)
    {
        string id;
        SimulatedAgent agent;
        lock (run.Gate)
        {
            if (run.Finished)
            {
                return;
            }

            run.State = RunState.Resolving;
            id = run.Id!;
            agent = run.Agent!;
        }

        agent.Release(run, Stopwatch.GetTimestamp());
        try
        {
            // Resolving again does nothing, so a lost Resolve is simply sent again.
            await WithRetryAsync(run, "agent Resolve", agent.Connection, () => agent.Connection.InvokeAsync(nameof(AgentHub.Resolve), id));
        }
        catch (Exception ex)
        {
            Fail(run, $"resolve refused: {Describe(ex)}");
        }
    }

    private void OnClosedAtCustomer(ConversationClosed closed)
    {
        if (!_byId.TryGetValue(closed.ConversationId, out var run))
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        bool complete;
        lock (run.Gate)
        {
            if (run.Finished)
            {
                return;
            }

            complete = run.State == RunState.Resolving && run.Delivered == _options.Messages;
            if (complete)
            {
                run.State = RunState.Done;
            }
        }

        if (!complete)
        {
            Fail(run, "closed before the exchange ended");
            return;
        }

        _metrics.Conversation.Record(run.Due, now, run.Measured);
        _metrics.CountOk(run.Measured, _clock.InWindow(now));
        Finish(run, now);
    }

    private void OnWithdrawn(ConversationWithdrawn withdrawn)
    {
        if (_byId.TryGetValue(withdrawn.ConversationId, out var run))
        {
            Fail(run, $"withdrawn from the agent: {withdrawn.Reason}");
        }
    }

    private void Fail(ConversationRun run, string reason)
    {
        SimulatedAgent? holder;
        string? id;
        lock (run.Gate)
        {
            if (run.Finished)
            {
                return;
            }

            holder = run.State == RunState.Assigned ? run.Agent : null;
            id = run.Id;
            run.State = RunState.Failed;
        }

        var now = Stopwatch.GetTimestamp();
        _metrics.CountFailed(run.Measured, reason);
        if (holder is not null && id is not null)
        {
            // Give the agent its capacity back, or one failure would shrink the staff for the rest of the run.
            holder.Release(run, now);
            _ = ResolveQuietlyAsync(holder.Connection, id);
        }

        Finish(run, now);
    }

    private void Finish(ConversationRun run, long now)
    {
        _active.TryRemove(run.Index, out _);
        if (run.Id is not null)
        {
            _byId.TryRemove(run.Id, out _);
        }

        if (run.Measured && _options.Messages > 0)
        {
            _metrics.CountSla(run.FirstResponseAt != 0 && Stopwatch.GetElapsedTime(run.Due, run.FirstResponseAt) <= _options.Sla);
        }

        if (run.OwnsConnection && run.CustomerConnection is { } connection)
        {
            _ = connection.DisposeAsync().AsTask();
        }

        if (_options.Model == LoadModel.Closed && now < _clock.LoadEnd && !_stop.IsCancellationRequested)
        {
            // Closed model: this customer comes back with a new conversation after a pause.
            var index = Interlocked.Increment(ref _nextIndex);
            PacerFor(index).At(now + RunClock.Ticks(_options.CustomerPause), d => StartConversation(index, d));
        }
    }

    private async Task ResolveQuietlyAsync(HubConnection agent, string conversationId)
    {
        try
        {
            await agent.InvokeAsync(nameof(AgentHub.Resolve), conversationId);
        }
        catch (Exception)
        {
            // Best effort: it only frees capacity, and the conversation may have been closed meanwhile.
        }
    }

    private string CustomerName(long index) => $"lt-{_tag}-{index}";

    /// <summary>Which conversation of this run a customer name stands for; <paramref name="ours"/> is false for another run's.</summary>
    private bool TryParseIndex(string customerName, out long index, out bool ours)
    {
        var prefix = $"lt-{_tag}-";
        ours = customerName.StartsWith(prefix, StringComparison.Ordinal);
        index = 0;
        return ours && long.TryParse(customerName.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    private string OpeningLine(ConversationRun run)
    {
        var lines = OpeningLines.GetValueOrDefault(run.Topic) ?? ["I have a question about order {0}."];
        return string.Format(CultureInfo.InvariantCulture, lines[run.Index % lines.Length], 1000 + run.Index % 9000);
    }
}
