using System.Collections.Concurrent;
using Switchboard.Conversations;

namespace Switchboard.Hubs;

/// <summary>
/// Pushes to the supervisors watching a conversation. The conversation's grain says when it is watched (it is active
/// on this silo, and this is the notifier its pushes go through), so a conversation nobody watched costs no more than
/// a look-up here: no send to an empty group, which on the Redis backplane would be one more publish per message.
/// </summary>
internal sealed partial class SignalRChatNotifier
{
    private readonly ConcurrentDictionary<string, byte> _watched = new(StringComparer.Ordinal);

    public void Watch(string conversationId, bool watched)
    {
        if (watched)
        {
            _watched.TryAdd(conversationId, 0);
        }
        else
        {
            _watched.TryRemove(conversationId, out _);
        }
    }

    public void NotePosted(string conversationId, string? agentId, InternalNote note)
    {
        var posted = new NotePosted(conversationId, note);
        if (agentId is not null)
        {
            ToAgent(agentId, group => Agents.Clients.Group(group).NotePosted(posted));
        }

        ToWatchers(conversationId, group => Agents.Clients.Group(group).NotePosted(posted));
    }

    private void MessageToWatchers(MessagePosted posted) =>
        ToWatchers(posted.ConversationId, group => Agents.Clients.Group(group).WatchedMessagePosted(posted));

    private void ChangeToWatchers(string conversationId, string change, string? agentId) =>
        ToWatchers(conversationId, group => Agents.Clients.Group(group).WatchedConversationChanged(new WatchedConversationChanged(conversationId, change, agentId)));

    private void ToWatchers(string conversationId, Func<string, Task> send)
    {
        if (_watched.IsEmpty || !_watched.ContainsKey(conversationId))
        {
            return;
        }

        var group = WatchGroups.Of(conversationId);
        Outbox.Post(group, () => send(group));
    }
}
