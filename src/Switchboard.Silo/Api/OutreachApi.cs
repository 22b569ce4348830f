using Microsoft.AspNetCore.Mvc;
using Switchboard.Conversations;
using Switchboard.Customers;
using Switchboard.Hubs;

namespace Switchboard.Api;

/// <summary>Proactive outreach and what is remembered of a customer: what a shop's own systems call.</summary>
public static class OutreachApi
{
    public static IEndpointRouteBuilder MapOutreachApi(this IEndpointRouteBuilder app)
    {
        // A shop's system opens an outbound conversation for a trigger (late delivery, abnormal sign-in, ...). It is
        // routed like any other; the customer's channel gets the opening message. Authentication comes with issue 7.
        app.MapPost("/api/outreach", async ([FromBody] StartOutreach outreach, IGrainFactory grains) =>
        {
            var customerId = ConversationRules.NormalizeCustomerId(outreach.CustomerId)
                ?? throw SwitchboardException.Invalid("Outreach needs the customer's id.");
            var id = Guid.NewGuid().ToString("N");
            var view = await grains.GetGrain<ICustomerGrain>(customerId).StartOutreachAsync(outreach, id);
            return TypedResults.Created($"/api/conversations/{id}", CustomerStarts.ForCustomer(view));
        }).WithTags("Outreach");

        app.MapGet("/api/customers/{id}", async (string id, IGrainFactory grains) =>
        {
            var customerId = ConversationRules.NormalizeCustomerId(id) ?? throw SwitchboardException.NotFound($"Customer '{id}' is not known.");
            return await grains.GetGrain<ICustomerGrain>(customerId).GetAsync()
                ?? throw SwitchboardException.NotFound($"Customer '{customerId}' is not known.");
        }).WithTags("Customers");

        return app;
    }
}
