using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Switchboard.IntegrationTests.Providers;

/// <summary>
/// A one-silo in-process cluster whose grain storage and reminders are the ADO.NET providers on the project's own
/// PostgreSQL schema (membership is the test kind here; the silo-process tests run ADO.NET membership).
/// </summary>
internal static class ProviderCluster
{
    /// <summary>A second storage that deletes the row on clear instead of keeping it (its own query key).</summary>
    public const string DeletingStorage = "deleting";

    public static async Task<InProcessTestCluster> DeployAsync(string postgres, string serviceId, ReminderLog log)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ClusterId = serviceId;
        builder.Options.ServiceId = serviceId;
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddAdoNetGrainStorage(SwitchboardOptions.StorageName, options =>
            {
                options.Invariant = "Npgsql";
                options.ConnectionString = postgres;
            });
            silo.AddAdoNetGrainStorage(DeletingStorage, options =>
            {
                options.Invariant = "Npgsql";
                options.ConnectionString = postgres;
                options.DeleteStateOnClear = true;
            });
            silo.UseAdoNetReminderService(options =>
            {
                options.Invariant = "Npgsql";
                options.ConnectionString = postgres;
            });
            silo.Services.AddSingleton(log);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}

/// <summary>A grain that sets a reminder and reports each tick to the test.</summary>
public interface IReminderProbeGrain : IGrainWithStringKey
{
    Task RemindAsync(TimeSpan due);

    Task<bool> HasReminderAsync();

    Task ForgetAsync();
}

public sealed class ReminderProbeGrain(ReminderLog log) : Grain, IReminderProbeGrain, IRemindable
{
    private const string Name = "probe";

    public async Task RemindAsync(TimeSpan due) => await this.RegisterOrUpdateReminder(Name, due, TimeSpan.FromMinutes(1));

    public async Task<bool> HasReminderAsync() => await this.GetReminder(Name) is not null;

    public async Task ForgetAsync()
    {
        if (await this.GetReminder(Name) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        log.Tick(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }
}

/// <summary>Shared by the test and every silo it starts: which probe grains' reminders fired.</summary>
public sealed class ReminderLog
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _ticks = new();

    public void Tick(string key) => Fired(key).TrySetResult();

    public Task WaitAsync(string key, TimeSpan timeout) => Fired(key).Task.WaitAsync(timeout);

    private TaskCompletionSource Fired(string key) =>
        _ticks.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
