using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Switchboard.Auth;

/// <summary>A signed token and when it stops being accepted.</summary>
public sealed record IssuedToken(string Token, DateTimeOffset ExpiresAt);

/// <summary>
/// Signs Switchboard's JWTs (HMAC-SHA256) and checks them. Agents' tokens would usually come from the company's
/// identity provider signing with the same key; Switchboard itself signs customers' tokens, the development sign-in's
/// and the <c>token</c> command's. Tools (the load-test tool, tests) build one from the same key.
/// </summary>
public sealed class TokenIssuer
{
    private readonly AuthOptions _options;
    private readonly TimeProvider _time;
    private readonly SigningCredentials _credentials;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false, SetDefaultTimesOnTokenCreation = false };

    /// <param name="time">When tokens are issued; they are checked against the real clock (SignalR ends connections on it).</param>
    public TokenIssuer(AuthOptions options, byte[] key, TimeProvider time)
    {
        _options = options;
        _time = time;
        Key = new SymmetricSecurityKey(key) { KeyId = "switchboard" };
        _credentials = new SigningCredentials(Key, SecurityAlgorithms.HmacSha256);
        ValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = options.Issuer,
            ValidAudience = options.Audience,
            IssuerSigningKey = Key,
            // Only what we sign with: a token that names another algorithm (none, RS256 with our key as its public
            // key) is refused whatever it carries.
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            NameClaimType = Roles.SubjectClaim,
            RoleClaimType = Roles.RoleClaim,
        };
    }

    public SymmetricSecurityKey Key { get; }

    /// <summary>What the JWT bearer handler and the customer hub check tokens against.</summary>
    public TokenValidationParameters ValidationParameters { get; }

    /// <summary>A token from a key as configured (see <see cref="AuthOptions.SigningKey"/>).</summary>
    public static TokenIssuer FromKey(string signingKey, AuthOptions? options = null, TimeProvider? time = null) =>
        new(options ?? new AuthOptions(), AuthOptions.KeyBytes(signingKey) ?? throw new ArgumentException("The signing key is not valid base64.", nameof(signingKey)), time ?? TimeProvider.System);

    public IssuedToken IssueAgent(string agentId, bool supervisor, TimeSpan? lifetime = null) =>
        Issue(agentId, supervisor ? [Roles.Agent, Roles.Supervisor] : [Roles.Agent], null, null, lifetime ?? _options.AgentTokenLifetime);

    public IssuedToken IssueCustomer(string conversationId) =>
        Issue(conversationId, [Roles.Customer], Roles.ConversationClaim, conversationId, _options.CustomerTokenLifetime);

    /// <summary>
    /// Proves a web chat's customer (<paramref name="customerId"/>) on their next visit: it opens no conversation, it
    /// only makes the next start theirs (history, last agent) and lets them hear outreach.
    /// </summary>
    public IssuedToken IssueCustomerIdentity(string customerId, string? lastConversationId = null) =>
        Issue(customerId, [Roles.Customer], Roles.CustomerClaim, customerId, _options.CustomerIdentityLifetime,
            lastConversationId is null ? null : (Roles.LastConversationClaim, lastConversationId));

    /// <summary>
    /// The conversation a client's start id opens (for the customer <paramref name="customerId"/>, when known): every
    /// silo of the cluster derives the same id from the same start id (they share the key), so a retried start reaches
    /// the conversation the first try opened, wherever it lands; without the key nobody can tell or choose which id a
    /// start id gives.
    /// </summary>
    public string ConversationIdForStart(string? customerId, string startId)
    {
        Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(Key.Key, Encoding.UTF8.GetBytes($"start\n{customerId}\n{startId}"), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    /// <summary>The caller a token names, or null when it is not one of ours, expired or tampered with.</summary>
    public async Task<ClaimsPrincipal?> ValidateAsync(string? token)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            return null;
        }

        var result = await _handler.ValidateTokenAsync(token, ValidationParameters);
        return result.IsValid ? new ClaimsPrincipal(result.ClaimsIdentity) : null;
    }

    private IssuedToken Issue(string subject, string[] roles, string? scopeClaim, string? scope, TimeSpan lifetime, (string Name, string Value)? extra = null)
    {
        var now = _time.GetUtcNow();
        var expires = now + lifetime;
        var claims = new Dictionary<string, object>
        {
            [Roles.SubjectClaim] = subject,
            [Roles.RoleClaim] = roles,
        };
        if (scopeClaim is not null && scope is not null)
        {
            claims[scopeClaim] = scope;
        }

        if (extra is { } claim)
        {
            claims[claim.Name] = claim.Value;
        }

        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _options.Issuer,
            Audience = _options.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Claims = claims,
            SigningCredentials = _credentials,
        });
        return new IssuedToken(token, expires);
    }
}
