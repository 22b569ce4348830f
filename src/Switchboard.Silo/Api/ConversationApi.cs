using System.Security.Claims;
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

        conversations.MapPost("/", async ([FromBody] StartConversation start, IGrainFactory grains, TokenIssuer tokens) =>
        {
            var id = Guid.NewGuid().ToString("N");
            var view = await grains.GetGrain<IConversationGrain>(id).StartAsync(start);
            return TypedResults.Created($"/api/conversations/{id}", CustomerHub.Started(tokens, view));
        }).AllowAnonymous();

        var customer = conversations.MapGroup("/{id}").RequireAuthorization();

        customer.MapGet("/", async (string id, ClaimsPrincipal user, IGrainFactory grains) =>
        {
            if (user.CustomerConversation() is not null)
            {
                return await grains.GetGrain<IConversationGrain>(CustomerOnly(user, id)).GetAsync();
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
        customer.MapPost("/leave", (string id, ClaimsPrincipal user, IGrainFactory grains) =>
            grains.GetGrain<IConversationGrain>(CustomerOnly(user, id)).LeaveAsync());

        // Once per resolved conversation: a second rating is 409 Conflict.
        customer.MapPost("/rating", async (string id, [FromBody] PostRating rating, ClaimsPrincipal user, IGrainFactory grains) =>
        {
            var rated = await grains.GetGrain<IConversationGrain>(CustomerOnly(user, id)).RateAsync(rating.Score, rating.Comment);
            return TypedResults.Created((string?)null, rated);
        });

        return app;
    }

    /// <summary>The conversation id, if the caller is its customer; what only the customer may do.</summary>
    private static string CustomerOnly(ClaimsPrincipal user, string id) => user.CustomerConversation() switch
    {
        null => throw SwitchboardException.Forbidden("Only the customer may do this: use the customer token from the start of the conversation."),
        var own when own == id => id,
        _ => throw SwitchboardException.Forbidden($"This customer token is not for conversation '{id}'."),
    };
}
