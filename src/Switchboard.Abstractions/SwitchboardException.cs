namespace Switchboard;

/// <summary>What kind of refusal a <see cref="SwitchboardException"/> carries; the edges map it to HTTP status codes.</summary>
public enum SwitchboardError
{
    /// <summary>The request is malformed or breaks a rule (400).</summary>
    Invalid,

    /// <summary>The conversation, agent or queue does not exist (404).</summary>
    NotFound,

    /// <summary>The request is well formed but the target's state does not allow it (409).</summary>
    Conflict,

    /// <summary>The caller may not act on this target (403).</summary>
    Forbidden,

    /// <summary>The caller did not prove who it is: no credential, or one that does not check out (401).</summary>
    Unauthorized,

    /// <summary>The caller sent too much too fast; it may try again after <see cref="SwitchboardException.RetryAfter"/> (429).</summary>
    TooManyRequests,

    /// <summary>
    /// Part of the cluster is being replaced (a silo failed or stopped) and the call could not be completed in time;
    /// the caller tries again after <see cref="SwitchboardException.RetryAfter"/> with the same ids (503).
    /// </summary>
    Unavailable,
}

/// <summary>
/// A refusal by a grain. It is raised before any state changes, so a caller that sees it knows nothing happened.
/// </summary>
[GenerateSerializer, Alias("Switchboard.SwitchboardException")]
public sealed class SwitchboardException : Exception
{
    public SwitchboardException(SwitchboardError error, string message) : base(message) => Error = error;

    [Id(0)]
    public SwitchboardError Error { get; private set; }

    /// <summary>For <see cref="SwitchboardError.TooManyRequests"/>: when trying again can succeed.</summary>
    [Id(1)]
    public TimeSpan? RetryAfter { get; private set; }

    public static SwitchboardException NotFound(string message) => new(SwitchboardError.NotFound, message);

    public static SwitchboardException Invalid(string message) => new(SwitchboardError.Invalid, message);

    public static SwitchboardException Conflict(string message) => new(SwitchboardError.Conflict, message);

    public static SwitchboardException Forbidden(string message) => new(SwitchboardError.Forbidden, message);

    public static SwitchboardException Unauthorized(string message) => new(SwitchboardError.Unauthorized, message);

    public static SwitchboardException TooManyRequests(string message, TimeSpan retryAfter) =>
        new(SwitchboardError.TooManyRequests, message) { RetryAfter = retryAfter };

    /// <summary>The message starts with <c>Unavailable:</c>, which is how hub clients tell it from a refusal.</summary>
    public static SwitchboardException Unavailable(string message, TimeSpan retryAfter) =>
        new(SwitchboardError.Unavailable, $"Unavailable: {message}") { RetryAfter = retryAfter };
}
