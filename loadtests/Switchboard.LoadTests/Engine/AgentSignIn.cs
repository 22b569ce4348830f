using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Switchboard.Auth;
using Switchboard.LoadTests.Options;
using Switchboard.LoadTests.Simulation;

namespace Switchboard.LoadTests.Engine;

/// <summary>
/// Where the simulated agents' bearer tokens come from. Signed here when the tool knows the target's key (the embedded
/// silo's own issuer, <c>--signing-key</c>, or <c>Switchboard__Auth__SigningKey</c>); otherwise asked of each silo's
/// development sign-in (<c>POST /api/dev/token</c>), which a silo on embedded defaults without a key serves.
/// </summary>
public sealed class AgentSignIn
{
    public const string KeyVariable = "Switchboard__Auth__SigningKey";

    private readonly TokenIssuer? _issuer;
    private readonly JsonSerializerOptions _json;

    private AgentSignIn(TokenIssuer? issuer, string description, JsonSerializerOptions json)
    {
        _issuer = issuer;
        Description = description;
        _json = json;
    }

    /// <summary>For the console: how the agents sign in.</summary>
    public string Description { get; }

    public static AgentSignIn Create(LoadTestOptions options, TokenIssuer? embedded, JsonSerializerOptions json)
    {
        if (embedded is not null)
        {
            return new(embedded, "tokens signed with the embedded silo's key", json);
        }

        if (options.SigningKey is { } given)
        {
            return new(TokenIssuer.FromKey(given), "tokens signed here with --signing-key", json);
        }

        var key = Environment.GetEnvironmentVariable(KeyVariable);
        if (string.IsNullOrWhiteSpace(key))
        {
            return new(null, $"tokens from each silo's {AuthHosting.DevTokenPath} (no --signing-key, no {KeyVariable})", json);
        }

        return AuthOptions.KeyBytes(key) is { Length: >= AuthOptions.MinKeyBytes }
            ? new(TokenIssuer.FromKey(key), $"tokens signed here with {KeyVariable}", json)
            : throw new TargetException($"{KeyVariable} is not a usable key: at least {AuthOptions.MinKeyBytes} bytes of UTF-8 text, or base64: followed by base64.");
    }

    /// <summary>A token for <paramref name="agent"/> that <paramref name="server"/> accepts (a plain agent, not a supervisor).</summary>
    public async Task<string> TokenForAsync(SimulatedAgentProfile agent, HttpClient server)
    {
        if (_issuer is not null)
        {
            return _issuer.IssueAgent(agent.Id, supervisor: false).Token;
        }

        HttpResponseMessage response;
        try
        {
            response = await server.PostAsJsonAsync(AuthHosting.DevTokenPath, new DevTokenRequest(agent.Id), _json);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            throw new TargetException($"Could not sign in agent {agent.Id} at {server.BaseAddress}: {ex.Message} Is the silo running and listening there?");
        }

        using (response)
        {
            var json = response.Content.Headers.ContentType?.MediaType?.EndsWith("json", StringComparison.Ordinal) == true;
            if (response.IsSuccessStatusCode && json)
            {
                return (await response.Content.ReadFromJsonAsync<DevTokenResponse>(_json))!.Token;
            }

            var detail = json ? (await response.Content.ReadFromJsonAsync<ProblemDetails>(_json))?.Detail : null;
            if (response.StatusCode == HttpStatusCode.NotFound && !string.IsNullOrEmpty(detail))
            {
                // The development sign-in answered: it does not know this agent.
                throw new TargetException($"Agent {agent.Id} could not sign in at {server.BaseAddress}: {detail} {RosterHint}");
            }

            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed || response.IsSuccessStatusCode)
            {
                throw new TargetException(
                    $"{server.BaseAddress} has no development sign-in ({AuthHosting.DevTokenPath}; it is on only on embedded defaults without a " +
                    $"signing key), and the tool has no key to sign the agents' tokens with. Give it the silo's key: --signing-key KEY, or {KeyVariable}.");
            }

            throw new TargetException($"Agent {agent.Id} could not sign in at {server.BaseAddress}: HTTP {(int)response.StatusCode} {detail}".TrimEnd());
        }
    }

    /// <summary>What to do when a silo refuses an agent's token (401 at connect).</summary>
    public string RefusedHint => _issuer is null
        ? "The silo refused the token its own development sign-in gave (a restart in between?)."
        : $"The silo checks tokens with another key (or another Switchboard:Auth:Issuer/Audience): give the tool the silo's key with --signing-key KEY or {KeyVariable}.";

    public const string RosterHint =
        "An external silo must have the tool's agents configured: see --print-agents env|json (same --agents, --capacity, --skill-mix, --agent-prefix).";
}
