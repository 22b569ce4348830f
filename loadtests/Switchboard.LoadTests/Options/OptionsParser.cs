using System.Globalization;
using Switchboard.Auth;
using Switchboard.LoadTests.Simulation;

namespace Switchboard.LoadTests.Options;

/// <summary>
/// A small hand-written parser: <c>--name value</c> or <c>--name=value</c>, flags without a value. The scenario is
/// read first so its defaults sit under whatever else the command line says, whatever the order.
/// </summary>
public static class OptionsParser
{
    private static readonly HashSet<string> Flags = ["--embedded", "--help", "-h"];

    public const string Usage = """
        Switchboard load test: simulated customers and agents over the real protocols, latency as HdrHistogram percentiles.

        usage: Switchboard.LoadTests [--scenario NAME] (--embedded | --url URL[,URL...]) [options]

        target
          --embedded                 start a silo in this process (loopback, free port, generated agents)
          --embedded-database FILE   its grain state in this SQLite file, as embedded defaults keep it
                                     (default: memory)
          --url URL[,URL...]         a running silo or cluster; repeat or separate with commas
          --signing-key KEY          the target's Switchboard:Auth:SigningKey, to sign the agents' tokens here
                                     (default: env Switchboard__Auth__SigningKey, else POST /api/dev/token per agent)
          --print-agents env|json    print the configuration the target needs for the agents, then exit
          --agent-prefix P           agent ids are P0001, P0002, ... (default lt)

        scenario and load
          --scenario NAME            chat (default), routing, soak, smoke, echo
          --model open|closed        open: inject on a schedule (default); closed: fixed customers (soak)
          --rate R                   open model: new conversations per second (default 20)
          --duration D               measured time (default 60s); with --load, the phases set it
          --warmup D                 run before measuring at the first rate (default 10s)
          --load "PHASE, PHASE"      const R D | ramp FROM TO D | burst BASE PEAK LEN/EVERY D
          --arrivals poisson|even    spacing of arrivals (default poisson, seeded)
          --concurrency N            closed model: customers at once (default 50)
          --customer-pause D         closed model: pause between a customer's conversations (default 1s)

        people
          --agents N|auto            simulated agents (default auto: square-root staffing for the peak)
          --capacity N               conversations per agent at once (default 3)
          --skill-mix SPEC           teams: skill[:prof][+skill...]=weight (default one team per topic)
          --topics SPEC              customer topics: topic=weight (default shipping=42,returns=30,
                                     payment=15,account=8,general=5)
          --messages N               messages after the opening one, agent first (default 4)
          --agent-think T            before each agent action: 300ms or 200ms..1s (default 200ms..800ms)
          --customer-think T         before each customer reply (default 200ms..800ms)
          --http-share F             share of conversations started over HTTP (default 0.2)
          --customer-connections N   shared customer hub connections; 0 = one per conversation (default 16)

        measurement and verdict
          --sla D                    first-response SLA for attainment (default 90s)
          --conversation-timeout D   a conversation not closed by then fails (default 60s)
          --echo-rate R              raw SignalR echoes per second as the floor; 0 = off (default 20)
          --workers N                pacer threads (default 2)
          --max-lag D                p99 generator lag that marks the run generator-bound (default 5ms)
          --fail-threshold F         highest failed share that still exits 0: 0.01 or 1% (default 1%)
          --slo-p99 D                exit 4 if p99 assignment latency is above D
          --progress D               console progress interval (default 5s)
          --out DIR                  reports go to DIR/<time>-<scenario>/ (default artifacts/loadtests)
          --seed N                   arrivals, topics and think times (default 1)

        exit: 0 ok, 1 failures over the threshold or over-capacity, 2 bad command line, 3 target unreachable or agents
        cannot sign in, 4 SLO missed
        """;

    public static LoadTestOptions Parse(IReadOnlyList<string> args)
    {
        var pairs = new List<(string Name, string? Value)>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith('-'))
            {
                throw new OptionsException($"Unexpected '{arg}'; options start with --. Try --help.");
            }

