using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Xunit.Abstractions;

namespace Switchboard.IntegrationTests.Dependencies;

/// <summary>
/// Orleans' Redis clustering and SignalR's Redis backplane were compiled against StackExchange.Redis 2.x; the project
/// pins a newer major version. .NET loads the newer assembly for them without complaint, and a member it no longer has
/// would only fail when that code path runs. This resolves every StackExchange.Redis type and member both packages
/// reference against the pinned assembly, so an untested path cannot hide a missing one. The cluster tests then prove
/// the behaviour (membership on Redis, pushes across silos).
/// </summary>
public sealed class RedisClientCompatibilityTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("Orleans.Clustering.Redis")]
    [InlineData("Microsoft.AspNetCore.SignalR.StackExchangeRedis")]
    public void EveryRedisClientMemberThePackageCallsExistsInThePinnedVersion(string assemblyName)
    {
        var consumer = Assembly.Load(assemblyName);
        var redis = typeof(StackExchange.Redis.ConnectionMultiplexer).Assembly;
        using var pe = new PEReader(File.OpenRead(consumer.Location));
        var metadata = pe.GetMetadataReader();
        var compiledAgainst = metadata.AssemblyReferences.Select(metadata.GetAssemblyReference)
            .Single(r => metadata.GetString(r.Name) == "StackExchange.Redis").Version;

        var missing = new List<string>();
        var types = 0;
        var members = 0;
        foreach (var handle in metadata.TypeReferences)
        {
            if (!FromRedis(metadata, handle))
            {
                continue;
            }

            types++;
            try
            {
                consumer.ManifestModule.ResolveType(MetadataTokens.GetToken(handle));
            }
            catch (TypeLoadException ex)
            {
                missing.Add($"type {Name(metadata, handle)}: {ex.Message}");
            }
        }

        foreach (var handle in metadata.MemberReferences)
        {
            var reference = metadata.GetMemberReference(handle);
            if (reference.Parent.Kind != HandleKind.TypeReference || !FromRedis(metadata, (TypeReferenceHandle)reference.Parent))
            {
                continue;
            }

            members++;
            try
            {
                consumer.ManifestModule.ResolveMember(MetadataTokens.GetToken(handle));
            }
            catch (Exception ex) when (ex is MissingMemberException or TypeLoadException)
            {
                missing.Add($"{Name(metadata, (TypeReferenceHandle)reference.Parent)}.{metadata.GetString(reference.Name)}: {ex.Message}");
            }
        }

        output.WriteLine($"measured: {assemblyName} was compiled against StackExchange.Redis {compiledAgainst}; "
            + $"all {types} types and {members} members it uses resolve in {redis.GetName().Version} ({Informational(redis)})");
        Assert.True(types > 0 && members > 0, "Found no StackExchange.Redis references: the check would prove nothing.");
        Assert.True(missing.Count == 0, string.Join(Environment.NewLine, missing));
    }

    private static bool FromRedis(MetadataReader metadata, TypeReferenceHandle handle)
    {
        var type = metadata.GetTypeReference(handle);
        return type.ResolutionScope.Kind switch
        {
            HandleKind.AssemblyReference => metadata.GetString(metadata.GetAssemblyReference((AssemblyReferenceHandle)type.ResolutionScope).Name) == "StackExchange.Redis",
            HandleKind.TypeReference => FromRedis(metadata, (TypeReferenceHandle)type.ResolutionScope),
            _ => false,
        };
    }

    private static string Name(MetadataReader metadata, TypeReferenceHandle handle)
    {
        var type = metadata.GetTypeReference(handle);
        return $"{metadata.GetString(type.Namespace)}.{metadata.GetString(type.Name)}".TrimStart('.');
    }

    private static string? Informational(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0];
}
