using Switchboard.Text;

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

        // Counted in UTF-16 code units, not characters as people see them: the limit bounds what a message costs to
        // store and push (a transcript goes out whole), and one person-visible character can be any number of units.
        if (text.Length > options.MaxMessageLength)
        {
            throw SwitchboardException.Invalid(
                $"A message may be at most {options.MaxMessageLength} UTF-16 code units long (a letter counts 1, an emoji 2 or more); this one has {text.Length}.");
        }

        foreach (var c in text)
        {
            if (char.IsControl(c) && c is not ('\n' or '\r' or '\t'))
            {
                throw SwitchboardException.Invalid($"A message contains a control character (U+{(int)c:X4}); send plain text.");
            }

            if (Names.IsBidiOverride(c))
            {
                throw SwitchboardException.Invalid(
                    $"A message contains a bidirectional override (U+{(int)c:X4}), which shows text in another order than it was written; send the text as you wrote it.");
            }
        }
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
        if (skill is { Length: > SwitchboardOptions.MaxSkillNameLength })
        {
            // Not echoed: nothing that long can be a topic, and the refusal should not carry it back.
            throw SwitchboardException.Invalid(
                $"A topic has at most {SwitchboardOptions.MaxSkillNameLength} characters. Known topics: {string.Join(", ", options.Skills.Keys.Order())}.");
        }

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

        Names.Validate(start.CustomerName, "The customer name ('customerName')", options.MaxNameLength);
        if (options.Staff().LooksLikeStaff(start.CustomerName))
        {
            // Exact copies too: a customer called "Sam Okafor (supervisor)" is as misleading as one spelt with a Cyrillic а.
            throw SwitchboardException.Invalid("A customer name may not look like a member of staff's name ('customerName'); give your own name.");
        }
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
        Languages.LanguageTags.Validate(start.Language);
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

    /// <summary>Conversation ids are made by the server: 32 lower-case hex digits.</summary>
    public const int ConversationIdLength = 32;

    /// <summary>Whether <paramref name="id"/> has the form of a conversation id; nothing else can name one.</summary>
    public static bool IsConversationId(string? id)
    {
        if (id is not { Length: ConversationIdLength })
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!char.IsAsciiHexDigitLower(c))
            {
                return false;
            }
        }

        return true;
    }

    public const string ConversationIdRule = "A conversation id is the 32 lower-case hex digits the server gave it.";

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
