namespace Switchboard.Agents;

/// <summary>
/// How an agent's connection names the process that holds it. A silo is named by its address, which membership says
/// is alive or dead; a gateway (an Orleans client, not a member) by <see cref="Gateway"/>, so nobody mistakes it for a
/// silo: its connections stay until it stops confirming them (three refresh periods).
/// </summary>
public static class ConnectionHosts
{
    private const string GatewayPrefix = "gateway/";

    /// <summary>A name for one gateway process, unique across restarts: <c>gateway/machine/pid/random</c>.</summary>
    public static string Gateway(string machine, int processId) =>
        $"{GatewayPrefix}{machine}/{processId}/{Guid.NewGuid().ToString("N")[..8]}";

    public static bool IsGateway(string host) => host.StartsWith(GatewayPrefix, StringComparison.Ordinal);
}
