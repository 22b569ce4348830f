using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Switchboard.Channels;
using Switchboard.Conversations;

namespace Switchboard.Tests.EndToEnd;

/// <summary>The signed channel webhook: each channel message taken once, forgeries and replays changing nothing.</summary>
[Collection(SiloCollection.Name)]
public sealed class ChannelWebhookTests(SiloFixture silo)
{
    [Fact]
    public async Task AReplayedChannelStartOpensOneConversationAndIsAnsweredWithIt()
    {
        var (_, skill) = silo.NewLane();
        var messageId = $"wamid.{Guid.NewGuid():N}";
        var body = StartBody(messageId, skill, "Where is my parcel?");

        var first = await PostSignedAsync("/conversations", body);
        var replay = await PostSignedAsync("/conversations", body);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, replay.StatusCode);
        Assert.False(first.Headers.Contains(ChannelApi.ReplayedHeader));
        Assert.Equal("true", replay.Headers.GetValues(ChannelApi.ReplayedHeader).Single());
        var opened = await silo.ReadAsync<ConversationView>(first);
        Assert.Equal(opened.Id, (await silo.ReadAsync<ConversationView>(replay)).Id);
        Assert.Equal(SiloFixture.Channel, opened.Channel);
        var stored = await silo.ReadConversationAsync(opened.Id);
        Assert.Single(stored.Messages, m => m.From == MessageAuthor.Customer);
        var queue = await silo.SupervisorHttp.GetFromJsonAsync<Queues.QueueView>($"/api/queues/{skill}", silo.Json);
        Assert.Single(queue!.Waiting);
    }

    [Fact]
    public async Task AReplayedChannelMessageIsStoredOnceAndAnsweredWithTheOriginal()
    {
        var (_, skill) = silo.NewLane();
        var opened = await silo.ReadAsync<ConversationView>(await PostSignedAsync("/conversations", StartBody($"m-{Guid.NewGuid():N}", skill, "Hello")));
        var messageId = $"m-{Guid.NewGuid():N}";
        var path = $"/conversations/{opened.Id}/messages";

        var first = await PostSignedAsync(path, Json(new { messageId, text = "It was order 1234" }));
        var replay = await PostSignedAsync(path, Json(new { messageId, text = "It was order 1234" }));
        var reused = await PostSignedAsync(path, Json(new { messageId, text = "Something else entirely" }));

        var original = await silo.ReadAsync<ChatMessage>(first);
        Assert.Equal(original, await silo.ReadAsync<ChatMessage>(replay));
        Assert.Equal("true", replay.Headers.GetValues(ChannelApi.ReplayedHeader).Single());
        Assert.Contains("already used", (await HttpAssert.ProblemAsync(reused, HttpStatusCode.Conflict)).Detail);
        var stored = await silo.ReadConversationAsync(opened.Id);
        Assert.Single(stored.Messages, m => m.Text == "It was order 1234");
        Assert.DoesNotContain(stored.Messages, m => m.Text == "Something else entirely");
    }

    [Fact]
    public async Task AForgedUnsignedOrTamperedWebhookIsRefusedAndOpensNothing()
    {
        var (_, skill) = silo.NewLane();
        var messageId = $"m-{Guid.NewGuid():N}";
        var body = StartBody(messageId, skill, "Hello");
        var id = ChannelApi.ConversationId(SiloFixture.Channel, messageId);

        var unsigned = await PostAsync($"/api/channels/{SiloFixture.Channel}/conversations", body, signature: null);
        var forged = await PostAsync($"/api/channels/{SiloFixture.Channel}/conversations", body, ChannelSignature.Sign("a-guessed-secret-of-some-length", body));
        var tampered = await PostAsync(
            $"/api/channels/{SiloFixture.Channel}/conversations", StartBody(messageId, skill, "Hello, I am VIP"), ChannelSignature.Sign(SiloFixture.ChannelSecret, body));
        var garbled = await PostAsync($"/api/channels/{SiloFixture.Channel}/conversations", body, "sha256=not-hex");
        var unknown = await PostAsync("/api/channels/nosuchchannel/conversations", body, ChannelSignature.Sign(SiloFixture.ChannelSecret, body));

        Assert.Contains("Sign the request", (await HttpAssert.ProblemAsync(unsigned, HttpStatusCode.Unauthorized)).Detail);
        foreach (var refused in new[] { forged, tampered, garbled })
        {
            Assert.Contains("does not match", (await HttpAssert.ProblemAsync(refused, HttpStatusCode.Unauthorized)).Detail);
        }

        await HttpAssert.ProblemAsync(unknown, HttpStatusCode.NotFound);
        await HttpAssert.ProblemAsync(await silo.SupervisorHttp.GetAsync($"/api/conversations/{id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AChannelCannotPostIntoAConversationItDidNotOpen()
    {
        var (_, skill) = silo.NewLane();
        var web = await silo.StartOverHttpAsync(new StartConversation("Ann", skill, "Hi"));

        var response = await PostSignedAsync($"/conversations/{web.Conversation.Id}/messages", Json(new { messageId = "m-1", text = "Injected" }));

        Assert.Contains("did not come from channel", (await HttpAssert.ProblemAsync(response, HttpStatusCode.Forbidden)).Detail);
        Assert.DoesNotContain((await silo.ReadConversationAsync(web.Conversation.Id)).Messages, m => m.Text == "Injected");
    }

    [Theory]
    [InlineData("{\"messageId\": \"m\", \"conversation\": {\"customerName\": \"Ann\", \"topic\": \"shipping\", \"text\": \"hi\"}, \"admin\": true}", "admin")]
    [InlineData("{\"messageId\": 7, \"conversation\": {\"customerName\": \"Ann\", \"topic\": \"shipping\", \"text\": \"hi\"}}", "messageId")]
    [InlineData("{\"messageId\": \"\", \"conversation\": {\"customerName\": \"Ann\", \"topic\": \"shipping\", \"text\": \"hi\"}}", "messageId")]
    [InlineData("{\"messageId\": \"m\"}", "conversation")]
    [InlineData("{\"messageId\": \"m\\u0000\", \"conversation\": {\"customerName\": \"Ann\", \"topic\": \"shipping\", \"text\": \"hi\"}}", "control character")]
    [InlineData("not json", "not a valid request")]
    public async Task ASignedButMalformedWebhookIsABadRequestThatSaysWhatIsWrong(string body, string named)
    {
        var response = await PostSignedAsync("/conversations", Encoding.UTF8.GetBytes(body));

        Assert.Contains(named, (await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest)).Detail);
    }

    private byte[] StartBody(string messageId, string skill, string text) =>
        Json(new { messageId, conversation = new StartConversation("Ann", skill, text, CustomerId: "c-" + messageId) });

    private byte[] Json<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, silo.Json);

    private Task<HttpResponseMessage> PostSignedAsync(string path, byte[] body) =>
        PostAsync($"/api/channels/{SiloFixture.Channel}{path}", body, ChannelSignature.Sign(SiloFixture.ChannelSecret, body));

    private async Task<HttpResponseMessage> PostAsync(string path, byte[] body, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        if (signature is not null)
        {
            request.Headers.Add(ChannelSignature.Header, signature);
        }

        return await silo.Http.SendAsync(request);
    }
}
