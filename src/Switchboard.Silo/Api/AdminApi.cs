using System.Collections.Immutable;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Switchboard.Agents;
using Switchboard.Auth;
using Switchboard.Hubs;
using Switchboard.Settings;
using Switchboard.Text;

namespace Switchboard.Api;

/// <summary>An agent on the administration screen: its profile, whether configuration declares it, and how it is now.</summary>
/// <param name="Configured">Declared in <c>Switchboard:Agents</c>; a saved change overrides that profile (and survives a restart).</param>
public sealed record AdminAgent(string Id, string Name, ImmutableDictionary<string, int> Skills, int Capacity, bool Supervisor, bool Configured, AgentPresence Presence, int Active);

/// <summary>What the administration screen sends for an agent (the id only when making one).</summary>
public sealed record AgentForm(string? Id, string? Name, Dictionary<string, int>? Skills, int? Capacity, bool Supervisor = false);

public sealed record QuickRepliesForm(QuickReplyText?[]? Replies);

public sealed record ForbiddenPhrase(string? Phrase, string? Alternative);

public sealed record ForbiddenPhrasesForm(ForbiddenPhrase?[]? Phrases);

/// <summary>
/// One served language's quick replies and house-rule phrases as agents get them, and whether a supervisor set them
/// (false: they come from configuration, or English's apply).
/// </summary>
public sealed record PhrasebookEntry(string Language, QuickReplyText[] QuickReplies, bool QuickRepliesSet, ForbiddenPhrase[] Phrases, bool PhrasesSet);

