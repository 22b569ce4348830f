using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Switchboard.Auth;
using Switchboard.Channels;
using Switchboard.Customers;
using Switchboard.Hubs;

namespace Switchboard.Api;

/// <summary>
/// Proactive outreach and what is remembered of a customer: supervisors, and the shop's own systems with a
/// supervisor's token (see the <c>token</c> command), call them.
/// </summary>
public static class OutreachApi
{
    public static IEndpointRouteBuilder MapOutreachApi(this IEndpointRouteBuilder app)
    {
        // An outbound conversation for a trigger (late delivery, abnormal sign-in, ...), routed like any other; the
        // customer hears the opening message (a web chat over the customer hub; a channel reads it in the answer).
        app.MapPost("/api/outreach", async ([FromBody] StartOutreach outreach, IGrainFactory grains, IOptions<ChannelsOptions> channels) =>
        {
            var customerId = KnownForm(outreach.CustomerId, channels.Value);
            var id = Guid.NewGuid().ToString("N");
            var view = await grains.Grain<ICustomerGrain>(customerId).StartOutreachAsync(outreach with { CustomerId = customerId }, id);
            return TypedResults.Created($"/api/conversations/{id}", CustomerStarts.ForCustomer(view));
        }).WithTags("Outreach").RequireAuthorization(AuthHosting.SupervisorPolicy);

        app.MapGet("/api/customers/{id}", async (string id, IGrainFactory grains, IOptions<ChannelsOptions> channels) =>
        {
            var customerId = KnownForm(id, channels.Value);
            return await grains.Grain<ICustomerGrain>(customerId).GetAsync()
                ?? throw SwitchboardException.NotFound($"Customer '{customerId}' is not known.");
        }).WithTags("Customers").RequireAuthorization(AuthHosting.SupervisorPolicy);

        return app;
    }

    /// <summary>A customer id as Switchboard keeps them (<c>web:…</c> or <c>&lt;channel&gt;:…</c> of a configured channel).</summary>
    private static string KnownForm(string? customerId, ChannelsOptions channels)
    {
        var id = customerId?.Trim();
        if (string.IsNullOrEmpty(id))
        {
            throw SwitchboardException.Invalid("'customerId' is required: web:… for a web chat customer, <channel>:<id> for a channel's.");
        }

        if (id.Length > Conversations.ConversationRules.MaxQualifiedCustomerIdLength)
        {
            throw SwitchboardException.Invalid($"A customer id may have at most {Conversations.ConversationRules.MaxQualifiedCustomerIdLength} characters.");
        }

        Conversations.ConversationRules.RejectControlCharacters(id, "The customer id");
        if (CustomerIds.IsWeb(id) || (CustomerIds.ChannelOf(id) is { } channel && channels.ContainsKey(channel) && id.Length > channel.Length + 1))
        {
            return id;
        }

        throw SwitchboardException.Invalid(
            $"'{id}' is not a customer id: web:… for a web chat customer, or <channel>:<id> for one of the channels ({string.Join(", ", channels.Keys.Order())}).");
    }
}
