using System.Diagnostics;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Hosting;

namespace Switchboard.IntegrationTests.Infrastructure;

/// <summary>
/// A SignalR client that behaves like a well-written browser client in a cluster: when its silo goes away it connects
/// to another one, re-attaches (<see cref="Rejoin"/>), and retries the call that failed. Pushes land in inboxes that
/// outlive connections. Refusals (a <see cref="HubException"/> carrying the server's reason) are never retried.
/// </summary>
public sealed class HubClient(string path, Func<Uri> nextSilo, string? accessToken = null) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<Action<HubConnection>> _handlers = [];
    private HubConnection? _connection;
    private bool _attached;
    private int _retries;
    private int _unavailable;
    private int _genericErrors;
    private bool _disposed;

    /// <summary>Runs on each new connection before any call is retried (for example JoinConversation).</summary>
    public Func<HubConnection, Task>? Rejoin { get; set; }

    public Uri? Silo { get; private set; }

    /// <summary>Connections opened after the first one.</summary>
    public int Reconnects { get; private set; }

    /// <summary>Calls that failed for a reason other than a refusal and were tried again.</summary>
    public int Retries => _retries;

    /// <summary>Answers "Unavailable:" (the silo's 503: a silo of the cluster is being replaced), tried again.</summary>
    public int Unavailable => _unavailable;

    /// <summary>
    /// Answers with SignalR's generic error (an exception the server did not turn into a reason: its 500), tried again.
    /// </summary>
    public int GenericErrors => _genericErrors;

    public bool IsConnected => _connection?.State == HubConnectionState.Connected;

    /// <summary>An agent signed in with <paramref name="token"/> (its subject is the agent id), on every connection.</summary>
    public static HubClient ForAgent(string token, Func<Uri> nextSilo) => new("/hubs/agent", nextSilo, token);

    public static HubClient ForCustomer(Func<Uri> nextSilo) => new("/hubs/customer", nextSilo);

    /// <summary>Collects pushes of <paramref name="method"/> across every connection this client opens.</summary>
    public Inbox<T> Inbox<T>(string method)
    {
        var inbox = new Inbox<T>();
        _handlers.Add(connection => connection.On<T>(method, inbox.Add));
        _connection?.On<T>(method, inbox.Add);
        return inbox;
    }

    public async Task ConnectAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync();
        try
        {
            await CurrentAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<T> CallAsync<T>(string method, object?[] args, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                HubConnection connection;
                await _gate.WaitAsync();
                try
                {
                    connection = await CurrentAsync();
                }
                finally
                {
                    _gate.Release();
                }

                return await connection.InvokeCoreAsync<T>(method, args).WaitAsync(Remaining(clock, within));
            }
            catch (HubException unavailable) when (unavailable.Message.Contains("HubException: Unavailable:", StringComparison.Ordinal) && clock.Elapsed < within)
            {
                // The silo's 503: it could not finish the call while a silo is being replaced. Same call, a bit later.
                Interlocked.Increment(ref _unavailable);
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
            catch (HubException refusal) when (refusal.Message.Contains("HubException: ", StringComparison.Ordinal))
            {
                throw;
            }
            catch (HubException generic) when (generic.Message.Contains("An unexpected error occurred", StringComparison.Ordinal) && clock.Elapsed < within)
            {
                Interlocked.Increment(ref _genericErrors);
                Interlocked.Increment(ref _retries);
                await Task.Delay(TimeSpan.FromMilliseconds(200));
            }
            catch (Exception ex) when (ex is not TimeoutException && clock.Elapsed < within)
            {
                // The silo died under the connection, or a grain call inside the hub failed because the grain's silo
                // died and the cluster has not yet declared it dead. Either way the call is tried again.
                Interlocked.Increment(ref _retries);
                if (IsConnected)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200));
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        await _gate.WaitAsync();
        try
        {
            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Like a browser client: a lost connection is replaced at once, not at the next call.</summary>
    private async Task ReconnectAfterLossAsync()
    {
        for (var attempt = 0; attempt < 20 && !_disposed; attempt++)
        {
            try
            {
                await ConnectAsync();
                return;
            }
            catch (Exception) when (!_disposed)
            {
                // That silo refused too (it may be the one that died); the next attempt picks another.
                await Task.Delay(TimeSpan.FromMilliseconds(250));
            }
        }
    }

    private async Task<HubConnection> CurrentAsync()
    {
        if (_connection is { State: HubConnectionState.Connected } && _attached)
        {
            return _connection;
        }

        if (_connection is not { State: HubConnectionState.Connected })
        {
            if (_connection is not null)
            {
                await _connection.DisposeAsync();
                Reconnects++;
            }

            _connection = null;
            _attached = false;
            var silo = nextSilo();
            var connection = new HubConnectionBuilder()
                .WithUrl(new Uri(silo, path), o =>
                {
                    if (accessToken is not null)
                    {
                        o.AccessTokenProvider = () => Task.FromResult<string?>(accessToken);
                    }
                })
                .AddJsonProtocol(o => SwitchboardHosting.ConfigureJson(o.PayloadSerializerOptions))
                .Build();
            foreach (var handler in _handlers)
            {
                handler(connection);
            }

            connection.Closed += error =>
            {
                if (!_disposed)
                {
                    _ = Task.Run(ReconnectAfterLossAsync);
                }

                return Task.CompletedTask;
            };

            await connection.StartAsync();
            _connection = connection;
            Silo = silo;
        }

        if (Rejoin is not null)
        {
            await Rejoin(_connection);
        }

        _attached = true;
        return _connection;
    }

    private static TimeSpan Remaining(Stopwatch clock, TimeSpan within) =>
        within > clock.Elapsed ? within - clock.Elapsed : TimeSpan.Zero;
}
