using System.Security.Cryptography;
using Switchboard.Conversations;

namespace Switchboard.Customers;

/// <summary>
/// Customer ids say where the customer was proven: <c>web:&lt;random&gt;</c> for a web chat visitor (made by
/// Switchboard, proven by a customer identity token), <c>&lt;channel&gt;:&lt;channel's id&gt;</c> for a messaging
/// channel's customer (proven by the channel's signature). Nobody can name themselves into another's history.
/// </summary>
public static class CustomerIds
{
    public const string WebPrefix = "web";

    /// <summary>A new web chat customer: 128 random bits, so the id cannot be guessed.</summary>
    public static string NewWeb() => $"{WebPrefix}:{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}";

    /// <summary>The customer a signed channel names by <paramref name="channelCustomerId"/> (a phone number, a user id).</summary>
    public static string ForChannel(string channel, string channelCustomerId)
    {
        if (channelCustomerId.Length is 0 or > ConversationRules.MaxCustomerIdLength)
        {
            throw SwitchboardException.Invalid($"A customer id must be 1–{ConversationRules.MaxCustomerIdLength} characters.");
        }

        ConversationRules.RejectControlCharacters(channelCustomerId, "The customer id");
        return $"{channel}:{channelCustomerId}";
    }

    /// <summary>The messaging channel a customer is known by; null for a web chat customer or an id of neither form.</summary>
    public static string? ChannelOf(string customerId)
    {
        var colon = customerId.IndexOf(':');
        return colon <= 0 || customerId.AsSpan(0, colon).SequenceEqual(WebPrefix) ? null : customerId[..colon];
    }

    public static bool IsWeb(string customerId) => customerId.StartsWith(WebPrefix + ":", StringComparison.Ordinal);
}
