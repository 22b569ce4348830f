using System.Collections.Immutable;
using System.Net;
using Microsoft.Extensions.Options;
using Switchboard.Conversations;
using Switchboard.Customers;
using Switchboard.Hubs;
using Switchboard.Limits;

namespace Switchboard.Tests.Limits;

/// <summary>The bookkeeping behind the limit on open conversations per web client.</summary>
public sealed class OpenConversationsTests
{
    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    public void AnAddressIsCountedAsItselfAndAnIpv6ClientByItsSlash64(string address, string key)
    {
        Assert.Equal(key, OpenConversations.AddressKey(IPAddress.Parse(address)));
    }

    [Fact]
    public void TwoStartsRacingForTheLastPlaceCannotBothTakeItAndAFailedStartGivesItBack()
    {
        var client = new ClientConversations();
        Assert.Equal(ClientConversations.Place.Taken, client.TryTake("a", limit: 2));
        client.Complete("a");

        Assert.Equal(ClientConversations.Place.Taken, client.TryTake("b", limit: 2));
        Assert.Equal(ClientConversations.Place.None, client.TryTake("c", limit: 2));
        Assert.Equal(ClientConversations.Place.Counted, client.TryTake("a", limit: 2));

        client.Complete(null);
        Assert.Equal(1, client.Count);
        Assert.Equal(ClientConversations.Place.Taken, client.TryTake("c", limit: 2));
    }

    [Fact]
    public async Task ConversationsThatClosedStopCounting()
    {
        var client = new ClientConversations();
        foreach (var id in new[] { "open", "closed" })
        {
            client.TryTake(id, limit: 2);
            client.Complete(id);
        }

        await client.ForgetClosedAsync(id => Task.FromResult(id == "open"));

        Assert.Equal(1, client.Count);
        Assert.Equal(ClientConversations.Place.Counted, client.TryTake("open", limit: 2));
    }

    [Fact]
    public async Task ASiloRemembersAtMostTrackedAddressesTheLeastRecentlyStartedGoingFirst()
    {
        // At a limit of one, only the first start of each address is free of a grain call, which none is made here.
        var open = new OpenConversations(Options.Create(new LimitsOptions { OpenConversationsPerAddress = 1, TrackedAddresses = 2 }), grains: null!);
        var n = 0;
        Task<StartedConversation> Start() => Task.FromResult(Started($"c{n++}"));

        foreach (var address in new[] { "198.51.100.1", "198.51.100.2", "198.51.100.3" })
        {
            await open.StartFromAddressAsync(IPAddress.Parse(address), $"proposed-{address}", Start);
        }

        Assert.Equal(2, open.TrackedAddresses);
        // The first was forgotten to make room for the third: it starts again without being asked about.
        await open.StartFromAddressAsync(IPAddress.Parse("198.51.100.1"), "another", Start);
        Assert.Equal(2, open.TrackedAddresses);
    }

    private static StartedConversation Started(string id) => new(
        new ConversationView(
            id, "Vic", "general", ConversationStatus.Waiting, null, 0, false, DateTimeOffset.UnixEpoch, [], Emotion.Neutral, ComplaintTier.None,
            DateTimeOffset.UnixEpoch, null, false, [], ImmutableDictionary<string, string>.Empty),
        "token",
        DateTimeOffset.UnixEpoch,
        new CustomerIdentity(CustomerIds.NewWeb(), "identity", DateTimeOffset.UnixEpoch));
}
