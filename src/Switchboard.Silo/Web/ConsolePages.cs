using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace Switchboard.Web;

/// <summary>
/// The pages people use: the agent console at <c>/</c> and the customer chat at <c>/chat</c>, plain files from
/// <c>wwwroot</c>, and the browser packages the build installs from npm: the official SignalR client, and uPlot for the
/// supervisor's charts.
/// </summary>
public static class ConsolePages
{
    /// <summary>Where the pages load <c>signalr.min.js</c> from.</summary>
    public const string SignalRClientPath = "/lib/signalr";

    public const string ChatPath = "/chat";

    /// <summary>Relative to the content root: <c>npm ci</c> in the silo's project folder puts it there.</summary>
    public static readonly string[] SignalRClientFolder = ["node_modules", "@microsoft", "signalr", "dist", "browser"];

    /// <summary>Where the supervisor's floor loads <c>uPlot.esm.js</c> and <c>uPlot.min.css</c> from.</summary>
    public const string ChartsPath = "/lib/uplot";

    /// <summary>Relative to the content root, like <see cref="SignalRClientFolder"/>.</summary>
    public static readonly string[] ChartsFolder = ["node_modules", "uplot", "dist"];

    public static WebApplication MapConsolePages(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions { OnPrepareResponse = Revalidate });

        var client = Path.Combine([app.Environment.ContentRootPath, .. SignalRClientFolder]);
        if (Directory.Exists(client))
        {
            app.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = new PhysicalFileProvider(client),
                RequestPath = SignalRClientPath,
                OnPrepareResponse = Revalidate,
            });
        }
        else if (app.Environment.WebRootFileProvider.GetFileInfo("index.html").Exists)
        {
            app.Logger.LogWarning(
                "The SignalR browser client is missing ({Folder}), so the agent console and the chat page cannot connect. " +
                "Run 'npm ci' in src/Switchboard.Silo (the build does it when npm is installed).",
                client);
        }

        // Loaded by the floor only when a supervisor opens it: without it the console works and the floor says the
        // charts are unavailable.
        var charts = Path.Combine([app.Environment.ContentRootPath, .. ChartsFolder]);
        if (Directory.Exists(charts))
        {
            app.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = new PhysicalFileProvider(charts),
                RequestPath = ChartsPath,
                OnPrepareResponse = Revalidate,
            });
        }

        app.MapFallbackToFile(ChatPath, "chat.html");
        return app;
    }

    // Pages and modules change with every deployment: let the browser keep them but ask (ETag) before using them.
    private static void Revalidate(StaticFileResponseContext context) =>
        context.Context.Response.Headers.CacheControl = "no-cache";
}
