using System.Diagnostics;
using Switchboard.IntegrationTests.Infrastructure;

namespace Switchboard.IntegrationTests.Deployment;

/// <summary>
/// The Docker image, checked without a Docker engine: a Node.js stage installs the pages' SignalR browser client and the
/// .NET stage, which has no npm, copies it (an image built without it served a console stuck at "Connecting..." and a
/// blank chat page), and the publish it runs must fail, not ship, when the client is missing.
/// </summary>
public sealed class DockerImageTests
{
    private const string ClientFile = "node_modules/@microsoft/signalr/dist/browser/signalr.min.js";

    [Fact]
    public async Task ANodeStageInstallsTheBrowserClientAndTheDotNetStageWithoutNpmShipsIt()
    {
        var dockerfile = await File.ReadAllLinesAsync(Path.Combine(Paths.RepositoryRoot, "Dockerfile"));
        List<string> Stage(Func<string, bool> from)
        {
            var at = Array.FindIndex(dockerfile, line => line.StartsWith("FROM ", StringComparison.Ordinal) && from(line));
            Assert.True(at >= 0, "The Dockerfile lacks a stage it needs.");
            return [.. dockerfile.Skip(at).TakeWhile((line, i) => i == 0 || !line.StartsWith("FROM ", StringComparison.Ordinal))];
        }

        // The browser client comes from a Node.js stage, installed exactly as the lock file says.
        var node = Stage(line => line.Contains("node:", StringComparison.Ordinal) && line.EndsWith(" AS browser", StringComparison.Ordinal));
        Assert.Contains(node, line => line.StartsWith("COPY ", StringComparison.Ordinal) && line.Contains("package-lock.json", StringComparison.Ordinal));
        Assert.Contains(node, line => line.StartsWith("RUN npm ci", StringComparison.Ordinal));

        // The .NET stage has no npm (the SDK image has none and this stage installs none): it copies the installed
        // client from the Node.js stage, then publishes with the check that refuses to ship without it.
        var build = Stage(line => line.Contains("dotnet/sdk", StringComparison.Ordinal));
        Assert.DoesNotContain(build, line => line.Contains("npm", StringComparison.Ordinal) || line.Contains("nodejs", StringComparison.Ordinal));
        var copy = build.FindIndex(line => line.StartsWith("COPY --from=browser ", StringComparison.Ordinal) && line.Contains("node_modules", StringComparison.Ordinal));
        var publish = build.FindIndex(line => line.Contains("dotnet publish", StringComparison.Ordinal));
        Assert.True(copy >= 0 && publish > copy, "The .NET stage must copy node_modules from the Node.js stage before it publishes.");
        Assert.Contains("-p:RequireBrowserPackages=true", build[publish]);

        // A node_modules copied from the developer's tree would hide a Node.js stage that cannot install one.
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
