using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Switchboard.Hosting;
using Switchboard.Web;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.BrowserTests;

/// <summary>
/// The Docker image's output without a Docker engine: the sources the Dockerfile copies, <c>npm ci</c> in that copy
/// (its node stage), then <c>dotnet publish -p:RequireBrowserPackages=true</c> with npm off the PATH (its .NET stage),
/// then the published <c>Switchboard.Silo.dll</c> started as the image starts it (from its folder) on a free loopback
/// port, and both pages loaded in Chromium. An image whose pages cannot find the SignalR client shows a console stuck
/// at "Connecting…" and a blank chat page; this is the test that notices. In the browser test project because
/// Playwright and Chromium are here; one test, since a publish takes a minute or two.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed partial class PublishedSiloTests(ConsoleFixture fixture, ITestOutputHelper output)
{
    // What the Dockerfile copies into its build stage (the .dockerignore leaves out bin/, obj/, node_modules/, data).
    private static readonly string[] RootFiles = ["global.json", "Directory.Build.props", "Directory.Packages.props", ".editorconfig"];
    private static readonly string[] IgnoredFolders = ["bin", "obj", "node_modules", ".vs"];

    [GeneratedRegex("""<script[^>]*\ssrc="([^"]+)"[^>]*>""")]
    private static partial Regex ScriptTag();

    [GeneratedRegex("""(?:import|from)\s*['"](\./[^'"]+)['"]""")]
    private static partial Regex ModuleImport();

    [SkippableFact]
    public async Task ThePublishedImageOutputServesBothPagesWithTheirScriptsAndTheyConnect()
    {
        fixture.RequireBrowser();
        var npm = FindOnPath("npm");
        Skip.If(npm is null && !IsCi, "npm is not installed here: the image's node stage (npm ci) cannot be imitated.");

        var work = Directory.CreateTempSubdirectory("switchboard-publish-");
        try
        {
            var source = Path.Combine(work.FullName, "src");
            foreach (var file in RootFiles)
            {
                File.Copy(Path.Combine(ConsoleFixture.RepositoryRoot, file), Path.Combine(work.FullName, file));
            }

            CopySources(Path.Combine(ConsoleFixture.RepositoryRoot, "src"), source);
            var silo = Path.Combine(source, "Switchboard.Silo");
            var clock = Stopwatch.StartNew();
            var (npmExit, npmOutput) = await RunAsync(npm!, ["ci", "--no-audit", "--no-fund"], silo, path: null, TimeSpan.FromMinutes(3));
            Assert.True(npmExit == 0, $"npm ci failed:{Environment.NewLine}{npmOutput}");

            // The .NET stage: only a shell and the SDK on the PATH, so npm cannot be what makes the publish work.
            var (dotnet, bareBin) = BareSdkPath(work.FullName);
            var (found, _) = await RunAsync("/bin/sh", ["-c", "command -v npm"], work.FullName, bareBin, TimeSpan.FromSeconds(30));
            Assert.NotEqual(0, found);
            var app = Path.Combine(work.FullName, "app");
            var (publishExit, publishOutput) = await RunAsync(
                dotnet,
                ["publish", "src/Switchboard.Silo/Switchboard.Silo.csproj", "-c", "Release", "-o", app, "-p:RequireBrowserPackages=true", "-nologo", "-v:m"],
                work.FullName,
                bareBin,
                TimeSpan.FromMinutes(8));
            Assert.True(publishExit == 0, $"The publish failed:{Environment.NewLine}{publishOutput}");
            output.WriteLine($"measured: npm ci + dotnet publish of a clean copy {clock.Elapsed.TotalSeconds:F0} s");

            // Every script the pages load, and every module those import, is in the output where the silo serves it.
            var scripts = PageScripts(app);
            Assert.Contains($"{ConsolePages.SignalRClientPath}/signalr.min.js", scripts.Keys);
            Assert.Contains("/js/chat.js", scripts.Keys);
            Assert.Contains("/js/console.js", scripts.Keys);
            var missing = scripts.Where(s => !File.Exists(s.Value)).Select(s => s.Key).ToList();
            Assert.True(missing.Count == 0, $"Not in the published output: {string.Join(", ", missing)}");
            // The floor's charts load uPlot on demand (an import no page names): it is published beside the SignalR client.
            Assert.All(["uPlot.esm.js", "uPlot.min.css"], file => Assert.True(File.Exists(Path.Combine([app, .. ConsolePages.ChartsFolder, file])), $"{file} is not in the published output."));

            await using var running = await PublishedSilo.StartAsync(dotnet, app);
            var errors = new List<string>();
            var context = await fixture.Browser.NewContextAsync(new() { BaseURL = running.BaseAddress.ToString(), Locale = "en-GB" });
            try
            {
                var console = await OpenAsync(context, "/", errors);
                await console.GetByLabel("Agent id").FillAsync("alice");
                await console.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
                await Expect(console.Locator("#connection")).ToHaveTextAsync("Connected");

                var chat = await OpenAsync(context, "/chat", errors);
                await Expect(chat.Locator("#start")).ToBeVisibleAsync();
                await Expect(chat.GetByLabel("Your name")).ToBeVisibleAsync();
                await Expect(chat.GetByLabel("What is it about?").Locator("option")).Not.ToHaveCountAsync(0);
                await chat.ScreenshotAsync(new() { Path = Path.Combine(ConsoleFixture.ScreenshotFolder, "published-chat-start.png") });
            }
            finally
            {
                await context.CloseAsync();
            }

            Assert.DoesNotContain(errors, e => e.Contains("signalR is not defined", StringComparison.Ordinal));
            Assert.Empty(errors);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private async Task<IPage> OpenAsync(IBrowserContext context, string path, List<string> errors)
    {
        var page = await context.NewPageAsync();
        page.PageError += (_, error) => Record(errors, $"{path}: {error}");
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                Record(errors, $"{path}: {message.Text}");
            }
        };
        await page.GotoAsync(path);
        return page;
    }

    private void Record(List<string> errors, string error)
    {
        output.WriteLine($"page error {error}");
        lock (errors)
        {
            errors.Add(error);
        }
    }

    /// <summary>Each script address the published pages load (script tags, then their module imports) → the file that serves it.</summary>
    private static Dictionary<string, string> PageScripts(string app)
    {
        var webRoot = Path.Combine(app, "wwwroot");
        var scripts = new Dictionary<string, string>(StringComparer.Ordinal);
        var pending = new Queue<string>();
        foreach (var page in new[] { "index.html", "chat.html" })
        {
            foreach (Match tag in ScriptTag().Matches(File.ReadAllText(Path.Combine(webRoot, page))))
            {
                pending.Enqueue(tag.Groups[1].Value);
            }
        }

        while (pending.TryDequeue(out var address))
        {
            var file = address.StartsWith(ConsolePages.SignalRClientPath + "/", StringComparison.Ordinal)
                ? Path.Combine([app, .. ConsolePages.SignalRClientFolder, address[(ConsolePages.SignalRClientPath.Length + 1)..]])
                : Path.Combine(webRoot, address.TrimStart('/'));
            if (!scripts.TryAdd(address, file) || !address.StartsWith("/js/", StringComparison.Ordinal) || !File.Exists(file))
            {
                continue;
            }

            foreach (Match import in ModuleImport().Matches(File.ReadAllText(file)))
            {
                pending.Enqueue($"/js/{import.Groups[1].Value[2..]}");
            }
        }

        return scripts;
    }

    private static void CopySources(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            // A developer's embedded grain state stays behind, as .dockerignore says.
            if (!Path.GetFileName(file).Contains(".db", StringComparison.Ordinal))
            {
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            }
        }

        foreach (var folder in Directory.EnumerateDirectories(from).Where(d => !IgnoredFolders.Contains(Path.GetFileName(d))))
        {
            CopySources(folder, Path.Combine(to, Path.GetFileName(folder)));
        }
    }

    /// <summary>The SDK's own executable (links resolved, so its folder holds no npm) and a PATH of a shell and that folder.</summary>
    private static (string Dotnet, string Path) BareSdkPath(string work)
    {
        var host = Environment.ProcessPath is { } process && Path.GetFileNameWithoutExtension(process) == "dotnet" ? process : FindOnPath("dotnet") ?? "/usr/bin/dotnet";
        var dotnet = new FileInfo(host).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? host;
        var shell = Directory.CreateDirectory(Path.Combine(work, ".shell"));
        File.CreateSymbolicLink(Path.Combine(shell.FullName, "sh"), "/bin/sh");
        return (dotnet, $"{shell.FullName}:{Path.GetDirectoryName(dotnet)}");
    }

    private static string? FindOnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, command))
            .FirstOrDefault(File.Exists);

    /// <summary>Runs a command to its end; its exit code and everything it wrote. <paramref name="path"/> replaces PATH.</summary>
    private static async Task<(int ExitCode, string Output)> RunAsync(string command, string[] arguments, string directory, string? path, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(command) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (path is not null)
        {
            start.Environment["PATH"] = path;
        }

        // A build server left behind would outlive the test (and the temporary folder it builds in).
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        using var process = Process.Start(start)!;
        var written = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await written + await errors);
    }

    /// <summary>The published silo as the image runs it: <c>dotnet Switchboard.Silo.dll</c> in its folder, settings from the environment.</summary>
    private sealed class PublishedSilo : IAsyncDisposable
    {
        private const string ReadyLine = "Switchboard is serving on";
        private readonly Process _process;

        private PublishedSilo(Process process, Uri baseAddress) => (_process, BaseAddress) = (process, baseAddress);

        public Uri BaseAddress { get; }

        public static async Task<PublishedSilo> StartAsync(string dotnet, string app)
        {
            var port = LoopbackPorts.Next();
            var start = new ProcessStartInfo(dotnet) { WorkingDirectory = app, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("Switchboard.Silo.dll");
            foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("Switchboard__", StringComparison.Ordinal) || k.StartsWith("Orleans__", StringComparison.Ordinal) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)).ToList())
            {
                start.Environment.Remove(key);
            }

            start.Environment["Urls"] = $"http://127.0.0.1:{port}";
            start.Environment["Switchboard__Embedded__SiloPort"] = LoopbackPorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["Switchboard__Embedded__GatewayPort"] = LoopbackPorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["Switchboard__Embedded__Storage"] = "memory";
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            start.Environment["Logging__LogLevel__Switchboard"] = "Information";
            var process = new Process { StartInfo = start, EnableRaisingEvents = true };
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
            void Line(string? line)
            {
                if (line is null)
                {
                    return;
                }

                log.Enqueue(line);
                if (line.Contains(ReadyLine, StringComparison.Ordinal))
                {
                    ready.TrySetResult();
                }
            }

            process.OutputDataReceived += (_, e) => Line(e.Data);
            process.ErrorDataReceived += (_, e) => Line(e.Data);
            process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"The published silo exited:{Environment.NewLine}{string.Join(Environment.NewLine, log)}"));
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var silo = new PublishedSilo(process, new Uri($"http://127.0.0.1:{port}"));
            try
            {
                await ready.Task.WaitAsync(TimeSpan.FromMinutes(1));
            }
            catch
            {
                await silo.DisposeAsync();
                throw;
            }

            return silo;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                {
                    await term.WaitForExitAsync();
                }

                try
                {
                    await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
                }
                catch (TimeoutException)
                {
                    _process.Kill(entireProcessTree: true);
                }
            }

            _process.Dispose();
        }
    }
}
