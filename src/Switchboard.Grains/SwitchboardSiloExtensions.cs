using Switchboard.Deadlines;
using Switchboard.Metrics;
using Switchboard.Placement;
using Switchboard.Storage;

namespace Switchboard;

public static class SwitchboardSiloExtensions
{
    /// <summary>
    /// What every silo that hosts Switchboard's grains runs beside them: the format grain state is stored in, metrics,
    /// the deadline service's keeper, and the hand-over of grains when the silo stops.
    /// </summary>
    public static ISiloBuilder AddSwitchboardGrains(this ISiloBuilder silo) =>
        GrainStateFormat.AddTo(silo).AddSwitchboardMetrics().AddDeadlineService().AddShutdownMigration();
}
