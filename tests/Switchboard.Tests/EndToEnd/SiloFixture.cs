using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Switchboard.Hosting;

namespace Switchboard.Tests.EndToEnd;

/// <summary>
/// The real silo process shape in-process: Kestrel on 127.0.0.1 (a free port), the embedded Orleans silo, the hubs
/// and the HTTP API. Test agents and skills come from configuration, one lane (agent + skill) per test.
/// </summary>
public class SiloFixture : IAsyncLifetime
{
    private const int Lanes = 40;
    private int _nextLane;
    private WebApplication _app = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public JsonSerializerOptions Json { get; } = CreateJson();

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Switchboard:Embedded:SiloPort"] = FreePort().ToString(),
            ["Switchboard:Embedded:GatewayPort"] = FreePort().ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Orleans.Runtime.Silo"] = "Error",
            ["Logging:LogLevel:Microsoft.AspNetCore.StaticFiles"] = "Error",
            // Refused connections are expected here (bad-input tests); their stack traces would only be noise.
            ["Logging:LogLevel:Microsoft.AspNetCore.SignalR"] = "Critical",
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

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(settings);
        Customize(builder);
        builder.AddSwitchboard();
        _app = builder.Build();
        _app.MapSwitchboard();
        await _app.StartAsync();

        BaseAddress = new Uri(_app.Urls.Single());
        Http = new HttpClient { BaseAddress = BaseAddress };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>A configured supervisor (it serves only the general queue, which lanes never use).</summary>
    public const string Supervisor = "lane-supervisor";

    /// <summary>An outreach trigger of the tests' own, routed to <see cref="OutreachSkill"/>, which only <see cref="OutreachAgent"/> serves.</summary>
    public const string OutreachTrigger = "testLate";

    public const string OutreachSkill = "outreach-lane";

    public const string OutreachAgent = "outreach-agent";

    /// <summary>Changes a derived fixture makes to the silo before it is built.</summary>
    protected virtual void Customize(WebApplicationBuilder builder)
    {
    }

    /// <summary>An agent id and the one skill only that agent serves, unused by other tests.</summary>
    public (string AgentId, string Skill) NewLane()
    {
        var i = Interlocked.Increment(ref _nextLane) - 1;
        return i < Lanes ? (Agent(i), Skill(i)) : throw new InvalidOperationException("Raise SiloFixture.Lanes.");
    }

    public HubConnection AgentConnection(string agentId) => Connection($"/hubs/agent?agentId={Uri.EscapeDataString(agentId)}");

    public HubConnection CustomerConnection() => Connection("/hubs/customer");

    public async Task<T> ReadAsync<T>(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<T>(Json))!;

    private HubConnection Connection(string path) => new HubConnectionBuilder()
        .WithUrl(new Uri(BaseAddress, path))
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
