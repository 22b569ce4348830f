using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace Switchboard.BrowserTests;

/// <summary>What becomes of the server's answer to one hub call on its way to the page.</summary>
public enum AnswerFate
{
    /// <summary>It arrives.</summary>
    Pass,

    /// <summary>
    /// The server did the work, but the page is answered <c>Unavailable: ...</c>, as a silo that could not finish in
    /// time answers: the answer with the result is lost.
    /// </summary>
    Unavailable,

    /// <summary>The connection drops before the answer arrives (both sides are closed); the page reconnects.</summary>
    Drop,

    /// <summary>It waits until <see cref="HubTap.Release"/>, so the page can be looked at while it waits.</summary>
    Hold,
}

/// <summary>
/// Sits between a page and the silo on the page's SignalR WebSockets (Playwright's WebSocket routes, one per
/// connection, the reconnections included): records every hub call the page makes and does to the answer of the
/// n-th call of a method what the test asks (<see cref="AnswerFate"/>). The SignalR JSON protocol: records end with
/// U+001E; a call is <c>{"type":1,"invocationId","target","arguments"}</c>, its answer <c>{"type":3,"invocationId",
/// "result"|"error"}</c>.
/// </summary>
public sealed class HubTap
{
    private const char Separator = '\u001e';

    private readonly Lock _lock = new();
    private readonly Dictionary<(string Target, int Nth), AnswerFate> _fates = [];
    private readonly List<(string Target, JsonElement Arguments)> _calls = [];
    private readonly Dictionary<string, int> _answered = [];
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The answer to the <paramref name="nth"/> (from 1) call of <paramref name="target"/> meets <paramref name="fate"/>.</summary>
    public HubTap Answer(string target, int nth, AnswerFate fate)
    {
        lock (_lock)
        {
            _fates[(target, nth)] = fate;
        }

        return this;
    }

    /// <summary>Lets the held answers go on to the page.</summary>
    public void Release() => _release.TrySetResult();

    /// <summary>The arguments of every call of <paramref name="target"/> the page made, in order.</summary>
    public IReadOnlyList<JsonElement> Calls(string target)
    {
        lock (_lock)
        {
            return [.. _calls.Where(c => c.Target == target).Select(c => c.Arguments)];
        }
    }

    /// <summary>Answers of <paramref name="target"/> that reached the page as the server sent them.</summary>
    public int Answered(string target)
    {
        lock (_lock)
        {
            return _answered.GetValueOrDefault(target);
        }
    }

    /// <summary>Routes the page's WebSockets to <paramref name="hubPath"/> (e.g. <c>/hubs/customer</c>) through this tap.</summary>
    public Task AttachAsync(IPage page, string hubPath) => page.RouteWebSocketAsync(url => url.Contains(hubPath, StringComparison.Ordinal), Connect);

    private void Connect(IWebSocketRoute pageSide)
    {
        var server = pageSide.ConnectToServer();
        // This connection's calls waiting for their answer: invocation id → (method, its n-th call).
        var waiting = new Dictionary<string, (string Target, int Nth)>();
        pageSide.OnMessage(frame =>
        {
            if (frame.Text is not { } text)
            {
                server.Send(frame.Binary!);
                return;
            }

            foreach (var record in text.Split(Separator, StringSplitOptions.RemoveEmptyEntries))
            {
                using var json = JsonDocument.Parse(record);
                var root = json.RootElement;
                if (root.TryGetProperty("type", out var type) && type.GetInt32() == 1 && root.TryGetProperty("target", out var target))
                {
                    lock (_lock)
                    {
                        var name = target.GetString()!;
                        _calls.Add((name, root.GetProperty("arguments").Clone()));
                        if (root.TryGetProperty("invocationId", out var id))
                        {
                            waiting[id.GetString()!] = (name, _calls.Count(c => c.Target == name));
                        }
                    }
                }
            }

            server.Send(text);
        });

        server.OnMessage(frame =>
        {
            if (frame.Text is not { } text)
            {
                pageSide.Send(frame.Binary!);
                return;
            }

            var forward = new StringBuilder();
            foreach (var record in text.Split(Separator, StringSplitOptions.RemoveEmptyEntries))
            {
                var (call, fate) = FateOf(record, waiting);
                switch (fate)
                {
                    case AnswerFate.Unavailable:
                        var error = $"An unexpected error occurred invoking '{call!.Value.Target}' on the server. HubException: Unavailable: a silo of the cluster is being replaced; try again.";
                        forward.Append(JsonSerializer.Serialize(new { type = 3, invocationId = call.Value.Id, error })).Append(Separator);
                        break;
                    case AnswerFate.Drop:
                        if (forward.Length > 0)
                        {
                            pageSide.Send(forward.ToString());
                        }

                        // Not a clean close: the page's client treats it as a lost connection and reconnects.
                        _ = pageSide.CloseAsync(new() { Code = 1011, Reason = "dropped by the test" });
                        _ = server.CloseAsync(new() { Code = 1011, Reason = "dropped by the test" });
                        return;
                    case AnswerFate.Hold:
                        var held = record + Separator;
                        _ = _release.Task.ContinueWith(
                            _ =>
                            {
                                pageSide.Send(held);
                                CountAnswer(call!.Value.Target);
                            },
                            TaskScheduler.Default);
                        break;
                    default:
                        forward.Append(record).Append(Separator);
                        if (call is { } answered)
                        {
                            CountAnswer(answered.Target);
                        }

                        break;
                }
            }

            if (forward.Length > 0)
            {
                pageSide.Send(forward.ToString());
            }
        });
    }

    private ((string Target, string Id)? Call, AnswerFate Fate) FateOf(string record, Dictionary<string, (string Target, int Nth)> waiting)
    {
        using var json = JsonDocument.Parse(record);
        var root = json.RootElement;
        if (!root.TryGetProperty("type", out var type) || type.GetInt32() != 3 || !root.TryGetProperty("invocationId", out var idElement))
        {
            return (null, AnswerFate.Pass);
        }

        var id = idElement.GetString()!;
        lock (_lock)
        {
            if (!waiting.Remove(id, out var call))
            {
                return (null, AnswerFate.Pass);
            }

            return ((call.Target, id), _fates.GetValueOrDefault((call.Target, call.Nth)));
        }
    }

    private void CountAnswer(string target)
    {
        lock (_lock)
        {
            _answered[target] = _answered.GetValueOrDefault(target) + 1;
        }
    }
}
