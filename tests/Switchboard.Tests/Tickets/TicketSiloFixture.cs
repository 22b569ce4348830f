using Switchboard.Tests.EndToEnd;

namespace Switchboard.Tests.Tickets;

/// <summary>
/// The real silo over Kestrel (<see cref="SiloFixture"/>) with an SMTP sink as its mail server and a webhook receiver
/// as the test channel's outbound URL, both on free loopback ports; delivery retries fast and gives up after three.
/// </summary>
public sealed class TicketSiloFixture : SiloFixture, IAsyncLifetime
{
    public const string OutboundSecret = "test-channel-outbound-secret-0123";

    /// <summary>A second supervisor, to claim what the first already claimed.</summary>
    public const string OtherSupervisor = "ticket-supervisor-2";

    public const int MaxAttempts = 3;

    public SmtpSink Smtp { get; } = new();

    public WebhookReceiver Webhook { get; } = new();

    async Task IAsyncLifetime.InitializeAsync()
    {
        await Webhook.StartAsync();
        await InitializeAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Smtp.DisposeAsync();
        await Webhook.DisposeAsync();
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Switchboard:Tickets:Smtp:Host"] = "127.0.0.1";
        settings["Switchboard:Tickets:Smtp:Port"] = Smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Switchboard:Tickets:Smtp:From"] = "Support <support@example.test>";
        settings["Switchboard:Tickets:Smtp:Security"] = "None";
        settings["Switchboard:Tickets:FirstRetry"] = "00:00:00.050";
        settings["Switchboard:Tickets:MaxRetry"] = "00:00:00.200";
        settings["Switchboard:Tickets:MaxAttempts"] = MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings[$"Switchboard:Channels:{Channel}:OutboundUrl"] = Webhook.Url.ToString();
        settings[$"Switchboard:Channels:{Channel}:OutboundSecret"] = OutboundSecret;
        settings[$"Switchboard:Agents:{OtherSupervisor}:Name"] = "Other Supervisor";
        settings[$"Switchboard:Agents:{OtherSupervisor}:Supervisor"] = "true";
        settings[$"Switchboard:Agents:{OtherSupervisor}:Capacity"] = "1";
        settings[$"Switchboard:Agents:{OtherSupervisor}:Skills:general"] = "5";
    }

    public string OtherSupervisorToken() => Tokens.IssueAgent(OtherSupervisor, supervisor: true).Token;
}

[CollectionDefinition(Name)]
public sealed class TicketSiloCollection : ICollectionFixture<TicketSiloFixture>
{
    public const string Name = "silo over kestrel with a mail server and a channel receiver";
}
