using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Channels;

/// <summary>
/// <c>X-Switchboard-Signature: sha256=&lt;hex&gt;</c>: the HMAC-SHA256 of the exact request body with the channel's
/// secret. The message id is inside the body, so a captured request cannot be replayed under a new id.
/// </summary>
public static class ChannelSignature
{
    public const string Header = "X-Switchboard-Signature";
    private const string Prefix = "sha256=";

    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>Whether <paramref name="signature"/> is the body's, compared in constant time.</summary>
    public static bool Verify(string secret, ReadOnlySpan<byte> body, string? signature)
    {
        if (signature is null || !signature.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || signature.Length != Prefix.Length + 64)
        {
            return false;
        }

        Span<byte> claimed = stackalloc byte[32];
        if (Convert.FromHexString(signature.AsSpan(Prefix.Length), claimed, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
        {
            return false;
        }

        Span<byte> actual = stackalloc byte[32];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body, actual);
        return CryptographicOperations.FixedTimeEquals(claimed, actual);
    }
}
