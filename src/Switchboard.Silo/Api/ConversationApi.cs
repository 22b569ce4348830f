using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Switchboard.Auth;
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

        // 201 for a new conversation; 200 with the customer's open one when they already have one on this topic (a
        // double submit, a retry). A returning customer sends the identity token of their last start as bearer token.
        conversations.MapPost("/", async Task<Results<Created<StartedConversation>, Ok<StartedConversation>>> (
            [FromBody] StartConversation start, HttpContext http, IGrainFactory grains, TokenIssuer tokens, RateLimits limits) =>
        {
            var id = Guid.NewGuid().ToString("N");
            var started = await CustomerStarts.StartAsync(grains, tokens, limits, start, WebCustomer(http), id);
            return started.Conversation.Id == id
                ? TypedResults.Created($"/api/conversations/{id}", started)
                : TypedResults.Ok(started);
        }).AllowAnonymous();

        var customer = conversations.MapGroup("/{id}").RequireAuthorization();

        customer.MapGet("/", async (string id, ClaimsPrincipal user, IGrainFactory grains) =>
        {
            if (user.CustomerConversation() is not null)
            {
                return CustomerStarts.ForCustomer(await grains.GetGrain<IConversationGrain>(CustomerOnly(user, id)).GetAsync());
            }

            var view = await grains.GetGrain<IConversationGrain>(id).GetAsync();
            return user.IsSupervisor() || (user.AgentId() is { } agentId && view.AgentId == agentId)
                ? view
                : throw SwitchboardException.Forbidden($"Conversation '{id}' is not assigned to you.");
        });

        customer.MapPost("/messages", async (string id, [FromBody] PostMessage message, ClaimsPrincipal user, IGrainFactory grains, RateLimits limits) =>
        {
            var conversation = grains.GetGrain<IConversationGrain>(CustomerOnly(user, id));
            limits.CountCustomerMessage(id);
            var posted = await conversation.PostCustomerMessageAsync(message.Text);
            return TypedResults.Created((string?)null, posted);
        });

        // The customer left (abandoned if nobody had answered yet); idempotent.
        customer.MapPost("/leave", async (string id, ClaimsPrincipal user, IGrainFactory grains) =>
            CustomerStarts.ForCustomer(await grains.GetGrain<IConversationGrain>(CustomerOnly(user, id)).LeaveAsync()));

        // Once per resolved conversation: a second rating is 409 Conflict.
        customer.MapPost("/rating", async (string id, [FromBody] PostRating rating, ClaimsPrincipal user, IGrainFactory grains) =>
        {
            var rated = await grains.GetGrain<IConversationGrain>(CustomerOnly(user, id)).RateAsync(rating.Score, rating.Comment);
            return TypedResults.Created((string?)null, rated);
        });

        return app;
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
