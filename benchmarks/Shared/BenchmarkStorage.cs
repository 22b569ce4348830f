using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using Switchboard;
using Switchboard.Hosting;
using Switchboard.Hosting.Postgres;

/// <summary>
/// Where a benchmark's silo stores grain state and reminders: in memory (the default); with <c>--postgres</c> in the
/// PostgreSQL that <c>ConnectionStrings__postgres</c> names (<c>eval "$(scripts/services.sh env)"</c> after
/// <c>scripts/services.sh start</c>); with <c>--sqlite</c> as the embedded silo does, in a SQLite file (a fresh one in
/// the temp folder, deleted by <see cref="Dispose"/>).
/// </summary>
internal sealed class BenchmarkStorage : IDisposable
{
    private BenchmarkStorage(string? postgres, DirectoryInfo? sqliteFolder) => (Postgres, SqliteFolder) = (postgres, sqliteFolder);

    public string? Postgres { get; }

    public DirectoryInfo? SqliteFolder { get; }

    public string Name => SqliteFolder is not null ? "SQLite" : Postgres is not null ? "PostgreSQL" : "memory";

    public static BenchmarkStorage FromArgs(string[] args) => new(
        args.Contains("--postgres")
            ? Environment.GetEnvironmentVariable("ConnectionStrings__postgres") ?? throw new InvalidOperationException("--postgres needs ConnectionStrings__postgres: run scripts/services.sh start, then eval \"$(scripts/services.sh env)\".")
            : null,
        args.Contains("--sqlite") ? Directory.CreateTempSubdirectory("switchboard-benchmark-") : null);

    public void AddTo(ISiloBuilder silo)
    {
        if (SqliteFolder is not null)
        {
            silo.AddSqliteGrainStorage(Path.Combine(SqliteFolder.FullName, "switchboard.db"));
            silo.UseInMemoryReminderService();
        }
        else if (Postgres is null)
        {
            silo.AddMemoryGrainStorage(SwitchboardOptions.StorageName).UseInMemoryReminderService();
            return;
        }
        else
        {
            // A service id of its own: the database may hold earlier runs' grains and deadline shards, which would wake here.
            silo.Configure<ClusterOptions>(o => o.ServiceId = $"benchmark-{Guid.NewGuid():N}");
            // The storage the project's clusters run (Hosting/Postgres); reminders stay on Orleans' ADO.NET provider.
            silo.AddPostgresGrainStorage(SwitchboardOptions.StorageName, o => o.ConnectionString = Postgres);
            silo.UseAdoNetReminderService(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = Postgres;
            });
        }

        silo.Services.AddKeyedSingleton<IGrainStorageSerializer>(
            SwitchboardOptions.StorageName,
            (services, _) => new OrleansGrainStorageSerializer(services.GetRequiredService<Serializer>()));
    }

    public void Dispose() => SqliteFolder?.Delete(recursive: true);
}
