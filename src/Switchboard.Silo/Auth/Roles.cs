using System.Security.Claims;

namespace Switchboard.Auth;

/// <summary>The roles a token carries, and the claims Switchboard reads from it.</summary>
public static class Roles
{
    public const string Agent = "agent";

    /// <summary>Supervisors are agents too: their tokens carry both roles.</summary>
    public const string Supervisor = "supervisor";

    /// <summary>A customer's token, good for one conversation.</summary>
    public const string Customer = "customer";

    public const string RoleClaim = "role";

    public const string SubjectClaim = "sub";

    /// <summary>The one conversation a customer's token opens.</summary>
    public const string ConversationClaim = "conversation";

    /// <summary>The customer a customer identity token proves (<c>web:…</c>), for history and outreach.</summary>
    public const string CustomerClaim = "customer";

    /// <summary>
    /// In a customer identity token: the conversation whose start issued it, so the customer's next start finds it
    /// open even if the conversation's one-way report has not reached the customer's record yet.
    /// </summary>
    public const string LastConversationClaim = "last";

    /// <summary>The agent id of an agent's (or supervisor's) token; null for a customer or no token.</summary>
    public static string? AgentId(this ClaimsPrincipal user) =>
        user.IsInRole(Agent) ? user.FindFirstValue(SubjectClaim) : null;

    public static bool IsSupervisor(this ClaimsPrincipal user) => user.IsInRole(Supervisor) && user.AgentId() is not null;

    /// <summary>The conversation a customer's token opens; null for any other caller.</summary>
    public static string? CustomerConversation(this ClaimsPrincipal user) =>
        user.IsInRole(Customer) ? user.FindFirstValue(ConversationClaim) : null;

    /// <summary>The customer a customer identity token names; null for any other token or none.</summary>
    public static string? CustomerIdentity(this ClaimsPrincipal user) =>
        user.IsInRole(Customer) && user.FindFirstValue(ConversationClaim) is null ? user.FindFirstValue(CustomerClaim) : null;

    /// <summary>The conversation a customer identity token was issued with; null when none is named.</summary>
    public static string? CustomerLastConversation(this ClaimsPrincipal user) =>
        user.CustomerIdentity() is null ? null : user.FindFirstValue(LastConversationClaim);
}
