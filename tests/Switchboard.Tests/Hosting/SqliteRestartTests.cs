using System.Collections.Immutable;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Switchboard.Agents;
using Switchboard.Api;
using Switchboard.Conversations;
using Switchboard.Hosting;
using Switchboard.Hosting.Sqlite;
using Switchboard.Hubs;
using Switchboard.IntegrationTests.Infrastructure;
using Switchboard.Tests.EndToEnd;

namespace Switchboard.Tests.Hosting;

/// <summary>
/// A silo on embedded defaults keeps its grain state in its SQLite file: what one silo stored, the next silo on the
/// same file reads back. And which storage a configuration gets, as the start-up line says it.
/// </summary>
public sealed class SqliteRestartTests
{
    [Fact]
    public async Task AConversationAndAnAgentStoredBeforeARestartAreReadBackByTheNextSiloOnTheSameFile()
    {
        using var database = new TempDatabase();
        ConversationView before;
        AgentView agentBefore;
        string customerToken;
        var first = new SqliteSilo(database.Path);
        await first.InitializeAsync();
        try
        {
            var storage = first.Services.GetRequiredKeyedService<IGrainStorage>(SwitchboardOptions.StorageName);
            Assert.Equal(database.Path, Assert.IsType<SqliteGrainStorage>(storage).DatabasePath);

            var (agentId, skill) = first.NewLane();
            await using var agent = first.AgentConnection(agentId);
            var assignments = new Inbox<ConversationView>(agent, nameof(IAgentClient.ConversationAssigned));
            await SiloFixture.SignInOnlineAsync(agent);
            var started = await first.StartOverHttpAsync(new StartConversation("Ada Lovelace", skill, "My parcel is late"));
            customerToken = started.CustomerToken;
            await assignments.WaitAsync(c => c.Id == started.Conversation.Id);
            await agent.InvokeAsync<ChatMessage>(nameof(AgentHub.SendMessage), started.Conversation.Id, "Checking it now.");
            using var customer = first.As(customerToken);
            var posted = await customer.PostAsJsonAsync($"/api/conversations/{started.Conversation.Id}/messages", new { text = "It was due on Monday" }, first.Json);
            Assert.Equal(HttpStatusCode.Created, posted.StatusCode);

            var made = $"made-{Guid.NewGuid():N}";
            var put = await first.SupervisorHttp.PutAsJsonAsync(
                $"/api/agents/{made}", new AgentProfileRequest("Made Agent", ImmutableDictionary<string, int>.Empty.Add(skill, 4), 3), first.Json);
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);

            before = await first.ReadConversationAsync(started.Conversation.Id);
            agentBefore = (await first.SupervisorHttp.GetFromJsonAsync<AgentView>($"/api/agents/{made}", first.Json))!;
            Assert.Equal((ConversationStatus.Assigned, agentId), (before.Status, before.AgentId));
        }
        finally
        {
            await first.DisposeAsync();
        }

