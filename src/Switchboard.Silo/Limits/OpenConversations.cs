using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Switchboard.Conversations;
using Switchboard.Hubs;

namespace Switchboard.Limits;

/// <summary>
/// How many conversations one web client keeps open: a customer hub connection (<see cref="LimitsOptions.OpenConversationsPerConnection"/>)
/// or a client address over HTTP (<see cref="LimitsOptions.OpenConversationsPerAddress"/>). Each open conversation
/// may grow to its transcript cap, so this is what bounds the memory one stranger can take. Counted in this silo's
/// memory like the rates (nginx's <c>ip_hash</c> keeps a client on one silo); the conversations themselves say
/// whether they are still open, asked only when a client is at its limit.
/// </summary>
public sealed class OpenConversations(IOptions<LimitsOptions> options, IGrainFactory grains)
{
    private readonly LimitsOptions _options = options.Value;
    private readonly Lock _addressesLock = new();
    // Least recently started first to go: the dictionary finds an address, the list keeps them in order of use.
    private readonly Dictionary<string, LinkedListNode<(string Address, ClientConversations Client)>> _addresses = [];
    private readonly LinkedList<(string Address, ClientConversations Client)> _byUse = new();

    /// <summary>A start on a customer hub connection, whose own count (kept with the connection) is <paramref name="connection"/>.</summary>
    public Task<StartedConversation> StartOnConnectionAsync(ClientConversations connection, string proposedId, Func<Task<StartedConversation>> start) =>
        StartWithinAsync(
            connection,
            _options.OpenConversationsPerConnection,
            limit => $"This chat already has {limit} open conversations, the most one connection may have at once; continue in one of them, or leave one before starting another.",
            proposedId,
            start);

    /// <summary>A start over HTTP from <paramref name="address"/>.</summary>
    public Task<StartedConversation> StartFromAddressAsync(IPAddress? address, string proposedId, Func<Task<StartedConversation>> start)
    {
        if (_options.OpenConversationsPerAddress == 0)
        {
            return start();
        }

        var key = AddressKey(address);
        return StartWithinAsync(
            ForAddress(key),
            _options.OpenConversationsPerAddress,
            limit => $"Address {key} already has {limit} open conversations started over HTTP, the most one client address may have at once; continue in one of them, or leave one before starting another.",
            proposedId,
            start);
    }

    /// <summary>How many addresses this silo keeps a count for now (at most <see cref="LimitsOptions.TrackedAddresses"/>).</summary>
    public int TrackedAddresses
    {
        get
        {
            lock (_addressesLock)
            {
                return _addresses.Count;
            }
        }
    }

    /// <summary>
    /// The key an address is counted under: an IPv4 address as it is (also when it comes IPv4-mapped), an IPv6 one by
    /// its /64, the block one subscriber gets (a single host can take any address within it).
    /// </summary>
    public static string AddressKey(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return $"{new IPAddress(bytes)}/64";
    }

    private async Task<StartedConversation> StartWithinAsync(
        ClientConversations client, int limit, Func<int, string> refusal, string proposedId, Func<Task<StartedConversation>> start)
    {
        if (limit == 0)
        {
            return await start();
        }

        var place = client.TryTake(proposedId, limit);
        if (place == ClientConversations.Place.None)
        {
            // At the limit by our count: some may have closed since (resolved, left). Ask them, then count again.
            await client.ForgetClosedAsync(id => grains.Grain<IConversationGrain>(id).IsOpenAsync());
            place = client.TryTake(proposedId, limit);
            if (place == ClientConversations.Place.None)
            {
                throw SwitchboardException.Conflict(refusal(limit));
            }
        }

        if (place == ClientConversations.Place.Counted)
        {
            // The same start again (its id comes from the start id): it opens nothing new.
            return await start();
        }

        string? startedId = null;
        try
        {
            var started = await start();
            startedId = started.Conversation.Id;
            return started;
        }
        finally
        {
            client.Complete(startedId);
        }
    }

    private ClientConversations ForAddress(string key)
    {
        lock (_addressesLock)
        {
            if (_addresses.TryGetValue(key, out var node))
            {
                _byUse.Remove(node);
                _byUse.AddFirst(node);
                return node.Value.Client;
            }

            var added = _byUse.AddFirst((key, new ClientConversations()));
            _addresses[key] = added;
            if (_addresses.Count > _options.TrackedAddresses)
            {
                // Forgotten, it may start its limit again: the price of a bound on what this silo remembers.
                _addresses.Remove(_byUse.Last!.Value.Address);
                _byUse.RemoveLast();
            }

            return added.Value.Client;
        }
    }
}

/// <summary>
/// The conversations one web client started that may still be open, and the starts it has in flight: together never
/// more than its limit, so two starts racing cannot both take the last place.
/// </summary>
public sealed class ClientConversations
{
    private readonly Lock _lock = new();
    private readonly List<string> _ids = [];
    private int _starting;

    public enum Place
    {
        /// <summary>At the limit: no place.</summary>
        None,

        /// <summary>A place is held for this start until <see cref="Complete"/>.</summary>
        Taken,

        /// <summary>The start's conversation is counted already (a retry).</summary>
        Counted,
    }

    /// <summary>The conversations counted now (open when last asked), for tests and diagnostics.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _ids.Count;
            }
        }
    }

    public Place TryTake(string conversationId, int limit)
    {
        lock (_lock)
        {
            if (_ids.Contains(conversationId))
            {
                return Place.Counted;
            }

            if (_ids.Count + _starting >= limit)
            {
                return Place.None;
            }

            _starting++;
            return Place.Taken;
        }
    }

    /// <summary>Gives back a place <see cref="TryTake"/> took; with the conversation the start opened or joined, if it succeeded.</summary>
    public void Complete(string? conversationId)
    {
        lock (_lock)
        {
            _starting--;
            if (conversationId is not null && !_ids.Contains(conversationId))
            {
                _ids.Add(conversationId);
            }
        }
    }

    /// <summary>Stops counting the conversations that are no longer open.</summary>
    public async Task ForgetClosedAsync(Func<string, Task<bool>> isOpen)
    {
        string[] ids;
        lock (_lock)
        {
            ids = [.. _ids];
        }

        var open = await Task.WhenAll(ids.Select(isOpen));
        lock (_lock)
        {
            for (var i = 0; i < ids.Length; i++)
            {
                if (!open[i])
                {
                    _ids.Remove(ids[i]);
                }
            }
        }
    }
}
