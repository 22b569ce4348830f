using Microsoft.AspNetCore.SignalR;
using Switchboard.Limits;

namespace Switchboard.Hubs;

/// <summary>
/// Turns a grain's refusal into a <see cref="HubException"/>: the only exception whose message SignalR passes to
/// the client (after its own "... HubException: " prefix). Every call counts against its connection's rate limit first.
/// </summary>
internal sealed class SwitchboardHubFilter(RateLimits limits) : IHubFilter
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
            throw new HubException(ex.Message);
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
}
