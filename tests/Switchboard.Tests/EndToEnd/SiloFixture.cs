using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Agents;
using Switchboard.Auth;
using Switchboard.Conversations;
using Switchboard.Hosting;
using Switchboard.Hubs;

namespace Switchboard.Tests.EndToEnd;

/// <summary>
/// The real silo process shape in-process: Kestrel on 127.0.0.1 (a free port), the embedded Orleans silo, the hubs
/// and the HTTP API. Test agents and skills come from configuration, one lane (agent + skill) per test.
/// </summary>
public class SiloFixture : IAsyncLifetime
{
    private const int Lanes = 160;
    private int _nextLane;
    private LoopbackSilo _silo = null!;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The silo's services, for what the HTTP API does not show (how Orleans was configured).</summary>
    public IServiceProvider Services => _silo.Services;

    /// <summary>No credentials: what anyone on the internet may do.</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>With the lane supervisor's token: reads everything.</summary>
    public HttpClient SupervisorHttp { get; private set; } = null!;

    /// <summary>The silo's grains, for what only they can tell (which grains are active).</summary>
    public IGrainFactory Grains => _silo.Services.GetRequiredService<IGrainFactory>();

    /// <summary>Signs the tokens this silo accepts (its development key).</summary>
    public TokenIssuer Tokens { get; private set; } = null!;

    /// <summary>The secret of the test channel <see cref="Channel"/>.</summary>
    public const string ChannelSecret = "test-channel-secret-0123456789";

    public const string Channel = "testchat";

    public const string SigningKey = "end-to-end-tests-signing-key-0123456789";

