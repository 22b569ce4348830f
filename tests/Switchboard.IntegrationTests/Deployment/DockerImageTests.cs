using System.Diagnostics;
using Switchboard.IntegrationTests.Infrastructure;

namespace Switchboard.IntegrationTests.Deployment;

/// <summary>
/// The Docker image, checked without a Docker engine: its build stage must install the pages' SignalR browser client
/// (the SDK image has no npm; an image built without it served a console stuck at "Connecting..." and a blank chat
/// page), and the publish it runs must fail, not ship, when the client is missing.
/// </summary>
public sealed class DockerImageTests
{
    private const string ClientFile = "node_modules/@microsoft/signalr/dist/browser/signalr.min.js";

    [Fact]
    public async Task TheBuildStageInstallsTheBrowserClientAndItsPublishRefusesToShipWithoutIt()
    {
        var dockerfile = await File.ReadAllLinesAsync(Path.Combine(Paths.RepositoryRoot, "Dockerfile"));
        var build = dockerfile.TakeWhile(line => !line.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet", StringComparison.Ordinal)).ToList();
        int Line(Func<string, bool> match, string what)
        {
            var at = build.FindIndex(line => match(line));
            Assert.True(at >= 0, $"The Dockerfile's build stage has no {what}.");
            return at;
        }

        var installNpm = Line(l => l.Contains("apt-get install", StringComparison.Ordinal) && l.Contains(" npm", StringComparison.Ordinal), "apt-get install of npm");
        var npmCi = Line(l => l.Contains("npm ci", StringComparison.Ordinal), "npm ci");
        var publish = Line(l => l.Contains("dotnet publish", StringComparison.Ordinal), "dotnet publish");
        Assert.True(installNpm < npmCi && npmCi < publish, "npm must be installed, then npm ci run, before the publish.");
        Assert.Contains("-p:RequireBrowserPackages=true", build[publish]);
        // A node_modules copied from the developer's tree would hide a build stage that cannot install one.
        Assert.Contains("**/node_modules/", await File.ReadAllLinesAsync(Path.Combine(Paths.RepositoryRoot, ".dockerignore")));
    }

    [Fact]
    public async Task ABuildThatShipsThePagesFailsWithoutTheBrowserClientAndPassesWithIt()
    {
        var silo = Path.Combine(Paths.RepositoryRoot, "src", "Switchboard.Silo");
        Assert.True(File.Exists(Path.Combine(silo, ClientFile)), "The build installs the browser client (npm ci) in src/Switchboard.Silo.");
        var (installed, _) = await MsBuildAsync(silo, withNpm: true);
        Assert.Equal(0, installed);

        // The project alone, as a build stage without npm sees it: no node_modules, no npm on the PATH.
        var bare = Directory.CreateTempSubdirectory("switchboard-image-");
        try
        {
            foreach (var file in new[] { "Switchboard.Silo.csproj", "package.json", "package-lock.json" })
            {
                File.Copy(Path.Combine(silo, file), Path.Combine(bare.FullName, file));
            }

            var (missing, output) = await MsBuildAsync(bare.FullName, withNpm: false);

            Assert.NotEqual(0, missing);
            Assert.Contains("The SignalR browser client (node_modules/@microsoft/signalr) is not installed", output);
            Assert.False(File.Exists(Path.Combine(bare.FullName, ClientFile)));
        }
        finally
        {
            bare.Delete(recursive: true);
        }
    }

    /// <summary>Runs the project's browser-package targets as a shipping build does; the exit code and what it wrote.</summary>
    private static async Task<(int ExitCode, string Output)> MsBuildAsync(string projectDirectory, bool withNpm)
    {
        // The SDK's own executable, links resolved: its directory holds no npm, unlike /usr/bin.
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "/usr/bin/dotnet";
        var dotnet = new FileInfo(host).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? host;
        var start = new ProcessStartInfo(dotnet)
        {
            WorkingDirectory = projectDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "msbuild", "Switchboard.Silo.csproj", "-t:InstallBrowserPackages", "-p:RequireBrowserPackages=true", "-nologo", "-v:m" })
        {
            start.ArgumentList.Add(argument);
        }

        if (!withNpm)
        {
            // A shell (MSBuild runs commands through sh) and the SDK's own directory: the shell's PATH has npm on it.
            var shell = Directory.CreateDirectory(Path.Combine(projectDirectory, ".shell"));
            File.CreateSymbolicLink(Path.Combine(shell.FullName, "sh"), "/bin/sh");
            start.Environment["PATH"] = $"{shell.FullName}:{Path.GetDirectoryName(dotnet)}";
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        return (process.ExitCode, await output + await errors);
    }
}
