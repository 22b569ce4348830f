using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Serialization;
using Switchboard.Conversations;

namespace Switchboard.Tests.Cluster;

/// <summary>
/// A conversation's messages are stored in pages (four here): the conversation's own stored state never holds a full
/// page, whatever the transcript's length, and every message comes back, in order, from a new activation.
/// </summary>
public sealed class TranscriptPageTests : IAsyncLifetime
{
    private const int PageSize = 4;
    private ClusterFixture _fixture = null!;

    public async Task InitializeAsync() => _fixture = await ClusterFixture.DeployAsync(new ClusterFixture
    {
        SiloCount = 1,
        Storage = ClusterStorage.Shared,
        Configure = options => options.Limits.MessagesPerPage = PageSize,
    });

    public Task DisposeAsync() => _fixture.DisposeAsync();

    private SharedGrainStore Store => _fixture.SharedStore!;

    private Serializer Serializer => _fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<Serializer>();

    [Fact]
    public async Task ALongConversationKeepsItsStoredStateSmallAndComesBackWhole()
    {
        var (conversation, id) = await _fixture.StartAsync(_fixture.NewSkill(), text: "message 1");
        // The opening message and the acknowledgement; then 38 more from the customer, each with a client id.
        for (var i = 3; i <= 40; i++)
        {
            await conversation.PostCustomerMessageAsync($"message {i}", $"message-{i}");
            var stored = StoredState(id);
            Assert.InRange(stored.Messages.Count, 0, PageSize - 1);
            Assert.Equal(i / PageSize, stored.Pages.Count);
            Assert.Equal(i, stored.Pages.Count * PageSize + stored.Messages.Count);
        }

        await Deactivate(conversation);

        var view = await conversation.GetAsync();
        Assert.Equal(Enumerable.Range(1, 40), view.Messages.Select(m => m.Sequence));
        Assert.Equal("message 1", view.Messages[0].Text);
        Assert.Equal("message 40", view.Messages[^1].Text);
        Assert.Equal(MessageAuthor.System, view.Messages[1].From);

        // A retry of a message that is in a sealed page is answered with it, not stored again.
        var retry = await conversation.PostCustomerMessageAsync("message 5", "message-5");
        Assert.True(retry.Replayed);
        Assert.Equal(5, retry.Message.Sequence);
        var reused = await Assert.ThrowsAsync<SwitchboardException>(() => conversation.PostCustomerMessageAsync("something else", "message-6"));
        Assert.Contains("already used", reused.Message, StringComparison.Ordinal);

        var next = await conversation.PostCustomerMessageAsync("message 41", "message-41");
        Assert.False(next.Replayed);
        Assert.Equal(41, next.Message.Sequence);
    }

    [Fact]
    public async Task APageStoredWithoutTheStateThatCountsItIsWrittenOverAndNothingIsDuplicated()
    {
        var (conversation, id) = await _fixture.StartAsync(_fixture.NewSkill(), text: "message 1");
        await conversation.PostCustomerMessageAsync("message 3", "message-3");

        // The fourth message fills the first page: the page is written, then the state write fails.
        // Only transcript pages are counted: other grains (deadline shards, customers) write when they please.
        var records = Store.CountOf("transcript");
        Store.Refuse("conversation");
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => conversation.PostCustomerMessageAsync("message 4", "message-4"));
        }
        finally
        {
            Store.Accept("conversation");
        }

        Assert.Equal(records + 1, Store.CountOf("transcript"));
        Assert.Empty(StoredState(id).Pages);

        // The client tries again: stored once, as message 4, over the orphaned page.
        var retried = await conversation.PostCustomerMessageAsync("message 4", "message-4");
        Assert.False(retried.Replayed);
        Assert.Equal(4, retried.Message.Sequence);
        await conversation.PostCustomerMessageAsync("message 5", "message-5");

        await Deactivate(conversation);
        var view = await conversation.GetAsync();
        Assert.Equal(["message 1", null, "message 3", "message 4", "message 5"], view.Messages.Select(m => m.From == MessageAuthor.System ? null : m.Text));
        Assert.Equal(Enumerable.Range(1, 5), view.Messages.Select(m => m.Sequence));
        // The page that counts was written under a name of its own, beside the orphan nobody reads.
        var stored = StoredState(id);
        var page = Assert.Single(stored.Pages);
        Assert.NotNull(Store.Read("transcript", Transcript.PageId(id, 0, page)));
        Assert.Equal(records + 2, Store.CountOf("transcript"));
    }

    [Fact]
    public async Task AConversationStoredWithEveryMessageInItsStateIsReadAndThenPaged()
    {
        // As stored before pages existed: ten messages in the state, a resolved conversation that may still be rated.
        var (conversation, id) = await _fixture.StartAsync(_fixture.NewSkill(), text: "message 1");
        await Deactivate(conversation);
        var old = StoredState(id);
        old.Status = ConversationStatus.Resolved;
        old.ResolvedAt = old.StartedAt.AddMinutes(5);
        old.FirstResponseAt = old.StartedAt.AddMinutes(1);
        old.Queues.Clear();
        for (var i = 3; i <= 10; i++)
        {
            old.Messages.Add(new ChatMessage(i, i % 2 == 0 ? MessageAuthor.Agent : MessageAuthor.Customer, i % 2 == 0 ? "agent-1" : null, $"message {i}", old.StartedAt.AddSeconds(i)));
        }

        old.MessageIds["message-3"] = 3;
        var (_, etag) = Store.Read("conversation", ConversationId(id))!.Value;
        Store.Write("conversation", ConversationId(id), etag, Serializer.SerializeToArray(old));

        Assert.Equal(Enumerable.Range(1, 10), (await conversation.GetAsync()).Messages.Select(m => m.Sequence));

        // Its next change stores it in pages.
        await conversation.RateAsync(5, null);
        var paged = StoredState(id);
        Assert.Equal(2, paged.Pages.Count);
        Assert.Equal(2, paged.Messages.Count);
        Assert.Empty(paged.MessageIds);

        await Deactivate(conversation);
        Assert.Equal(Enumerable.Range(1, 10), (await conversation.GetAsync()).Messages.Select(m => m.Sequence));
        var replay = await conversation.PostCustomerMessageAsync("message 3", "message-3");
        Assert.True(replay.Replayed);
        Assert.Equal(3, replay.Message.Sequence);
    }

    private ConversationState StoredState(string id)
    {
        var (data, _) = Store.Read("conversation", ConversationId(id)) ?? throw new InvalidOperationException($"Conversation {id} is not stored.");
        return Serializer.Deserialize<ConversationState>(data) ?? throw new InvalidOperationException($"Conversation {id} is stored empty.");
    }

    private GrainId ConversationId(string id) => _fixture.Grains.GetGrain<IConversationGrain>(id).GetGrainId();

    private static async Task Deactivate(IConversationGrain conversation) =>
        await conversation.AsReference<IGrainManagementExtension>().DeactivateOnIdle();
}