    public JsonSerializerOptions Json { get; } = CreateJson();

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Orleans.Runtime.Silo"] = "Error",
            ["Logging:LogLevel:Microsoft.AspNetCore.StaticFiles"] = "Error",
            // Refused connections are expected here (bad-input tests); their stack traces would only be noise.
            ["Logging:LogLevel:Microsoft.AspNetCore.SignalR"] = "Critical",
            ["Logging:LogLevel:Microsoft.AspNetCore.Authentication"] = "Error",
            [$"Switchboard:Channels:{Channel}:Secret"] = ChannelSecret,
            // A known key, so a test can sign tokens the silo did not issue (expired ones, say); the development
            // sign-in stays on as it is on embedded defaults.
            ["Switchboard:Auth:SigningKey"] = SigningKey,
            ["Switchboard:Auth:DevelopmentSignIn"] = "true",
            // Every test here starts its conversations from 127.0.0.1, many of them on one connection, and leaves
            // most open: the per-client limits on open conversations would soon refuse them. CapsTests has its own silo.
            ["Switchboard:Limits:OpenConversationsPerConnection"] = "0",
            ["Switchboard:Limits:OpenConversationsPerAddress"] = "0",
        };
        for (var i = 0; i < Lanes; i++)
        {
            settings[$"Switchboard:Skills:{Skill(i)}:DisplayName"] = $"Test lane {i}";
            settings[$"Switchboard:Agents:{Agent(i)}:Name"] = $"Agent {i}";
            settings[$"Switchboard:Agents:{Agent(i)}:Capacity"] = "2";
            settings[$"Switchboard:Agents:{Agent(i)}:Skills:{Skill(i)}"] = "3";
        }

        settings[$"Switchboard:Agents:{Supervisor}:Name"] = "Lane Supervisor";
        settings[$"Switchboard:Agents:{Supervisor}:Supervisor"] = "true";
        settings[$"Switchboard:Agents:{Supervisor}:Capacity"] = "1";
        settings[$"Switchboard:Agents:{Supervisor}:Skills:general"] = "5";

        settings[$"Switchboard:Skills:{OutreachSkill}:DisplayName"] = "Outreach lane";
        settings[$"Switchboard:Agents:{OutreachAgent}:Name"] = "Outreach Agent";
        settings[$"Switchboard:Agents:{OutreachAgent}:Capacity"] = "3";
        settings[$"Switchboard:Agents:{OutreachAgent}:Skills:{OutreachSkill}"] = "3";
        settings[$"Switchboard:Customers:Outreach:Triggers:{OutreachTrigger}:Skill"] = OutreachSkill;
        settings[$"Switchboard:Customers:Outreach:Triggers:{OutreachTrigger}:Template"] = "Hello {name}, your order {order} is late. We are on it.";
        settings[$"Switchboard:Customers:Outreach:Triggers:{OutreachTrigger}:Priority"] = "2";
        settings[$"Switchboard:Customers:Outreach:Triggers:{OutreachTrigger}:Reason"] = "Delivery more than 24 h late";

        Configure(settings);
        _silo = await LoopbackSilo.StartAsync(new WebApplicationOptions { EnvironmentName = "Testing" }, settings, Customize);
        BaseAddress = _silo.BaseAddress;
        Tokens = _silo.Services.GetRequiredService<TokenIssuer>();
        Http = new HttpClient { BaseAddress = BaseAddress };
        SupervisorHttp = As(AgentToken(Supervisor));
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        SupervisorHttp.Dispose();
        await StoppingOnFakeTime.StopAsync(Clock, _silo.DisposeAsync().AsTask());
    }

    /// <summary>The fake clock the silo's grains run on, if the fixture gives them one.</summary>
    protected virtual Microsoft.Extensions.Time.Testing.FakeTimeProvider? Clock => null;

    /// <summary>A configured supervisor (it serves only the general queue, which lanes never use).</summary>
    public const string Supervisor = "lane-supervisor";

    /// <summary>An outreach trigger of the tests' own, routed to <see cref="OutreachSkill"/>, which only <see cref="OutreachAgent"/> serves.</summary>
    public const string OutreachTrigger = "testLate";

    public const string OutreachSkill = "outreach-lane";

    public const string OutreachAgent = "outreach-agent";

    /// <summary>
    /// Changes a derived fixture makes to the silo before it is built: services, Kestrel, settings of its own (added
    /// before the fixture's, which win where both name a key).
    /// </summary>
    protected virtual void Customize(WebApplicationBuilder builder)
    {
    }

    /// <summary>Changes a derived fixture makes to the fixture's own settings (they win over <see cref="Customize"/>'s).</summary>
    protected virtual void Configure(IDictionary<string, string?> settings)
    {
    }

    /// <summary>An agent id and the one skill only that agent serves, unused by other tests.</summary>
    public (string AgentId, string Skill) NewLane()
    {
        var i = Interlocked.Increment(ref _nextLane) - 1;
        return i < Lanes ? (Agent(i), Skill(i)) : throw new InvalidOperationException("Raise SiloFixture.Lanes.");
    }

    /// <summary>A token for a configured agent (the lane supervisor's carries the supervisor role).</summary>
    public string AgentToken(string agentId) => Tokens.IssueAgent(agentId, supervisor: agentId == Supervisor).Token;

    public HubConnection AgentConnection(string agentId) => AgentConnectionWithToken(AgentToken(agentId));

    /// <summary>An agent hub connection presenting <paramref name="token"/> (null: none).</summary>
    public HubConnection AgentConnectionWithToken(string? token)
    {
        var connection = Connection(AgentHub.Path, token);
        AgentConnections.AddOrUpdate(connection, token);
        return connection;
    }

    // The agent connections fixtures made: HubTests.ConnectAsync signs them in as an agent does in the console.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<HubConnection, string?> AgentConnections = new();

    public static bool IsAgentConnection(HubConnection connection) => AgentConnections.TryGetValue(connection, out _);

    /// <summary>
    /// Starts an agent's connection and chooses Online, as an agent does in the console: the silo signs agents in Away
    /// (<c>Switchboard:SignInStatus</c>), and routes them nothing until they choose Online.
    /// </summary>
    public static async Task<HubConnection> SignInOnlineAsync(HubConnection agent)
    {
        await agent.StartAsync();
        var view = await agent.InvokeAsync<AgentView>(nameof(AgentHub.SetPresence), AgentPresence.Online);
        Assert.Equal(AgentPresence.Online, view.Presence);
        return agent;
    }

    public HubConnection CustomerConnection() => Connection(CustomerHub.Path, null);

    /// <summary>An HTTP client that sends <paramref name="token"/> as its bearer token.</summary>
    public HttpClient As(string token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Starts a conversation over the public HTTP API; the answer carries the customer's token.</summary>
    public async Task<StartedConversation> StartOverHttpAsync(StartConversation start)
    {
        var response = await Http.PostAsJsonAsync("/api/conversations", start, Json);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await ReadAsync<StartedConversation>(response);
    }

    /// <summary>Asserts a refused request left the conversation as it was: status, agent, topic and every message.</summary>
    public async Task AssertUnchangedAsync(ConversationView before)
    {
        var after = await ReadConversationAsync(before.Id);
        Assert.Equal((before.Status, before.AgentId, before.Topic), (after.Status, after.AgentId, after.Topic));
        Assert.Equal(before.Messages.Select(m => (m.Sequence, m.Text)), after.Messages.Select(m => (m.Sequence, m.Text)));
    }

    /// <summary>The conversation as a supervisor reads it.</summary>
    public async Task<ConversationView> ReadConversationAsync(string id) =>
        (await SupervisorHttp.GetFromJsonAsync<ConversationView>($"/api/conversations/{id}", Json))!;

    public async Task<T> ReadAsync<T>(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<T>(Json))!;

    private HubConnection Connection(string path, string? token) => new HubConnectionBuilder()
        .WithUrl(new Uri(BaseAddress, path), o =>
        {
            if (token is not null)
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            }
        })
        .AddJsonProtocol(o => SwitchboardHosting.ConfigureJson(o.PayloadSerializerOptions))
        .Build();

    private static string Skill(int i) => $"lane-{i:00}";

    private static string Agent(int i) => $"lane-agent-{i:00}";

    private static JsonSerializerOptions CreateJson()
    {
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        SwitchboardHosting.ConfigureJson(json);
        return json;
    }
}

/// <summary>A refusal is a problem-details body with the expected status.</summary>
public static class HttpAssert
{
    public static async Task<Microsoft.AspNetCore.Mvc.ProblemDetails> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Mvc.ProblemDetails>();
        Assert.Equal((int)expected, problem!.Status);
        return problem;
    }
}

[CollectionDefinition(Name)]
public sealed class SiloCollection : ICollectionFixture<SiloFixture>
{
    public const string Name = "silo over kestrel";
}

/// <summary>Collects what a hub pushes and lets a test wait for the next matching push.</summary>
public sealed class Inbox<T>
{
    private readonly Lock _lock = new();
    private readonly List<T> _items = [];
    private readonly List<(Func<T, bool> Match, TaskCompletionSource<T> Done)> _waiters = [];

    public Inbox(HubConnection connection, string method) => connection.On<T>(method, Add);

    /// <summary>Everything pushed so far, in the order it arrived.</summary>
    public IReadOnlyList<T> Received
    {
        get
        {
            lock (_lock)
            {
                return [.. _items];
            }
        }
    }

    public Task<T> WaitAsync(Func<T, bool> match, TimeSpan? timeout = null)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            foreach (var item in _items)
            {
                if (match(item))
                {
                    return Task.FromResult(item);
                }
            }

            _waiters.Add((match, done));
        }

        return done.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(20));
    }

    private void Add(T item)
    {
        lock (_lock)
        {
            _items.Add(item);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(item))
                {
                    _waiters[i].Done.TrySetResult(item);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
