using System.Globalization;

namespace Switchboard.Auth;

/// <summary>
/// <c>dotnet Switchboard.Silo.dll token &lt;agent id&gt; [--supervisor] [--hours N]</c>: prints an agent's token signed
/// with the configured key, read from the same configuration as the silo (appsettings, environment, and any other
/// arguments, such as <c>--contentRoot</c>). For operators and tools until tokens come from an identity provider.
/// The token goes alone to stdout, so <c>$(... token alice)</c> works; what it is goes to stderr.
/// </summary>
public static class TokenCommand
{
    public const string Name = "token";

    public const int Refused = 2;

    public const string Usage = "usage: Switchboard.Silo token <agent id> [--supervisor] [--hours N] [configuration arguments]";

    public static bool IsInvoked(string[] args) => args is [Name, ..];

    public static int Run(string[] args) => Run(args, Console.Out, Console.Error, ReadConfiguration);

    /// <summary>Runs the command with the configuration <paramref name="readConfiguration"/> builds from the arguments it does not take itself.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter errors, Func<string[], IConfiguration> readConfiguration)
    {
        string? agentId = null;
        bool? supervisor = null;
        TimeSpan? lifetime = null;
        var rest = new List<string>();
        for (var i = 1; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--supervisor":
                    supervisor = true;
                    break;
                case "--hours" when i + 1 < args.Count:
                    if (!double.TryParse(args[++i], NumberStyles.Float, CultureInfo.InvariantCulture, out var hours) || hours <= 0 || hours > 24 * 366)
                    {
                        return Fail(errors, $"--hours takes a positive number of hours, not '{args[i]}'.");
                    }

                    lifetime = TimeSpan.FromHours(hours);
                    break;
                case "--help" or "-h":
                    output.WriteLine(Usage);
                    return 0;
                case var option when option.StartsWith('-'):
                    // Configuration, as the silo would read it: --name value or --name=value.
                    rest.Add(option);
                    if (!option.Contains('=', StringComparison.Ordinal) && i + 1 < args.Count)
                    {
                        rest.Add(args[++i]);
                    }

                    break;
                case var id when agentId is null:
                    agentId = id.Trim();
                    break;
                case var extra:
                    return Fail(errors, $"Unexpected '{extra}': one agent id per token.");
            }
        }

        if (string.IsNullOrEmpty(agentId))
        {
            return Fail(errors, "Name the agent the token is for.");
        }

        var configuration = readConfiguration([.. rest]);
        var auth = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        if (auth.SigningKey is null)
        {
            // A key made up here would sign tokens no silo accepts.
            return Fail(errors,
                $"No signing key is configured ({AuthOptions.Section}:SigningKey): a token needs the key the silos check. " +
                "Set the silos' key in the environment (Switchboard__Auth__SigningKey) and run this again. " +
                "(A silo on embedded defaults without a key makes its own at start; ask it with POST /api/dev/token instead.)");
        }

        var problems = auth.Problems().ToList();
        if (problems.Count > 0)
        {
            return Fail(errors, string.Join(" ", problems));
        }

        var configured = configuration.GetSection(SwitchboardOptions.Section).Get<SwitchboardOptions>()?.FindAgent(agentId);
        var isSupervisor = supervisor ?? configured?.Supervisor ?? false;
        var issuer = new TokenIssuer(auth, AuthOptions.KeyBytes(auth.SigningKey)!, TimeProvider.System);
        var issued = issuer.IssueAgent(agentId, isSupervisor, lifetime);

        output.WriteLine(issued.Token);
        errors.WriteLine(
            $"token: agent '{agentId}'{(configured is null ? "" : $" ({configured.Name})")}, roles {(isSupervisor ? "agent, supervisor" : "agent")}, " +
            $"expires {issued.ExpiresAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC; issuer '{auth.Issuer}', audience '{auth.Audience}'.");
        if (configured is null)
        {
            errors.WriteLine(
                $"token: '{agentId}' is not a configured agent (Switchboard:Agents): the silos accept the token, but the agent hub knows " +
                "the agent only if a supervisor created it (PUT /api/agents/{id}). Agent ids are case-sensitive.");
        }

        return 0;
    }

    /// <summary>The silo's own configuration sources, without starting anything.</summary>
    private static IConfiguration ReadConfiguration(string[] args) =>
        WebApplication.CreateBuilder(args).Configuration;

    private static int Fail(TextWriter errors, string message)
    {
        errors.WriteLine($"token: {message}");
        errors.WriteLine(Usage);
        return Refused;
    }
}
