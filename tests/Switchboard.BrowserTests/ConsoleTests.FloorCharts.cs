using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Switchboard.Metrics;
using static Microsoft.Playwright.Assertions;

namespace Switchboard.BrowserTests;

/// <summary>Issue 19: the supervisor's charts of today, from a seeded day.</summary>
public sealed partial class ConsoleTests
{
    /// <summary>
    /// A day's service events recorded straight into the silo's metrics (what conversations record as they go), from up
    /// to six hours ago until now, every quarter hour: first responses of 30–75 s that jump to 8–10 min in the last
    /// hour (most of them after a breach), with an FRT anomaly alert of the returns queue 45 minutes ago. Returns the last quarter's events' time.
    /// </summary>
    private static DateTimeOffset SeedDay(IServiceMetrics metrics, DateTimeOffset now)
    {
        var midnight = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var from = now - TimeSpan.FromHours(6) < midnight ? midnight : now - TimeSpan.FromHours(6);
        string[] topics = ["shipping", "returns", "payment"];
        var quarter = 0;
        var last = from;
        for (var at = from; at <= now; at += TimeSpan.FromMinutes(15), quarter++)
        {
            last = at;
            var slow = now - at <= TimeSpan.FromHours(1);
            for (var i = 0; i < 4 + (quarter % 3); i++)
            {
                var topic = topics[(quarter + i) % topics.Length];
                var firstResponse = slow ? TimeSpan.FromSeconds(480 + (30 * i)) : TimeSpan.FromSeconds(30 + (15 * i));
                metrics.Record(new ServiceEvent(ServiceEventKind.Started, at, topic));
                metrics.Record(new ServiceEvent(ServiceEventKind.FirstResponse, at, topic, "emma", firstResponse, Flag: !slow || i == 0));
                if (slow && i > 0)
                {
                    // A late answer came after its deadline passed, which counted the breach.
                    metrics.Record(new ServiceEvent(ServiceEventKind.Breached, at, topic, "emma"));
                }
                if (!slow)
                {
                    metrics.Record(new ServiceEvent(ServiceEventKind.Rated, at, topic, "emma", Score: i == 3 ? 2 : 5));
                }
            }

            if (slow || quarter % 4 == 0)
            {
                metrics.Record(new ServiceEvent(ServiceEventKind.Started, at, "returns"));
                metrics.Record(new ServiceEvent(ServiceEventKind.Abandoned, at, "returns", Duration: TimeSpan.FromMinutes(4)));
            }
        }

        var alert = now - TimeSpan.FromMinutes(45) < midnight ? now : now - TimeSpan.FromMinutes(45);
        metrics.Record(new ServiceEvent(ServiceEventKind.Anomaly, alert, "returns"));
        return last;
    }

    [SkippableFact]
    public async Task TheFloorChartsTodayByQuarterHourFromTheStatsWithTheAnomalyMarkedInEveryLanguage()
    {
        fixture.RequireBrowser();
        // A silo of its own: the seeded day must not reach the shared silo's numbers.
        await using var silo = await ConsoleFixture.StartSiloAsync();
        _otherSilo = silo.BaseAddress;
        var now = DateTimeOffset.UtcNow;
        var last = SeedDay(silo.Services.GetRequiredService<IServiceMetrics>(), now);

        var sam = await SignInAsync("sam", online: false);
        await sam.GetByRole(AriaRole.Button, new() { Name = "Supervisor" }).ClickAsync();
        var charts = sam.Locator("#floor-charts");
        await Expect(charts.GetByRole(AriaRole.Heading, new() { Name = "Today" })).ToBeVisibleAsync();

        var frt = sam.Locator("#chart-frt");
        await Expect(frt.Locator("canvas")).ToBeVisibleAsync();
        await Expect(frt.Locator(".u-legend")).ToContainTextAsync("Median (p50)");
        await Expect(frt.Locator(".u-legend")).ToContainTextAsync("90th percentile (p90)");
        // The alert is drawn on the chart (the draw hook counts its marks) and named under it.
        await Expect(frt).ToHaveAttributeAsync("data-marks-drawn", "1");
        await Expect(frt.Locator(".floor-anomaly")).ToHaveCountAsync(1);
        await Expect(frt.Locator(".floor-anomaly")).ToContainTextAsync("first response jumped in Returns and refunds");
        await Expect(frt.Locator("[role=img]")).ToHaveAttributeAsync("aria-label", new System.Text.RegularExpressions.Regex("alerts marked: 1"));

        var service = sam.Locator("#chart-service .u-legend");
        await Expect(service).ToContainTextAsync("SLA attainment");
        await Expect(service).ToContainTextAsync("Abandoned");
        await Expect(service).ToContainTextAsync("CSAT (4–5 stars)");
        var volume = sam.Locator("#chart-volume .u-legend");
        await Expect(volume).ToContainTextAsync("Shipping and delivery");
        await Expect(volume).ToContainTextAsync("Returns and refunds");
        await Expect(sam.Locator("#floor-charts .empty")).ToHaveCountAsync(0);
        await charts.ScrollIntoViewIfNeededAsync();
        await ShotAsync(sam, "floor-5-charts");

        // Hovering the last seeded quarter (a slow one) reads its values in the legend, in the chart's units. The
        // plot spans today's quarters and the end of the current one: quarter i is at i / quarters of its width.
        var midnight = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var quarters = (int)((now - midnight) / TimeSpan.FromMinutes(15)) + 1;
        var index = (int)((last - midnight) / TimeSpan.FromMinutes(15));
        var box = (await frt.Locator(".u-over").BoundingBoxAsync())!;
        await sam.Mouse.MoveAsync(box.X + (box.Width * index / quarters), box.Y + (box.Height / 2));
        await Expect(frt.Locator(".u-legend .u-series").Nth(2)).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"\d+(\.\d)? min"));

        // Series, axes and the mark follow the page's language; a phone-sized window gets one chart per row.
        await sam.Locator("#language-choice").SelectOptionAsync("de");
        await Expect(charts.GetByRole(AriaRole.Heading, new() { Name = "Heute" })).ToBeVisibleAsync();
        await Expect(frt.Locator(".u-legend")).ToContainTextAsync("Median (p50)");
        await Expect(sam.Locator("#chart-service .u-legend")).ToContainTextAsync("SLA-Erfüllung");
        await Expect(frt.Locator(".floor-anomaly")).ToContainTextAsync("Erstreaktionszeit in");
        await Expect(frt).ToHaveAttributeAsync("data-marks-drawn", "1");
        await sam.SetViewportSizeAsync(390, 844);
        await Expect(frt.Locator("canvas")).ToBeVisibleAsync();
        await frt.ScrollIntoViewIfNeededAsync();
        var narrow = (await frt.BoundingBoxAsync())!;
        Assert.True(narrow.Width <= 390, $"The chart is {narrow.Width} px wide on a 390 px screen.");
        await ShotAsync(sam, "floor-6-charts-de-phone");
        Assert.Empty(_pageErrors);
    }
}
