using Microsoft.Extensions.DependencyInjection;
using Switchboard.Deadlines;
using Switchboard.Metrics;
using Switchboard.Placement;
using Switchboard.Storage;

namespace Switchboard;

public static class SwitchboardSiloExtensions
{
    /// <summary>
    /// What every silo that hosts Switchboard's grains runs beside them: the format grain state is stored in, metrics,
    /// the deadline service's keeper, the hand-over of grains when the silo stops, and the silo's copy of the phrasebook.
    /// </summary>
    public static ISiloBuilder AddSwitchboardGrains(this ISiloBuilder silo) =>
        GrainStateFormat.AddTo(silo).AddSwitchboardMetrics().AddDeadlineService().AddShutdownMigration()
            .ConfigureServices(services => services.AddSingleton<Settings.PhrasebookCache>());
}
