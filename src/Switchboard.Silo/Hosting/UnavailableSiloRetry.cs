using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace Switchboard.Hosting;

/// <summary>How the silo's edge (hubs, HTTP API) rides through another silo's failure, bound from <c>Switchboard:Cluster</c>.</summary>
public sealed class ClusterCallOptions
{
    public const string Section = "Switchboard:Cluster";

    /// <summary>
    /// How long a client's call is retried inside the silo while the grain it needs is on a silo that failed or
    /// stopped (until the cluster has declared it dead and the grain lives elsewhere). Past it the client is answered
    /// 503 with Retry-After (a HubException starting <c>Unavailable:</c>) and tries again itself.
    /// </summary>
    public TimeSpan UnavailableRetryFor { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>What a 503 tells the client to wait before it tries again.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Retries the grain calls a client's request makes (never a grain's own calls: a grain must not wait out a failure
/// in its turn) when the silo that holds the grain has failed or is stopping. A call that surely never reached the
/// grain (the message was rejected) is always tried again; one whose outcome is unknown (in flight when the silo
/// died, or timed out) only if the method is <see cref="RetrySafeAttribute">retry-safe</see>. Past
/// <see cref="ClusterCallOptions.UnavailableRetryFor"/> the call ends as <see cref="SwitchboardError.Unavailable"/>,
/// which the edges answer 503 + Retry-After, never 500.
/// </summary>
internal sealed class UnavailableSiloRetry(IOptions<ClusterCallOptions> options, TimeProvider time, ILogger<UnavailableSiloRetry> logger)
    : IOutgoingGrainCallFilter
{
    private static readonly Backoff Retry = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));

    // Whether each interface method is retry-safe, read from its attributes once instead of on every call.
    private static readonly ConcurrentDictionary<MethodInfo, bool> RetrySafe = new();
    private readonly ClusterCallOptions _options = options.Value;

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        // Only Switchboard's grains: Orleans' own calls (directory lookups made while addressing a message, ...) have
        // their own retries, which must see their own failures.
        if (context.SourceContext is not null || context.InterfaceMethod?.DeclaringType?.Assembly != typeof(RetrySafeAttribute).Assembly)
        {
            await context.Invoke();
            return;
        }

        // A call to a grain on this silo hands the request object itself to the grain, which clears its arguments
        // once it has run: keep them for a second send.
        var arguments = new object?[context.Request.GetArgumentCount()];
        for (var i = 0; i < arguments.Length; i++)
        {
            arguments[i] = context.Request.GetArgument(i);
        }

        var retrySafe = RetrySafe.GetOrAdd(context.InterfaceMethod!, static method => method.IsDefined(typeof(RetrySafeAttribute), inherit: false));
        var started = time.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await context.Invoke();
                return;
            }
            catch (Exception ex) when (IsUnavailable(ex))
            {
                var neverArrived = ex is OrleansMessageRejectionException and not SiloUnavailableException;
                var waited = time.GetElapsedTime(started);
                var delay = Retry.After(attempt - 1);
                if (!(neverArrived || retrySafe) || waited + delay > _options.UnavailableRetryFor)
                {
                    logger.LogWarning(
                        "{Method} could not be completed after {Attempts} attempts in {Waited:0.0} s while a silo is unavailable: {Reason}",
                        context.MethodName, attempt, waited.TotalSeconds, ex.Message);
                    throw SwitchboardException.Unavailable(
                        neverArrived || retrySafe
                            ? $"a silo of the cluster is being replaced; try again in {_options.RetryAfter.TotalSeconds:0} s."
                            : $"a silo of the cluster failed during this call, which may or may not have been done; read the state before you try again in {_options.RetryAfter.TotalSeconds:0} s.",
                        _options.RetryAfter);
                }

                logger.LogDebug("{Method} failed on attempt {Attempt} ({Reason}); trying again in {Delay} ms", context.MethodName, attempt, ex.GetType().Name, delay.TotalMilliseconds);
                await Task.Delay(delay, time);
                for (var i = 0; i < arguments.Length; i++)
                {
                    context.Request.SetArgument(i, arguments[i]!);
                }
            }
        }
    }

    /// <summary>
    /// The silo failed or is stopping; or, while membership changes, the grain briefly had a second activation and
    /// this one's write was refused as stale (<see cref="InconsistentStateException"/>: Orleans deactivates it, and
    /// the next call reaches the activation that holds the stored state).
    /// </summary>
    private static bool IsUnavailable(Exception ex) => ex is OrleansMessageRejectionException or TimeoutException or Orleans.Storage.InconsistentStateException;
}
