using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.Conversations;
using Switchboard.Hosting;
using Switchboard.Hubs;
using Switchboard.Supervision;
using Switchboard.Tests.EndToEnd;
using Switchboard.Tests.Hosting;

namespace Switchboard.Tests.Tickets;

/// <summary>A ticket and its undelivered answer are stored: the next silo on the same SQLite file delivers it, once.</summary>
public sealed class TicketRestartTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task AnAnswerStillUndeliveredWhenTheSiloStopsIsMailedOnceByTheNextSiloWithNobodyAsking()
    {
        using var database = new TempDatabase();
        await using var smtp = new SmtpSink { Refusing = true };
        var email = $"ida-{Guid.NewGuid():N}@example.test";
        string id;
        var first = new SqliteTicketSilo(database.Path, smtp.Port);
        await first.InitializeAsync();
        try
        {
            var (_, skill) = first.NewLane();
            await using var customer = first.CustomerConnection();
            await customer.StartAsync();
            var started = await customer.InvokeAsync<StartedConversation>(
                nameof(CustomerHub.StartConversation), new StartConversation("Ida", skill, "Is my order insured?", StartId: Guid.NewGuid().ToString()));
            id = started.Conversation.Id;
            await customer.InvokeAsync<ConversationView>(nameof(CustomerHub.LeaveMessage), id, Guid.NewGuid().ToString(), email, "Is my order insured?");
            await using var supervisor = first.AgentConnection(SiloFixture.Supervisor);
            await SiloFixture.SignInOnlineAsync(supervisor);
            await supervisor.InvokeAsync<ConversationView>(nameof(AgentHub.ClaimTicket), id);
            await supervisor.InvokeAsync<ConversationView>(nameof(AgentHub.AnswerTicket), id, Guid.NewGuid().ToString(), "Yes, up to its full value.");
            // At least one attempt was refused before the stop: the answer is stored as pending, with its error.
            await smtp.WaitForRefusalAsync();
        }
        finally
        {
            await first.DisposeAsync();
        }

        Assert.Empty(smtp.MailsTo(email));
        smtp.Refusing = false;
        var second = new SqliteTicketSilo(database.Path, smtp.Port);
        var restart = System.Diagnostics.Stopwatch.StartNew();
        await second.InitializeAsync();
        try
        {
            // Nobody calls the conversation: the deadline service wakes it for its next attempt.
            var mail = await smtp.WaitForMailToAsync(email, TimeSpan.FromSeconds(30));
            output.WriteLine($"mailed {restart.Elapsed.TotalSeconds:0.0} s after the second silo began to start");
            Assert.Contains("Yes, up to its full value.", mail.TextBody);
            var board = await second.SupervisorHttp.GetFromJsonAsync<TicketSummary[]>("/api/tickets", second.Json);
            var after = await second.ReadConversationAsync(id);
            Assert.Equal(AnswerDelivery.Delivered, after.Ticket?.Answer?.Delivery);
            Assert.DoesNotContain(board!, t => t.ConversationId == id);
            Assert.Single(smtp.MailsTo(email));
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    private sealed class SqliteTicketSilo(string database, int smtpPort) : SiloFixture
    {
        protected override void Configure(IDictionary<string, string?> settings)
        {
            settings[EmbeddedStorage.StorageKey] = EmbeddedStorage.Sqlite;
            settings[EmbeddedStorage.DatabaseKey] = database;
            settings["Switchboard:Tickets:Smtp:Host"] = "127.0.0.1";
            settings["Switchboard:Tickets:Smtp:Port"] = smtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings["Switchboard:Tickets:Smtp:From"] = "support@example.test";
            settings["Switchboard:Tickets:Smtp:Security"] = "None";
            settings["Switchboard:Tickets:FirstRetry"] = "00:00:00.200";
            settings["Switchboard:Tickets:MaxRetry"] = "00:00:01";
            settings["Switchboard:Tickets:MaxAttempts"] = "100";
        }
    }
}
