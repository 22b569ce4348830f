using Microsoft.Extensions.Configuration;
using Switchboard.Agents;
using Switchboard.Hosting;
using Switchboard.Hubs;

namespace Switchboard.Tests.Hosting;

public sealed class GatewayRoleTests
{
    [Fact]
    public void TheRoleIsASiloUnlessSetToGatewayByTheSettingOrTheSwitch()
    {
        Assert.False(GatewayHosting.IsGateway(Configuration([])));
        Assert.False(GatewayHosting.IsGateway(Configuration(["--Switchboard:Role=silo"])));
        Assert.True(GatewayHosting.IsGateway(Configuration(["--Switchboard:Role=Gateway"])));
        Assert.True(GatewayHosting.IsGateway(Configuration(["--role", "gateway"])));
        Assert.True(GatewayHosting.IsGateway(Configuration(["--role=Gateway", "--Switchboard:Embedded:SiloPort", "12000"])));
        // The switch consumes its value only: the argument after it is still read as itself.
        Assert.Equal("12000", Configuration(["--role", "gateway", "--Switchboard:Embedded:SiloPort", "12000"])["Switchboard:Embedded:SiloPort"]);

        var unknown = Assert.Throws<InvalidOperationException>(() => GatewayHosting.IsGateway(Configuration(["--role", "gatway"])));
        Assert.Contains("'gatway'", unknown.Message);
    }

    [Fact]
    public void AGatewayNamesTheClusteringProviderAndTheBackplaneItLacks()
    {
        var neither = GatewayHosting.Problems(Configuration(["--role", "gateway"])).ToList();
        Assert.Equal(2, neither.Count);
        Assert.Contains("Orleans:Clustering:ProviderType", neither[0]);
        Assert.Contains("ConnectionStrings:redis", neither[1]);

        var noBackplane = GatewayHosting.Problems(Configuration(["--role", "gateway", "--Orleans:Clustering:ProviderType=AdoNet"])).ToList();
        Assert.Contains("ConnectionStrings:redis", Assert.Single(noBackplane));

        Assert.Empty(GatewayHosting.Problems(Configuration(["--role", "gateway", "--Orleans:Clustering:ProviderType=Redis", "--ConnectionStrings:redis=127.0.0.1:6379"])));
        Assert.Contains("gateway (Orleans client) of cluster 'c1', clustering Redis",
            ClusterHosting.DescribeTopology(Configuration(["--role", "gateway", "--Orleans:ClusterId=c1", "--Orleans:Clustering:ProviderType=Redis", "--ConnectionStrings:redis=x"]), "/srv"));
    }

    [Fact]
    public void AGatewayNamesItsConnectionsSoNoOneTakesThemForASilo()
    {
        var host = ConnectionHosts.Gateway("web-1", 4242);
        Assert.StartsWith("gateway/web-1/4242/", host, StringComparison.Ordinal);
        Assert.True(ConnectionHosts.IsGateway(host));
        Assert.NotEqual(host, ConnectionHosts.Gateway("web-1", 4242));
        Assert.False(ConnectionHosts.IsGateway(SiloAddress.New(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 11111), 1).ToParsableString()));
    }

    [Fact]
    public async Task AGatewayConfirmsItsAgentsOnceWhenItLosesSilosAndNotWhenItGainsThem()
    {
        var departures = new GatewayDepartures();
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var watch = departures.WatchAsync(patience.Token).GetAsyncEnumerator(patience.Token);

        departures.OnGatewayCountChanged(null, new GatewayCountChangedEventArgs(3, 2));
        departures.OnGatewayCountChanged(null, new GatewayCountChangedEventArgs(2, 3));
        // A burst of losses before the first is handled is one confirmation: the second is dropped.
        departures.OnGatewayCountChanged(null, new GatewayCountChangedEventArgs(1, 2));
        Assert.True(await watch.MoveNextAsync());
        Assert.Contains("from 3 to 2", watch.Current);

        departures.OnGatewayCountChanged(null, new GatewayCountChangedEventArgs(0, 1));
        Assert.True(await watch.MoveNextAsync());
        Assert.Contains("from 1 to 0", watch.Current);
    }

    private static IConfiguration Configuration(string[] args) =>
        new ConfigurationBuilder().AddCommandLine(GatewayHosting.ReadRoleSwitch(args)).Build();
}
