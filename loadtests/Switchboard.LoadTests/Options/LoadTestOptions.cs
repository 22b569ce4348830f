using Switchboard.LoadTests.Simulation;

namespace Switchboard.LoadTests.Options;

/// <summary>The open model injects conversations on a schedule; the closed model keeps a fixed number of customers busy.</summary>
public enum LoadModel
{
    Open,
    Closed,
}

/// <summary>Everything one run needs. A scenario fills in defaults; options on the command line override them.</summary>
public sealed class LoadTestOptions
{
    public string Scenario { get; set; } = "chat";

    public List<Uri> Urls { get; } = [];

    public bool Embedded { get; set; }

    /// <summary>The embedded silo's grain state goes to this SQLite file; null keeps it in memory.</summary>
    public string? EmbeddedDatabase { get; set; }

    /// <summary>
    /// The target's signing key (<c>Switchboard:Auth:SigningKey</c>), to mint the agents' tokens here; null means the
    /// environment's <c>Switchboard__Auth__SigningKey</c>, else the target's development sign-in.
    /// </summary>
    public string? SigningKey { get; set; }

    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan Warmup { get; set; } = TimeSpan.FromSeconds(10);

    public double Rate { get; set; } = 20;

    /// <summary>Phases (<see cref="ArrivalSchedule.Parse"/>); when set, they replace <see cref="Rate"/> and <see cref="Duration"/>.</summary>
    public string? Load { get; set; }

    public ArrivalPattern Arrivals { get; set; } = ArrivalPattern.Poisson;

    public LoadModel Model { get; set; } = LoadModel.Open;

    /// <summary>Closed model: customers each in one conversation at a time.</summary>
    public int Concurrency { get; set; } = 50;

    /// <summary>Closed model: how long a customer waits after one conversation closes before starting the next.</summary>
    public TimeSpan CustomerPause { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Null means sized from the load (<see cref="Staffing"/>).</summary>
    public int? Agents { get; set; }

    public int Capacity { get; set; } = 3;

    public string SkillMix { get; set; } = AgentRoster.DefaultSkillMix;

    public string AgentPrefix { get; set; } = "lt";

    public string Topics { get; set; } = TopicMix.DefaultSpec;

    public ThinkTime AgentThink { get; set; } = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(800));

    public ThinkTime CustomerThink { get; set; } = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(800));

    /// <summary>Messages exchanged after the customer's opening one, agent first, alternating; then the agent resolves.</summary>
    public int Messages { get; set; } = 4;

    /// <summary>Share of conversations a messaging channel starts over HTTP instead of the web chat's SignalR hub.</summary>
    public double HttpShare { get; set; } = 0.2;

    /// <summary>Customer hub connections the web-chat customers share; 0 gives every conversation its own connection.</summary>
    public int CustomerConnections { get; set; } = 16;

    public TimeSpan Sla { get; set; } = TimeSpan.FromSeconds(90);

    public TimeSpan ConversationTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Raw SignalR echoes per second, run beside the load as the latency floor (0 turns it off).</summary>
    public double EchoRate { get; set; } = 20;

    /// <summary>Pacer threads that fire scheduled starts and think-time actions.</summary>
    public int Workers { get; set; } = 2;

    /// <summary>p99 generator lag above this marks the run generator-bound.</summary>
    public TimeSpan MaxLag { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Highest share of failed conversations the run may have and still exit 0.</summary>
    public double FailThreshold { get; set; } = 0.01;

    /// <summary>When set, the run exits 4 if p99 assignment latency is above it.</summary>
    public TimeSpan? SloAssignP99 { get; set; }

    public string Out { get; set; } = Path.Combine("artifacts", "loadtests");

    public TimeSpan Progress { get; set; } = TimeSpan.FromSeconds(5);

    public int Seed { get; set; } = 1;

    /// <summary>"env" or "json": print the agents' configuration and exit.</summary>
    public string? PrintAgents { get; set; }

    public bool Help { get; set; }

    public bool EchoOnly => Scenario == "echo";

    public ArrivalSchedule Schedule() =>
        Load is null ? ArrivalSchedule.Constant(Rate, Duration) : ArrivalSchedule.Parse(Load);

    /// <summary>The measured part of the run (after warm-up).</summary>
    public TimeSpan MeasuredDuration => Model == LoadModel.Open && !EchoOnly ? Schedule().Duration : Duration;

    /// <summary>How long one conversation keeps its agent busy when the server adds nothing: the think times in it.</summary>
    public TimeSpan ExpectedHoldTime()
    {
        var agentTurns = (Messages + 1) / 2 + 1; // its replies, then the resolve
        var customerTurns = Messages / 2;
        return AgentThink.Mean * agentTurns + CustomerThink.Mean * customerTurns;
    }

    /// <summary>Conversations open at once at the peak of the load, by Little's law (arrival rate × hold time).</summary>
    public double ExpectedPeakConcurrency()
    {
        if (Model == LoadModel.Closed)
        {
            return Concurrency;
        }

        var peak = Schedule().Segments.Max(s => Math.Max(s.FromRate, s.ToRate));
        return peak * Math.Max(ExpectedHoldTime().TotalSeconds, 0.05);
    }

    public AgentRoster Roster()
    {
        if (Agents is { } count)
        {
            return AgentRoster.Create(count, Capacity, SkillMix, AgentPrefix);
        }

        var teams = AgentRoster.ParseTeams(SkillMix);
        return AgentRoster.Create(teams, Staffing.TeamSizes(teams, TopicMix.Parse(Topics), ExpectedPeakConcurrency(), Capacity), Capacity, AgentPrefix);
    }

    /// <summary>Applies a scenario's defaults; options given on the command line are applied after this.</summary>
    public static LoadTestOptions ForScenario(string scenario)
    {
        var options = new LoadTestOptions { Scenario = scenario };
        switch (scenario)
        {
            case "chat":
            case "echo":
                break;
            case "routing":
                // Assignment only: the agent resolves at once, so capacity frees immediately and routing is the work.
                options.Messages = 0;
                options.AgentThink = new ThinkTime(TimeSpan.Zero, TimeSpan.FromMilliseconds(5));
                break;
            case "soak":
                options.Model = LoadModel.Closed;
                options.Concurrency = 100;
                options.Duration = TimeSpan.FromMinutes(10);
                options.Warmup = TimeSpan.FromSeconds(30);
                options.Messages = 6;
                options.AgentThink = new ThinkTime(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4));
                options.CustomerThink = new ThinkTime(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4));
                options.Progress = TimeSpan.FromSeconds(15);
                break;
            case "smoke":
                // About 20 s on loopback against an embedded silo: a quick proof that the whole path works.
                options.Embedded = true;
                options.Warmup = TimeSpan.FromSeconds(2);
                options.Duration = TimeSpan.FromSeconds(15);
                options.Rate = 20;
                options.Messages = 2;
                options.AgentThink = new ThinkTime(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(100));
                options.CustomerThink = new ThinkTime(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(100));
                options.ConversationTimeout = TimeSpan.FromSeconds(10);
                options.FailThreshold = 0;
                break;
            default:
                throw new OptionsException($"Unknown scenario '{scenario}'. Scenarios: {string.Join(", ", Scenarios)}.");
        }

        return options;
    }

    public static readonly IReadOnlyList<string> Scenarios = ["chat", "routing", "soak", "smoke", "echo"];
}

/// <summary>A command line the tool cannot run; the message says what to change.</summary>
public sealed class OptionsException(string message) : Exception(message);
