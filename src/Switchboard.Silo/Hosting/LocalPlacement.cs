using Orleans.Metadata;
using Switchboard.Agents;
using Switchboard.Conversations;
using Switchboard.Customers;

namespace Switchboard.Hosting;

/// <summary>
/// An experiment, off unless <c>Switchboard:Cluster:LocalPlacement=true</c>: conversations, customers and agents are
/// activated on the silo whose hub or API first calls them (Orleans' prefer-local placement) instead of the default
/// (resource-optimised over all silos). With clients on the silos, a customer's calls and most of a conversation's then
/// stay in one process. With clients on gateways it changes nothing (a gateway is no silo), and a silo that joins gets
/// new conversations only through connections made to it. docs/benchmarks.md, *Placement experiments*.
/// </summary>
public static class LocalPlacement
{
    public static IReadOnlyList<Type> Grains { get; } = [typeof(ConversationGrain), typeof(CustomerGrain), typeof(AgentGrain)];

    public static ISiloBuilder AddLocalPlacementIfAsked(this ISiloBuilder silo, IConfiguration configuration)
    {
        if (configuration.GetValue("Switchboard:Cluster:LocalPlacement", false))
        {
            silo.Services.AddSingleton<IGrainPropertiesProvider, PlacementProperty>();
        }

        return silo;
    }

    private sealed class PlacementProperty : IGrainPropertiesProvider
    {
        public void Populate(Type grainClass, GrainType grainType, Dictionary<string, string> properties)
        {
            if (Grains.Contains(grainClass))
            {
                properties[WellKnownGrainTypeProperties.PlacementStrategy] = nameof(PreferLocalPlacement);
            }
        }
    }
}
