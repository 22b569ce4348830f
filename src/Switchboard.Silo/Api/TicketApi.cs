using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using Switchboard.Auth;
using Switchboard.Conversations;
using Switchboard.Hubs;

namespace Switchboard.Api;

/// <summary>
/// Leave a message, answered later, over HTTP: the web customer (with their conversation's token) leaves a message;
/// supervisors claim, answer and retry. The hubs offer the same (<c>LeaveMessage</c>, <c>ClaimTicket</c>,
/// <c>AnswerTicket</c>, <c>RetryTicketAnswer</c>); a channel's customer leaves one through the signed webhook.
/// </summary>
public static class TicketApi
{
    public sealed record LeaveMessageRequest(string? Email, string Text);

    public sealed record AnswerRequest(string Text);

    public static IEndpointRouteBuilder MapTicketApi(this IEndpointRouteBuilder app)
    {
        // The client's Idempotency-Key (a random UUID) is the request's id: sent again, the message is left once.
        app.MapPost("/api/conversations/{id}/ticket", async (string id, [FromBody] LeaveMessageRequest request, ClaimsPrincipal user, HttpContext http, IGrainFactory grains) =>
        {
            RequireId(id);
            if (user.CustomerConversation() != id)
            {
                throw SwitchboardException.Forbidden("Only the customer may leave a message: use the customer token from the start of the conversation.");
            }

            var view = await grains.Grain<IConversationGrain>(id).LeaveMessageAsync(RequireKey(http), request.Email, request.Text);
            return TypedResults.Ok(CustomerStarts.ForCustomer(view));
        }).RequireAuthorization().WithTags("Tickets");

        var tickets = app.MapGroup("/api/tickets/{id}").WithTags("Tickets").RequireAuthorization(AuthHosting.SupervisorPolicy)
            .AddEndpointFilter((context, next) =>
            {
                RequireId(context.HttpContext.GetRouteValue("id") as string);
                return next(context);
            });

        tickets.MapPost("/claim", (string id, ClaimsPrincipal user, IGrainFactory grains) =>
            grains.Grain<IConversationGrain>(id).ClaimTicketAsync(user.AgentId()!));

        // The Idempotency-Key is the answer's id: sent again, the answer is stored and delivered once.
        tickets.MapPost("/answer", (string id, [FromBody] AnswerRequest request, ClaimsPrincipal user, HttpContext http, IGrainFactory grains) =>
            grains.Grain<IConversationGrain>(id).AnswerTicketAsync(user.AgentId()!, RequireKey(http), request.Text));

        tickets.MapPost("/retry", (string id, ClaimsPrincipal user, IGrainFactory grains) =>
            grains.Grain<IConversationGrain>(id).RetryTicketAnswerAsync(user.AgentId()!));

        return app;
    }

    private static void RequireId(string? id)
    {
        if (!ConversationRules.IsConversationId(id))
        {
            throw SwitchboardException.Invalid(ConversationRules.ConversationIdRule);
        }
    }

    private static string RequireKey(HttpContext http)
    {
        var key = http.Request.Headers[ConversationApi.IdempotencyKeyHeader].ToString();
        if (key.Length == 0)
        {
            throw SwitchboardException.Invalid($"Send an {ConversationApi.IdempotencyKeyHeader} header (a random UUID), so a retry is taken once.");
        }

        ConversationRules.ValidateClientId(key, $"The {ConversationApi.IdempotencyKeyHeader} header");
        return key;
    }
}
