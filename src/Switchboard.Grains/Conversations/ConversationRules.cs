namespace Switchboard.Conversations;

/// <summary>Checks on what clients send, made before anything changes.</summary>
public static class ConversationRules
{
    public const int MinPriority = 0;
    public const int MaxPriority = 10;

    /// <summary>Skills are lower-case names; channels may send "Shipping " and mean <c>shipping</c>.</summary>
    public static string NormalizeSkill(string? skill) => skill?.Trim().ToLowerInvariant() ?? "";

    public static void ValidateText(string? text, SwitchboardOptions options)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw SwitchboardException.Invalid("A message needs some text.");
        }

        if (text.Length > options.MaxMessageLength)
        {
            throw SwitchboardException.Invalid(
                $"A message may have at most {options.MaxMessageLength} characters; this one has {text.Length}.");
        }

        RejectControlCharacters(text, "A message", allowLineBreaks: true);
    }

    /// <summary>
    /// Control characters (NUL, escape sequences, backspace...) have no place in what people read: they could
    /// rewrite an agent's screen or a log line. Tabs and line breaks are fine in a message, not in a name.
    /// </summary>
    public static void RejectControlCharacters(string value, string what, bool allowLineBreaks = false)
    {
        foreach (var c in value)
        {
            if (char.IsControl(c) && !(allowLineBreaks && c is '\n' or '\r' or '\t'))
            {
                throw SwitchboardException.Invalid($"{what} contains a control character (U+{(int)c:X4}); send plain text.");
            }
        }
    }

    public static void ValidateSkill(string? skill, SwitchboardOptions options)
    {
        if (!options.IsKnownSkill(skill))
        {
            throw SwitchboardException.Invalid(
                $"Unknown topic '{skill}'. Known topics: {string.Join(", ", options.Skills.Keys.Order())}.");
        }
    }

    public static void ValidateStart(StartConversation start, SwitchboardOptions options)
    {
        if (string.IsNullOrWhiteSpace(start.CustomerName))
        {
            throw SwitchboardException.Invalid("A conversation needs the customer's name.");
        }

        if (start.CustomerName.Length > options.MaxCustomerNameLength)
        {
            throw SwitchboardException.Invalid(
                $"A customer name may have at most {options.MaxCustomerNameLength} characters.");
        }

        RejectControlCharacters(start.CustomerName, "The customer name");
        if (start.CustomerId is { } customerId)
        {
            // Qualified by where it was proven (web:…, <channel>:…): the channel's own part is checked at the edge.
            if (customerId.Length is 0 or > MaxQualifiedCustomerIdLength)
            {
                throw SwitchboardException.Invalid($"A customer id must be 1–{MaxCustomerIdLength} characters.");
            }

            RejectControlCharacters(customerId, "The customer id");
        }

        ValidateClientId(start.StartId, "A start id");
        ValidateSkill(start.Topic, options);
        ValidateText(start.Text, options);

        if (start.Priority is < MinPriority or > MaxPriority)
        {
            throw SwitchboardException.Invalid($"Priority must be between {MinPriority} and {MaxPriority}.");
        }

        if (start.RequiredProficiency is < 1 or > 5)
        {
            throw SwitchboardException.Invalid("Required proficiency must be between 1 and 5.");
        }

        if (start.Amount is < 0)
        {
            throw SwitchboardException.Invalid("A complaint's amount cannot be negative.");
        }

        ValidateContext(start.Context);
    }

    public const int MinClientIdLength = 8;
    public const int MaxClientIdLength = 100;

    /// <summary>
    /// A client's own id for a start or a message (a random UUID fits): 8–100 letters, digits and <c>-_.</c>. Short
    /// ids would collide, and these are never shown, so nothing else is needed in them (an agent's ids are kept as
    /// <c>agent:&lt;id&gt;:&lt;message id&gt;</c>, which no client id can be).
    /// </summary>
    public static void ValidateClientId(string? id, string what)
    {
        if (id is null)
        {
            return;
        }

        if (id.Length is < MinClientIdLength or > MaxClientIdLength || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw SwitchboardException.Invalid(
                $"{what} must be {MinClientIdLength}–{MaxClientIdLength} characters of letters, digits and -_. (a random UUID fits).");
        }
    }

    /// <summary>The longest customer id a channel may send.</summary>
    public const int MaxCustomerIdLength = 200;

    /// <summary>The longest customer id as Switchboard keeps it: the channel's, prefixed with the channel's name.</summary>
    public const int MaxQualifiedCustomerIdLength = MaxCustomerIdLength + 48;
    public const int MaxContextEntries = 20;
    public const int MaxContextKeyLength = 40;
    public const int MaxContextValueLength = 500;

    private static void ValidateContext(IReadOnlyDictionary<string, string>? context)
    {
        if (context is null)
        {
            return;
        }

        if (context.Count > MaxContextEntries)
        {
            throw SwitchboardException.Invalid($"Context may have at most {MaxContextEntries} entries.");
        }

        foreach (var (key, value) in context)
        {
            if (string.IsNullOrWhiteSpace(key) || key.Length > MaxContextKeyLength)
            {
                throw SwitchboardException.Invalid($"Context keys must be 1–{MaxContextKeyLength} characters.");
            }

            if (value is null || value.Length > MaxContextValueLength)
            {
                throw SwitchboardException.Invalid($"Context value '{key}' must be a string of at most {MaxContextValueLength} characters.");
            }

            RejectControlCharacters(key, "A context key");
            RejectControlCharacters(value, $"Context value '{key}'");
        }
    }
}