/// <summary>
/// Administration for supervisors: agents (name, skills and proficiency, capacity, role), quick replies and house
/// rules per language. Every change is checked here (each problem named by its field: a 400 validation problem) and
/// again by the grain that holds it, stored before it is acknowledged, and in effect at once: routing reads the
/// agent's grain, agent messages are checked against the silo's phrasebook copy, and consoles are told to read
/// their settings again.
/// </summary>
public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").RequireAuthorization(AuthHosting.SupervisorPolicy);
        // A token keeps the role it was issued with until it expires; administration also asks the caller's profile, so
        // a supervisor demoted here cannot use the token they still hold to promote themselves back.
        admin.AddEndpointFilter(async (context, next) =>
        {
            var caller = context.HttpContext.User.AgentId()!;
            var profile = await context.HttpContext.RequestServices.GetRequiredService<IGrainFactory>().Grain<IAgentGrain>(caller).GetAsync();
            return profile?.Profile.Supervisor == true
                ? await next(context)
                : throw SwitchboardException.Forbidden($"Agent '{caller}' is no longer a supervisor; administration needs the supervisor role.");
        });

        admin.MapGet("/agents", async (IGrainFactory grains, IOptions<SwitchboardOptions> options) =>
        {
            var made = await grains.Grain<IAgentDirectoryGrain>(0).ListAsync();
            var ids = options.Value.Agents.Keys.Union(made, StringComparer.Ordinal).Order(StringComparer.Ordinal);
            var agents = await Task.WhenAll(ids.Select(id => grains.Grain<IAgentGrain>(id).GetAsync()));
            return agents.OfType<AgentView>().Select(a => ToAdmin(a, options.Value)).ToArray();
        });

        admin.MapPost("/agents", async Task<Results<Created<AdminAgent>, ValidationProblem>> ([FromBody] AgentForm form, IGrainFactory grains, IOptions<SwitchboardOptions> options) =>
        {
            var problems = AgentProblems(form, form.Id ?? "", options.Value);
            if (!AgentRules.IsAgentId(form.Id))
            {
                problems.Insert(0, new("id", AgentRules.AgentIdRule));
            }
            else if (await ExistsAsync(grains, form.Id!, options.Value))
            {
                problems.Insert(0, new("id", $"There is already an agent '{form.Id}'; pick another id, or edit that agent."));
            }

            if (problems.Count > 0)
            {
                return Invalid(problems, "The agent was not made.");
            }

            var agent = await SaveAsync(grains, form.Id!, form, options.Value);
            return TypedResults.Created($"/api/agents/{Uri.EscapeDataString(agent.Id)}", agent);
        });

        admin.MapPut("/agents/{id}", async Task<Results<Ok<AdminAgent>, ValidationProblem>> (string id, [FromBody] AgentForm form, IGrainFactory grains, IOptions<SwitchboardOptions> options) =>
        {
            if (!AgentRules.IsAgentId(id) || !await ExistsAsync(grains, id, options.Value))
            {
                throw SwitchboardException.NotFound($"There is no agent '{id}'. Agent ids are case-sensitive.");
            }

            var problems = AgentProblems(form, id, options.Value);
            if (form.Id is not null && form.Id != id)
            {
                problems.Insert(0, new("id", "An agent's id cannot change: it is the subject of their sign-in."));
            }

            return problems.Count > 0 ? Invalid(problems, "The agent was not changed.") : TypedResults.Ok(await SaveAsync(grains, id, form, options.Value));
        });

        admin.MapGet("/phrasebook", async (PhrasebookCache cache, IGrainFactory grains, IOptions<SwitchboardOptions> options) =>
        {
            // The screen that changes it reads the stored one, not the silo's copy.
            var book = await grains.Grain<IPhrasebookGrain>(0).GetAsync();
            cache.Update(book);
            return options.Value.ServedLanguages().Order(StringComparer.Ordinal).Select(code => Entry(code, book, options.Value)).ToArray();
        });

        admin.MapPut("/quick-replies/{language}", async Task<Results<Ok<PhrasebookEntry>, ValidationProblem>> (
            string language, [FromBody] QuickRepliesForm form, IGrainFactory grains, PhrasebookCache cache, IHubContext<AgentHub, IAgentClient> hub, IOptions<SwitchboardOptions> options) =>
        {
            RequireLanguage(language, options.Value);
            var replies = form.Replies ?? [];
            var problems = PhrasebookRules.QuickReplyProblems(replies, options.Value);
            if (problems.Count > 0)
            {
                return Invalid(problems, "The quick replies were not changed.");
            }

            var book = await grains.Grain<IPhrasebookGrain>(0).SetQuickRepliesAsync(language, [.. replies.OfType<QuickReplyText>()]);
            return TypedResults.Ok(await ChangedAsync(language, book, cache, hub, options.Value));
        });

        admin.MapPut("/house-rules/{language}", async Task<Results<Ok<PhrasebookEntry>, ValidationProblem>> (
            string language, [FromBody] ForbiddenPhrasesForm form, IGrainFactory grains, PhrasebookCache cache, IHubContext<AgentHub, IAgentClient> hub, IOptions<SwitchboardOptions> options) =>
        {
            RequireLanguage(language, options.Value);
            var phrases = (form.Phrases ?? []).Select(p => new KeyValuePair<string?, string?>(p?.Phrase, p?.Alternative)).ToList();
            var problems = PhrasebookRules.PhraseProblems(phrases, options.Value);
            if (problems.Count > 0)
            {
                return Invalid(problems, "The house rules were not changed.");
            }

            var book = await grains.Grain<IPhrasebookGrain>(0).SetForbiddenPhrasesAsync(
                language, PhrasebookRules.Normalize(phrases.Select(p => new KeyValuePair<string, string>(p.Key!, p.Value!))));
            return TypedResults.Ok(await ChangedAsync(language, book, cache, hub, options.Value));
        });

        // Back to what configuration says for the language.
        admin.MapDelete("/quick-replies/{language}", async (string language, IGrainFactory grains, PhrasebookCache cache, IHubContext<AgentHub, IAgentClient> hub, IOptions<SwitchboardOptions> options) =>
        {
            RequireLanguage(language, options.Value);
            var book = await grains.Grain<IPhrasebookGrain>(0).SetQuickRepliesAsync(language, null);
            return await ChangedAsync(language, book, cache, hub, options.Value);
        });

        admin.MapDelete("/house-rules/{language}", async (string language, IGrainFactory grains, PhrasebookCache cache, IHubContext<AgentHub, IAgentClient> hub, IOptions<SwitchboardOptions> options) =>
        {
            RequireLanguage(language, options.Value);
            var book = await grains.Grain<IPhrasebookGrain>(0).SetForbiddenPhrasesAsync(language, null);
            return await ChangedAsync(language, book, cache, hub, options.Value);
        });

        return app;
    }

    /// <summary>The console's settings with what supervisors set in the phrasebook in place of the configured parts.</summary>
    public static ConsoleSettings WithPhrasebook(this ConsoleSettings settings, Phrasebook book, SwitchboardOptions options)
    {
        var english = Languages.LanguageTags.Default;
        return settings with
        {
            QuickReplies = book.QuickRepliesFor(english) is { } replies ? [.. replies.Select(ToConsole)] : settings.QuickReplies,
            MessageRules = book.ForbiddenPhrasesFor(english) is { } phrases ? settings.MessageRules with { ForbiddenPhrases = phrases } : settings.MessageRules,
            Languages = settings.Languages?.ToDictionary(l => l.Key, l => l.Value with
            {
                QuickReplies = book.QuickRepliesFor(l.Key) is { } set ? [.. set.Select(ToConsole)] : l.Value.QuickReplies,
                ForbiddenPhrases = book.ForbiddenPhrasesFor(l.Key) ?? l.Value.ForbiddenPhrases,
            }),
        };
    }

    private static QuickReply ToConsole(QuickReplyText r) => new(r.Shortcut, r.Title, r.Topic, r.Text);

    private static PhrasebookEntry Entry(string code, Phrasebook book, SwitchboardOptions options)
    {
        var language = options.Language(code);
        var replies = book.QuickRepliesFor(code)
            ?? [.. (language.QuickReplies ?? (code == Languages.LanguageTags.Default ? options.QuickReplies : []))
                .Select(r => new QuickReplyText(r.Shortcut, r.Title, r.Topic, r.Text))];
        var phrases = book.ForbiddenPhrases(language, options);
        return new PhrasebookEntry(
            code,
            [.. replies],
            book.QuickRepliesFor(code) is not null,
            [.. phrases.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase).Select(p => new ForbiddenPhrase(p.Key, p.Value))],
            book.ForbiddenPhrasesFor(code) is not null);
    }

    private static async Task<PhrasebookEntry> ChangedAsync(
        string language, Phrasebook book, PhrasebookCache cache, IHubContext<AgentHub, IAgentClient> hub, SwitchboardOptions options)
    {
        cache.Update(book);
        // Stored already: a console that misses this push gets the change when it next loads.
        await hub.Clients.All.SettingsChanged(new SettingsChanged(book.Version));
        return Entry(language, book, options);
    }

    private static void RequireLanguage(string language, SwitchboardOptions options)
    {
        if (PhrasebookRules.LanguageProblem(language, options) is { } problem)
        {
            throw SwitchboardException.NotFound(problem);
        }
    }

    private static async Task<bool> ExistsAsync(IGrainFactory grains, string id, SwitchboardOptions options) =>
        options.Agents.ContainsKey(id) || await grains.Grain<IAgentDirectoryGrain>(0).ContainsAsync(id);

    private static async Task<AdminAgent> SaveAsync(IGrainFactory grains, string id, AgentForm form, SwitchboardOptions options)
    {
        var agent = grains.Grain<IAgentGrain>(id);
        await agent.ConfigureAsync(Profile(form));
        return ToAdmin((await agent.GetAsync())!, options);
    }

    private static AgentProfile Profile(AgentForm form) =>
        new(Names.Normalize(form.Name ?? ""), (form.Skills ?? []).ToImmutableDictionary(StringComparer.Ordinal), form.Capacity ?? 0, form.Supervisor);

    private static AdminAgent ToAdmin(AgentView view, SwitchboardOptions options) => new(
        view.Id, view.Profile.Name, view.Profile.Skills, view.Profile.Capacity, view.Profile.Supervisor,
        options.Agents.ContainsKey(view.Id), view.Presence, view.Conversations.Length);

    /// <summary>Every problem with an agent form, each named by its field (<c>skills.{skill}</c> for one proficiency).</summary>
    private static List<FieldProblem> AgentProblems(AgentForm form, string id, SwitchboardOptions options)
    {
        var problems = new List<FieldProblem>();
        var name = Names.Normalize(form.Name ?? "");
        if (string.IsNullOrWhiteSpace(name))
        {
            problems.Add(new("name", "A name is required: customers and colleagues see it."));
        }
        else if (Names.Problem(name, "The name", options.MaxNameLength) is { } nameProblem)
        {
            problems.Add(new("name", nameProblem));
        }
        else if (options.Staff().Imitated(id, name) is { } imitated)
        {
            problems.Add(new("name", $"The name looks like the name of agent '{imitated.AgentId}' ({imitated.Name}) without being it; pick another."));
        }

        if (form.Capacity is not { } capacity)
        {
            problems.Add(new("capacity", $"A capacity is required: how many chats the agent holds at once (1–{options.MaxAgentCapacity})."));
        }
        else if (AgentRules.CapacityProblem(capacity, options) is { } capacityProblem)
        {
            problems.Add(new("capacity", $"The capacity {capacityProblem}"));
        }

        foreach (var (skill, proficiency) in form.Skills ?? [])
        {
            if (!options.IsKnownSkill(skill))
            {
                problems.Add(new($"skills.{skill}", $"There is no skill '{skill}'. Skills: {string.Join(", ", options.Skills.Keys.Order(StringComparer.Ordinal))}."));
            }
            else if (AgentRules.ProficiencyProblem(proficiency) is { } proficiencyProblem)
            {
                problems.Add(new($"skills.{skill}", $"The proficiency in '{skill}' {proficiencyProblem}"));
            }
        }

        return problems;
    }

    private static ValidationProblem Invalid(List<FieldProblem> problems, string title) => TypedResults.ValidationProblem(
        problems.GroupBy(p => p.Field, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray()),
        detail: string.Join(" ", problems.Select(p => p.Message)),
        title: title);
}
