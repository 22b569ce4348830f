using System.Buffers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Serialization;
using Orleans.Storage;

namespace Switchboard.Storage;

/// <summary>
/// How grain state is written, whatever the storage: Orleans' own binary format, which the state types are written for
/// ([GenerateSerializer] with stable [Id]s and [Alias]es). Orleans' default JSON storage format writes an agent's
/// skills (an immutable dictionary) but cannot read them back, and is several times larger: in memory storage a waiting
/// conversation's JSON (with type names) took 2.3 KB, its binary form about a fifth of that. Each payload is an array
/// of exactly its length, because memory storage keeps what it is given for as long as the grain's state exists.
/// </summary>
public sealed class GrainStateFormat(Serializer serializer) : IGrainStorageSerializer
{
    public BinaryData Serialize<T>(T? value)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        serializer.Serialize(value, buffer);
        return new BinaryData(buffer.WrittenSpan.ToArray());
    }

    public T? Deserialize<T>(BinaryData input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return serializer.Deserialize<T>(input.ToMemory());
    }

    /// <summary>Registers the format for Switchboard's storage name (a provider's own SerializerKey setting still wins).</summary>
    public static ISiloBuilder AddTo(ISiloBuilder silo)
    {
        silo.Services.TryAddKeyedSingleton<IGrainStorageSerializer>(
            SwitchboardOptions.StorageName,
            (services, _) => new GrainStateFormat(services.GetRequiredService<Serializer>()));
        return silo;
    }
}
