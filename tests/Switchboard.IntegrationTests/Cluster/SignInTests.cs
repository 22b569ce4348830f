using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Agents;
using Switchboard.Auth;
using Switchboard.Hosting;
using Switchboard.Hubs;
using Switchboard.IntegrationTests.Infrastructure;

namespace Switchboard.IntegrationTests.Cluster;

/// <summary>Sign-in across silos: one key for the whole cluster, so a token is good on whichever silo a client reaches.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SignInTests
{
    private const string AgentId = "signin-agent";

    [SkippableFact]
    public async Task ATokenSignedWithTheClustersKeyIsAcceptedByEverySiloAndOneSignedWithAnotherKeyIsRefused()
    {
        await using var cluster = SiloCluster.OnRedis("signin", TestServers.Redis)
            .WithSkill("signin")
            .WithAgent(AgentId, 1, "signin");
        var silos = await cluster.StartAsync(2);

        // The same token, on both silos at once.
        var token = cluster.AgentToken(AgentId);
        var connections = silos.Select(s => Connect(s, token)).ToList();
        try
        {
            foreach (var connection in connections)
            {
                await connection.StartAsync();
                var profile = await connection.InvokeAsync<AgentView>(nameof(AgentHub.GetProfile));
                Assert.Equal(AgentId, profile.Id);
            }
        }
        finally
        {
            await Task.WhenAll(connections.Select(c => c.DisposeAsync().AsTask()));
        }

        // Another key's token (and no token at all) is refused at negotiate, on every silo.
        var foreign = TokenIssuer.FromKey("base64:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))).IssueAgent(AgentId, supervisor: false).Token;
        foreach (var silo in silos)
        {
            foreach (var refusedToken in new[] { foreign, null })
            {
                await using var refused = Connect(silo, refusedToken);
                var failure = await Assert.ThrowsAsync<HttpRequestException>(() => refused.StartAsync());
                Assert.Equal(HttpStatusCode.Unauthorized, failure.StatusCode);
            }
        }
    }

    private static HubConnection Connect(SiloProcess silo, string? token) => new HubConnectionBuilder()
        .WithUrl(new Uri(silo.BaseAddress, "/hubs/agent"), o =>
        {
            if (token is not null)
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            }
        })
        .AddJsonProtocol(o => SwitchboardHosting.ConfigureJson(o.PayloadSerializerOptions))
        .Build();
}
