using Microsoft.AspNetCore.Mvc;
using Switchboard.Conversations;

namespace Switchboard.Api;

/// <summary>The channel webhook: what a messaging channel calls to open a conversation and post into it.</summary>
public static class ConversationApi
{
    public sealed record PostMessage(string Text);

    public static IEndpointRouteBuilder MapConversationApi(this IEndpointRouteBuilder app)
    {
        var conversations = app.MapGroup("/api/conversations").WithTags("Conversations");

        conversations.MapPost("/", async ([FromBody] StartConversation start, IGrainFactory grains) =>
        {
            var id = Guid.NewGuid().ToString("N");
            var view = await grains.GetGrain<IConversationGrain>(id).StartAsync(start);
            return TypedResults.Created($"/api/conversations/{id}", view);
        });

        conversations.MapGet("/{id}", (string id, IGrainFactory grains) =>
            grains.GetGrain<IConversationGrain>(id).GetAsync());

        conversations.MapPost("/{id}/messages", async (string id, [FromBody] PostMessage message, IGrainFactory grains) =>
        {
            var posted = await grains.GetGrain<IConversationGrain>(id).PostCustomerMessageAsync(message.Text);
            return TypedResults.Created((string?)null, posted);
        });

        return app;
    }
}
