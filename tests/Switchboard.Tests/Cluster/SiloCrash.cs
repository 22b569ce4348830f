using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.Messaging;
using Orleans.Storage;
using Switchboard.Conversations;
using Switchboard.Notifications;
using Switchboard.Queues;
using Switchboard.Supervision;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// Cuts one in-process silo off from everything outside it, as a process killed with -9 is. The test cluster's
/// KillSiloAsync alone is a hurried stop: the silo still writes itself Stopping and then Dead in the shared membership
/// table, so its peers know at once, and it keeps its connections open until it has done so. After
/// <see cref="Crash"/> its connections are severed and refused, its membership writes go nowhere, its grain storage
/// and reminder table refuse it and its notifications reach nobody; its peers learn of its death only by probing it and
/// voting, as in production.
/// </summary>
public sealed class SiloCrashSwitch
{
    private readonly Lock _lock = new();
    private readonly HashSet<ConnectionContext> _connections = [];
    private volatile bool _crashed;

    public bool Crashed => _crashed;

    public void Crash()
    {
        List<ConnectionContext> open;
        lock (_lock)
        {
            _crashed = true;
            open = [.. _connections];
            _connections.Clear();
        }

        foreach (var connection in open)
        {
            Sever(connection);
        }
    }

    /// <summary>
    /// Ends what the silo sends at once, as a reset does: aborting alone lets the silo's side flush what it still
    /// writes (its last membership gossip, say) until its messaging notices.
    /// </summary>
    private static void Sever(ConnectionContext connection)
    {
        try
        {
            connection.Transport.Output.Complete(new ConnectionAbortedException("The silo crashed."));
        }
        catch (InvalidOperationException)
        {
            // The silo's messaging was completing it too.
        }

        connection.Abort(new ConnectionAbortedException("The silo crashed."));
    }

    /// <summary>Keeps the connection to abort it on a crash; after one, aborts it at once and says so.</summary>
    private bool TryTrack(ConnectionContext connection)
    {
        lock (_lock)
        {
            if (!_crashed)
            {
                _connections.Add(connection);
            }
        }

        if (_crashed)
        {
            Sever(connection);
            return false;
        }

        connection.ConnectionClosed.Register(() =>
        {
            lock (_lock)
            {
                _connections.Remove(connection);
            }
        });
        return true;
    }

    private T Check<T>(Func<T> call) => _crashed ? throw new InvalidOperationException("The silo crashed.") : call();

    /// <summary>
    /// Builds a silo's services with its connections, membership table, grain storage, reminder table and notifier
    /// behind a new <see cref="SiloCrashSwitch"/>, once everything is registered: the test cluster adds its transport
    /// and membership table after all of a test's silo configuration.
    /// </summary>
    public sealed class Factory(Action<SiloAddress, SiloCrashSwitch> created) : IServiceProviderFactory<IServiceCollection>
    {
        // As the host's own default in Development, which the test cluster's silos run in.
        private readonly DefaultServiceProviderFactory _inner = new(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        private readonly SiloCrashSwitch _switch = new();

        public IServiceCollection CreateBuilder(IServiceCollection services)
        {
            Wrap<IMembershipTable>(services, table => new CrashableMembershipTable(table, _switch));
            Wrap<IReminderTable>(services, table => new CrashableReminderTable(table, _switch));
            Wrap<IChatNotifier>(services, notifier => new CrashableNotifier(notifier, _switch));
            foreach (var storage in services.Where(s => s.IsKeyedService && s.ServiceType == typeof(IGrainStorage)).ToList())
            {
                WrapKeyed<IGrainStorage>(services, storage, inner => new CrashableGrainStorage(inner, _switch));
            }

            foreach (var transport in services.Where(s => s.IsKeyedService && s.ServiceType == typeof(IConnectionFactory)).ToList())
            {
                WrapKeyed<IConnectionFactory>(services, transport, factory => new CrashableConnectionFactory(factory, _switch));
            }

            foreach (var transport in services.Where(s => s.IsKeyedService && s.ServiceType == typeof(IConnectionListenerFactory)).ToList())
            {
                WrapKeyed<IConnectionListenerFactory>(services, transport, factory => new CrashableListenerFactory(factory, _switch));
            }

            return _inner.CreateBuilder(services);
        }

        public IServiceProvider CreateServiceProvider(IServiceCollection containerBuilder)
        {
            var provider = _inner.CreateServiceProvider(containerBuilder);
            created(provider.GetRequiredService<ILocalSiloDetails>().SiloAddress, _switch);
            return provider;
        }

        private static void Wrap<T>(IServiceCollection services, Func<T, T> wrap)
            where T : class
        {
            var registered = services.Last(s => !s.IsKeyedService && s.ServiceType == typeof(T));
            services.Remove(registered);
            services.AddSingleton(provider => wrap(Resolve<T>(provider, registered, null)));
        }

        private static void WrapKeyed<T>(IServiceCollection services, ServiceDescriptor registered, Func<T, T> wrap)
            where T : class
        {
            services.Remove(registered);
            services.AddKeyedSingleton<T>(registered.ServiceKey, (provider, key) => wrap(Resolve<T>(provider, registered, key)));
        }

        private static T Resolve<T>(IServiceProvider provider, ServiceDescriptor registered, object? key) =>
            (T)(registered.IsKeyedService
                ? registered.KeyedImplementationInstance
                    ?? registered.KeyedImplementationFactory?.Invoke(provider, key)
                    ?? ActivatorUtilities.CreateInstance(provider, registered.KeyedImplementationType!)
                : registered.ImplementationInstance
                    ?? registered.ImplementationFactory?.Invoke(provider)
                    ?? ActivatorUtilities.CreateInstance(provider, registered.ImplementationType!));
    }

