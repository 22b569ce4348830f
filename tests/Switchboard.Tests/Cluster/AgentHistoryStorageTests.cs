using Switchboard.Agents;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// An agent's history on storage that checks versions on every change, clears included (as Orleans' ADO.NET storage and
/// the PostgreSQL one do): segments that fall out of the kept history are cleared, not left behind.
/// </summary>
public sealed class AgentHistoryStorageTests : IAsyncLifetime
{
    private const int Kept = 2 * AgentHistoryGrain.SegmentSize;
    private ClusterFixture _fixture = null!;

    public async Task InitializeAsync() => _fixture = await ClusterFixture.DeployAsync(new ClusterFixture
    {
        SiloCount = 1,
        Storage = ClusterStorage.Shared,
        KeepClearedRecords = true,
        Configure = options => options.Workspace.HistoryPerAgent = Kept,
    });

    public Task DisposeAsync() => _fixture.DisposeAsync();

    [Fact]
    public async Task SegmentsPastTheKeptHistoryAreClearedOnStorageThatChecksVersions()
    {
        var history = _fixture.Grains.GetGrain<IAgentHistoryGrain>($"agent-{Guid.NewGuid():N}");
        var start = _fixture.Now;
        for (var i = 0; i < 6 * AgentHistoryGrain.SegmentSize; i++)
        {
            await history.RecordAsync(new PastConversation(
                $"conversation-{i:000}", $"Customer {i:000}", "shipping", $"A-{i:000}", start, start.AddMinutes(i), false, "About a kettle"));
        }

        // The kept history spans at most this many sealed segments; the four older ones were cleared.
        Assert.InRange(_fixture.SharedStore!.CountHolding("agent-history-segment"), 1, (Kept / AgentHistoryGrain.SegmentSize) + 1);
        Assert.Equal(Kept, (await history.FindAsync(null, "kettle", 500)).Length);
    }
}
