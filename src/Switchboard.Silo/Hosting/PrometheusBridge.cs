using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Prometheus;
using Switchboard.Metrics;

namespace Switchboard.Hosting;

/// <summary>
/// Publishes the <c>Switchboard</c> meter with Prometheus semantics: counters as counters (<c>_total</c>), histograms
/// with buckets fit for seconds-to-an-hour waits, observable gauges read at each scrape, names without the meter
/// prefix (<c>switchboard.conversations.started</c> → <c>switchboard_conversations_started_total</c>). prometheus-net's
/// own meter adapter still publishes every other meter (Orleans, the .NET runtime); it turns counters into gauges,
/// which is why Switchboard's series do not go through it.
/// </summary>
internal sealed class PrometheusBridge : IDisposable
{
    private static readonly double[] SecondsBuckets = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 90, 120, 300, 600, 1800, 3600];
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(Instrument, string), Collector> _collectors = new();
    private bool _disposed;

    public PrometheusBridge()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == SiloServiceMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => Record(i, value, tags));
        _listener.Start();
        Prometheus.Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            if (!_disposed)
            {
                _listener.RecordObservableInstruments();
            }
        });
    }

    /// <summary>Keeps prometheus-net's meter adapter off the Switchboard meter (call before the default registry is first used).</summary>
    public static void ExcludeFromMeterAdapter() =>
        Prometheus.Metrics.ConfigureMeterAdapter(options =>
            options.InstrumentFilterPredicate = instrument => instrument.Meter.Name != SiloServiceMetrics.MeterName);

    public void Dispose()
    {
        _disposed = true;
        _listener.Dispose();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = new string[tags.Length];
        var values = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            (labels[i], values[i]) = (tags[i].Key, tags[i].Value?.ToString() ?? "");
        }

        Array.Sort(labels, values, StringComparer.Ordinal);
        var collector = _collectors.GetOrAdd((instrument, string.Join(',', labels)), _ => Create(instrument, labels));
        switch (collector)
        {
            case Counter counter:
                counter.WithLabels(values).Inc(value);
                break;
            case Histogram histogram:
                histogram.WithLabels(values).Observe(value);
                break;
            case Gauge gauge:
                gauge.WithLabels(values).Set(value);
                break;
        }
    }

    private static Collector Create(Instrument instrument, string[] labels)
    {
        var name = instrument.Name.Replace('.', '_') + (instrument.Unit == "s" ? "_seconds" : "");
        var help = instrument.Description ?? instrument.Name;
        return instrument switch
        {
            Counter<long> or Counter<int> or Counter<double> =>
                Prometheus.Metrics.CreateCounter(name + "_total", help, new CounterConfiguration { LabelNames = labels }),
            Histogram<double> or Histogram<long> =>
                Prometheus.Metrics.CreateHistogram(name, help, new HistogramConfiguration { LabelNames = labels, Buckets = SecondsBuckets }),
            _ => Prometheus.Metrics.CreateGauge(name, help, new GaugeConfiguration { LabelNames = labels }),
        };
    }
}
