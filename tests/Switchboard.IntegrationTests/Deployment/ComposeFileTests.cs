using System.Diagnostics;
using System.Text.RegularExpressions;
using Switchboard.IntegrationTests.Infrastructure;

namespace Switchboard.IntegrationTests.Deployment;

/// <summary>
/// docker-compose.yml, checked the only way these machines allow (no Docker engine): Debian's docker-compose parses
/// and resolves it.
/// </summary>
public sealed class ComposeFileTests
{
    // What an operator exports before docker-compose up; the file has no default, so a deployment cannot forget it.
    private const string SigningKey = "base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    [SkippableFact]
    public async Task DockerComposeAcceptsTheFileAndItDescribesTheClusterTopology()
    {
        var compose = new[] { "/usr/bin", "/usr/local/bin" }.Select(d => Path.Combine(d, "docker-compose")).FirstOrDefault(File.Exists);
        TestServers.Require(compose is not null,
            "docker-compose is not installed (scripts/test.sh installs it: apt-get install --no-install-recommends docker-compose).");

        var (quiet, quietErrors) = await ComposeAsync(compose!, "config", "-q");
        Assert.True(quiet == 0, $"docker-compose config -q failed: {quietErrors}");
        var (withoutKey, withoutKeyErrors) = await ComposeWithKeyAsync(compose!, signingKey: null, "config", "-q");
        Assert.True(withoutKey != 0, "docker-compose accepted the file without SWITCHBOARD_SIGNING_KEY: the silos would have no signing key.");
        Assert.Contains("SWITCHBOARD_SIGNING_KEY", withoutKeyErrors);

        var (_, services) = await ComposeAsync(compose!, "config", "--services");
        Assert.Equal(["gateway-1", "gateway-2", "nginx", "postgres", "redis", "silo-1", "silo-2", "silo-3"],
            services.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order());

        var (_, resolved) = await ComposeAsync(compose!, "config");
        Assert.Contains("/docker-entrypoint-initdb.d", resolved);
        var nginx = await File.ReadAllTextAsync(Path.Combine(Paths.RepositoryRoot, "deploy", "nginx", "switchboard.conf"));
        Assert.Contains("ip_hash", nginx);
        // nginx sends browsers to the gateways (the connection tier), never straight to a silo.
        Assert.Contains("server gateway-1:8080", nginx);
        Assert.Contains("server gateway-2:8080", nginx);
        Assert.DoesNotContain("server silo-", nginx);

        // The three silos hold the grains: storage and reminders are theirs alone.
        foreach (var setting in new[] { "Orleans__GrainStorage__switchboard__ProviderType: Postgres", "Orleans__Reminders__ProviderType: AdoNet" })
        {
            Assert.Equal(3, resolved.Split(setting).Length - 1);
        }

        // Silos and gateways (Orleans clients) share the cluster's membership, backplane and signing key.
        foreach (var setting in new[] { "Orleans__Clustering__ProviderType: AdoNet", "ConnectionStrings__redis: redis:6379", $"Switchboard__Auth__SigningKey: {SigningKey}" })
        {
            Assert.Equal(5, resolved.Split(setting).Length - 1);
        }

        Assert.Equal(2, resolved.Split("Switchboard__Role: Gateway").Length - 1);
    }

    [SkippableFact]
    public async Task EverySiloAndGatewayHasABoundedPoolAndPostgresHasRoomForThemAll()
    {
        var compose = new[] { "/usr/bin", "/usr/local/bin" }.Select(d => Path.Combine(d, "docker-compose")).FirstOrDefault(File.Exists);
        TestServers.Require(compose is not null,
            "docker-compose is not installed (scripts/test.sh installs it: apt-get install --no-install-recommends docker-compose).");

        // docker-compose folds long values over lines: compare with whitespace collapsed.
        var (_, resolved) = await ComposeAsync(compose!, "config");
        var flat = Regex.Replace(resolved, @"\s+", " ");
        var pools = Regex.Matches(flat, @"ConnectionStrings__postgres: [^ ]*;Maximum Pool Size=(\d+);").Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Assert.Equal(5, pools.Count);
        Assert.All(pools, pool => Assert.InRange(pool, 1, 30));
        var maxConnections = int.Parse(Regex.Match(flat, @"- max_connections=(\d+)").Groups[1].Value);
        // Room for every silo's pool twice over (a replaced container's connections may not be closed yet), and more.
        Assert.True(2 * pools.Sum() < maxConnections, $"max_connections {maxConnections} leaves no room for the silos' and gateways' pools ({string.Join(", ", pools)}) twice over.");
    }

    private static Task<(int ExitCode, string Output)> ComposeAsync(string compose, params string[] arguments) =>
        ComposeWithKeyAsync(compose, SigningKey, arguments);

    /// <summary>Runs docker-compose on the repository's file; returns the exit code and stdout (or stderr on failure).</summary>
    private static async Task<(int ExitCode, string Output)> ComposeWithKeyAsync(string compose, string? signingKey, params string[] arguments)
    {
        var start = new ProcessStartInfo(compose)
        {
            WorkingDirectory = Paths.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Remove("SWITCHBOARD_SIGNING_KEY");
        if (signingKey is not null)
        {
            start.Environment["SWITCHBOARD_SIGNING_KEY"] = signingKey;
        }

        start.ArgumentList.Add("-f");
        start.ArgumentList.Add("docker-compose.yml");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, process.ExitCode == 0 ? await output : await errors);
    }
}