    private sealed class CrashableConnectionFactory(IConnectionFactory inner, SiloCrashSwitch crash) : IConnectionFactory
    {
        public async ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
        {
            if (crash.Crashed)
            {
                throw new ConnectionFailedException($"Cannot connect to {endpoint}: the silo crashed.");
            }

            var connection = await inner.ConnectAsync(endpoint, cancellationToken);
            return crash.TryTrack(connection) ? connection : throw new ConnectionFailedException($"Cannot connect to {endpoint}: the silo crashed.");
        }
    }

    private sealed class CrashableListenerFactory(IConnectionListenerFactory inner, SiloCrashSwitch crash) : IConnectionListenerFactory
    {
        public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
            new CrashableListener(await inner.BindAsync(endpoint, cancellationToken), crash);
    }

    private sealed class CrashableListener(IConnectionListener inner, SiloCrashSwitch crash) : IConnectionListener
    {
        public EndPoint EndPoint => inner.EndPoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            while (await inner.AcceptAsync(cancellationToken) is { } connection)
            {
                // A crashed silo refuses every caller: the connection is accepted by the transport, then reset.
                if (crash.TryTrack(connection))
                {
                    return connection;
                }

                await connection.DisposeAsync();
            }

            return null;
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => inner.UnbindAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>Reads go through; a crashed silo's writes are lost, so it cannot tell the table it is going.</summary>
    private sealed class CrashableMembershipTable(IMembershipTable table, SiloCrashSwitch crash) : IMembershipTable
    {
        public Task InitializeMembershipTableAsync(bool tryInitTableVersion, CancellationToken cancellationToken) =>
            table.InitializeMembershipTableAsync(tryInitTableVersion, cancellationToken);

        public Task DeleteMembershipTableEntriesAsync(string clusterId, CancellationToken cancellationToken) =>
            crash.Crashed ? Task.CompletedTask : table.DeleteMembershipTableEntriesAsync(clusterId, cancellationToken);

        public Task CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken) =>
            crash.Crashed ? Task.CompletedTask : table.CleanupDefunctSiloEntriesAsync(beforeDate, cancellationToken);

        public Task<MembershipTableData> ReadRowAsync(SiloAddress key, CancellationToken cancellationToken) =>
            table.ReadRowAsync(key, cancellationToken);

        public Task<MembershipTableData> ReadAllAsync(CancellationToken cancellationToken) => table.ReadAllAsync(cancellationToken);

        public Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion tableVersion, CancellationToken cancellationToken) =>
            crash.Crashed ? Task.FromResult(true) : table.InsertRowAsync(entry, tableVersion, cancellationToken);

        public Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion tableVersion, CancellationToken cancellationToken) =>
            crash.Crashed ? Task.FromResult(true) : table.UpdateRowAsync(entry, etag, tableVersion, cancellationToken);

