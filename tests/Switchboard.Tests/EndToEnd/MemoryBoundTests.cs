using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.Auth;
using Switchboard.Conversations;
using Switchboard.Hosting;
using Switchboard.Hubs;
using Switchboard.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Switchboard.Tests.EndToEnd;

/// <summary>Alone, after the other collections: the measurement needs both cores and a quiet machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OwnProcessCollection
{
    public const string Name = "a silo in its own process, measured alone";
}

/// <summary>
/// The memory a stranger can make a silo hold, with the product's default limits: every web client at its limit of
/// open conversations, every conversation written full at the rate limit, and the development sign-in probed for
/// agents nobody made. The bound is worked out from the caps (docs/security.md, "What a stranger can grow").
/// </summary>
[Collection(OwnProcessCollection.Name)]
public sealed partial class MemoryBoundTests(ITestOutputHelper output)
{
    private const int HttpClients = 4;
    private const int HubClients = 4;
    private const int OpenPerClient = 3;
    private const long MaxTranscriptBytes = 1024 * 1024;
    private const int MessageLength = 4000;
    private const int Burst = 10;
    private const double MegaByte = 1024 * 1024;
    private static readonly TimeSpan Attack = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RateInterval = TimeSpan.FromMilliseconds(200);
    private static readonly string[] Topics = ["shipping", "payment", "returns", "account", "general"];

    // Plain ASCII is the costliest text per byte of the cap: one byte of UTF-8, two bytes in memory.
    private static readonly string Text = new('x', MessageLength);

    [Fact]
    public async Task AStrangerDoingTheWorstTheLimitsAllowForAMinuteLeavesTheSilosWorkingSetWithinTheBoundItsCapsSet()
    {
        // The product's defaults: nothing configured but the ports, as `dotnet run` starts it, except the storage:
        // memory (SiloProcess's default, `--in-memory`), the worst case the bound is written for.
        await using var silo = SiloProcess.Start("memory", new Dictionary<string, string>());
        await silo.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        using var http = new HttpClient { BaseAddress = silo.BaseAddress };
        var json = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web);
        SwitchboardHosting.ConfigureJson(json);

        // Every path the attack takes runs once first, so "before" includes the code it loads and compiles.
        await WarmUpAsync(silo, http, json);
        var before = silo.WorkingSet;
        var heapBefore = await ScrapeAsync(http, HeapAfterLastCollection());
        var agentsBefore = await ScrapeAsync(http, AgentActivations());

