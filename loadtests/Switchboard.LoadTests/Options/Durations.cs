using System.Globalization;
using System.Text.RegularExpressions;

namespace Switchboard.LoadTests.Options;

/// <summary>Durations as people type them on a command line: <c>250ms</c>, <c>20s</c>, <c>1.5m</c>, <c>1h</c>, or <c>00:01:30</c>.</summary>
public static partial class Durations
{
    public static TimeSpan Parse(string text)
    {
        if (TryParse(text, out var value))
        {
            return value;
        }

        throw new FormatException($"'{text}' is not a duration; write 500ms, 20s, 2m, 1h or 00:01:30.");
    }

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var match = DurationPattern().Match(text.Trim());
        if (match.Success)
        {
            var amount = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            value = match.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(amount),
                "s" => TimeSpan.FromSeconds(amount),
                "m" => TimeSpan.FromMinutes(amount),
                _ => TimeSpan.FromHours(amount),
            };
            return true;
        }

        return text.Contains(':') && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
    }

    /// <summary>The shortest honest way to write a duration: <c>0.42 ms</c>, <c>12.3 ms</c>, <c>4.5 s</c>.</summary>
    public static string Format(TimeSpan value) => value.TotalMilliseconds switch
    {
        < 1 => $"{value.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture)} ms",
        < 1000 => $"{value.TotalMilliseconds.ToString("0.#", CultureInfo.InvariantCulture)} ms",
        < 120_000 => $"{value.TotalSeconds.ToString("0.##", CultureInfo.InvariantCulture)} s",
        _ => $"{value.TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture)} min",
    };

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$")]
    private static partial Regex DurationPattern();
}
