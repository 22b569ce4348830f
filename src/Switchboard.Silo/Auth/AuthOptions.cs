namespace Switchboard.Auth;

/// <summary>Sign-in settings, bound from <c>Switchboard:Auth</c>.</summary>
public sealed class AuthOptions
{
    public const string Section = "Switchboard:Auth";

    /// <summary>The shortest signing key accepted: HMAC-SHA256 wants at least 256 bits.</summary>
    public const int MinKeyBytes = 32;

    /// <summary>
    /// The HMAC-SHA256 key every silo signs and checks tokens with (UTF-8 text of at least 32 bytes, or
    /// <c>base64:</c> followed by base64). Secret: set it from the environment
    /// (<c>Switchboard__Auth__SigningKey</c>). Unset on embedded defaults, a development key is made at start.
    /// </summary>
    public string? SigningKey { get; set; }

    public string Issuer { get; set; } = "switchboard";

    public string Audience { get; set; } = "switchboard";

    /// <summary>How long an agent's token lasts (a shift).</summary>
    public TimeSpan AgentTokenLifetime { get; set; } = TimeSpan.FromHours(10);

    /// <summary>How long a customer's token for one conversation lasts.</summary>
    public TimeSpan CustomerTokenLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How long a web chat's customer identity lasts: the token that proves "the same customer as before" and so
    /// brings their history and their last agent back. Renewed with every conversation they start.
    /// </summary>
    public TimeSpan CustomerIdentityLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Whether <c>POST /api/dev/token</c> hands out tokens for configured agents to anyone who asks. Null (the
    /// default) turns it on only on embedded defaults (localhost clustering and no signing key configured).
    /// </summary>
    public bool? DevelopmentSignIn { get; set; }

    public IEnumerable<string> Problems()
    {
        if (SigningKey is not null && KeyBytes(SigningKey) is not { Length: >= MinKeyBytes })
        {
            yield return $"{Section}:SigningKey must be at least {MinKeyBytes} bytes (UTF-8 text, or base64: followed by base64).";
        }

        if (AgentTokenLifetime <= TimeSpan.Zero || CustomerTokenLifetime <= TimeSpan.Zero || CustomerIdentityLifetime <= TimeSpan.Zero)
        {
            yield return $"{Section}:AgentTokenLifetime, CustomerTokenLifetime and CustomerIdentityLifetime must be positive.";
        }

        if (string.IsNullOrWhiteSpace(Issuer) || string.IsNullOrWhiteSpace(Audience))
        {
            yield return $"{Section}:Issuer and Audience must not be empty.";
        }
    }

    /// <summary>The key's bytes, or null if a <c>base64:</c> key does not decode.</summary>
    public static byte[]? KeyBytes(string key)
    {
        const string Base64 = "base64:";
        if (!key.StartsWith(Base64, StringComparison.Ordinal))
        {
            return System.Text.Encoding.UTF8.GetBytes(key);
        }

        try
        {
            return Convert.FromBase64String(key[Base64.Length..]);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