        var clock = Stopwatch.StartNew();
        var end = clock.Elapsed + Attack;
        var writers = new List<Task<Written>>();
        var refusedStarts = new ConcurrentBag<string>();
        var httpClients = Enumerable.Range(0, HttpClients).Select(i => ClientAddresses.HttpFrom(silo.BaseAddress, $"127.0.0.{101 + i}")).ToList();
        var hubClients = new List<HubConnection>();
        var customers = new List<HttpClient>();
        try
        {
            foreach (var client in httpClients)
            {
                for (var i = 0; i <= OpenPerClient; i++)
                {
                    var response = await client.PostAsJsonAsync("/api/conversations", new StartConversation("Stranger", Topics[i], Text), json);
                    if (i == OpenPerClient)
                    {
                        refusedStarts.Add((await HttpAssert.ProblemAsync(response, HttpStatusCode.Conflict)).Detail!);
                        continue;
                    }

                    Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                    var started = (await response.Content.ReadFromJsonAsync<StartedConversation>(json))!;
                    var customer = new HttpClient { BaseAddress = silo.BaseAddress };
                    customers.Add(customer);
                    customer.DefaultRequestHeaders.Authorization = new("Bearer", started.CustomerToken);
                    writers.Add(WriteAsync(clock, end, () => PostOverHttpAsync(customer, started.Conversation.Id, json)));
                }
            }

            for (var c = 0; c < HubClients; c++)
            {
                var connection = new HubConnectionBuilder()
                    .WithUrl(new Uri(silo.BaseAddress, CustomerHub.Path))
                    .AddJsonProtocol(o => SwitchboardHosting.ConfigureJson(o.PayloadSerializerOptions))
                    .Build();
                hubClients.Add(connection);
                await connection.StartAsync();
                for (var i = 0; i <= OpenPerClient; i++)
                {
                    var start = connection.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), new StartConversation("Stranger", Topics[i], Text));
                    if (i == OpenPerClient)
                    {
                        refusedStarts.Add((await Assert.ThrowsAsync<HubException>(() => start)).Message);
                        continue;
                    }

                    var id = (await start).Conversation.Id;
                    writers.Add(WriteAsync(clock, end, () => PostOverHubAsync(connection, id)));
                }
            }

            var probing = ProbeAsync(http, json, clock, end);
            var written = await Task.WhenAll(writers).WaitAsync(TimeSpan.FromMinutes(4));
            var probes = await probing;
            var attackSeconds = clock.Elapsed.TotalSeconds;

            var after = silo.WorkingSet;
            var peak = silo.PeakWorkingSet;
            var heapAfter = await ScrapeAsync(http, HeapAfterLastCollection());
            var allocated = await ScrapeAsync(http, Allocated());
            var agentsAfter = await ScrapeAsync(http, AgentActivations());

            var conversations = written.Length;
            // The bound, from the caps (docs/security.md, "What a stranger can grow"). A full conversation holds its
            // text (the cap, passed by at most the message that reached it) three times over: as UTF-16 in the
            // activation (two bytes for each UTF-8 byte of ASCII, the costliest text) and serialized in the embedded
            // memory storage (one). While it is written, each message rewrites the whole state: about four
            // state-sized buffers (serialized, copied) per write wait for the collector. Twice the sum, for the
            // collector's headroom (it lets a heap grow to about twice what it kept before it collects again). Plus
            // 64 MiB for the rest: four hub outboxes (4 MiB each), threads, socket buffers, the code of paths the
            // warm-up did not take.
            var transcript = MaxTranscriptBytes + MessageLength;
            var perConversation = 2 * (3 + 4) * transcript;
            var bound = before + (conversations * perConversation) + (64 * 1024 * 1024);
            output.WriteLine(
                $"measured: memory under a stranger's worst for {attackSeconds:F0} s ({HttpClients} HTTP addresses + {HubClients} hub connections × {OpenPerClient} conversations = {conversations}, "
                + $"{written.Sum(w => w.Accepted)} messages of {MessageLength} characters accepted, {written.Sum(w => w.Throttled)} throttled, {written.Sum(w => w.Refused)} refused as full; "
                + $"{probes.NotFound} development sign-ins for unknown agents, {probes.TooLong} with over-long ids): silo working set "
                + $"before {before / MegaByte:F0} MiB, peak {peak / MegaByte:F0} MiB, after {after / MegaByte:F0} MiB, "
                + $"bound {bound / MegaByte:F0} MiB (before + {conversations} × 2 × (3 + 4) × (1 MiB + {MessageLength} B) + 64 MiB); "
                + $"managed heap as the last collection left it before {heapBefore / MegaByte:F0} MiB, after {heapAfter / MegaByte:F0} MiB; "
                + $"{allocated / MegaByte / Math.Max(1, written.Sum(w => w.Accepted)):F1} MiB allocated per message accepted; "
                + $"agent grain activations before {agentsBefore:F0}, after {agentsAfter:F0}");

            Assert.Equal(HttpClients + HubClients, refusedStarts.Count);
            Assert.All(refusedStarts, r => Assert.Contains($"{OpenPerClient} open conversations", r));
            Assert.All(written, w => Assert.True(w.Full, $"A conversation was not full after {attackSeconds:F0} s: {w.Accepted} messages accepted."));
            Assert.Equal(agentsBefore, agentsAfter);
            Assert.InRange(peak, before, bound);
            Assert.InRange(after, 0, bound);
        }
        finally
        {
            foreach (var connection in hubClients)
            {
                await connection.DisposeAsync();
            }

            httpClients.ForEach(c => c.Dispose());
            customers.ForEach(c => c.Dispose());
        }
    }

    private static async Task WarmUpAsync(SiloProcess silo, HttpClient http, System.Text.Json.JsonSerializerOptions json)
    {
        var started = (await (await http.PostAsJsonAsync("/api/conversations", new StartConversation("Warm", "general", "Hello"), json)).Content.ReadFromJsonAsync<StartedConversation>(json))!;
        using var customer = new HttpClient { BaseAddress = silo.BaseAddress };
        customer.DefaultRequestHeaders.Authorization = new("Bearer", started.CustomerToken);
        await customer.PostAsJsonAsync($"/api/conversations/{started.Conversation.Id}/messages", new { text = "Anyone?" }, json);
        await customer.PostAsync($"/api/conversations/{started.Conversation.Id}/leave", null);
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(silo.BaseAddress, CustomerHub.Path))
            .AddJsonProtocol(o => SwitchboardHosting.ConfigureJson(o.PayloadSerializerOptions))
            .Build();
        await connection.StartAsync();
        var id = (await connection.InvokeAsync<StartedConversation>(nameof(CustomerHub.StartConversation), new StartConversation("Warm", "general", "Hello"))).Conversation.Id;
        await connection.InvokeAsync<ChatMessage>(nameof(CustomerHub.SendMessage), id, "Anyone?");
        await connection.InvokeAsync<ConversationView>(nameof(CustomerHub.LeaveConversation), id);
        await http.PostAsJsonAsync(AuthHosting.DevTokenPath, new { agentId = "warm-up-nobody" }, json);
    }

    /// <summary>
    /// Writes into one conversation as fast as the rate limit lets a customer: the burst at once, then one message
    /// every 200 ms (5 a second), until the attack's time is up and the conversation refused a message as full.
    /// </summary>
    private static async Task<Written> WriteAsync(Stopwatch clock, TimeSpan end, Func<Task<Outcome>> post)
    {
        await Task.Yield();
        var written = new Written();
        using var pace = new PeriodicTimer(RateInterval);
        for (var sent = 0; clock.Elapsed < end || !written.Full; sent++)
        {
            if (sent >= Burst)
            {
                await pace.WaitForNextTickAsync();
            }

            switch (await post())
            {
                case Outcome.Accepted:
                    written.Accepted++;
                    break;
                case Outcome.Throttled:
                    written.Throttled++;
                    break;
                case Outcome.Full:
                    written.Refused++;
                    written.Full = true;
                    break;
            }
        }

        return written;
    }

    private static async Task<Outcome> PostOverHttpAsync(HttpClient customer, string conversationId, System.Text.Json.JsonSerializerOptions json)
    {
        using var response = await customer.PostAsJsonAsync($"/api/conversations/{conversationId}/messages", new { text = Text }, json);
        return response.StatusCode switch
        {
            HttpStatusCode.Created => Outcome.Accepted,
            HttpStatusCode.TooManyRequests => Outcome.Throttled,
            HttpStatusCode.Conflict when (await response.Content.ReadAsStringAsync()).Contains("is full", StringComparison.Ordinal) => Outcome.Full,
            var status => throw new Xunit.Sdk.XunitException($"A post was answered {(int)status}: {await response.Content.ReadAsStringAsync()}"),
        };
    }

    private static async Task<Outcome> PostOverHubAsync(HubConnection connection, string conversationId)
    {
        try
        {
            await connection.InvokeAsync<ChatMessage>(nameof(CustomerHub.SendMessage), conversationId, Text);
            return Outcome.Accepted;
        }
        catch (HubException ex) when (ex.Message.Contains("Too many", StringComparison.Ordinal))
        {
            return Outcome.Throttled;
        }
        catch (HubException ex) when (ex.Message.Contains("is full", StringComparison.Ordinal))
        {
            return Outcome.Full;
        }
    }

    /// <summary>The development sign-in asked, 50 times a second, for agents nobody made (and now and then an over-long id).</summary>
    private static async Task<(int NotFound, int TooLong)> ProbeAsync(HttpClient http, System.Text.Json.JsonSerializerOptions json, Stopwatch clock, TimeSpan end)
    {
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        var (notFound, tooLong) = (0, 0);
        for (var i = 0; clock.Elapsed < end; i++)
        {
            await pace.WaitForNextTickAsync();
            var agentId = i % 100 == 99 ? new string('z', 50_000) : $"{i}-{Guid.NewGuid():N}".PadRight(100, 'p');
            using var response = await http.PostAsJsonAsync(AuthHosting.DevTokenPath, new { agentId }, json);
            switch (response.StatusCode)
            {
                case HttpStatusCode.NotFound:
                    notFound++;
                    break;
                case HttpStatusCode.BadRequest:
                    tooLong++;
                    break;
                default:
                    throw new Xunit.Sdk.XunitException($"A probe for an unknown agent was answered {(int)response.StatusCode}.");
            }
        }

        return (notFound, tooLong);
    }

    /// <summary>A value from the silo's <c>/metrics</c> (Prometheus text), summed over the series that match; 0 when none does.</summary>
    private static async Task<double> ScrapeAsync(HttpClient http, Regex series) =>
        series.Matches(await http.GetStringAsync("/metrics")).Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));

    /// <summary>What each generation held when the last collection ended, summed (the .NET runtime's own meter).</summary>
    [GeneratedRegex(@"^system_runtime_dotnet_gc_last_collection_heap_size\{[^}]*\} ([0-9.eE+]+)$", RegexOptions.Multiline)]
    private static partial Regex HeapAfterLastCollection();

    [GeneratedRegex(@"^system_runtime_dotnet_gc_heap_total_allocated ([0-9.eE+]+)$", RegexOptions.Multiline)]
    private static partial Regex Allocated();

    [GeneratedRegex(@"^microsoft_orleans_orleans_catalog_activations\{grain_type=""agent""\} ([0-9.eE+]+)$", RegexOptions.Multiline)]
    private static partial Regex AgentActivations();

    private enum Outcome
    {
        Accepted,
        Throttled,
        Full,
    }

    private sealed class Written
    {
        public int Accepted { get; set; }

        public int Throttled { get; set; }

        public int Refused { get; set; }

        public bool Full { get; set; }
    }
}
