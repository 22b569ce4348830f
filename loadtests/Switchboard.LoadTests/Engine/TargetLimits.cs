using System.Globalization;
using System.Text;
using Switchboard.Limits;

namespace Switchboard.LoadTests.Engine;

/// <summary>
/// The per-client limits (<c>Switchboard:Limits</c>) a silo under load test gets. The defaults are sized for one
/// person per connection; the tool's few shared customer connections and its busiest agents make many more calls than
/// that, and a run measures routing, not the limiter. Its customers also start every conversation from one address
/// and on those few connections, so the limits on open conversations per connection and per address are off (0).
/// The embedded silo always runs with these; <c>--print-agents</c> prints them for a silo the tool does not start.
/// </summary>
public static class TargetLimits
{
    public static IReadOnlyDictionary<string, int> Settings { get; } = new Dictionary<string, int>
    {
        [nameof(LimitsOptions.ConnectionCallsPerSecond)] = 100_000,
        [nameof(LimitsOptions.ConnectionBurst)] = 100_000,
        [nameof(LimitsOptions.CustomerMessagesPerSecond)] = 1_000,
        [nameof(LimitsOptions.CustomerBurst)] = 1_000,
        [nameof(LimitsOptions.OpenConversationsPerConnection)] = 0,
        [nameof(LimitsOptions.OpenConversationsPerAddress)] = 0,
    };

    /// <summary>As configuration keys (<c>Switchboard:Limits:ConnectionCallsPerSecond</c>, ...).</summary>
    public static IEnumerable<KeyValuePair<string, string?>> ToConfiguration() =>
        Settings.Select(s => new KeyValuePair<string, string?>($"{LimitsOptions.Section}:{s.Key}", s.Value.ToString(CultureInfo.InvariantCulture)));

    /// <summary>As environment variables, one a line (<c>Switchboard__Limits__ConnectionCallsPerSecond=100000</c>).</summary>
    public static string ToEnvironment()
    {
        var text = new StringBuilder();
        foreach (var (key, value) in ToConfiguration())
        {
            text.Append(CultureInfo.InvariantCulture, $"{key.Replace(":", "__", StringComparison.Ordinal)}={value}\n");
        }

        return text.ToString();
    }
}