        var second = new SqliteSilo(database.Path);
        await second.InitializeAsync();
        try
        {
            var after = await second.ReadConversationAsync(before.Id);
            Assert.Equal((before.Status, before.AgentId, before.CustomerName, before.Topic), (after.Status, after.AgentId, after.CustomerName, after.Topic));
            Assert.Equal(
                before.Messages.Select(m => (m.Sequence, m.From, m.AgentId, m.Text, m.At)),
                after.Messages.Select(m => (m.Sequence, m.From, m.AgentId, m.Text, m.At)));
            Assert.Contains(after.Messages, m => m.Text == "It was due on Monday");

            // The customer's token from before the restart still opens it (the key is configured, not made at start).
            using var customer = second.As(customerToken);
            Assert.Equal(before.Messages.Length, (await customer.GetFromJsonAsync<ConversationView>($"/api/conversations/{before.Id}", second.Json))!.Messages.Length);

            var agentAfter = (await second.SupervisorHttp.GetFromJsonAsync<AgentView>($"/api/agents/{agentBefore.Id}", second.Json))!;
            Assert.Equal(
                (agentBefore.Profile.Name, agentBefore.Profile.Capacity, agentBefore.Profile.Supervisor),
                (agentAfter.Profile.Name, agentAfter.Profile.Capacity, agentAfter.Profile.Supervisor));
            Assert.Equal(agentBefore.Profile.Skills.OrderBy(s => s.Key), agentAfter.Profile.Skills.OrderBy(s => s.Key));
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    [Fact]
    public async Task AStartAcknowledgedBeforeTheSiloProcessIsKilledIsReadBackByTheNextProcessOnTheSameFile()
    {
        using var database = new TempDatabase();
        var settings = new Dictionary<string, string>
        {
            ["Switchboard__Embedded__Storage"] = EmbeddedStorage.Sqlite,
            ["Switchboard__Embedded__Database"] = database.Path,
            // A key of the test's own, so the customer's token outlives the process that signed it.
            ["Switchboard__Auth__SigningKey"] = SiloFixture.SigningKey,
        };
        var json = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web);
        SwitchboardHosting.ConfigureJson(json);

        StartedConversation started;
        await using (var first = SiloProcess.Start("sqlite-killed", settings))
        {
            await first.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
            Assert.Contains($"grain storage sqlite ({database.Path})", await first.WaitForLogAsync(l => l.Contains("Switchboard is serving on", StringComparison.Ordinal), TimeSpan.FromSeconds(10)));
            using var http = new HttpClient { BaseAddress = first.BaseAddress };
            var response = await http.PostAsJsonAsync("/api/conversations", new StartConversation("Grace Hopper", "shipping", "Where is order 1234?"), json);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            started = (await response.Content.ReadFromJsonAsync<StartedConversation>(json))!;
            // SIGKILL: no deactivation, no orderly close of the database; only what was committed counts.
            await first.KillAsync();
        }

        await using var second = SiloProcess.Start("sqlite-restarted", settings);
        await second.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        using var customer = new HttpClient { BaseAddress = second.BaseAddress };
        customer.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", started.CustomerToken);
        var read = (await customer.GetFromJsonAsync<ConversationView>($"/api/conversations/{started.Conversation.Id}", json))!;

        Assert.Equal(("Grace Hopper", "shipping"), (read.CustomerName, read.Topic));
        Assert.Equal(ConversationStatus.Waiting, read.Status);
        Assert.Equal("Where is order 1234?", read.Messages[0].Text);
    }

    [Fact]
    public void EmbeddedDefaultsStoreInTheSqliteFileUnderTheContentRootAndTheStartLineSaysWhere()
    {
        var root = Path.Combine(Path.GetTempPath(), "switchboard-root");

        Assert.Contains($"grain storage sqlite ({Path.Combine(root, "data", "switchboard.db")})", Topology([], root));
        Assert.Contains("grain storage sqlite (/srv/state/chat.db)", Topology(["--Switchboard:Embedded:Database=/srv/state/chat.db"], root));
        Assert.Contains($"grain storage sqlite ({Path.Combine(root, "state.db")})", Topology(["--Switchboard:Embedded:Database", "state.db"], root));
    }

    [Fact]
    public void InMemorySwitchOrSettingKeepsTheOldMemoryStorageAndClustersAndNamedProvidersAreUnchanged()
    {
        Assert.Contains("grain storage memory,", Topology(["--in-memory"], "/srv"));
        Assert.Contains("grain storage memory,", Topology(["--Switchboard:Embedded:Storage=memory"], "/srv"));
        // The switch takes no value: the argument after it is still read as itself.
        var switched = Configuration(EmbeddedStorage.ReadSwitches(["--in-memory", "--Switchboard:Embedded:SiloPort", "12000"]));
        Assert.Equal("12000", switched["Switchboard:Embedded:SiloPort"]);
        Assert.False(EmbeddedStorage.UsesSqlite(switched));

        Assert.Contains("grain storage memory,", Topology(["--Orleans:Clustering:ProviderType=AdoNet"], "/srv"));
        Assert.Contains("grain storage AdoNet,", Topology(["--Orleans:GrainStorage:switchboard:ProviderType=AdoNet"], "/srv"));
        Assert.Throws<InvalidOperationException>(() => Topology(["--Switchboard:Embedded:Storage=sqlit"], "/srv"));
    }

    private static string Topology(string[] args, string contentRoot) =>
        ClusterHosting.DescribeTopology(Configuration(EmbeddedStorage.ReadSwitches(args)), contentRoot);

    private static IConfiguration Configuration(string[] args) => new ConfigurationBuilder().AddCommandLine(args).Build();

    /// <summary>The end-to-end silo with its grain state in <paramref name="database"/>.</summary>
    private sealed class SqliteSilo(string database) : SiloFixture
    {
        protected override void Configure(IDictionary<string, string?> settings)
        {
            settings[EmbeddedStorage.StorageKey] = EmbeddedStorage.Sqlite;
            settings[EmbeddedStorage.DatabaseKey] = database;
        }
    }
}
