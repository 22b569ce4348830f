namespace Switchboard.Hubs;

/// <summary>
/// Pushed to every agent console when a supervisor changed quick replies or house rules: read
/// <c>/api/console-settings?version={Version}</c> again (the version makes any silo answer with this change or a later one).
/// </summary>
public sealed record SettingsChanged(long Version);
