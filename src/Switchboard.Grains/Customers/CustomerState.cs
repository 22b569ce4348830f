namespace Switchboard.Customers;

[GenerateSerializer, Alias("Switchboard.CustomerState")]
public sealed class CustomerState
{
    /// <summary>Null until the first conversation.</summary>
    [Id(0)] public CustomerProfile? Profile { get; set; }

    [Id(1)] public List<CustomerConversation> Conversations { get; set; } = [];

    /// <summary>When each outreach conversation was opened (kept for one window).</summary>
    [Id(2)] public List<DateTimeOffset> OutreachSentAt { get; set; } = [];
}
