using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Switchboard.Limits;

namespace Switchboard.Hubs;

/// <summary>
/// One connection's outbox. SignalR writes what goes to a client into a pipe that holds up to
/// <see cref="LimitsOptions.ConnectionOutboxBytes"/> beyond what the socket has taken
/// (<see cref="HttpConnectionDispatcherOptions.ApplicationMaxBufferSize"/>); past that a write would wait for the client
/// to read. Here such a write does not wait: the client has stopped reading, so its connection is closed there and
/// then, and the write returns. Nothing that sends to a client (a push lane, a hub call's answer, the backplane)
/// ever waits on it; the client reconnects and reads its state again.
/// </summary>
public static class ConnectionOutbox
{
    /// <summary>
    /// Maps a hub as <c>MapHub</c> does (its attributes become endpoint metadata), with every connection's writes
    /// going through a bounded outbox.
    /// </summary>
    public static ConnectionEndpointRouteBuilder MapHubWithOutbox<THub>(
        this IEndpointRouteBuilder endpoints, string pattern, Action<HttpConnectionDispatcherOptions>? configure = null)
        where THub : Hub
    {
        var limits = endpoints.ServiceProvider.GetRequiredService<IOptions<LimitsOptions>>().Value;
        var logger = endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConnectionOutbox).FullName!);
        var options = new HttpConnectionDispatcherOptions
        {
            ApplicationMaxBufferSize = limits.ConnectionOutboxBytes,
            TransportSendTimeout = limits.ConnectionSendTimeout,
        };
        configure?.Invoke(options);
        var hub = endpoints.MapConnections(pattern, options, connection => connection
            .Use(next => context =>
            {
                context.Transport = new OutboxPipe(context.Transport, context, limits.ConnectionOutboxBytes, logger);
                return next(context);
            })
            .UseHub<THub>());

        var attributes = typeof(THub).GetCustomAttributes(inherit: true);
        hub.Add(endpoint =>
        {
            foreach (var attribute in attributes)
            {
                endpoint.Metadata.Add(attribute);
            }

            endpoint.Metadata.Add(new HubMetadata(typeof(THub)));
        });
        return hub;
    }

    private sealed class OutboxPipe(IDuplexPipe transport, ConnectionContext connection, long limit, ILogger logger) : IDuplexPipe
    {
        public PipeReader Input { get; } = transport.Input;

        public PipeWriter Output { get; } = new OutboxWriter(transport.Output, connection, limit, logger);
    }

    private sealed class OutboxWriter(PipeWriter pipe, ConnectionContext connection, long limit, ILogger logger) : PipeWriter
    {
        private static readonly FlushResult Closed = new(isCanceled: false, isCompleted: true);
        private int _closed;

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            var flush = pipe.FlushAsync(cancellationToken);
            if (flush.IsCompleted)
            {
                return flush;
            }

            // The outbox is full: the client takes nothing. End the wait now (the pending flush completes as
            // cancelled) and close the connection instead of making the writer wait.
            pipe.CancelPendingFlush();
            if (flush.IsCompleted)
            {
                flush.GetAwaiter().GetResult();
            }
            else
            {
                _ = flush.AsTask();
            }

            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                logger.LogInformation(
                    "Connection {ConnectionId} is closed: it stopped reading with more than {Limit} bytes waiting for it; it reconnects and reads its state again",
                    connection.ConnectionId, limit);
                connection.Abort(new ConnectionAbortedException("The client stopped reading; its outbox is full."));
            }

            return new ValueTask<FlushResult>(Closed);
        }

        public override void Advance(int bytes) => pipe.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => pipe.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => pipe.GetSpan(sizeHint);

        public override void CancelPendingFlush() => pipe.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => pipe.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => pipe.CompleteAsync(exception);

        public override bool CanGetUnflushedBytes => pipe.CanGetUnflushedBytes;

        public override long UnflushedBytes => pipe.UnflushedBytes;
    }
}
