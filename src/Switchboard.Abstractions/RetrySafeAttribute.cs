namespace Switchboard;

/// <summary>
/// Marks a grain method that may be sent again after a failure that leaves unknown whether it ran (its silo died with
/// the call in flight): running it twice changes nothing more than running it once. The silo's edge retries these
/// through a silo failure; others are retried only when the call surely never reached the grain.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class RetrySafeAttribute : Attribute;
