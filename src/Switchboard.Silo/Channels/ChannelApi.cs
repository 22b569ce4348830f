using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Switchboard.Conversations;
using Switchboard.Customers;
using Switchboard.Hosting;
using Switchboard.Hubs;
using Switchboard.Limits;

namespace Switchboard.Channels;

/// <summary>
/// The messaging channels' webhook: each request signed with the channel's secret and carrying the channel's own
/// message id, so a retry (the channel did not see our answer) is answered again and never stored twice.
/// </summary>
public static class ChannelApi
{
    public const int MaxMessageIdLength = 200;

    /// <summary>Opens a conversation for the channel's message <paramref name="MessageId"/>.</summary>
    public sealed record ChannelStartRequest(string MessageId, StartConversation Conversation);

    /// <summary>A customer's further message <paramref name="MessageId"/> in a conversation the channel opened.</summary>
    public sealed record ChannelMessageRequest(string MessageId, string Text);

    /// <summary>
    /// The channel's customer leaves a message to be answered later (through the channel's outbound webhook);
    /// <paramref name="MessageId"/> makes a retry leave it once, an optional <paramref name="Email"/> sends the answer by mail instead.
    /// </summary>
    public sealed record ChannelTicketRequest(string MessageId, string Text, string? Email = null);

    /// <summary>Said on the answer to a retry: nothing new was stored.</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    public static WebApplicationBuilder AddSwitchboardChannels(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ChannelsOptions>().BindConfiguration(ChannelOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ChannelsOptions>>(new ProblemsValidator<ChannelsOptions>(o => o.Problems()));
        return builder;
    }

    public static IEndpointRouteBuilder MapChannelApi(this IEndpointRouteBuilder app)
    {
        // The signature is the channel's credential; bearer tokens play no part here.
        var channel = app.MapGroup("/api/channels/{channel}").WithTags("Channels").AllowAnonymous();

        channel.MapPost("/conversations", async (string channel, HttpContext http, IGrainFactory grains, RateLimits limits) =>
        {
            var request = await ReadSignedAsync<ChannelStartRequest>(http, channel);
            var messageId = ValidMessageId(request.MessageId);
            var start = request.Conversation ?? throw SwitchboardException.Invalid("'conversation' is required: what to open (customerName, topic, text, ...).");
            var id = ConversationId(channel, messageId);
            // A customer the channel names is remembered as "<channel>:<id>": the signature proves it, and no other
            // channel (or web chat) can speak for them. Their open conversation on the topic takes the message instead.
            StartOutcome started;
            if (start.CustomerId is { } channelCustomerId)
            {
                var customerId = CustomerIds.ForChannel(channel, channelCustomerId);
                limits.CountCustomerStart(customerId);
                started = await grains.Grain<ICustomerGrain>(customerId).StartAsync(start with { CustomerId = null }, id, messageId);
            }
            else
            {
                started = await grains.Grain<IConversationGrain>(id).StartFromChannelAsync(channel, messageId, start);
            }

            MarkReplay(http, started.Replayed);
            var view = CustomerStarts.ForCustomer(started.Conversation);
            return view.Id == id
                ? TypedResults.Created($"/api/conversations/{id}", view)
                : (IResult)TypedResults.Ok(view);
        });

        channel.MapPost("/conversations/{id}/messages", async (string channel, string id, HttpContext http, IGrainFactory grains, RateLimits limits) =>
        {
            var request = await ReadSignedAsync<ChannelMessageRequest>(http, channel);
            var messageId = ValidMessageId(request.MessageId);
            if (!ConversationRules.IsConversationId(id))
            {
                throw SwitchboardException.Invalid(ConversationRules.ConversationIdRule);
            }

            limits.CountCustomerMessage(id);
            var posted = await grains.Grain<IConversationGrain>(id).PostChannelMessageAsync(channel, messageId, request.Text);
            MarkReplay(http, posted.Replayed);
            return TypedResults.Created((string?)null, posted.Message);
        });

        channel.MapPost("/conversations/{id}/ticket", async (string channel, string id, HttpContext http, IGrainFactory grains) =>
        {
            var request = await ReadSignedAsync<ChannelTicketRequest>(http, channel);
            var messageId = ValidMessageId(request.MessageId);
            if (!ConversationRules.IsConversationId(id))
            {
                throw SwitchboardException.Invalid(ConversationRules.ConversationIdRule);
            }

            // A channel's message id need not fit a client id's alphabet; its hash does, and is as unique.
            var requestId = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(messageId)).AsSpan(0, 16));
            var view = await grains.Grain<IConversationGrain>(id).LeaveMessageAsync(requestId, request.Email, request.Text, channel);
            return TypedResults.Ok(CustomerStarts.ForCustomer(view));
        });

        return app;
    }

    /// <summary>
    /// The conversation a channel's message opens has an id made from the channel and the message id, so a retry
    /// reaches the same grain on whichever silo it lands, even after a crash between storing and answering.
    /// </summary>
    public static string ConversationId(string channel, string messageId) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{channel}\n{messageId}")).AsSpan(0, 16));

    private static async Task<T> ReadSignedAsync<T>(HttpContext http, string channel)
        where T : class
    {
        var channels = http.RequestServices.GetRequiredService<IOptions<ChannelsOptions>>().Value;
        if (!channels.TryGetValue(channel, out var options) || options.Secret is null)
        {
            throw SwitchboardException.NotFound($"There is no channel '{channel}'.");
        }

        // The exact bytes are signed, so they are read before any parsing (Kestrel stops a body over the limit: 413).
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        var body = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        var signature = http.Request.Headers[ChannelSignature.Header].ToString();
        if (signature.Length == 0)
        {
            throw SwitchboardException.Unauthorized(
                $"Sign the request: {ChannelSignature.Header}: sha256=<hex HMAC-SHA256 of the body with channel '{channel}''s secret>.");
        }

        if (!ChannelSignature.Verify(options.Secret, body.Span, signature))
        {
            throw SwitchboardException.Unauthorized($"The {ChannelSignature.Header} does not match the body.");
        }

        var json = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        try
        {
            return JsonSerializer.Deserialize<T>(body.Span, json) ?? throw SwitchboardException.Invalid("Send a JSON object.");
        }
        catch (JsonException ex)
        {
            throw SwitchboardException.Invalid($"The body is not a valid request: {ex.Message}");
        }
    }

    private static string ValidMessageId(string? messageId)
    {
        if (string.IsNullOrEmpty(messageId) || messageId.Length > MaxMessageIdLength)
        {
            throw SwitchboardException.Invalid($"'messageId' (the channel's id for this message) must be 1–{MaxMessageIdLength} characters.");
        }

        ConversationRules.RejectControlCharacters(messageId, "The message id");
        return messageId;
    }

    private static void MarkReplay(HttpContext http, bool replayed)
    {
        if (replayed)
        {
            http.Response.Headers[ReplayedHeader] = "true";
        }
    }
}
