using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Switchboard.Tests;

/// <summary>One log entry as a provider received it: what it says, what it carries, and how big it would be on disk.</summary>
public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception, IReadOnlyDictionary<string, object?> Fields)
{
    /// <summary>What a plain-text sink writes for it: the message and, when there is one, the exception with its stack.</summary>
    public string Text => Exception is null ? Message : $"{Message}{Environment.NewLine}{Exception}";

    public int Lines => Text.Split('\n').Length;

    public int Bytes => System.Text.Encoding.UTF8.GetByteCount(Text);

    public string? Field(string name) => Fields.TryGetValue(name, out var value) ? value?.ToString() : null;
}

/// <summary>
/// Keeps every entry the logging filters let through to it. Its alias lets a test give it levels of its own
/// (<c>Logging:Capture:LogLevel:...</c>), which win over the provider-less levels the other providers follow.
/// </summary>
[ProviderAlias("Capture")]
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    /// <summary>How many entries there are now: a test reads what came after with <see cref="Since"/>.</summary>
    public int Mark() => _entries.Count;

    public IReadOnlyList<LogEntry> Since(int mark) => [.. _entries.Skip(mark)];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value)
                : [];
            capture._entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception, fields));
        }
    }
}
