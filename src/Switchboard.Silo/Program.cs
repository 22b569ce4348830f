using Switchboard.Auth;
using Switchboard.Hosting;

if (TokenCommand.IsInvoked(args))
{
    return TokenCommand.Run(args);
}

var builder = WebApplication.CreateBuilder(GatewayHosting.ReadRoleSwitch(EmbeddedStorage.ReadSwitches(args)));
builder.AddSwitchboard();

var app = builder.Build();
app.MapSwitchboard();
return app.RunSwitchboard();
