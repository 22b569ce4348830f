using Microsoft.AspNetCore.SignalR;
using Switchboard.Auth;
using Switchboard.Limits;

namespace Switchboard.Hubs;

/// <summary>
/// Turns a grain's refusal into a <see cref="HubException"/>: the only exception whose message SignalR passes to
/// the client (after its own "... HubException: " prefix). Every call counts against its connection's rate limit first.
/// <para>
/// It also writes the only log line of a failed call. SignalR's dispatcher logs whatever a hub method throws at Error
/// with its stack, refusals included; that line is dropped (<see cref="Hosting.LoggingHosting"/>), and here a refusal
/// becomes one short line within its caller's budget (<see cref="RefusalLog"/>), and anything else one Error with its
/// stack, rethrown so SignalR still answers the client with its generic error.
/// </para>
/// </summary>
internal sealed partial class SwitchboardHubFilter(RateLimits limits, RefusalLog refusals, ILogger<SwitchboardHubFilter> logger) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(
        HubInvocationContext invocationContext,
        Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            limits.CountCall(invocationContext.Context.ConnectionId);
            return await next(invocationContext);
        }
        catch (SwitchboardException ex)
        {
            refusals.HubCall(invocationContext, ex.Message);
            throw new HubException(ex.Message);
        }
        catch (HubException ex)
        {
            refusals.HubCall(invocationContext, ex.Message);
            throw;
        }
        catch (Exception ex)
        {
            var caller = invocationContext.Context;
            var (hub, method, address) = (invocationContext.Hub.GetType().Name, invocationContext.HubMethodName, caller.GetHttpContext()?.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            if (caller.User?.AgentId() is { } agent)
            {
                AgentHubCallFailed(logger, ex, hub, method, agent, caller.ConnectionId, address);
            }
            else
            {
                HubCallFailed(logger, ex, hub, method, caller.ConnectionId, address);
            }

            throw;
        }
    }

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        try
        {
            await next(context);
        }
        catch (SwitchboardException ex)
        {
            throw new HubException(ex.Message);
        }
    }

    [LoggerMessage(1, LogLevel.Error, "{Hub}.{Method} failed for connection {ConnectionId} at {RemoteAddress}")]
    private static partial void HubCallFailed(ILogger logger, Exception exception, string hub, string method, string connectionId, string remoteAddress);

    [LoggerMessage(2, LogLevel.Error, "{Hub}.{Method} failed for agent {AgentId} on connection {ConnectionId} at {RemoteAddress}")]
    private static partial void AgentHubCallFailed(ILogger logger, Exception exception, string hub, string method, string agentId, string connectionId, string remoteAddress);
}
