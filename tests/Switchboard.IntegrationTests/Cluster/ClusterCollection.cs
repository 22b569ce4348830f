namespace Switchboard.IntegrationTests.Cluster;

/// <summary>
/// Tests that start silo processes run one at a time: on two cores, two clusters starting together would slow each
/// other's failure detectors into suspecting healthy silos.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "silo processes";
}
