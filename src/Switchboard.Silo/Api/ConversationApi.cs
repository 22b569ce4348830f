using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Switchboard.Conversations;
using Switchboard.Hubs;

namespace Switchboard.Api;

/// <summary>The channel webhook: what a messaging channel calls to open a conversation and post into it.</summary>
public static class ConversationApi
{
    public sealed record PostMessage(string Text);

    public sealed record PostRating(int Score, string? Comment);

    public static IEndpointRouteBuilder MapConversationApi(this IEndpointRouteBuilder app)
    {
        var conversations = app.MapGroup("/api/conversations").WithTags("Conversations");

        // 201 for a new conversation; 200 with the open one when the customer already has one on this topic (a
        // channel retry or a second start joins it).
        conversations.MapPost("/", async Task<Results<Created<ConversationView>, Ok<ConversationView>>> ([FromBody] StartConversation start, IGrainFactory grains) =>
        {
            var id = Guid.NewGuid().ToString("N");
            var view = CustomerStarts.ForCustomer(await CustomerStarts.StartAsync(grains, start, id));
            return view.Id == id ? TypedResults.Created($"/api/conversations/{id}", view) : TypedResults.Ok(view);
        });

        conversations.MapGet("/{id}", async (string id, IGrainFactory grains) =>
            CustomerStarts.ForCustomer(await grains.GetGrain<IConversationGrain>(id).GetAsync()));

        conversations.MapPost("/{id}/messages", async (string id, [FromBody] PostMessage message, IGrainFactory grains) =>
        {
            var posted = await grains.GetGrain<IConversationGrain>(id).PostCustomerMessageAsync(message.Text);
            return TypedResults.Created((string?)null, posted);
        });

        // The customer left (abandoned if nobody had answered yet); idempotent.
        conversations.MapPost("/{id}/leave", async (string id, IGrainFactory grains) =>
            CustomerStarts.ForCustomer(await grains.GetGrain<IConversationGrain>(id).LeaveAsync()));

        // Once per resolved conversation: a second rating is 409 Conflict.
        conversations.MapPost("/{id}/rating", async (string id, [FromBody] PostRating rating, IGrainFactory grains) =>
        {
            var rated = await grains.GetGrain<IConversationGrain>(id).RateAsync(rating.Score, rating.Comment);
            return TypedResults.Created((string?)null, rated);
        });

        return app;
    }
}
