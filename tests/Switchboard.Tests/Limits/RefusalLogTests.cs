using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Limits;

namespace Switchboard.Tests.Limits;

public sealed class RefusalLogTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly LogCapture _logs = new();

    [Fact]
    public void AnHttpRefusalNamesTheRouteAndTheSignedInAgentOrCustomerElseTheAddress()
    {
        using var refusals = Refusals(LogLevel.Information);

        refusals.Request(Request(("role", "agent"), ("sub", "alice")), 403, "Only supervisors may do this.");
        refusals.Request(Request(("role", "customer"), ("sub", "c-42"), ("conversation", "c-42")), 429, "Too many messages.");
        refusals.Request(Request(), 400, "The body is not JSON.");

        Assert.Equal(
            [
                "Refused POST /api/conversations/{id}/messages from agent alice at 10.0.0.7 with 403: Only supervisors may do this.",
                "Refused POST /api/conversations/{id}/messages from customer c-42 at 10.0.0.7 with 429: Too many messages.",
                "Refused POST /api/conversations/{id}/messages from address 10.0.0.7 with 400: The body is not JSON.",
            ],
            _logs.Entries.Select(e => e.Message));
        Assert.All(_logs.Entries, e => Assert.Equal((RefusalLog.Category, LogLevel.Information, null), (e.Category, e.Level, e.Exception)));
    }

    [Fact]
    public void AReasonQuotingTheCallerIsWrittenOnOneLineAndCutShort()
    {
        using var refusals = Refusals(LogLevel.Information);

        refusals.Request(Request(), 400, $"Unknown field 'x\ninfo: Switchboard[0] agent alice signed in\u001b[2K{new string('y', 5000)}'.");

        var line = Assert.Single(_logs.Entries);
        Assert.Equal(1, line.Lines);
        Assert.DoesNotContain('\u001b', line.Message);
        Assert.Contains("'x\ufffdinfo: Switchboard[0]", line.Message);
        Assert.InRange(line.Message.Length, 300, 500);
    }

    [Fact]
    public void RefusalsTurnedOffWriteNothingNotEvenASummary()
    {
        using var refusals = Refusals(LogLevel.Warning);

        for (var i = 0; i < 50; i++)
        {
            refusals.Request(Request(), 429, "Too many messages.");
        }

        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Empty(_logs.Entries);
    }

    private RefusalLog Refusals(LogLevel level)
    {
        var loggers = LoggerFactory.Create(logging => logging.AddProvider(_logs).AddFilter(RefusalLog.Category, level));
        return new RefusalLog(Options.Create(new LimitsOptions()), _time, loggers);
    }

    private static DefaultHttpContext Request(params (string Type, string Value)[] claims)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = "POST";
        http.Connection.RemoteIpAddress = IPAddress.Parse("10.0.0.7");
        http.SetEndpoint(new RouteEndpoint(_ => Task.CompletedTask, RoutePatternFactory.Parse("/api/conversations/{id}/messages"), 0, null, null));
        if (claims.Length > 0)
        {
            http.User = new ClaimsPrincipal(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)), "test", "sub", "role"));
        }

        return http;
    }
}
