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

    /// <summary>Too many requests of this kind for now (429); <see cref="SwitchboardException.RetryAfter"/> says when to try again.</summary>
    RateLimited,
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

    /// <summary>For <see cref="SwitchboardError.RateLimited"/>: how long until the request would be accepted.</summary>
    [Id(1)]
    public TimeSpan? RetryAfter { get; private set; }

    public static SwitchboardException NotFound(string message) => new(SwitchboardError.NotFound, message);

    public static SwitchboardException Invalid(string message) => new(SwitchboardError.Invalid, message);

    public static SwitchboardException Conflict(string message) => new(SwitchboardError.Conflict, message);

    public static SwitchboardException Forbidden(string message) => new(SwitchboardError.Forbidden, message);

    public static SwitchboardException RateLimited(string message, TimeSpan retryAfter) =>
        new(SwitchboardError.RateLimited, message) { RetryAfter = retryAfter };
}
