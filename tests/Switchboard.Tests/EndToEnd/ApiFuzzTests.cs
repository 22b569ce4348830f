using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Channels;
using Switchboard.Conversations;
using Xunit.Abstractions;

namespace Switchboard.Tests.EndToEnd;

/// <summary>
/// Random requests against the whole HTTP API, with every kind of caller: whatever is sent, the server never answers
/// 5xx, and a request that is not answered 2xx changes nothing anyone can read. Seeded, so a failure replays
/// (<c>SWITCHBOARD_FUZZ_SEED</c>, <c>SWITCHBOARD_FUZZ_REQUESTS</c>).
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class ApiFuzzTests(SiloFixture silo, ITestOutputHelper output)
{
    private static readonly string[] Fields =
        ["customerName", "topic", "text", "priority", "vip", "requiredProficiency", "customerId", "emotion", "complaint", "amount",
         "publicReviewThreat", "context", "score", "comment", "messageId", "conversation", "agentId", "name", "skills", "capacity", "supervisor", "extra"];

    private static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE", "PATCH"];

    [Fact]
    public async Task NoRequestGetsA5xxAndNoRefusedRequestChangesAnything()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("SWITCHBOARD_FUZZ_SEED"), out var s) ? s : 20261201;
        var count = int.TryParse(Environment.GetEnvironmentVariable("SWITCHBOARD_FUZZ_REQUESTS"), out var n) ? n : 600;
        var random = new Random(seed);
        var (agentId, skill) = silo.NewLane();
        var a = await silo.StartOverHttpAsync(new StartConversation("Ann", skill, "First"));
        var b = await silo.StartOverHttpAsync(new StartConversation("Bea", skill, "Second"));
        string[] ids = [a.Conversation.Id, b.Conversation.Id, Guid.NewGuid().ToString("N"), "..", "%00", new string('9', 300)];
        string?[] tokens = [null, a.CustomerToken, b.CustomerToken, silo.AgentToken(agentId), silo.AgentToken(SiloFixture.Supervisor), "garbage.token.here", ""];
        var statuses = new SortedDictionary<int, int>();

        var before = await SnapshotAsync(a.Conversation.Id, b.Conversation.Id, skill, agentId);
        for (var i = 0; i < count; i++)
        {
            var request = NewRequest(random, ids, skill, agentId, tokens);
            var description = $"#{i} (seed {seed}) {request.Method} {request.RequestUri}";
            using var response = await silo.Http.SendAsync(request);
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            Assert.True(status < 500, $"{description} answered {status}: {await response.Content.ReadAsStringAsync()}");

            var after = await SnapshotAsync(a.Conversation.Id, b.Conversation.Id, skill, agentId);
            if (status is < 200 or >= 300)
            {
                Assert.True(before == after, $"{description} answered {status} but changed state:\n{before}\n---\n{after}");
            }

            before = after;
        }

        output.WriteLine($"measured: {count} random requests (seed {seed}), statuses: {string.Join(", ", statuses.Select(kv => $"{kv.Key}×{kv.Value}"))}");
    }

    private static HttpRequestMessage NewRequest(Random random, string[] ids, string skill, string agentId, string?[] tokens)
    {
        var id = Pick(random, ids);
        var start = new JsonObject { ["customerName"] = "Fuzz", ["topic"] = skill, ["text"] = "hello" };
        // Each endpoint with its method and a body it would accept: most requests are that body with one thing wrong.
        (string Method, string Path, JsonObject? Valid)[] endpoints =
        [
            ("POST", "/api/conversations", start),
            ("GET", $"/api/conversations/{id}", null),
            ("POST", $"/api/conversations/{id}/messages", new JsonObject { ["text"] = "more" }),
            ("POST", $"/api/conversations/{id}/leave", null),
            ("POST", $"/api/conversations/{id}/rating", new JsonObject { ["score"] = 4 }),
            ("GET", $"/api/agents/{agentId}", null),
            ("PUT", $"/api/agents/{Pick(random, new[] { agentId, id })}", new JsonObject { ["name"] = "Fuzzed", ["skills"] = new JsonObject { [skill] = 3 }, ["capacity"] = 2 }),
            ("GET", $"/api/queues/{Pick(random, new[] { skill, id })}", null),
            ("GET", Pick(random, new[] { "/api/tickets", "/api/overview", "/api/stats", "/api/console-settings" }), null),
            ("POST", "/api/dev/token", new JsonObject { ["agentId"] = agentId }),
            ("POST", $"/api/channels/{SiloFixture.Channel}/conversations", new JsonObject { ["messageId"] = $"m-{random.Next(30)}", ["conversation"] = start.DeepClone() }),
            ("POST", $"/api/channels/{SiloFixture.Channel}/conversations/{id}/messages", new JsonObject { ["messageId"] = $"m-{random.Next(30)}", ["text"] = "via channel" }),
            ("POST", "/api/channels/unknown/conversations", null),
            ("GET", $"/api/{id}", null),
        ];
        var (method, path, valid) = Pick(random, endpoints);
        var request = new HttpRequestMessage(new HttpMethod(random.Next(8) == 0 ? Pick(random, Methods) : method), path);
        if (Pick(random, tokens) is { } token)
        {
            request.Headers.TryAddWithoutValidation("Authorization", random.Next(10) == 0 ? token : $"Bearer {token}");
        }

        if (request.Method != HttpMethod.Get)
        {
            var body = random.Next(8) switch
            {
                0 => RandomBytes(random),
                1 => Encoding.UTF8.GetBytes(RandomValue(random, depth: 0)?.ToJsonString() ?? "null"),
                2 => Encoding.UTF8.GetBytes(PlausibleBody(random, skill, id).ToJsonString()),
                3 or 4 when valid is not null => Encoding.UTF8.GetBytes(valid.ToJsonString()),
                _ => Encoding.UTF8.GetBytes(Mutate(random, valid?.DeepClone().AsObject() ?? new JsonObject(), skill, id).ToJsonString()),
            };
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(random.Next(12) == 0 ? "text/plain" : "application/json");
            if (path.Contains("/channels/", StringComparison.Ordinal) && random.Next(4) != 0)
            {
                // Mostly signed right, so the requests get past the signature and into the parsing and the grains.
                var secret = random.Next(4) == 0 ? "a-wrong-secret-of-enough-length" : SiloFixture.ChannelSecret;
                request.Headers.Add(ChannelSignature.Header, ChannelSignature.Sign(secret, body));
            }
        }

        return request;
    }

    /// <summary>A good body with one field replaced, added or removed.</summary>
    private static JsonObject Mutate(Random random, JsonObject body, string skill, string id)
    {
        var keys = body.Select(kv => kv.Key).ToArray();
        switch (random.Next(3))
        {
            case 0 when keys.Length > 0:
                body.Remove(Pick(random, keys));
                break;
            case 1 when keys.Length > 0:
                var key = Pick(random, keys);
                body[key] = random.Next(2) == 0 ? RandomValue(random, depth: 1) : PlausibleBody(random, skill, id)[key]?.DeepClone();
                break;
            default:
                foreach (var (field, value) in PlausibleBody(random, skill, id).ToArray())
                {
                    body[field] = value?.DeepClone();
                }

                break;
        }

        return body;
    }

    /// <summary>An object with mostly real field names, values of the right or the wrong type, sometimes nested.</summary>
    private static JsonObject PlausibleBody(Random random, string skill, string id)
    {
        var body = new JsonObject();
        var fields = random.Next(1, 7);
        for (var i = 0; i < fields; i++)
        {
            var field = Pick(random, Fields);
            body[field] = random.Next(3) switch
            {
                0 => RandomValue(random, depth: 1),
                _ => field switch
                {
                    "topic" => random.Next(3) == 0 ? "Gardening" : skill,
                    "priority" or "requiredProficiency" or "score" or "capacity" => random.Next(-3, 13),
                    "vip" or "complaint" or "publicReviewThreat" or "supervisor" => random.Next(2) == 0,
                    "emotion" => Pick(random, ["angry", "calm", "furious", "neutral"]),
                    "amount" => random.Next(-100, 10_000),
                    "context" => new JsonObject { ["order"] = RandomText(random) },
                    "skills" => new JsonObject { [random.Next(2) == 0 ? skill : "gardening"] = random.Next(0, 7) },
                    "conversation" => PlausibleBody(random, skill, id),
                    "messageId" => random.Next(2) == 0 ? $"m-{random.Next(20)}" : RandomText(random),
                    _ => RandomText(random),
                },
            };
        }

        return body;
    }

    private static JsonNode? RandomValue(Random random, int depth) => random.Next(depth > 2 ? 5 : 7) switch
    {
        0 => null,
        1 => random.Next(2) == 0,
        2 => random.NextDouble() * Math.Pow(10, random.Next(-3, 30)) * (random.Next(2) == 0 ? -1 : 1),
        3 => random.Next(),
        4 => RandomText(random),
        5 => new JsonArray([.. Enumerable.Range(0, random.Next(4)).Select(_ => RandomValue(random, depth + 1))]),
        _ => new JsonObject(Enumerable.Range(0, random.Next(4)).Select(_ => KeyValuePair.Create(Pick(random, Fields) + random.Next(3), RandomValue(random, depth + 1)))
            .DistinctBy(kv => kv.Key)),
    };

    private static string RandomText(Random random) => random.Next(6) switch
    {
        0 => "",
        1 => new string('x', random.Next(3990, 4010)),
        2 => "\u0000\u001b[31m\u0007",
        3 => "😀 \ud83d",
        4 => "'; DROP TABLE conversations; --",
        _ => $"hello {random.Next(1000)}\nline two",
    };

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 200)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    /// <summary>Everything the requests could change, as a supervisor reads it.</summary>
    private async Task<string> SnapshotAsync(string a, string b, string skill, string agentId)
    {
        var parts = await Task.WhenAll(
            silo.SupervisorHttp.GetStringAsync($"/api/conversations/{a}"),
            silo.SupervisorHttp.GetStringAsync($"/api/conversations/{b}"),
            silo.SupervisorHttp.GetStringAsync($"/api/queues/{skill}"),
            silo.SupervisorHttp.GetStringAsync($"/api/agents/{agentId}"),
            silo.SupervisorHttp.GetStringAsync("/api/tickets"));
        return string.Join('\n', parts.Select(Canonical));
    }

    private static string Canonical(string json) => JsonNode.Parse(json)!.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}
