using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace Switchboard.LoadTests.Engine;

/// <summary>
/// What the embedded silo did for the load, counted rather than timed, so it holds on a busy machine too: grain calls
/// by interface method (an incoming call filter), grain state writes and reads by state type, and new activations
/// (Orleans' own instruments, read with a <see cref="MeterListener"/>). Divided by the conversations the run ended,
/// these are the hops a conversation costs; a change that removes hops shows here before it shows in a profile.
/// </summary>
public sealed class SiloWork : IIncomingGrainCallFilter, IDisposable
{
    private const string OrleansMeter = "Microsoft.Orleans";
    private const string StorageWrites = "orleans-storage-write-latency";
    private const string StorageReads = "orleans-storage-read-latency";
    private const string StorageClears = "orleans-storage-clear-latency";
    private const string ActivationsCreated = "orleans-catalog-activation-created";

    private readonly ConcurrentDictionary<(MethodInfo Method, Type? Grain), StrongBox<long>> _calls = new();
    private readonly ConcurrentDictionary<string, StrongBox<long>> _writes = new(StringComparer.Ordinal);
    private readonly MeterListener _listener = new();
    private long _reads;
    private long _activations;
    private volatile bool _counting;

    public SiloWork()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == OrleansMeter && instrument.Name is StorageWrites or StorageReads or StorageClears or ActivationsCreated)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>(OnStorage);
        _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
        {
            if (_counting)
            {
                Interlocked.Add(ref _activations, value);
            }
        });
        _listener.Start();
    }

    /// <summary>Counting starts here (after the silo and the agents are up), so set-up is not charged to the load.</summary>
    public void Start() => _counting = true;

    public void Stop() => _counting = false;

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (_counting && context.InterfaceMethod is { } method)
        {
            // Timers, storage and other shared interfaces are told apart by the grain they run on.
            Interlocked.Increment(ref _calls.GetOrAdd((method, context.Grain?.GetType()), static _ => new StrongBox<long>()).Value);
        }

        await context.Invoke();
    }

    private void OnStorage(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (!_counting)
        {
            return;
        }

        if (instrument.Name == StorageReads)
        {
            Interlocked.Increment(ref _reads);
            return;
        }

        var type = "?";
        foreach (var tag in tags)
        {
            if (tag.Key == "state_type" && tag.Value is string name)
            {
                type = name;
            }
        }

        var key = instrument.Name == StorageClears ? $"{ShortType(type)} (clear)" : ShortType(type);
        Interlocked.Increment(ref _writes.GetOrAdd(key, static _ => new StrongBox<long>()).Value);
    }

    /// <summary>The counts per conversation, the most frequent calls first.</summary>
    public string Describe(long conversations, int top = 20)
    {
        if (conversations <= 0)
        {
            return "";
        }

        double Per(long n) => n / (double)conversations;
        var calls = _calls.Select(c => (Name: $"{ShortType(c.Key.Method.DeclaringType?.Name ?? "?")}.{c.Key.Method.Name} on {ShortType(c.Key.Grain?.Name ?? "?")}", Count: c.Value.Value))
            .GroupBy(c => c.Name).Select(g => (Name: g.Key, Count: g.Sum(c => c.Count)))
            .OrderByDescending(c => c.Count).ToList();
        var writes = _writes.Select(w => (Name: w.Key, Count: w.Value.Value)).OrderByDescending(w => w.Count).ToList();
        var text = new StringBuilder();
        text.AppendLine($"  silo work per conversation (embedded silo, counted over the load and its drain, {conversations:N0} conversations ended):");
        text.AppendLine($"    grain calls {Per(calls.Sum(c => c.Count)):F1}, state writes and clears {Per(writes.Sum(w => w.Count)):F1}, state reads {Per(Interlocked.Read(ref _reads)):F2}, activations {Per(Interlocked.Read(ref _activations)):F2}");
        foreach (var (name, count) in calls.Take(top))
        {
            text.AppendLine($"    {name,-72} {Per(count),6:F2}");
        }

        if (calls.Count > top)
        {
            text.AppendLine($"    ({calls.Count - top} other methods: {Per(calls.Skip(top).Sum(c => c.Count)):F2})");
        }

        foreach (var (name, count) in writes)
        {
            text.AppendLine($"    write {name,-66} {Per(count),6:F2}");
        }

        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    // "Switchboard.Conversations.ConversationState, Switchboard.Grains, ..." → "ConversationState"; "IQueueGrain" stays.
    private static string ShortType(string name)
    {
        var comma = name.IndexOf(',', StringComparison.Ordinal);
        var full = comma < 0 ? name : name[..comma];
        var generic = full.IndexOf('`', StringComparison.Ordinal);
        full = generic < 0 ? full : full[..generic];
        var dot = full.LastIndexOf('.');
        return dot < 0 ? full : full[(dot + 1)..];
    }
}
