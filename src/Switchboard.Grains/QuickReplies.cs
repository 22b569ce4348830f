namespace Switchboard;

/// <summary>
/// A quick reply agents insert by typing "/" and its shortcut. Placeholders in braces are filled from the
/// conversation: <c>{name}</c> is the customer's name, <c>{agent}</c> the agent's, any other key from the start
/// context (e.g. <c>{order}</c>).
/// </summary>
public sealed class QuickReplyOptions
{
    public string Shortcut { get; set; } = "";

    public string Title { get; set; } = "";

    /// <summary>The skill it is mostly for; null for any.</summary>
    public string? Topic { get; set; }

    public string Text { get; set; } = "";
}
