using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Switchboard.Agents;
using Switchboard.Hosting;

namespace Switchboard.Auth;

/// <summary>How this silo signs people in: the key it checks tokens with, and whether the development sign-in is on.</summary>
public sealed class SignInSettings(TokenIssuer issuer, bool development, bool generatedKey)
{
    public TokenIssuer Issuer { get; } = issuer;

    /// <summary><c>POST /api/dev/token</c> hands out agent tokens to anyone who asks.</summary>
    public bool Development { get; } = development;

    /// <summary>No key was configured: this process made one at start, so its tokens die with it.</summary>
    public bool GeneratedKey { get; } = generatedKey;
}

/// <summary>The caller of the development sign-in: which configured agent to sign in as.</summary>
public sealed record DevTokenRequest(string AgentId);

public sealed record DevTokenResponse(string Token, string AgentId, string Name, bool Supervisor, DateTimeOffset ExpiresAt);

/// <summary>JWT bearer sign-in on the hubs and the API, the two policies, and the development sign-in.</summary>
public static class AuthHosting
{
    public const string AgentPolicy = Roles.Agent;
    public const string SupervisorPolicy = Roles.Supervisor;
    public const string DevTokenPath = "/api/dev/token";

    public static WebApplicationBuilder AddSwitchboardAuth(this WebApplicationBuilder builder)
    {
        var embedded = ClusterHosting.IsEmbedded(builder.Configuration);
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AuthOptions>>(new AuthOptionsValidator(embedded));
        builder.Services.AddSingleton(services =>
        {
            var options = services.GetRequiredService<IOptions<AuthOptions>>().Value;
            // Token lifetimes are wall-clock security, not the product's clock: SignalR ends a connection on the
            // real clock when its token expires, so both sides use it (a fake TimeProvider in tests moves SLA clocks only).
            var time = TimeProvider.System;
            var generated = options.SigningKey is null;
            var key = generated ? System.Security.Cryptography.RandomNumberGenerator.GetBytes(AuthOptions.MinKeyBytes) : AuthOptions.KeyBytes(options.SigningKey!)!;
            return new SignInSettings(new TokenIssuer(options, key, time), options.DevelopmentSignIn ?? (embedded && generated), generated);
        });
        builder.Services.AddSingleton(services => services.GetRequiredService<SignInSettings>().Issuer);

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<TokenIssuer>((jwt, issuer) =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = issuer.ValidationParameters;
                jwt.Events = new JwtBearerEvents
                {
                    // Browsers cannot set headers on WebSockets: the SignalR client sends the token as access_token.
                    OnMessageReceived = context =>
                    {
                        if (context.HttpContext.Request.Path.StartsWithSegments("/hubs")
                            && context.Request.Query["access_token"] is [{ Length: > 0 } token])
                        {
                            context.Token = token;
                        }

                        return Task.CompletedTask;
                    },
                    OnChallenge = context =>
                    {
                        context.HandleResponse();
                        var detail = context.AuthenticateFailure switch
                        {
                            SecurityTokenExpiredException expired => $"The token expired at {expired.Expires:O}; sign in again.",
                            SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "The token's signature is not valid.",
                            { } failure => $"The token was refused: {failure.Message.Split(". ")[0]}.",
                            null => "Sign in: send a bearer token (an agent's, or the customer's token for this conversation).",
                        };
                        context.Response.Headers.WWWAuthenticate = "Bearer";
                        return Problem(context.HttpContext, StatusCodes.Status401Unauthorized, "Unauthorized", detail);
                    },
                    OnForbidden = context => Problem(context.HttpContext, StatusCodes.Status403Forbidden, "Forbidden", "Your token does not allow this."),
                };
            });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(AgentPolicy, policy => policy.RequireRole(Roles.Agent))
            .AddPolicy(SupervisorPolicy, policy => policy.RequireRole(Roles.Agent).RequireRole(Roles.Supervisor));
        return builder;
    }

    public static WebApplication MapSwitchboardAuth(this WebApplication app)
    {
        var signIn = app.Services.GetRequiredService<SignInSettings>();
        if (!signIn.Development)
        {
            return app;
        }

        app.MapPost(DevTokenPath, async (DevTokenRequest request, IGrainFactory grains, IOptions<SwitchboardOptions> options) =>
        {
            var agentId = request.AgentId?.Trim();
            if (string.IsNullOrEmpty(agentId))
            {
                throw SwitchboardException.Invalid("Send the agent id to sign in as.");
            }

            // Anyone may ask, so an id nobody configured or made must not activate an agent grain (each would stay
            // in memory until collected): configuration and the directory of made agents answer without one.
            if (!AgentRules.IsAgentId(agentId))
            {
                throw SwitchboardException.Invalid(AgentRules.AgentIdRule);
            }

            var known = options.Value.Agents.ContainsKey(agentId) || await grains.Grain<IAgentDirectoryGrain>(0).ContainsAsync(agentId);
            var agent = (known ? await grains.Grain<IAgentGrain>(agentId).GetAsync() : null)
                ?? throw SwitchboardException.NotFound($"There is no agent '{agentId}'. Agent ids are case-sensitive.");
            var issued = signIn.Issuer.IssueAgent(agent.Id, agent.Profile.Supervisor);
            return new DevTokenResponse(issued.Token, agent.Id, agent.Profile.Name, agent.Profile.Supervisor, issued.ExpiresAt);
        }).AllowAnonymous();
        return app;
    }

    /// <summary>The start-up log line about sign-in.</summary>
    public static void LogSignIn(WebApplication app, ILogger logger)
    {
        var signIn = app.Services.GetRequiredService<SignInSettings>();
        if (signIn.Development)
        {
            logger.LogWarning(
                "Development sign-in is ON: {Path} gives a token for any configured agent to anyone who asks{Key}. " +
                "For real use set Switchboard:Auth:SigningKey from the environment and issue tokens from your identity provider " +
                "(or 'dotnet Switchboard.Silo.dll token <agent id>').",
                DevTokenPath,
                signIn.GeneratedKey ? ", signed with a key made at start (tokens end with this process)" : "");
        }
        else
        {
            logger.LogInformation("Sign-in: JWT bearer tokens signed with the configured key (issuer {Issuer}).", signIn.Issuer.ValidationParameters.ValidIssuer);
        }
    }

    private static async Task Problem(HttpContext http, int status, string title, string detail)
    {
        http.Response.StatusCode = status;
        var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }
}

public sealed class AuthOptionsValidator(bool embedded) : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var problems = options.Problems().ToList();
        if (!embedded && options.SigningKey is null)
        {
            problems.Add($"{AuthOptions.Section}:SigningKey is required when silos form a cluster: every silo must check the same tokens. " +
                "Set it from the environment (Switchboard__Auth__SigningKey), at least 32 bytes.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
