using System.Diagnostics;
using Switchboard.Conversations;
using Switchboard.Sla;
using Xunit.Abstractions;

namespace Switchboard.Tests.Sla;

/// <summary>Reading emotion is on every customer message's path: it allocates nothing, in any language.</summary>
public sealed class EmotionCostTests(ITestOutputHelper output)
{
    private static readonly SwitchboardOptions Options = new();

    [Theory]
    [InlineData("en", "Hello, where is my parcel? I ordered it last Tuesday and the tracking page shows nothing.")]
    [InlineData("de", "Guten Tag, wo ist meine Bestellung? Ich habe sie letzten Dienstag aufgegeben, die Sendungsverfolgung zeigt nichts.")]
    [InlineData("ru", "Здравствуйте, где мой заказ? Я оформил его в прошлый вторник, а отслеживание ничего не показывает.")]
    public void DetectingEmotionAllocatesNothing(string language, string text)
    {
        var rules = Options.Language(language).Emotion;
        var emotion = SlaPolicy.Detect(text, Emotion.Neutral, rules);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            emotion = SlaPolicy.Detect(text, Emotion.Neutral, rules);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(Emotion.Neutral, emotion);
        // A long message is searched in a pooled buffer: still nothing allocated once the pool has one.
        var longText = string.Concat(Enumerable.Repeat(text + " ", 30));
        SlaPolicy.Detect(longText, Emotion.Neutral, rules);
        before = GC.GetAllocatedBytesForCurrentThread();
        var longEmotion = SlaPolicy.Detect(longText, Emotion.Neutral, rules);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(Emotion.Neutral, longEmotion);

        // Printed, never asserted: what one message costs (the whole list is searched when no word is found), after a
        // first round that lets the JIT settle.
        const int rounds = 20_000;
        var clock = new Stopwatch();
        for (var round = 0; round < 2; round++)
        {
            clock.Restart();
            for (var i = 0; i < rounds; i++)
            {
                SlaPolicy.Detect(text, Emotion.Neutral, rules);
            }
        }

        output.WriteLine($"measured: emotion check ({language}, {text.Length} characters, {rules.AngryWords.Length} spellings) {clock.Elapsed.TotalMicroseconds / rounds:0.0} µs per message");
    }
}
