using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Switchboard.Limits;

namespace Switchboard.Hosting;

/// <summary>
/// What a silo writes about calls it refuses: one short line each, within a budget per caller
/// (<see cref="RefusalLog"/>), instead of an Error with a stack trace per call.
/// </summary>
public static class LoggingHosting
{
    /// <summary>
    /// The category of SignalR's hub dispatcher (<c>ILogger&lt;DefaultHubDispatcher&lt;THub&gt;&gt;</c>: the type's full
    /// name without its generic arity; seen in a test log). It logs whatever a hub method throws at Error with the
    /// stack, a <see cref="Microsoft.AspNetCore.SignalR.HubException"/> refusal included: one stranger's loop of refused
    /// calls wrote 21.6 MB in 20 s.
    /// </summary>
    public const string HubDispatcherCategory = "Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher";

    public static WebApplicationBuilder AddSwitchboardLogging(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RefusalLog>();

        // Its Error lines are its "failed to invoke" (and, for streaming methods, which Switchboard has none of, "failed
        // while streaming"): SwitchboardHubFilter writes the one line each of those deserves. Its other lines are Debug
        // and Trace and stay as configured, for an operator who turns them on.
        builder.Services.AddSingleton<IPostConfigureOptions<LoggerFilterOptions>>(new DropErrorLines(HubDispatcherCategory));

        // A bad token is logged by the JWT handler at Information with a stack trace (hidden at the shipped
        // Microsoft.AspNetCore level, where it writes nothing at all); this is the budgeted line operators see instead.
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .PostConfigure<RefusalLog>((jwt, refusals) =>
            {
                jwt.Events ??= new JwtBearerEvents();
                var next = jwt.Events.OnAuthenticationFailed;
                jwt.Events.OnAuthenticationFailed = context =>
                {
                    refusals.Token(context.HttpContext, context.Exception);
                    return next(context);
                };
            });
        return builder;
    }
}

/// <summary>
/// Drops one category's Error lines and leaves every other level of it as the configuration says.
/// <para>
/// A logging rule can only be a level and a filter on (provider, category, level), and the logging library applies the
/// single best rule per provider and category. So, after the configuration is bound (and again whenever it reloads),
/// this adds a rule for the exact category for each provider that has rules of its own, and one for all the others,
/// each keeping the level that provider would otherwise give the category and refusing Error. A rule of level Warning
/// alone would lose the dispatcher's Debug lines for good; a filter with no level would let its Debug lines through
/// in production.
/// </para>
/// </summary>
public sealed class DropErrorLines(string category) : IPostConfigureOptions<LoggerFilterOptions>
{
    public void PostConfigure(string? name, LoggerFilterOptions options)
    {
        var added = options.Rules.Select(r => r.ProviderName).Append(null).Distinct(StringComparer.Ordinal)
            .Select(provider =>
            {
                var (level, filter) = Configured(options, provider);
                return new LoggerFilterRule(provider, category, level, (p, c, l) => l != LogLevel.Error && (filter is null || filter(p, c, l)));
            })
            .ToList();
        foreach (var rule in added)
        {
            options.Rules.Add(rule);
        }
    }

    // The rule the logging library would pick for this category and provider: a provider's own rules over rules for
    // all providers, then the longest matching category, then the last one added.
    private (LogLevel? Level, Func<string?, string?, LogLevel, bool>? Filter) Configured(LoggerFilterOptions options, string? provider)
    {
        LoggerFilterRule? best = null;
        foreach (var rule in options.Rules)
        {
            if ((rule.ProviderName is null || rule.ProviderName == provider) && Covers(rule.CategoryName)
                && (best is null || Rank(rule) >= Rank(best)))
            {
                best = rule;
            }
        }

        return best is null ? (options.MinLevel, null) : (best.LogLevel, best.Filter);
    }

    private static int Rank(LoggerFilterRule rule) => (rule.ProviderName is null ? 0 : 100_000) + (rule.CategoryName?.Length ?? 0);

    // A rule's category is a prefix of the category, or a pattern with one '*' (both ignoring case, as configured).
    private bool Covers(string? ruleCategory)
    {
        if (ruleCategory is null)
        {
            return true;
        }

        var star = ruleCategory.IndexOf('*');
        var (prefix, suffix) = star < 0 ? (ruleCategory, "") : (ruleCategory[..star], ruleCategory[(star + 1)..]);
        return category.Length >= prefix.Length + suffix.Length
            && category.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
            && category.EndsWith(suffix, StringComparison.OrdinalIgnoreCase);
    }
}
