using System.Buffers;
using System.Security.Claims;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Switchboard.Auth;

namespace Switchboard.Limits;

/// <summary>
/// One short line per refused call (a hub call answered with a <see cref="HubException"/>, an HTTP request answered
/// 4xx or 503, a bearer token that does not check out), without a stack trace: a refusal is an expected answer, not a
/// failure. Every source gets <see cref="LimitsOptions.LogLinesPerSourcePerMinute"/> lines a minute
/// (<see cref="LogBudget"/>), so a stranger calling in a loop cannot fill the disk or bury real failures.
/// <para>
/// Information, so operators see who is refused and why at the shipped level; the budget is what makes that safe.
/// Everything goes to the category <see cref="Category"/>: <c>Logging:LogLevel:Switchboard.Refusals=Warning</c> turns
/// the lines off (and then nothing is counted either).
/// </para>
/// </summary>
public sealed partial class RefusalLog : IDisposable
{
    public const string Category = "Switchboard.Refusals";

    public const LogLevel Level = LogLevel.Information;

    /// <summary>A reason longer than this is cut: refusals can quote what the caller sent.</summary>
    private const int MaxReason = 300;

    // Control characters and line separators in a quoted input would let a caller forge log lines of its own.
    private static readonly SearchValues<char> Unprintable = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Concat(Enumerable.Range(0x7F, 0x21)).Select(c => (char)c), '\u2028', '\u2029']);

    private readonly ILogger _logger;
    private readonly LogBudget _budget;

    public RefusalLog(IOptions<LimitsOptions> limits, TimeProvider time, ILoggerFactory loggers)
    {
        _logger = loggers.CreateLogger(Category);
        _budget = new LogBudget(limits.Value.LogLinesPerSourcePerMinute, time, _logger, Level);
    }

    /// <summary>A hub call refused: by the agent it speaks for, else by its connection.</summary>
    public void HubCall(HubInvocationContext invocation, string reason)
    {
        if (!_logger.IsEnabled(Level))
        {
            return;
        }

        var caller = invocation.Context;
        var agent = caller.User?.AgentId();
        if (!(agent is null ? _budget.TryTake(LogSource.Connection, caller.ConnectionId) : _budget.TryTake(LogSource.Agent, agent)))
        {
            return;
        }

        var (hub, method, address) = (invocation.Hub.GetType().Name, invocation.HubMethodName, Address(caller.GetHttpContext()));
        if (agent is null)
        {
            HubCallRefused(_logger, hub, method, caller.ConnectionId, address, Printable(reason));
        }
        else
        {
            AgentHubCallRefused(_logger, hub, method, agent, caller.ConnectionId, address, Printable(reason));
        }
    }

    /// <summary>An HTTP request answered with a refusal: by the agent or customer its token proves, else by address.</summary>
    public void Request(HttpContext http, int status, string reason)
    {
        if (!_logger.IsEnabled(Level))
        {
            return;
        }

        var (kind, id) = SourceOf(http);
        if (!_budget.TryTake(kind, id))
        {
            return;
        }

        if (kind == LogSource.Address)
        {
            RequestRefused(_logger, http.Request.Method, Route(http), LogBudget.Describe(kind, id), status, Printable(reason));
        }
        else
        {
            SignedInRequestRefused(_logger, http.Request.Method, Route(http), LogBudget.Describe(kind, id), Address(http), status, Printable(reason));
        }
    }

    /// <summary>A bearer token that failed validation (the request goes on without a user, and is usually answered 401).</summary>
    public void Token(HttpContext http, Exception failure)
    {
        if (!_logger.IsEnabled(Level))
        {
            return;
        }

        var address = Address(http);
        if (_budget.TryTake(LogSource.Address, address))
        {
            TokenRefused(_logger, http.Request.Method, Route(http), LogBudget.Describe(LogSource.Address, address), Printable(Reason(failure)));
        }
    }

    public void Dispose() => _budget.Dispose();

    private static (LogSource Kind, string Id) SourceOf(HttpContext http)
    {
        if (http.User.AgentId() is { } agent)
        {
            return (LogSource.Agent, agent);
        }

        return http.User.IsInRole(Roles.Customer) && http.User.FindFirstValue(Roles.SubjectClaim) is { } customer
            ? (LogSource.Customer, customer)
            : (LogSource.Address, Address(http));
    }

    // What is wrong with a token, in the words of its first sentence (IDX10223: Lifetime validation failed, IDX14102:
    // Unable to decode the header): the identity library's messages go on with placeholders for hidden values and links.
    private static string Reason(Exception failure)
    {
        var message = failure.Message;
        var end = message.IndexOfAny(['.', '\'', '[']);
        return end > 0 ? message[..end].TrimEnd() : message;
    }

    private static string Address(HttpContext? http) => http?.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    // The route's pattern, not the path: a path is the caller's text, and carries ids the pattern names. The exception
    // handler middleware clears the endpoint before its handlers run, and keeps it in its feature.
    private static string Route(HttpContext http) =>
        (http.GetEndpoint() ?? http.Features.Get<IExceptionHandlerFeature>()?.Endpoint) is RouteEndpoint { RoutePattern.RawText: { } route }
            ? route
            : "(no endpoint)";

    private static string Printable(string text)
    {
        var shown = text.Length > MaxReason ? $"{text[..MaxReason]}…" : text;
        return shown.AsSpan().IndexOfAny(Unprintable) < 0
            ? shown
            : string.Create(shown.Length, shown, static (chars, source) =>
            {
                for (var i = 0; i < chars.Length; i++)
                {
                    chars[i] = Unprintable.Contains(source[i]) ? '\uFFFD' : source[i];
                }
            });
    }

    [LoggerMessage(1, Level, "Refused {Hub}.{Method} from connection {ConnectionId} at {RemoteAddress}: {Reason}")]
    private static partial void HubCallRefused(ILogger logger, string hub, string method, string connectionId, string remoteAddress, string reason);

    [LoggerMessage(2, Level, "Refused {Hub}.{Method} from agent {AgentId} on connection {ConnectionId} at {RemoteAddress}: {Reason}")]
    private static partial void AgentHubCallRefused(ILogger logger, string hub, string method, string agentId, string connectionId, string remoteAddress, string reason);

    [LoggerMessage(3, Level, "Refused {HttpMethod} {Route} from {Source} with {Status}: {Reason}")]
    private static partial void RequestRefused(ILogger logger, string httpMethod, string route, string source, int status, string reason);

    [LoggerMessage(4, Level, "Refused {HttpMethod} {Route} from {Source} at {RemoteAddress} with {Status}: {Reason}")]
    private static partial void SignedInRequestRefused(ILogger logger, string httpMethod, string route, string source, string remoteAddress, int status, string reason);

    [LoggerMessage(5, Level, "Refused the bearer token of {HttpMethod} {Route} from {Source}: {Reason}")]
    private static partial void TokenRefused(ILogger logger, string httpMethod, string route, string source, string reason);
}
