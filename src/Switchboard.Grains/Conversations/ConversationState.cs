using Switchboard.Conversations;

namespace Switchboard.Conversations;

[GenerateSerializer, Alias("Switchboard.ConversationState")]
public sealed class ConversationState
{
    [Id(0)] public bool Started { get; set; }
    [Id(1)] public string CustomerName { get; set; } = "";
    [Id(2)] public string? CustomerId { get; set; }
    [Id(3)] public string Topic { get; set; } = "";
    [Id(4)] public ConversationStatus Status { get; set; }
    [Id(5)] public string? AgentId { get; set; }
    [Id(6)] public int Priority { get; set; }
    [Id(7)] public bool Vip { get; set; }
    [Id(8)] public int RequiredProficiency { get; set; } = 1;
    [Id(9)] public DateTimeOffset StartedAt { get; set; }
    [Id(10)] public DateTimeOffset WaitingSince { get; set; }
    [Id(11)] public int Ticket { get; set; }
    [Id(12)] public bool Returned { get; set; }
    [Id(13)] public List<ChatMessage> Messages { get; set; } = [];
    [Id(14)] public DateTimeOffset? FirstResponseAt { get; set; }
    [Id(15)] public DateTimeOffset? ResolvedAt { get; set; }
}
