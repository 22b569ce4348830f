using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Switchboard.LoadTests.Engine;

/// <summary>
/// When a call may simply be made again, and after how long. Only calls that carry their own ids (a start id, a
/// message id) or change nothing twice (a join, a resolve) are made again: the server answers those once, however
/// often they arrive. A call is made again when the server answered it <c>Unavailable:</c> (HTTP 503: a silo of the
/// cluster is being replaced and the call could not be completed in time) or when it was lost with its connection;
/// anything else the server answered is its answer, and a refusal stays a failure.
/// </summary>
public static class CallRetry
{
    public const string UnavailablePrefix = "Unavailable:";

    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(4);

    /// <summary>
    /// Why <paramref name="ex"/> may be retried (<c>Unavailable</c>, <c>HTTP 503</c>, <c>connection lost</c>), or null
    /// when it may not. <paramref name="connection"/> is the hub connection the call went over, if it went over one.
    /// </summary>
    public static string? Why(Exception ex, HubConnection? connection) => ex switch
    {
        HubException hub => hub.Message.Contains("HubException: " + UnavailablePrefix, StringComparison.Ordinal)
            || hub.Message.StartsWith(UnavailablePrefix, StringComparison.Ordinal) ? "Unavailable" : null,
        UnavailableAnswerException => "HTTP 503",
        HttpRequestException { StatusCode: null } or IOException or WebSocketException => "connection lost",
        // No call here has a timeout or a token: a hub call is cancelled only when its connection closes under it.
        OperationCanceledException when connection is not null => "connection lost",
        // A call the client could not send (the connection is down) or whose connection failed before the answer.
        _ when connection is not null && connection.State != HubConnectionState.Connected => "connection lost",
        InvalidOperationException when ex.Message.Contains("not active", StringComparison.Ordinal) => "connection lost",
        _ => null,
    };

    /// <summary>
    /// How long to wait before try <paramref name="retry"/> + 1: 0.5 s, 1 s, 2 s, 4 s, then every 4 s, each ±20 % so
    /// the clients a silo lost do not all come back at once; at least what the server's <c>Retry-After</c> asked.
    /// </summary>
    public static TimeSpan Delay(int retry, TimeSpan? retryAfter = null)
    {
        var backoff = TimeSpan.FromMilliseconds(Math.Min(500 * Math.Pow(2, Math.Min(retry, 10)), Longest.TotalMilliseconds));
        var jittered = backoff * (0.8 + (Random.Shared.NextDouble() * 0.4));
        return retryAfter is { } asked && asked > jittered ? asked : jittered;
    }
}

/// <summary>The server answered 503: try again after <see cref="RetryAfter"/>, with the same ids.</summary>
public sealed class UnavailableAnswerException(string what, TimeSpan? retryAfter)
    : Exception($"{what}: HTTP 503 (Unavailable), retry after {retryAfter?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} s")
{
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>Throws when <paramref name="response"/> is a 503.</summary>
    public static void ThrowIf(HttpResponseMessage response, string what)
    {
        if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
        {
            throw new UnavailableAnswerException(what, response.Headers.RetryAfter?.Delta
                ?? (response.Headers.RetryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : null));
        }
    }
}

/// <summary>The server refused a call (an answer, not a lost call): the conversation fails with this reason.</summary>
public sealed class RefusedException(string reason) : Exception(reason);
