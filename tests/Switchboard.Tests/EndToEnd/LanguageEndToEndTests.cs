using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Switchboard.Channels;
using Switchboard.Conversations;

namespace Switchboard.Tests.EndToEnd;

/// <summary>The customer's language as a channel sends it: validated, matched to a served language, and what the server writes to them in.</summary>
[Collection(SiloCollection.Name)]
public sealed class LanguageEndToEndTests(SiloFixture silo)
{
    [Theory]
    [InlineData("de-AT", "de", "Vielen Dank, wir haben Ihre Frage erhalten.")]
    [InlineData("ru", "ru", "Спасибо, мы получили Ваш вопрос.")]
    [InlineData("fr-CA", "en", "We have your question.")]
    [InlineData(null, "en", "We have your question.")]
    public async Task AChannelStartIsAcknowledgedInTheCustomersLanguageOrInEnglishWhenTheShopDoesNotServeIt(string? tag, string language, string acknowledgement)
    {
        var (_, skill) = silo.NewLane();

        var response = await PostSignedStartAsync(skill, "Wo ist mein Paket?", tag);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var opened = await silo.ReadAsync<ConversationView>(response);
        Assert.Equal(language, opened.Language);
        var stored = await silo.ReadConversationAsync(opened.Id);
        Assert.Equal(language, stored.Language);
        var system = Assert.Single(stored.Messages, m => m.From == MessageAuthor.System);
        Assert.StartsWith(acknowledgement, system.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("deutsch bitte")]
    [InlineData("d")]
    [InlineData("de_DE")]
    [InlineData("en-toolongsubtag")]
    public async Task AMalformedLanguageIsRefusedAndOpensNothing(string tag)
    {
        var (_, skill) = silo.NewLane();

        var response = await PostSignedStartAsync(skill, "Hello", tag);

        Assert.Contains("language tag", (await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest)).Detail);
        var queue = await silo.SupervisorHttp.GetFromJsonAsync<Queues.QueueView>($"/api/queues/{skill}", silo.Json);
        Assert.Empty(queue!.Waiting);
    }

    private async Task<HttpResponseMessage> PostSignedStartAsync(string skill, string text, string? language)
    {
        var messageId = $"lang-{Guid.NewGuid():N}";
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new { messageId, conversation = new StartConversation("Anna", skill, text, CustomerId: "c-" + messageId, Language: language) }, silo.Json);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/channels/{SiloFixture.Channel}/conversations") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(ChannelSignature.Header, ChannelSignature.Sign(SiloFixture.ChannelSecret, body));
        return await silo.Http.SendAsync(request);
    }
}
