using Switchboard.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddSwitchboard();

var app = builder.Build();
app.MapSwitchboard();
app.Run();
