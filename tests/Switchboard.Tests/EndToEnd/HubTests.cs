using Microsoft.AspNetCore.SignalR.Client;

namespace Switchboard.Tests.EndToEnd;

/// <summary>A test class that opens SignalR connections and closes every one of them after each test.</summary>
public abstract class HubTests : IAsyncLifetime
{
    private readonly List<HubConnection> _connections = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    /// <summary>
    /// Starts the connection (register handlers first: pushes may arrive at once) and closes it after the test. An
    /// agent's connection then chooses Online, as an agent does in the console after signing in Away.
    /// </summary>
    protected async Task<HubConnection> ConnectAsync(HubConnection connection)
    {
        _connections.Add(connection);
        if (SiloFixture.IsAgentConnection(connection))
        {
            return await SiloFixture.SignInOnlineAsync(connection);
        }

        await connection.StartAsync();
        return connection;
    }

    /// <summary>Starts the connection and nothing more (an agent's stays as it signed in), and closes it after the test.</summary>
    protected async Task<HubConnection> StartOnlyAsync(HubConnection connection)
    {
        _connections.Add(connection);
        await connection.StartAsync();
        return connection;
    }
}
