using System.Globalization;

namespace Switchboard.LoadTests.Simulation;

/// <summary>
/// Which topic (skill) a simulated customer writes about. The default skew is the one contact centres report:
/// shipping 42 %, returns 30 %, payment 15 %, account 8 %, other 5 % (the "general" queue).
/// </summary>
public sealed class TopicMix
{
    public const string DefaultSpec = "shipping=42,returns=30,payment=15,account=8,general=5";

    private readonly double[] _cumulative;

    public TopicMix(IEnumerable<KeyValuePair<string, double>> weights)
    {
        var list = weights.Where(w => w.Value > 0).ToList();
        if (list.Count == 0)
        {
            throw new ArgumentException("A topic mix needs at least one topic with a positive weight.", nameof(weights));
        }

        var sum = list.Sum(w => w.Value);
        Topics = [.. list.Select(w => w.Key)];
        Shares = [.. list.Select(w => w.Value / sum)];
        _cumulative = new double[list.Count];
        var running = 0.0;
        for (var i = 0; i < list.Count; i++)
        {
            running += Shares[i];
            _cumulative[i] = running;
        }

        _cumulative[^1] = 1.0;
    }

    public IReadOnlyList<string> Topics { get; }

    /// <summary>Each topic's share, summing to 1, in the order of <see cref="Topics"/>.</summary>
    public IReadOnlyList<double> Shares { get; }

    public static TopicMix Default { get; } = Parse(DefaultSpec);

    /// <summary><c>topic=weight,topic=weight</c>; weights are relative (percentages read naturally).</summary>
    public static TopicMix Parse(string spec)
    {
        var weights = new List<KeyValuePair<string, double>>();
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split('=', StringSplitOptions.TrimEntries);
            if (pair.Length != 2 || pair[0].Length == 0
                || !double.TryParse(pair[1].TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var weight) || weight < 0)
            {
                throw new FormatException($"'{part}' is not topic=weight (e.g. shipping=42).");
            }

            weights.Add(new(pair[0].ToLowerInvariant(), weight));
        }

        return new TopicMix(weights);
    }

    /// <summary>The topic for a uniform sample <paramref name="u"/> in [0, 1).</summary>
    public string Pick(double u)
    {
        var index = Array.BinarySearch(_cumulative, u);
        // BinarySearch gives the complement of the first larger element when u falls between two bounds.
        index = index < 0 ? ~index : index + 1;
        return Topics[Math.Min(index, Topics.Count - 1)];
    }

    public string Pick(Random random) => Pick(random.NextDouble());

    public double ShareOf(string topic)
    {
        for (var i = 0; i < Topics.Count; i++)
        {
            if (Topics[i] == topic)
            {
                return Shares[i];
            }
        }

        return 0;
    }

    public override string ToString() =>
        string.Join(", ", Topics.Select((t, i) => $"{t} {(Shares[i] * 100).ToString("0.#", CultureInfo.InvariantCulture)} %"));
}