            var equals = arg.IndexOf('=');
            if (equals > 0)
            {
                pairs.Add((arg[..equals], arg[(equals + 1)..]));
            }
            else if (Flags.Contains(arg))
            {
                pairs.Add((arg, null));
            }
            else if (i + 1 < args.Count)
            {
                pairs.Add((arg, args[++i]));
            }
            else
            {
                throw new OptionsException($"{arg} needs a value. Try --help.");
            }
        }

        var scenario = pairs.LastOrDefault(p => p.Name == "--scenario").Value ?? "chat";
        var options = LoadTestOptions.ForScenario(scenario.ToLowerInvariant());
        foreach (var (name, value) in pairs)
        {
            try
            {
                Apply(options, name, value ?? "");
            }
            catch (FormatException ex)
            {
                throw new OptionsException($"{name}: {ex.Message}");
            }
        }

        Validate(options);
        return options;
    }

    private static void Apply(LoadTestOptions o, string name, string value)
    {
        switch (name)
        {
            case "--scenario": break;
            case "--help" or "-h": o.Help = true; break;
            case "--embedded": o.Embedded = true; break;
            case "--embedded-database": o.EmbeddedDatabase = value.Length > 0 ? Path.GetFullPath(value) : throw new FormatException("name a file."); break;
            case "--url":
                foreach (var url in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    o.Urls.Add(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                        ? uri
                        : throw new FormatException($"'{url}' is not an http(s) URL."));
                }

                break;
            case "--signing-key":
                o.SigningKey = AuthOptions.KeyBytes(value) is { Length: >= AuthOptions.MinKeyBytes }
                    ? value
                    : throw new FormatException($"a key is at least {AuthOptions.MinKeyBytes} bytes: UTF-8 text, or base64: followed by base64.");
                break;
            case "--print-agents": o.PrintAgents = value is "env" or "json" ? value : throw new FormatException("write env or json."); break;
            case "--agent-prefix": o.AgentPrefix = value.Length > 0 ? value : throw new FormatException("the prefix may not be empty."); break;
            case "--model": o.Model = Enum<LoadModel>(value); break;
            case "--rate": o.Rate = Number(value); break;
            case "--duration": o.Duration = Durations.Parse(value); break;
            case "--warmup": o.Warmup = Durations.Parse(value); break;
            case "--load": o.Load = value; _ = ArrivalSchedule.Parse(value); break;
            case "--arrivals": o.Arrivals = Enum<ArrivalPattern>(value); break;
            case "--concurrency": o.Concurrency = Whole(value); break;
            case "--customer-pause": o.CustomerPause = Durations.Parse(value); break;
            case "--agents": o.Agents = value == "auto" ? null : Whole(value); break;
            case "--capacity": o.Capacity = Whole(value); break;
            case "--skill-mix": o.SkillMix = value; break;
            case "--topics": o.Topics = value; _ = TopicMix.Parse(value); break;
            case "--messages": o.Messages = Whole(value); break;
            case "--agent-think": o.AgentThink = ThinkTime.Parse(value); break;
            case "--customer-think": o.CustomerThink = ThinkTime.Parse(value); break;
            case "--http-share": o.HttpShare = Share(value); break;
            case "--customer-connections": o.CustomerConnections = Whole(value); break;
            case "--sla": o.Sla = Durations.Parse(value); break;
            case "--conversation-timeout": o.ConversationTimeout = Durations.Parse(value); break;
            case "--echo-rate": o.EchoRate = Number(value); break;
            case "--workers": o.Workers = Whole(value); break;
            case "--max-lag": o.MaxLag = Durations.Parse(value); break;
            case "--fail-threshold": o.FailThreshold = Share(value); break;
            case "--slo-p99": o.SloAssignP99 = Durations.Parse(value); break;
            case "--progress": o.Progress = Durations.Parse(value); break;
            case "--out": o.Out = value; break;
            case "--seed": o.Seed = Whole(value); break;
            default: throw new OptionsException($"Unknown option {name}. Try --help.");
        }
    }

    private static void Validate(LoadTestOptions o)
    {
        if (o.Help || o.PrintAgents is not null)
        {
            return;
        }

        if (o.Embedded == (o.Urls.Count > 0))
        {
            throw new OptionsException("Name a target: --embedded, or --url with a running silo (or several for a cluster).");
        }

        if (o.EmbeddedDatabase is not null && !o.Embedded)
        {
            throw new OptionsException("--embedded-database is for --embedded: a silo the tool does not start has its own storage.");
        }

        if (o.Duration <= TimeSpan.Zero || o.Warmup < TimeSpan.Zero)
        {
            throw new OptionsException("--duration must be positive and --warmup not negative.");
        }

        if (o.Workers < 1 || o.Capacity < 1 || o.Concurrency < 1 || o.Agents is < 1)
        {
            throw new OptionsException("--workers, --capacity, --concurrency and --agents must be at least 1.");
        }

        if (o.Model == LoadModel.Open && o.Load is null && o.Rate <= 0 && !o.EchoOnly)
        {
            throw new OptionsException("--rate must be positive.");
        }

        if (o.Progress < TimeSpan.FromMilliseconds(250))
        {
            throw new OptionsException("--progress must be at least 250ms.");
        }

        var roster = o.Roster();
        var served = roster.Skills.ToHashSet();
        var unserved = TopicMix.Parse(o.Topics).Topics.Where(t => !served.Contains(t)).ToList();
        if (unserved.Count > 0)
        {
            throw new OptionsException($"No agent serves topic(s) {string.Join(", ", unserved)}: add them to --skill-mix or raise --agents.");
        }
    }

    private static double Number(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0
            ? n
            : throw new FormatException($"'{value}' is not a number ≥ 0.");

    private static int Whole(string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0
            ? n
            : throw new FormatException($"'{value}' is not a whole number ≥ 0.");

    /// <summary>A share as 0.05 or 5%.</summary>
    private static double Share(string value)
    {
        var percent = value.EndsWith('%');
        var n = Number(percent ? value[..^1] : value) / (percent ? 100 : 1);
        return n <= 1 ? n : throw new FormatException($"'{value}' is not a share between 0 and 1 (or 0% and 100%).");
    }

    private static T Enum<T>(string value)
        where T : struct, Enum =>
        System.Enum.TryParse<T>(value, ignoreCase: true, out var result) && System.Enum.IsDefined(result)
            ? result
            : throw new FormatException($"'{value}' is not one of {string.Join(", ", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
}
