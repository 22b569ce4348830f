using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Providers;
using Orleans.Runtime.Hosting;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using Switchboard.Hosting.Postgres;

// Configuration picks it as it picks Orleans' own providers:
//   Orleans:GrainStorage:switchboard:ProviderType=Postgres, ConnectionName=postgres (or ConnectionString=...)
[assembly: RegisterProvider(PostgresGrainStorageOptions.ProviderType, "GrainStorage", "Silo", typeof(PostgresGrainStorageProviderBuilder))]

namespace Switchboard.Hosting.Postgres;

/// <summary>How a <see cref="PostgresGrainStorage"/> reaches PostgreSQL and how many connections it keeps.</summary>
public sealed class PostgresGrainStorageOptions
{
    /// <summary>The <c>ProviderType</c> that names this storage in configuration.</summary>
    public const string ProviderType = "Postgres";

    /// <summary>An Npgsql connection string (<c>ConnectionString</c>, or <c>ConnectionName</c> for one of <c>ConnectionStrings</c>).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Writer loops, each with a connection it keeps open and one batch in flight at a time. One gathers the most
    /// writes per round trip, and so costs the least CPU (docs/benchmarks.md); more shorten the wait behind a batch
    /// in flight when PostgreSQL is slow to commit.
    /// </summary>
    public int Writers { get; set; } = 1;

    /// <summary>Reader loops, each with a connection of its own (reads never wait behind a commit).</summary>
    public int Readers { get; set; } = 1;

    /// <summary>The most statements one batch sends.</summary>
    public int MaxBatch { get; set; } = 256;
}

public static class PostgresGrainStorageHosting
{
    /// <summary>Grain storage <paramref name="name"/> in PostgreSQL's <see cref="PostgresGrainStorage.Table"/>.</summary>
    public static ISiloBuilder AddPostgresGrainStorage(this ISiloBuilder silo, string name, Action<PostgresGrainStorageOptions> configure)
    {
        silo.Services.AddOptions<PostgresGrainStorageOptions>(name)
            .Configure(configure)
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString), $"Grain storage '{name}' (Postgres) needs a ConnectionString or a ConnectionName whose ConnectionStrings entry is set.")
            .Validate(o => o.Writers is >= 1 and <= 16 && o.Readers is >= 1 and <= 16, $"Grain storage '{name}' (Postgres): Writers and Readers are 1 to 16.")
            .Validate(o => o.MaxBatch is >= 1 and <= 4096, $"Grain storage '{name}' (Postgres): MaxBatch is 1 to 4096.");
        silo.Services.AddGrainStorage(name, (services, storageName) =>
        {
            var options = services.GetRequiredService<IOptionsMonitor<PostgresGrainStorageOptions>>().Get(storageName);
            return new PostgresGrainStorage(
                services.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
                options,
                services.GetKeyedService<IGrainStorageSerializer>(storageName) ?? services.GetRequiredService<IGrainStorageSerializer>(),
                services.GetRequiredService<IActivatorProvider>(),
                services.GetRequiredService<ILogger<PostgresGrainStorage>>());
        });
        return silo;
    }
}

/// <summary>Reads <c>ConnectionString</c> or <c>ConnectionName</c>, and optionally Writers, Readers and MaxBatch.</summary>
internal sealed class PostgresGrainStorageProviderBuilder : IProviderBuilder<ISiloBuilder>
{
    public void Configure(ISiloBuilder builder, string? name, IConfigurationSection configurationSection)
    {
        builder.AddPostgresGrainStorage(name ?? ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, _ => { });
        builder.Services.AddOptions<PostgresGrainStorageOptions>(name ?? ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME)
            .Configure<IConfiguration>((options, configuration) =>
            {
                configurationSection.Bind(options);
                if (string.IsNullOrWhiteSpace(options.ConnectionString) && configurationSection["ConnectionName"] is { Length: > 0 } connectionName)
                {
                    options.ConnectionString = configuration.GetConnectionString(connectionName);
                }
            });
    }
}
