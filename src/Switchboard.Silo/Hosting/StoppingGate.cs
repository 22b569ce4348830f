using Microsoft.Net.Http.Headers;

namespace Switchboard.Hosting;

/// <summary>
/// A stopping silo takes no new requests. Once the host is stopping (SIGTERM), SignalR closes the connections open
/// here, and Kestrel waits for the rest to end before Orleans may leave the cluster. A client reconnecting over a
/// kept-alive HTTP connection would otherwise reach this silo again and open a WebSocket that nothing closes: Kestrel
/// then waits out the host's whole shutdown timeout (30 s) and Orleans, left no time, stops without handing anything
/// over. So every request that arrives from then on is answered 503 with <c>Retry-After</c> and <c>Connection: close</c>,
/// and the client goes to another silo (a load balancer sees the same on its health check).
/// </summary>
public static class StoppingGate
{
    public static IApplicationBuilder UseStoppingGate(this IApplicationBuilder app)
    {
        var stopping = app.ApplicationServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        return app.Use((context, next) =>
        {
            if (!stopping.IsCancellationRequested)
            {
                return next(context);
            }

            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "1";
            context.Response.Headers[HeaderNames.Connection] = "close";
            return Results.Problem(
                title: "This silo is stopping",
                detail: "It takes no new requests; try another (or this address again in a moment, behind a load balancer).",
                statusCode: StatusCodes.Status503ServiceUnavailable).ExecuteAsync(context);
        });
    }
}
