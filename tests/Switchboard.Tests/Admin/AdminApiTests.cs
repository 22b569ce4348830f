using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Switchboard.Agents;
using Switchboard.Api;
using Switchboard.Conversations;
using Switchboard.Hosting;
using Switchboard.Hubs;
using Switchboard.Settings;
using Switchboard.Tests.EndToEnd;
using Switchboard.Tests.Hosting;

namespace Switchboard.Tests.Admin;

/// <summary>Issue 19: supervisors administer agents, quick replies and house rules; plain agents may not.</summary>
[Collection(SiloCollection.Name)]
public sealed class AdminApiTests(SiloFixture silo) : HubTests
{
    private static string FreshId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 10)];

    private static async Task<HttpValidationProblemDetails> ValidationProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<HttpValidationProblemDetails>())!;
    }

    [Fact]
    public async Task APlainAgentIsForbiddenEveryAdministrationActionAndNothingChanges()
    {
        var (agentId, skill) = silo.NewLane();
        using var agent = silo.As(silo.AgentToken(agentId));
        var made = FreshId("sneaky");
        var bookBefore = await silo.Grains.GetGrain<IPhrasebookGrain>(0).GetAsync();
        var profileBefore = await silo.SupervisorHttp.GetFromJsonAsync<AgentView>($"/api/agents/{agentId}", silo.Json);

        var form = new { name = "Sneaky", skills = new Dictionary<string, int> { [skill] = 5 }, capacity = 50, supervisor = true };
        var calls = new (string What, Func<Task<HttpResponseMessage>> Call)[]
        {
            ("list agents", () => agent.GetAsync("/api/admin/agents")),
            ("make an agent", () => agent.PostAsJsonAsync("/api/admin/agents", new { id = made, form.name, form.skills, form.capacity, form.supervisor })),
            ("promote itself", () => agent.PutAsJsonAsync($"/api/admin/agents/{agentId}", form)),
            ("read the phrasebook", () => agent.GetAsync("/api/admin/phrasebook")),
            ("set quick replies", () => agent.PutAsJsonAsync("/api/admin/quick-replies/en", new { replies = new[] { new { shortcut = "x", title = "X", topic = (string?)null, text = "X" } } })),
            ("set house rules", () => agent.PutAsJsonAsync("/api/admin/house-rules/en", new { phrases = new[] { new { phrase = "hello", alternative = "bye" } } })),
            ("reset quick replies", () => agent.DeleteAsync("/api/admin/quick-replies/en")),
            ("reset house rules", () => agent.DeleteAsync("/api/admin/house-rules/en")),
        };
        foreach (var (what, call) in calls)
        {
            var problem = await HttpAssert.ProblemAsync(await call(), HttpStatusCode.Forbidden);
            Assert.False(string.IsNullOrWhiteSpace(problem.Detail), what);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await silo.SupervisorHttp.GetAsync($"/api/agents/{made}")).StatusCode);
        var profileAfter = await silo.SupervisorHttp.GetFromJsonAsync<AgentView>($"/api/agents/{agentId}", silo.Json);
        Assert.Equal(profileBefore!.Profile with { Skills = [] }, profileAfter!.Profile with { Skills = [] });
        Assert.Equal(profileBefore.Profile.Skills.OrderBy(s => s.Key), profileAfter.Profile.Skills.OrderBy(s => s.Key));
        Assert.Equal(bookBefore.Version, (await silo.Grains.GetGrain<IPhrasebookGrain>(0).GetAsync()).Version);
    }

    [Fact]
    public async Task ASupervisorDemotedOnTheAdminApiCannotUseTheTokenTheyHoldToAdministerAgain()
    {
        var (_, skill) = silo.NewLane();
        var id = FreshId("lead");
        var form = new { name = "Lea Dorn", capacity = 2, skills = new Dictionary<string, int> { [skill] = 3 }, supervisor = true };
        Assert.Equal(HttpStatusCode.Created, (await silo.SupervisorHttp.PostAsJsonAsync("/api/admin/agents", new { id, form.name, form.capacity, form.skills, form.supervisor })).StatusCode);
        using var lead = silo.As(silo.Tokens.IssueAgent(id, supervisor: true).Token);
        Assert.Equal(HttpStatusCode.OK, (await lead.GetAsync("/api/admin/agents")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await silo.SupervisorHttp.PutAsJsonAsync($"/api/admin/agents/{id}", form with { supervisor = false })).StatusCode);
        var refused = await HttpAssert.ProblemAsync(await lead.PutAsJsonAsync($"/api/admin/agents/{id}", form), HttpStatusCode.Forbidden);
        Assert.Contains("no longer a supervisor", refused.Detail);
        Assert.False((await silo.SupervisorHttp.GetFromJsonAsync<AgentView>($"/api/agents/{id}", silo.Json))!.Profile.Supervisor);
    }

    [Fact]
    public async Task AnAgentFormWithBadFieldsIsRefusedWithEachProblemNamedByItsFieldAndNothingIsMade()
    {
        var (_, skill) = silo.NewLane();
        var id = FreshId("bad");
        var refused = await ValidationProblemAsync(await silo.SupervisorHttp.PostAsJsonAsync("/api/admin/agents", new
        {
            id,
            name = "  ",
            capacity = 0,
            skills = new Dictionary<string, int> { [skill] = 9, ["no-such-skill"] = 3 },
        }));
        Assert.Equal(["capacity", "name", $"skills.{skill}", "skills.no-such-skill"], refused.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("between 1 and 5", refused.Errors[$"skills.{skill}"].Single());
        Assert.Contains("between 1 and 50", refused.Errors["capacity"].Single());
        Assert.Equal(HttpStatusCode.NotFound, (await silo.SupervisorHttp.GetAsync($"/api/agents/{id}")).StatusCode);

        // An id someone already has (a configured agent's) is not taken over, and an id with spaces is not an id.
        foreach (var taken in new[] { SiloFixture.Supervisor, " spaced id" })
        {
            var problem = await ValidationProblemAsync(await silo.SupervisorHttp.PostAsJsonAsync("/api/admin/agents", new { id = taken, name = "Someone", capacity = 1 }));
            Assert.Equal(["id"], problem.Errors.Keys);
        }

        Assert.Equal("Lane Supervisor", (await silo.SupervisorHttp.GetFromJsonAsync<AgentView>($"/api/agents/{SiloFixture.Supervisor}", silo.Json))!.Profile.Name);
        // Editing an agent nobody made is a 404, not a way to make one.
        await HttpAssert.ProblemAsync(await silo.SupervisorHttp.PutAsJsonAsync($"/api/admin/agents/{id}", new { name = "Ghost", capacity = 1 }), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AnAgentMadeOnTheAdminApiIsListedTakesChatsAtOnceAndFollowsItsSkillsWhenTheyChange()
    {
        var (_, first) = silo.NewLane();
        var (_, second) = silo.NewLane();
        var id = FreshId("made");
        var created = await silo.SupervisorHttp.PostAsJsonAsync("/api/admin/agents", new { id, name = "Mara Quinn", capacity = 3, skills = new Dictionary<string, int> { [first] = 4 } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var overview = await silo.SupervisorHttp.GetFromJsonAsync<Overview>("/api/overview", silo.Json);
        Assert.Contains(overview!.Agents, a => a.Id == id && a.Name == "Mara Quinn" && a.Capacity == 3);
        var listed = await silo.SupervisorHttp.GetFromJsonAsync<AdminAgent[]>("/api/admin/agents", silo.Json);
        Assert.Contains(listed!, a => a.Id == id && !a.Configured && a.Skills[first] == 4);
        Assert.Contains(listed!, a => a.Id == SiloFixture.Supervisor && a.Configured);

        var agent = silo.AgentConnection(id);
        var assigned = new Inbox<ConversationView>(agent, nameof(IAgentClient.ConversationAssigned));
        await ConnectAsync(agent);
        var onFirst = await silo.StartOverHttpAsync(new StartConversation("Ben Ode", first, "Hello"));
        await assigned.WaitAsync(c => c.Id == onFirst.Conversation.Id);

        // Moved to the second skill: its chats reach them, the first skill's no longer do.
        var moved = await silo.SupervisorHttp.PutAsJsonAsync($"/api/admin/agents/{id}", new { name = "Mara Quinn", capacity = 3, skills = new Dictionary<string, int> { [second] = 2 } });
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        var stillFirst = await silo.StartOverHttpAsync(new StartConversation("Cy Dunn", first, "Hello again"));
        var onSecond = await silo.StartOverHttpAsync(new StartConversation("Di Eng", second, "Hi"));
        await assigned.WaitAsync(c => c.Id == onSecond.Conversation.Id);
        Assert.Equal(ConversationStatus.Waiting, (await silo.ReadConversationAsync(stillFirst.Conversation.Id)).Status);
        Assert.DoesNotContain(assigned.Received, c => c.Id == stillFirst.Conversation.Id);
    }

    [Fact]
    public async Task QuickRepliesSetForALanguageReachConnectedConsolesAndBadRowsAreRefusedByField()
    {
        var (agentId, skill) = silo.NewLane();
        var agent = silo.AgentConnection(agentId);
        var changes = new Inbox<SettingsChanged>(agent, nameof(IAgentClient.SettingsChanged));
        await ConnectAsync(agent);
        try
        {
            var refused = await ValidationProblemAsync(await silo.SupervisorHttp.PutAsJsonAsync("/api/admin/quick-replies/ru", new
            {
                replies = new object[]
                {
                    new { shortcut = "two words", title = "Привет", topic = (string?)null, text = "Здравствуйте, {name}!" },
                    new { shortcut = "ok", title = "", topic = "no-such-topic", text = "Хорошо" },
                },
            }));
            Assert.Equal(["replies[0].shortcut", "replies[1].title", "replies[1].topic"], refused.Errors.Keys.Order(StringComparer.Ordinal));
            Assert.Empty(changes.Received);

            var saved = await silo.SupervisorHttp.PutAsJsonAsync("/api/admin/quick-replies/ru", new
            {
                replies = new[] { new { shortcut = "privet", title = "Приветствие", topic = skill, text = "Здравствуйте, {name}! Меня зовут {agent}." } },
            });
            Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
            var change = await changes.WaitAsync(_ => true);

            var settings = await silo.Http.GetFromJsonAsync<ConsoleSettings>($"/api/console-settings?version={change.Version}", silo.Json);
            var russian = Assert.Single(settings!.Languages!["ru"].QuickReplies!);
            Assert.Equal(("privet", skill, "Здравствуйте, {name}! Меня зовут {agent}."), (russian.Shortcut, russian.Topic, russian.Text));
            // English is as configured: only Russian was set.
            Assert.Equal(
                (await silo.Http.GetFromJsonAsync<ConsoleSettings>("/api/console-settings", silo.Json))!.QuickReplies.Select(r => r.Shortcut),
                settings.QuickReplies.Select(r => r.Shortcut));
        }
        finally
        {
            Assert.Equal(HttpStatusCode.OK, (await silo.SupervisorHttp.DeleteAsync("/api/admin/quick-replies/ru")).StatusCode);
        }

        var entry = (await silo.SupervisorHttp.GetFromJsonAsync<PhrasebookEntry[]>("/api/admin/phrasebook", silo.Json))!.Single(e => e.Language == "ru");
        Assert.False(entry.QuickRepliesSet);
    }
}

/// <summary>What supervisors set is grain state: the next silo on the same storage has it, and checks messages by it.</summary>
public sealed class AdminStorageTests
{
    [Fact]
    public async Task AgentsAndHouseRulesSetBeforeARestartAreInEffectOnTheNextSilo()
    {
        using var database = new TempDatabase();
        string made;
        string skill;
        var first = new RefusingSqliteSilo(database.Path);
        await first.InitializeAsync();
        try
        {
            (_, skill) = first.NewLane();
            made = $"kept-{Guid.NewGuid():N}"[..15];
            var created = await first.SupervisorHttp.PostAsJsonAsync("/api/admin/agents", new { id = made, name = "Kept Agent", capacity = 2, skills = new Dictionary<string, int> { [skill] = 5 } });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var rules = await first.SupervisorHttp.PutAsJsonAsync("/api/admin/house-rules/en", new { phrases = new[] { new { phrase = "no idea", alternative = "Let me find out." } } });
            Assert.Equal(HttpStatusCode.OK, rules.StatusCode);
            var replies = await first.SupervisorHttp.PutAsJsonAsync("/api/admin/quick-replies/de", new
            {
                replies = new[] { new { shortcut = "rueckgabe", title = "Rückgabe", topic = skill, text = "Ihre Rücksendung ist angekommen, {name}." } },
            });
            Assert.Equal(HttpStatusCode.OK, replies.StatusCode);
        }
        finally
        {
            await first.DisposeAsync();
        }

        var second = new RefusingSqliteSilo(database.Path);
        await second.InitializeAsync();
        try
        {
            var listed = await second.SupervisorHttp.GetFromJsonAsync<AdminAgent[]>("/api/admin/agents", second.Json);
            Assert.Contains(listed!, a => a.Id == made && a.Name == "Kept Agent" && a.Skills[skill] == 5);
            var english = (await second.SupervisorHttp.GetFromJsonAsync<PhrasebookEntry[]>("/api/admin/phrasebook", second.Json))!.Single(e => e.Language == "en");
            Assert.True(english.PhrasesSet);
            Assert.Equal("no idea", Assert.Single(english.Phrases).Phrase);
            var german = (await second.Http.GetFromJsonAsync<ConsoleSettings>("/api/console-settings", second.Json))!.Languages!["de"];
            Assert.Equal(("rueckgabe", skill), (Assert.Single(german.QuickReplies!).Shortcut, german.QuickReplies![0].Topic));

            // The kept agent signs in, gets a chat, and the house rule set before the restart refuses its phrase.
            await using var agent = second.AgentConnection(made);
            var assigned = new Inbox<ConversationView>(agent, nameof(IAgentClient.ConversationAssigned));
            await SiloFixture.SignInOnlineAsync(agent);
            var started = await second.StartOverHttpAsync(new StartConversation("Eve Fox", skill, "Where is my refund?"));
            await assigned.WaitAsync(c => c.Id == started.Conversation.Id);
            var refused = await Assert.ThrowsAsync<HubException>(() => agent.InvokeAsync<ChatMessage>(nameof(AgentHub.SendMessage), started.Conversation.Id, "I have no idea, sorry."));
            Assert.Contains("Let me find out.", refused.Message);
            // The configured phrases no longer apply in English: the supervisors' list replaced them.
            var sent = await agent.InvokeAsync<ChatMessage>(nameof(AgentHub.SendMessage), started.Conversation.Id, "Please wait, I am checking.");
            Assert.Equal("Please wait, I am checking.", sent.Text);
            Assert.Single((await second.ReadConversationAsync(started.Conversation.Id)).Messages, m => m.From == MessageAuthor.Agent);
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    private sealed class RefusingSqliteSilo(string database) : SiloFixture
    {
        protected override void Configure(IDictionary<string, string?> settings)
        {
            settings[EmbeddedStorage.StorageKey] = EmbeddedStorage.Sqlite;
            settings[EmbeddedStorage.DatabaseKey] = database;
            settings["Switchboard:MessageRules:Mode"] = "Refuse";
        }
    }
}
