using Microsoft.Extensions.DependencyInjection;
using Switchboard.Deadlines;
using Switchboard.Metrics;
using Switchboard.Placement;

namespace Switchboard;

public static class SwitchboardSiloExtensions
{
    /// <summary>
    /// What every silo that hosts Switchboard's grains runs beside them: metrics, the deadline service's keeper, and
    /// the hand-over of grains when the silo stops, and the silo's copy of the phrasebook.
    /// </summary>
    public static ISiloBuilder AddSwitchboardGrains(this ISiloBuilder silo) =>
        silo.AddSwitchboardMetrics().AddDeadlineService().AddShutdownMigration()
            .ConfigureServices(services => services.AddSingleton<Settings.PhrasebookCache>());
}
