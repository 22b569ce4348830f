using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Switchboard.Auth;
using Switchboard.Channels;
using Switchboard.Conversations;
using Switchboard.Hubs;
using Switchboard.Limits;

namespace Switchboard.Api;

/// <summary>
/// Conversations over HTTP: anyone may start one (a web form, a simple channel) and gets the customer's token for
/// it; with that token the customer reads, posts, leaves and rates. The agent it is assigned to and supervisors may
/// read it. Signed messaging channels use <see cref="Channels.ChannelApi"/> instead.
/// </summary>
public static class ConversationApi
{
    public sealed record PostMessage(string Text);

    public sealed record PostRating(int Score, string? Comment);

    public static IEndpointRouteBuilder MapConversationApi(this IEndpointRouteBuilder app)
    {
        var conversations = app.MapGroup("/api/conversations").WithTags("Conversations");

        // 201 for a new conversation; 200 with the conversation a retry (the same Idempotency-Key) opened before, marked
        // Idempotent-Replayed, or with the customer's open one when they already have one on this topic (a double
        // submit). A returning customer sends the identity token of their last start as bearer token. One client
        // address keeps at most Switchboard:Limits:OpenConversationsPerAddress of the conversations it started open.
        conversations.MapPost("/", async Task<Results<Created<StartedConversation>, Ok<StartedConversation>>> (
            [FromBody] StartConversation start, HttpContext http, IGrainFactory grains, TokenIssuer tokens, RateLimits limits, OpenConversations open,
            IOptions<SwitchboardOptions> options) =>
        {
            start = WithIdempotencyKey(start, http);
            var customerId = WebCustomer(http);
            var id = CustomerStarts.ProposeId(tokens, start, customerId);
            CustomerStarts.Check(start, options.Value);
            var lastConversation = http.User.CustomerLastConversation();
            var started = await open.StartFromAddressAsync(
                http.Connection.RemoteIpAddress, id, () => CustomerStarts.StartAsync(grains, tokens, limits, start, customerId, id, lastConversation));
            if (started.Replayed)
            {
                http.Response.Headers[ChannelApi.ReplayedHeader] = "true";
            }

            return started.Conversation.Id == id && !started.Replayed
                ? TypedResults.Created($"/api/conversations/{id}", started)
                : TypedResults.Ok(started);
        }).AllowAnonymous();

        // Ids are the server's own (32 hex digits): any other is refused before a grain is woken for it.
        var customer = conversations.MapGroup("/{id}").RequireAuthorization()
            .AddEndpointFilter((context, next) => ConversationRules.IsConversationId(context.HttpContext.GetRouteValue("id") as string)
                ? next(context)
                : throw SwitchboardException.Invalid(ConversationRules.ConversationIdRule));

        customer.MapGet("/", async (string id, ClaimsPrincipal user, IGrainFactory grains) =>
        {
            if (user.CustomerConversation() is not null)
            {
                return CustomerStarts.ForCustomer(await grains.Grain<IConversationGrain>(CustomerOnly(user, id)).GetAsync());
            }

            var view = await grains.Grain<IConversationGrain>(id).GetAsync();
            return user.IsSupervisor() || (user.AgentId() is { } agentId && view.AgentId == agentId)
                ? view
                : throw SwitchboardException.Forbidden($"Conversation '{id}' is not assigned to you.");
        });

        // With an Idempotency-Key the same post again answers the message first stored (200, Idempotent-Replayed).
        customer.MapPost("/messages", async Task<Results<Created<ChatMessage>, Ok<ChatMessage>>> (
            string id, [FromBody] PostMessage message, ClaimsPrincipal user, HttpContext http, IGrainFactory grains, RateLimits limits) =>
        {
            var conversation = grains.Grain<IConversationGrain>(CustomerOnly(user, id));
            var key = IdempotencyKey(http);
            ConversationRules.ValidateClientId(key, $"The {IdempotencyKeyHeader} header");
            limits.CountCustomerMessage(id);
            // Without a key the silo makes one for this request, so its own retry after a silo failure stores it once.
            var posted = await conversation.PostCustomerMessageAsync(message.Text, key ?? Guid.NewGuid().ToString("N"));
            if (posted.Replayed)
            {
                http.Response.Headers[ChannelApi.ReplayedHeader] = "true";
                return TypedResults.Ok(posted.Message);
            }

            return TypedResults.Created((string?)null, posted.Message);
        });

        // The customer left (abandoned if nobody had answered yet); idempotent.
        customer.MapPost("/leave", async (string id, ClaimsPrincipal user, IGrainFactory grains) =>
            CustomerStarts.ForCustomer(await grains.Grain<IConversationGrain>(CustomerOnly(user, id)).LeaveAsync()));

        // Once per resolved conversation: a second rating is 409 Conflict.
        customer.MapPost("/rating", async (string id, [FromBody] PostRating rating, ClaimsPrincipal user, IGrainFactory grains) =>
        {
            var rated = await grains.Grain<IConversationGrain>(CustomerOnly(user, id)).RateAsync(rating.Score, rating.Comment);
            return TypedResults.Created((string?)null, rated);
        });

        return app;
    }

    /// <summary>The client's key for a start or a post: a retry with the same key is answered with what the first try made.</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    private static string? IdempotencyKey(HttpContext http) =>
        http.Request.Headers.TryGetValue(IdempotencyKeyHeader, out var values) ? values.ToString() : null;

    /// <summary>The Idempotency-Key header is the start's id (a body's <c>startId</c> must agree with it).</summary>
    private static StartConversation WithIdempotencyKey(StartConversation start, HttpContext http)
    {
        if (IdempotencyKey(http) is not { } key || start is null)
        {
            return start!;
        }

        ConversationRules.ValidateClientId(key, $"The {IdempotencyKeyHeader} header");
        return start.StartId is null || start.StartId == key
            ? start with { StartId = key }
            : throw SwitchboardException.Invalid($"The {IdempotencyKeyHeader} header and 'startId' differ; send one of them.");
    }

    /// <summary>
    /// The web customer starting: the one their identity token proves, or null (a new one) when they send no token.
    /// Any other token, or one that does not check out, is refused rather than silently starting someone new.
    /// </summary>
    private static string? WebCustomer(HttpContext http)
    {
        if (http.User.CustomerIdentity() is { } known)
        {
            return known;
        }

        if (http.Request.Headers.Authorization.Count == 0)
        {
            return null;
        }

        throw http.User.Identity?.IsAuthenticated == true
            ? SwitchboardException.Forbidden("Start a conversation with the customer identity token from an earlier start, or with no token.")
            : SwitchboardException.Unauthorized("The customer identity token is not valid or has expired; start without it to be a new customer.");
    }

    /// <summary>The conversation id, if the caller is its customer; what only the customer may do.</summary>
    private static string CustomerOnly(ClaimsPrincipal user, string id) => user.CustomerConversation() switch
    {
        null => throw SwitchboardException.Forbidden("Only the customer may do this: use the customer token from the start of the conversation."),
        var own when own == id => id,
        _ => throw SwitchboardException.Forbidden($"This customer token is not for conversation '{id}'."),
    };
}
