namespace Switchboard.Supervision;

/// <summary>What an address a customer leaves must look like: one plain mailbox, nothing a mail header could be bent with.</summary>
public static class TicketRules
{
    public const int MaxEmailLength = 254;

    public static void ValidateEmail(string email)
    {
        var at = email.LastIndexOf('@');
        var valid = email.Length <= MaxEmailLength
            && at > 0 && at < email.Length - 1
            && email.IndexOf('@') == at
            && email.AsSpan(at + 1).Contains('.')
            && !email.EndsWith('.')
            && !email.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '<' or '>' or ',' or ';' or '"' or '(' or ')' or '[' or ']' or '\\');
        if (!valid)
        {
            throw SwitchboardException.Invalid("That is not an email address we can write to: one address, like name@example.com.");
        }
    }
}