        public Task UpdateIAmAliveAsync(MembershipEntry entry, CancellationToken cancellationToken) =>
            crash.Crashed ? Task.CompletedTask : table.UpdateIAmAliveAsync(entry, cancellationToken);

        // The obsolete forms, in case anything still calls them.
        public Task InitializeMembershipTable(bool tryInitTableVersion) => InitializeMembershipTableAsync(tryInitTableVersion, default);

        public Task DeleteMembershipTableEntries(string clusterId) => DeleteMembershipTableEntriesAsync(clusterId, default);

        public Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate) => CleanupDefunctSiloEntriesAsync(beforeDate, default);

        public Task<MembershipTableData> ReadRow(SiloAddress key) => ReadRowAsync(key, default);

        public Task<MembershipTableData> ReadAll() => ReadAllAsync(default);

        public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion) => InsertRowAsync(entry, tableVersion, default);

        public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion) => UpdateRowAsync(entry, etag, tableVersion, default);

        public Task UpdateIAmAlive(MembershipEntry entry) => UpdateIAmAliveAsync(entry, default);
    }

    private sealed class CrashableReminderTable(IReminderTable table, SiloCrashSwitch crash) : IReminderTable
    {
        public Task StartAsync(CancellationToken cancellationToken) => crash.Check(() => table.StartAsync(cancellationToken));

        public Task Init() => StartAsync(default);

        public Task<ReminderTableData> ReadRows(GrainId grainId) => crash.Check(() => table.ReadRows(grainId));

        public Task<ReminderTableData> ReadRows(uint begin, uint end) => crash.Check(() => table.ReadRows(begin, end));

        public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) => crash.Check(() => table.ReadRow(grainId, reminderName));

        public Task<string?> UpsertRow(ReminderEntry entry) => crash.Check(() => table.UpsertRow(entry));

        public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) => crash.Check(() => table.RemoveRow(grainId, reminderName, eTag));

        public Task TestOnlyClearTable() => crash.Check(table.TestOnlyClearTable);
    }

    private sealed class CrashableGrainStorage(IGrainStorage storage, SiloCrashSwitch crash) : IGrainStorage
    {
        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
            crash.Check(() => storage.ReadStateAsync(stateName, grainId, grainState));

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
            crash.Check(() => storage.WriteStateAsync(stateName, grainId, grainState));

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
            crash.Check(() => storage.ClearStateAsync(stateName, grainId, grainState));
    }

    /// <summary>A crashed silo's pushes reach nobody: its SignalR connections died with it.</summary>
    private sealed class CrashableNotifier(IChatNotifier inner, SiloCrashSwitch crash) : IChatNotifier
    {
        public void ConversationQueued(string skill, QueueEntry entry, QueuePlacement placement) =>
            Unless(() => inner.ConversationQueued(skill, entry, placement));

        public void ConversationAssigned(string agentId, ConversationView conversation) =>
            Unless(() => inner.ConversationAssigned(agentId, conversation));

        public void MessagePosted(string conversationId, string? agentId, ChatMessage message) =>
            Unless(() => inner.MessagePosted(conversationId, agentId, message));

        public void ConversationClosed(string conversationId, string? agentId) =>
            Unless(() => inner.ConversationClosed(conversationId, agentId));

        public void ConversationWithdrawn(string agentId, string conversationId, string reason) =>
            Unless(() => inner.ConversationWithdrawn(agentId, conversationId, reason));

        public void SlaWarning(string agentId, string conversationId, DateTimeOffset dueAt, TimeSpan timeLeft) =>
            Unless(() => inner.SlaWarning(agentId, conversationId, dueAt, timeLeft));

        public void FollowUpDue(string agentId, string conversationId) =>
            Unless(() => inner.FollowUpDue(agentId, conversationId));

        public void OutreachOpened(string customerId, string conversationId, ChatMessage opening) =>
            Unless(() => inner.OutreachOpened(customerId, conversationId, opening));

        public void SupervisorAlert(SupervisorAlert alert) =>
            Unless(() => inner.SupervisorAlert(alert));

        public Task SentToAgentAsync(string agentId) => crash.Crashed ? Task.CompletedTask : inner.SentToAgentAsync(agentId);

        private void Unless(Action push)
        {
            if (!crash.Crashed)
            {
                push();
            }
        }
    }
}
