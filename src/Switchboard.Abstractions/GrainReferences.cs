namespace Switchboard;

/// <summary>
/// Grain references without reflection on every call. <c>IGrainFactory.GetGrain&lt;T&gt;(key)</c> resolves T's grain
/// interface type from its custom attributes each time it is called (a measurable share of a silo's CPU, as many
/// calls as a conversation makes); <see cref="Grain{T}(IGrainFactory, string)"/> resolves T once, through that same
/// path, and then builds references from the grain id and interface type it learned.
/// </summary>
public static class GrainReferences
{
    public static T Grain<T>(this IGrainFactory factory, string key) where T : IGrainWithStringKey
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        var (grainType, interfaceType) = StringKeyed<T>.Types ??= Learn(factory.GetGrain<T>("-"));
        return (T)factory.GetGrain(GrainId.Create(grainType, key), interfaceType);
    }

    public static T Grain<T>(this IGrainFactory factory, long key) where T : IGrainWithIntegerKey
    {
        ArgumentNullException.ThrowIfNull(factory);
        var (grainType, interfaceType) = IntegerKeyed<T>.Types ??= Learn(factory.GetGrain<T>(0));
        return (T)factory.GetGrain(GrainId.Create(grainType, GrainIdKeyExtensions.CreateIntegerKey(key)), interfaceType);
    }

    private static (GrainType, GrainInterfaceType) Learn(IAddressable reference) =>
        reference is GrainReference grain
            ? (grain.GrainId.Type, grain.InterfaceType)
            : throw new InvalidOperationException($"{reference.GetType()} is not a grain reference.");

    // One per interface; a race at the first call resolves it twice, to the same answer.
    private static class StringKeyed<T>
    {
        public static (GrainType, GrainInterfaceType)? Types;
    }

    private static class IntegerKeyed<T>
    {
        public static (GrainType, GrainInterfaceType)? Types;
    }
}
