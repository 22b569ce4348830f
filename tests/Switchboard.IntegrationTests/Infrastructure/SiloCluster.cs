using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans.Configuration;
using Switchboard.Auth;
using Switchboard.Hosting;

namespace Switchboard.IntegrationTests.Infrastructure;

/// <summary>
/// Silo processes that form one cluster on real PostgreSQL or Redis, configured the way an operator would (environment
/// variables only). Each cluster gets its own cluster and service id, so clusters of different tests share the servers
/// without seeing each other, and its own signing key: every silo checks tokens with it, and <see cref="Tokens"/> signs
/// them as the company's identity provider would.
/// </summary>
public sealed class SiloCluster : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Each silo's Npgsql pool (Maximum Pool Size), whatever connection string the tests are given: the bound
    /// scripts/services.sh and docker-compose.yml give silos (the arithmetic is in services.sh).
    /// </summary>
    public const int PoolSize = 20;

    private const string PostgresSetting = "ConnectionStrings__postgres";

    private readonly Dictionary<string, string> _settings;
    private readonly List<SiloProcess> _silos = [];
    private readonly List<SiloProcess> _gateways = [];

    private SiloCluster(string clusterId, Dictionary<string, string> settings)
    {
        ClusterId = clusterId;
        _settings = settings;
        SigningKey = NewSigningKey();
        Tokens = TokenIssuer.FromKey(SigningKey);
        settings["Switchboard__Auth__SigningKey"] = SigningKey;
        // The tests read through the HTTP API as a supervisor would; no such agent needs to be configured.
        Http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.IssueAgent("test-supervisor", supervisor: true).Token);
        settings["Orleans__ClusterId"] = clusterId;
        settings["Orleans__ServiceId"] = clusterId;
        // Failure detection in seconds (defaults take tens of seconds): probe every second, suspect after two misses.
        foreach (var (key, value) in Membership)
        {
            settings[$"Orleans__Membership__{key}"] = value;
        }

        // Recovery in seconds too: agents re-announce and connections are confirmed every 2 s (the default is 20 s).
        // Conversations' clocks need nothing shortened: the deadline shards of a dead silo come back on the others as
        // soon as it is declared dead.
        settings["Switchboard__PresenceRefreshPeriod"] = "00:00:02";
        // These tests are about routing across silos: the agents they connect take chats at once, as agents who chose
        // Online (the product signs agents in Away; tests/Switchboard.Tests/Cluster/SignInPresenceTests.cs covers that).
        settings["Switchboard__SignInStatus"] = "Online";
        // Every simulated HTTP customer comes from 127.0.0.1: one client address to the silos, so its limit on open
        // conversations is off, as behind the compose file's nginx.
        settings["Switchboard__Limits__OpenConversationsPerAddress"] = "0";
    }

    /// <summary>The membership settings the cluster tests run with (the README lists them too).</summary>
    public static IReadOnlyDictionary<string, string> Membership { get; } = new Dictionary<string, string>
    {
        ["ProbeTimeout"] = "00:00:01",
        ["NumMissedProbesLimit"] = "2",
        ["NumVotesForDeathDeclaration"] = "2",
        ["TableRefreshTimeout"] = "00:00:05",
    };

    public string ClusterId { get; }

    /// <summary>The key every silo of this cluster signs and checks tokens with (<c>Switchboard__Auth__SigningKey</c>).</summary>
    public string SigningKey { get; }

    public TokenIssuer Tokens { get; }

    /// <summary>A plain agent's token (the agent id is its subject).</summary>
    public string AgentToken(string agentId) => Tokens.IssueAgent(agentId, supervisor: false).Token;

    public string? Postgres { get; private init; }

    /// <summary>
    /// How the Application Name of every PostgreSQL connection this cluster's silos open begins (then comes the silo's
    /// name: <c>cluster id/silo-0</c>), so <see cref="PostgresActivity"/> tells them apart from other tests'.
    /// </summary>
    public string ApplicationPrefix => $"{ClusterId}/";

    public IReadOnlyList<SiloProcess> Silos => _silos;

    public IEnumerable<SiloProcess> Running => _silos.Where(s => !s.HasExited);

    /// <summary>The gateway processes started (<see cref="StartGatewaysAsync"/>): Orleans clients that host the web front end.</summary>
    public IReadOnlyList<SiloProcess> Gateways => _gateways;

    public IEnumerable<SiloProcess> RunningGateways => _gateways.Where(g => !g.HasExited);

    public HttpClient Http { get; }

    public JsonSerializerOptions Json { get; } = CreateJson();

    /// <summary>Clustering, grain storage and reminders on PostgreSQL; the SignalR backplane on Redis.</summary>
    public static SiloCluster OnPostgres(string name, string postgres, string redis)
    {
        var settings = new Dictionary<string, string>
        {
            [PostgresSetting] = postgres,
            ["ConnectionStrings__redis"] = redis,
        };
        foreach (var section in new[] { "Clustering", "Reminders" })
        {
            settings[$"Orleans__{section}__ProviderType"] = "AdoNet";
            settings[$"Orleans__{section}__Invariant"] = "Npgsql";
            settings[$"Orleans__{section}__ConnectionName"] = "postgres";
        }

        // Grain state in the project's own PostgreSQL storage (Hosting/Postgres), as the compose file and cluster.sh run.
        settings["Orleans__GrainStorage__switchboard__ProviderType"] = "Postgres";
        settings["Orleans__GrainStorage__switchboard__ConnectionName"] = "postgres";

        return new SiloCluster(NewClusterId(name), settings) { Postgres = postgres };
    }

    /// <summary>Redis clustering and the SignalR backplane on Redis; grain state in memory.</summary>
    public static SiloCluster OnRedis(string name, string redis) =>
        new(NewClusterId(name), new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = redis,
            ["Orleans__Clustering__ProviderType"] = "Redis",
            ["Orleans__Clustering__ConnectionName"] = "redis",
        });

    /// <summary>Adds a skill every silo serves.</summary>
    public SiloCluster WithSkill(string skill)
    {
        _settings[$"Switchboard__Skills__{skill}__DisplayName"] = skill;
        return this;
    }

    /// <summary>Adds a configured agent (every silo has the same configuration, as in a real deployment).</summary>
    public SiloCluster WithAgent(string agentId, int capacity, params string[] skills)
    {
        _settings[$"Switchboard__Agents__{agentId}__Name"] = $"Agent {agentId}";
        _settings[$"Switchboard__Agents__{agentId}__Capacity"] = capacity.ToString();
        foreach (var skill in skills)
        {
            _settings[$"Switchboard__Agents__{agentId}__Skills__{skill}"] = "3";
        }

        return this;
    }

    public SiloCluster With(string key, string value)
    {
        _settings[key] = value;
        return this;
    }

    /// <summary>Starts <paramref name="count"/> more silos at once and waits until each has joined.</summary>
    public async Task<IReadOnlyList<SiloProcess>> StartAsync(int count)
    {
        var started = Enumerable.Range(0, count).Select(_ => Launch()).ToList();
        await Task.WhenAll(started.Select(s => s.WaitUntilReadyAsync(StartTimeout)));
        return started;
    }

    /// <summary>Starts one more silo and returns at once, without waiting for it to join.</summary>
    public SiloProcess Launch()
    {
        var silo = SiloProcess.Start($"silo-{_silos.Count}", SettingsFor($"silo-{_silos.Count}"));
        _silos.Add(silo);
        return silo;
    }

    /// <summary>
    /// Starts <paramref name="count"/> gateways (<c>Switchboard__Role=Gateway</c>: the same executable and settings, an
    /// Orleans client instead of a silo) and waits until each serves; start the silos first, the gateways find them.
    /// </summary>
    public async Task<IReadOnlyList<SiloProcess>> StartGatewaysAsync(int count)
    {
        var started = new List<SiloProcess>();
        for (var i = 0; i < count; i++)
        {
            var name = $"gateway-{_gateways.Count}";
            var settings = SettingsFor(name);
            settings["Switchboard__Role"] = "Gateway";
            var gateway = SiloProcess.Start(name, settings);
            _gateways.Add(gateway);
            started.Add(gateway);
        }

        await Task.WhenAll(started.Select(g => g.WaitUntilReadyAsync(StartTimeout)));
        return started;
    }

    private Dictionary<string, string> SettingsFor(string name)
    {
        var settings = new Dictionary<string, string>(_settings);
        if (settings.TryGetValue(PostgresSetting, out var postgres))
        {
            settings[PostgresSetting] = new NpgsqlConnectionStringBuilder(postgres)
            {
                MaxPoolSize = PoolSize,
                ApplicationName = ApplicationPrefix + name,
            }.ConnectionString;
        }

        return settings;
    }

    /// <summary>Stops every running silo the way a service manager does (SIGTERM), all at once.</summary>
    public Task StopAllAsync() => Task.WhenAll(Running.ToList().Select(s => s.StopAsync(TimeSpan.FromSeconds(60))));

    /// <summary>
    /// An Orleans client that finds the gateways through the clustering provider (the gateway query on PostgreSQL).
    /// Tests use it for what the HTTP API does not show: where grains live, and agent profiles set through grains.
    /// </summary>
    public async Task<ClusterClient> ConnectClientAsync()
    {
        var postgres = Postgres ?? throw new InvalidOperationException("A client needs the PostgreSQL cluster.");
        var host = new HostBuilder()
            .UseOrleansClient(client => client
                .UseAdoNetClustering(options =>
                {
                    options.Invariant = "Npgsql";
                    options.ConnectionString = postgres;
                })
                .Configure<ClusterOptions>(options =>
                {
                    options.ClusterId = ClusterId;
                    options.ServiceId = ClusterId;
                }))
            .Build();
        await host.StartAsync();
        return new ClusterClient(host);
    }

    /// <summary>The membership status PostgreSQL holds for a silo (3 active, 6 dead), or null before it joined.</summary>
    public async Task<int?> MembershipStatusAsync(SiloProcess silo)
    {
        await using var connection = new NpgsqlConnection(Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT status FROM orleans_membership WHERE deployment_id = @cluster AND port = @port ORDER BY generation DESC LIMIT 1",
            connection);
        command.Parameters.AddWithValue("cluster", ClusterId);
        command.Parameters.AddWithValue("port", silo.SiloPort);
        return await command.ExecuteScalarAsync() as int?;
    }

    /// <summary>A GET through the HTTP API with a supervisor's token.</summary>
    public async Task<T> GetAsync<T>(SiloProcess silo, string path) =>
        (await Http.GetFromJsonAsync<T>(new Uri(silo.BaseAddress, path), Json))!;

    public async ValueTask DisposeAsync()
    {
        // Killed, not stopped: every test has its own cluster id, so nothing is left to tidy, and it is faster.
        await Task.WhenAll(_silos.Concat(_gateways).Select(s => s.DisposeAsync().AsTask()));
        Http.Dispose();
    }

    /// <summary>The last lines of every silo's log, for a failure message.</summary>
    public string Logs() =>
        string.Join(Environment.NewLine, _silos.Concat(_gateways).Select(s => $"--- {s.Name} (port {s.SiloPort}{(s.HasExited ? ", exited" : "")}) ---{Environment.NewLine}{Tail(s.RecentLog, 40)}"));

    private static string Tail(string log, int lines) =>
        string.Join(Environment.NewLine, log.Split(Environment.NewLine).TakeLast(lines));

    private static string NewSigningKey() => "base64:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(AuthOptions.MinKeyBytes));

    private static string NewClusterId(string name) => $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)];

    private static JsonSerializerOptions CreateJson()
    {
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        SwitchboardHosting.ConfigureJson(json);
        return json;
    }
}

/// <summary>An Orleans client of a <see cref="SiloCluster"/>; disposing it lets go of the cluster.</summary>
public sealed class ClusterClient(IHost host) : IAsyncDisposable
{
    public IClusterClient Grains { get; } = host.Services.GetRequiredService<IClusterClient>();

    public async ValueTask DisposeAsync()
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await host.StopAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            // The cluster may be gone already; the client only has to let go.
        }

        host.Dispose();
    }
}
