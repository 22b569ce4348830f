using Orleans.Runtime.Hosting;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using Switchboard.Hosting.Sqlite;

namespace Switchboard.Hosting;

/// <summary>
/// Where a silo on embedded defaults (no clustering provider, no grain-storage provider named) keeps grain state: a
/// SQLite file by default (<c>Switchboard:Embedded:Database</c>, relative to the content root), or memory
/// (<c>Switchboard:Embedded:Storage=memory</c>, or <c>--in-memory</c> on the command line), which a restart empties.
/// A cluster keeps what it names, and memory when it names nothing: a file per silo would not follow grains between
/// silos.
/// </summary>
public static class EmbeddedStorage
{
    public const string StorageKey = "Switchboard:Embedded:Storage";

    public const string DatabaseKey = "Switchboard:Embedded:Database";

    /// <summary>The database file when none is configured, relative to the content root.</summary>
    public const string DefaultDatabase = "data/switchboard.db";

    /// <summary>The command-line switch for <c>Switchboard:Embedded:Storage=memory</c>.</summary>
    public const string InMemorySwitch = "--in-memory";

    public const string Sqlite = "sqlite";

    public const string Memory = "memory";

    /// <summary>
    /// The arguments with <c>--in-memory</c> turned into its setting. Left as it is, the command-line configuration
    /// would take the argument after it as its value (<c>--in-memory --urls …</c> would lose <c>--urls</c>).
    /// </summary>
    public static string[] ReadSwitches(string[] args) =>
        args.Contains(InMemorySwitch, StringComparer.Ordinal)
            ? [.. args.Where(a => a != InMemorySwitch), $"--{StorageKey}={Memory}"]
            : args;

    /// <summary>True when this silo's grain state goes to its SQLite file.</summary>
    public static bool UsesSqlite(IConfiguration configuration)
    {
        var storage = configuration[StorageKey] ?? Sqlite;
        if (!string.Equals(storage, Sqlite, StringComparison.OrdinalIgnoreCase) && !string.Equals(storage, Memory, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{StorageKey} is '{Sqlite}' or '{Memory}', not '{storage}'.");
        }

        return ClusterHosting.IsEmbedded(configuration)
            && configuration[$"Orleans:GrainStorage:{SwitchboardOptions.StorageName}:ProviderType"] is null
            && string.Equals(storage, Sqlite, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The database file as a full path: <c>Switchboard:Embedded:Database</c> against the content root.</summary>
    public static string DatabasePath(IConfiguration configuration, string contentRoot) =>
        Path.GetFullPath(configuration[DatabaseKey] is { Length: > 0 } path ? path : DefaultDatabase, contentRoot);

    /// <summary>The storage named <see cref="SwitchboardOptions.StorageName"/> on the SQLite file.</summary>
    public static ISiloBuilder AddSqliteGrainStorage(this ISiloBuilder silo, IConfiguration configuration) =>
        silo.AddSqliteGrainStorage(services => DatabasePath(configuration, services.GetRequiredService<IHostEnvironment>().ContentRootPath));

    /// <summary>The storage named <see cref="SwitchboardOptions.StorageName"/> on the SQLite file at <paramref name="databasePath"/>.</summary>
    public static ISiloBuilder AddSqliteGrainStorage(this ISiloBuilder silo, string databasePath) =>
        silo.AddSqliteGrainStorage(_ => databasePath);

    private static ISiloBuilder AddSqliteGrainStorage(this ISiloBuilder silo, Func<IServiceProvider, string> databasePath)
    {
        silo.Services.AddGrainStorage(SwitchboardOptions.StorageName, (services, name) => new SqliteGrainStorage(
            databasePath(services),
            services.GetRequiredKeyedService<IGrainStorageSerializer>(name),
            services.GetRequiredService<IActivatorProvider>(),
            services.GetRequiredService<ILogger<SqliteGrainStorage>>()));
        return silo;
    }
}
