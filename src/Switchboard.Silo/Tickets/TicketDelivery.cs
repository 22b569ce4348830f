using System.Net.Http.Headers;
using System.Text.Json;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;
using Switchboard.Channels;
using Switchboard.Hosting;
using Switchboard.Supervision;

namespace Switchboard.Tickets;

/// <summary>The SMTP server answers to tickets are mailed through, bound from <c>Switchboard:Tickets:Smtp</c>.</summary>
public sealed class TicketSmtpOptions
{
    public const string Section = "Switchboard:Tickets:Smtp";

    /// <summary>The server's host name; without one, answers by email stay undelivered on the board (and say why).</summary>
    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    /// <summary>The sender, e.g. <c>Support &lt;support@example.com&gt;</c>.</summary>
    public string? From { get; set; }

    /// <summary>Sign in with these when set (the password from the environment: <c>Switchboard__Tickets__Smtp__Password</c>).</summary>
    public string? UserName { get; set; }

    public string? Password { get; set; }

    /// <summary><c>StartTlsWhenAvailable</c> (the default), <c>StartTls</c> (required), <c>SslOnConnect</c> (port 465) or <c>None</c>.</summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.StartTlsWhenAvailable;

    public IEnumerable<string> Problems()
    {
        if (Host is null)
        {
            yield break;
        }

        if (string.IsNullOrWhiteSpace(Host))
        {
            yield return $"{Section}:Host must name the SMTP server.";
        }

        if (Port is < 1 or > 65535)
        {
            yield return $"{Section}:Port must be 1–65535.";
        }

        if (From is null || !MailboxAddress.TryParse(From, out _))
        {
            yield return $"{Section}:From must be the sender's address (e.g. \"Support <support@example.com>\").";
        }

        if (Password is not null && string.IsNullOrEmpty(UserName))
        {
            yield return $"{Section}:Password needs a UserName.";
        }
    }
}

/// <summary>
/// Delivers answers to tickets: by email for customers who left an address, through the channel's outbound webhook for
/// a channel's customer. One attempt per call; the conversation's clock decides when to try again.
/// </summary>
public sealed class TicketDelivery(
    IOptionsMonitor<TicketSmtpOptions> smtp,
    IOptionsMonitor<ChannelsOptions> channels,
    IHttpClientFactory http,
    IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
    IOptions<SwitchboardOptions> switchboard) : ITicketDelivery
{
    public const string HttpClientName = "channel-outbound";

    /// <summary>What a channel's outbound webhook receives, signed like the requests the channel sends us.</summary>
    /// <param name="MessageId">The same on every attempt of one answer: deduplicate on it.</param>
    /// <param name="CustomerId">The channel's own id for the customer, when it named one at the start.</param>
    public sealed record OutboundMessage(
        string MessageId, string Type, string ConversationId, string? CustomerId, string CustomerName, string Topic, string Text, DateTimeOffset AnsweredAt);

    public Task DeliverAsync(TicketDeliveryRequest request, CancellationToken cancellationToken) =>
        request.Email is not null ? MailAsync(request, cancellationToken)
        : request.Channel is not null ? PostToChannelAsync(request, cancellationToken)
        : throw new InvalidOperationException("The ticket has neither an email address nor a channel to answer through.");

    private async Task MailAsync(TicketDeliveryRequest request, CancellationToken cancellationToken)
    {
        var options = smtp.CurrentValue;
        if (options.Host is null || options.From is null)
        {
            throw new InvalidOperationException($"No SMTP server is configured ({TicketSmtpOptions.Section}:Host).");
        }

        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(options.From));
        message.To.Add(new MailboxAddress(request.CustomerName, request.Email!));
        // Written in the customer's language (the conversation's; English when it has none or the shop does not serve it).
        var texts = switchboard.Value.Language(request.Language);
        message.Subject = texts.Text("email.subject", ("topic", request.TopicName));
        // The same id on every attempt: a server or client that sees the mail twice can tell.
        message.MessageId = $"{request.MessageId}@switchboard";
        if (request.Language is { Length: > 0 } language)
        {
            message.Headers.Add("Content-Language", language);
        }

        var quoted = string.Join('\n', request.Question.Split('\n').Select(line => "> " + line));
        message.Body = new TextPart("plain")
        {
            Text = $"{texts.Text("email.greeting", ("name", request.CustomerName))}\n\n{request.Answer}\n\n-- \n{texts.Text("email.signature")}\n\n{texts.Text("email.youWrote")}\n{quoted}\n",
        };

        using var client = new SmtpClient();
        try
        {
            await client.ConnectAsync(options.Host, options.Port, options.Security, cancellationToken);
            if (!string.IsNullOrEmpty(options.UserName))
            {
                await client.AuthenticateAsync(options.UserName, options.Password ?? "", cancellationToken);
            }

            await client.SendAsync(message, cancellationToken);
            await client.DisconnectAsync(quit: true, cancellationToken);
        }
        catch (Exception ex) when (ex is SmtpCommandException or SmtpProtocolException or AuthenticationException or System.Net.Sockets.SocketException or IOException or SslHandshakeException)
        {
            var said = ex is SmtpCommandException command ? $"{(int)command.StatusCode} {ex.Message}" : ex.Message;
            throw new InvalidOperationException($"The mail server {options.Host}:{options.Port} did not take it: {said}", ex);
        }
    }

    private async Task PostToChannelAsync(TicketDeliveryRequest request, CancellationToken cancellationToken)
    {
        if (!channels.CurrentValue.TryGetValue(request.Channel!, out var channel) || channel.OutboundUrl is null || channel.OutboundSecret is null)
        {
            throw new InvalidOperationException($"Channel '{request.Channel}' has no outbound webhook ({ChannelOptions.Section}:{request.Channel}:OutboundUrl).");
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(
            new OutboundMessage(request.MessageId, "ticketAnswer", request.ConversationId, request.ChannelCustomerId, request.CustomerName, request.Topic, request.Answer, request.AnsweredAt),
            json.Value.SerializerOptions);
        using var post = new HttpRequestMessage(HttpMethod.Post, channel.OutboundUrl) { Content = new ByteArrayContent(body) };
        post.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        post.Headers.Add(ChannelSignature.Header, ChannelSignature.Sign(channel.OutboundSecret, body));
        post.Headers.Add("Idempotency-Key", request.MessageId);
        HttpResponseMessage response;
        try
        {
            response = await http.CreateClient(HttpClientName).SendAsync(post, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new InvalidOperationException($"Channel '{request.Channel}''s webhook could not be reached: {ex.Message}", ex);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"Channel '{request.Channel}''s webhook answered {(int)response.StatusCode} {response.ReasonPhrase}.");
            }
        }
    }
}

public static class TicketDeliveryHosting
{
    public static WebApplicationBuilder AddTicketDelivery(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TicketSmtpOptions>().BindConfiguration(TicketSmtpOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TicketSmtpOptions>>(new ProblemsValidator<TicketSmtpOptions>(o => o.Problems()));
        // Attempts are bounded by the conversation's AttemptTimeout; the client's own timeout only backs that up.
        builder.Services.AddHttpClient(TicketDelivery.HttpClientName, client => client.Timeout = TimeSpan.FromMinutes(5));
        builder.Services.AddSingleton<ITicketDelivery, TicketDelivery>();
        return builder;
    }
}
