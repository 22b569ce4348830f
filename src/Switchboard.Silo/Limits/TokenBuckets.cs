using System.Collections.Concurrent;

namespace Switchboard.Limits;

/// <summary>
/// Token buckets by key (a hub connection, a conversation, a customer), each holding at most <c>burst</c> tokens and
/// refilled continuously at <c>perSecond</c>, computed when the bucket is used: nothing runs for a bucket nobody uses.
/// A bucket untouched long enough to be full again is the same as a new one, so a sweep every few seconds drops those,
/// and memory follows the keys in use. (The partitioned limiter this replaces walked every bucket ten times a second
/// to refill it, and allocated a lease per call: a few percent of a busy silo's CPU.)
/// </summary>
public sealed class TokenBuckets : IDisposable
{
    private static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly double _tokensPerTick;
    private readonly int _burst;
    private readonly long _fullAfterTicks;
    private readonly ITimer _sweep;

    public TokenBuckets(int perSecond, int burst, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perSecond, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        _time = time;
        _burst = burst;
        _tokensPerTick = (double)perSecond / time.TimestampFrequency;
        _fullAfterTicks = (long)Math.Ceiling(burst / _tokensPerTick);
        _sweep = time.CreateTimer(static state => ((TokenBuckets)state!).Sweep(), this, SweepEvery, SweepEvery);
    }

    /// <summary>Buckets held now (keys used recently enough not to be full again).</summary>
    public int Count => _buckets.Count;

    /// <summary>Takes one token from <paramref name="key"/>'s bucket; when there is none, how long until there is.</summary>
    public bool TryTake(string key, out TimeSpan retryAfter)
    {
        var now = _time.GetTimestamp();
        var bucket = _buckets.GetOrAdd(key, static (_, state) => new Bucket(state.Burst, state.Now), (Burst: _burst, Now: now));
        lock (bucket)
        {
            bucket.Tokens = Math.Min(_burst, bucket.Tokens + ((now - bucket.At) * _tokensPerTick));
            bucket.At = Math.Max(bucket.At, now);
            if (bucket.Tokens >= 1)
            {
                bucket.Tokens -= 1;
                retryAfter = TimeSpan.Zero;
                return true;
            }

            retryAfter = TimeSpan.FromSeconds((1 - bucket.Tokens) / (_tokensPerTick * _time.TimestampFrequency));
            return false;
        }
    }

    public void Dispose() => _sweep.Dispose();

    /// <summary>Drops the buckets that are full again: the next use of their key starts a new, full one.</summary>
    private void Sweep()
    {
        var now = _time.GetTimestamp();
        foreach (var (key, bucket) in _buckets)
        {
            bool full;
            lock (bucket)
            {
                full = now - bucket.At >= _fullAfterTicks;
            }

            if (full)
            {
                // Only this very bucket: a key used again since then has it still, or a new one, and keeps that.
                _buckets.TryRemove(new KeyValuePair<string, Bucket>(key, bucket));
            }
        }
    }

    private sealed class Bucket(double tokens, long at)
    {
        public double Tokens = tokens;

        public long At = at;
    }
}
