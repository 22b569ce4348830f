using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using Switchboard;

/// <summary>
/// Where a benchmark's silo stores grain state and reminders: in memory, or with <c>--postgres</c> in the PostgreSQL
/// that <c>ConnectionStrings__postgres</c> names (<c>eval "$(scripts/services.sh env)"</c> after
/// <c>scripts/services.sh start</c>).
/// </summary>
internal static class BenchmarkStorage
{
    public static string? Postgres(string[] args) => args.Contains("--postgres")
        ? Environment.GetEnvironmentVariable("ConnectionStrings__postgres") ?? throw new InvalidOperationException("--postgres needs ConnectionStrings__postgres: run scripts/services.sh start, then eval \"$(scripts/services.sh env)\".")
        : null;

    public static ISiloBuilder AddBenchmarkStorage(this ISiloBuilder silo, string? postgres)
    {
        if (postgres is null)
        {
            return silo.AddMemoryGrainStorage(SwitchboardOptions.StorageName).UseInMemoryReminderService();
        }

        // A service id of its own: the database may hold earlier runs' grains and deadline shards, which would wake here.
        silo.Configure<ClusterOptions>(o => o.ServiceId = $"benchmark-{Guid.NewGuid():N}");
        silo.AddAdoNetGrainStorage(SwitchboardOptions.StorageName, o =>
        {
            o.Invariant = "Npgsql";
            o.ConnectionString = postgres;
        });
        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = "Npgsql";
            o.ConnectionString = postgres;
        });
        silo.Services.AddKeyedSingleton<IGrainStorageSerializer>(
            SwitchboardOptions.StorageName,
            (services, _) => new OrleansGrainStorageSerializer(services.GetRequiredService<Serializer>()));
        return silo;
    }
}
