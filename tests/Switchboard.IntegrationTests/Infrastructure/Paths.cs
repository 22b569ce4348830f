using System.Reflection;

namespace Switchboard.IntegrationTests.Infrastructure;

/// <summary>Where the build put things; the test project records the paths at build time.</summary>
public static class Paths
{
    /// <summary>The silo's build output (built before these tests as a project reference).</summary>
    public static string SiloAssembly => Metadata(nameof(SiloAssembly));

    /// <summary>The silo's project folder, its content root: appsettings.json and wwwroot, as 'dotnet run' sees them.</summary>
    public static string SiloProjectDirectory => Metadata(nameof(SiloProjectDirectory));

    public static string RepositoryRoot => Metadata(nameof(RepositoryRoot));

    private static string Metadata(string key) =>
        typeof(Paths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
