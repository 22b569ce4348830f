using Microsoft.Extensions.Configuration;
using Switchboard.Auth;

namespace Switchboard.Tests.Auth;

public sealed class TokenCommandTests
{
    private const string Key = "base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    [Fact]
    public async Task ThePrintedTokenIsSignedWithTheConfiguredKeyAndCarriesTheAgentsConfiguredSupervisorRole()
    {
        var (exit, token, _) = Run(["token", "sam", "--hours", "2"], new()
        {
            ["Switchboard:Auth:SigningKey"] = Key,
            ["Switchboard:Agents:sam:Name"] = "Sam",
            ["Switchboard:Agents:sam:Supervisor"] = "true",
        });

        Assert.Equal(0, exit);
        var caller = await TokenIssuer.FromKey(Key).ValidateAsync(token.Trim());
        Assert.NotNull(caller);
        Assert.Equal("sam", caller.AgentId());
        Assert.True(caller.IsSupervisor());
        var expires = DateTimeOffset.FromUnixTimeSeconds(long.Parse(caller.FindFirst("exp")!.Value));
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(119), TimeSpan.FromMinutes(121));
    }

    [Fact]
    public async Task APlainAgentGetsTheSupervisorRoleOnlyWhenAskedFor()
    {
        var settings = new Dictionary<string, string?> { ["Switchboard:Auth:SigningKey"] = Key };

        var plain = await TokenIssuer.FromKey(Key).ValidateAsync(Run(["token", "alice"], settings).Output.Trim());
        var raised = await TokenIssuer.FromKey(Key).ValidateAsync(Run(["token", "alice", "--supervisor"], settings).Output.Trim());

        Assert.NotNull(plain);
        Assert.NotNull(raised);
        Assert.False(plain.IsSupervisor());
        Assert.Equal("alice", plain.AgentId());
        Assert.True(raised.IsSupervisor());
    }

    [Fact]
    public void WithoutAConfiguredKeyItSaysSoAndExits2()
    {
        var (exit, output, errors) = Run(["token", "alice"], []);

        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains("No signing key is configured", errors);
    }

    private static (int Exit, string Output, string Errors) Run(string[] args, Dictionary<string, string?> settings)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var exit = TokenCommand.Run(args, output, errors, _ => new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return (exit, output.ToString(), errors.ToString());
    }
}
