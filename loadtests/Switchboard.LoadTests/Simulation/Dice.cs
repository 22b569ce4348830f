namespace Switchboard.LoadTests.Simulation;

/// <summary>
/// Deterministic draws keyed by (seed, conversation, purpose): any thread can roll for any conversation without a
/// shared Random, and the same seed replays the same topics, channels and think times.
/// </summary>
public readonly record struct Dice(int Seed)
{
    /// <summary>A uniform double in [0, 1) for this conversation and purpose.</summary>
    public double Roll(long conversation, int purpose)
    {
        var h = Mix((ulong)Seed + 0x9E3779B97F4A7C15UL);
        h = Mix(h ^ (ulong)conversation);
        h = Mix(h ^ (ulong)purpose);
        return (h >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>The SplitMix64 finaliser: each input bit flips about half of the output bits.</summary>
    private static ulong Mix(ulong x)
    {
        unchecked
        {
            x += 0x9E3779B97F4A7C15UL;
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
            return x ^ (x >> 31);
        }
    }
}
