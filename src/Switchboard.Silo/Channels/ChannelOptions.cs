namespace Switchboard.Channels;

/// <summary>A messaging channel allowed to call the webhook, bound from <c>Switchboard:Channels:{name}</c>.</summary>
public sealed class ChannelOptions
{
    public const string Section = "Switchboard:Channels";

    public const int MinSecretBytes = 16;

    /// <summary>
    /// The secret the channel signs each request body with (HMAC-SHA256). Secret: set it from the environment
    /// (<c>Switchboard__Channels__whatsapp__Secret</c>).
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>
    /// Where answers to this channel's tickets are POSTed (absolute http or https URL); without one, a ticket answer
    /// for the channel's customer stays undelivered on the board.
    /// </summary>
    public string? OutboundUrl { get; set; }

    /// <summary>
    /// The secret outbound requests are signed with, exactly as the channel signs its requests to us (its own secret:
    /// knowing one does not let anyone forge the other). Secret: from the environment.
    /// </summary>
    public string? OutboundSecret { get; set; }
}

/// <summary>Every configured channel, by lower-case name.</summary>
public sealed class ChannelsOptions : Dictionary<string, ChannelOptions>
{
    public IEnumerable<string> Problems()
    {
        foreach (var (name, channel) in this)
        {
            if (name.Length is 0 or > 40 || !name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-'))
            {
                yield return $"Channel '{name}' must be named with 1–40 lower-case letters, digits or '-'.";
            }

            if (name == Customers.CustomerIds.WebPrefix)
            {
                yield return $"Channel '{name}' is reserved: it names the web chat's customers.";
            }

            if (System.Text.Encoding.UTF8.GetByteCount(channel.Secret ?? "") < ChannelOptions.MinSecretBytes)
            {
                yield return $"{ChannelOptions.Section}:{name}:Secret must be at least {ChannelOptions.MinSecretBytes} bytes.";
            }

            if (channel.OutboundUrl is { } url
                && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            {
                yield return $"{ChannelOptions.Section}:{name}:OutboundUrl must be an absolute http or https URL.";
            }

            if (channel.OutboundUrl is not null && System.Text.Encoding.UTF8.GetByteCount(channel.OutboundSecret ?? "") < ChannelOptions.MinSecretBytes)
            {
                yield return $"{ChannelOptions.Section}:{name}:OutboundSecret must be at least {ChannelOptions.MinSecretBytes} bytes when OutboundUrl is set.";
            }

            if (channel.OutboundSecret is not null && channel.OutboundSecret == channel.Secret)
            {
                yield return $"{ChannelOptions.Section}:{name}:OutboundSecret must differ from its Secret.";
            }
        }
    }
}
