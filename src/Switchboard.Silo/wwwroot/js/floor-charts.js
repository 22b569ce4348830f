// The supervisor's charts of today, 15 minutes a point: first response p50/p90 with the FRT anomaly alerts marked,
// SLA attainment / abandonment / CSAT, and volume by topic. Data from GET /api/stats/today; drawn with uPlot (npm,
// served at /lib/uplot), loaded only when a supervisor opens the floor.
import { h, $ } from './dom.js';
import { fetchJson } from './time.js';
import { loadSession } from './session.js';
import { t, plural, formatNumber, formatDateTime } from './i18n.js';

const chartsPath = '/lib/uplot';
const refreshEvery = 60000;
const height = 200;

// Okabe–Ito: told apart with the common colour-vision deficiencies, and dark enough on white for 2 px lines.
const palette = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
const anomalyColour = '#B00020';

let uPlotModule = null;
function loadUPlot() {
  if (!uPlotModule) {
    document.head.append(h('link', { rel: 'stylesheet', href: `${chartsPath}/uPlot.min.css` }));
    uPlotModule = import(`${chartsPath}/uPlot.esm.js`).then(m => m.default);
  }
  return uPlotModule;
}

const seconds = iso => Date.parse(iso) / 1000;
const clockOf = s => formatDateTime(new Date(s * 1000), { hour: '2-digit', minute: '2-digit' });

// 45 → "45 s", 150 → "2.5 min", 5400 → "1.5 h": the unit that keeps the number short.
export function durationText(value) {
  if (value == null) return '—';
  if (value < 120) return t('floor.unit.seconds', { value: formatNumber(Math.round(value)) });
  if (value < 7200) return t('floor.unit.minutes', { value: formatNumber(value / 60, { maximumFractionDigits: 1 }) });
  return t('floor.unit.hours', { value: formatNumber(value / 3600, { maximumFractionDigits: 1 }) });
}

const percentText = value => (value == null ? '—' : `${formatNumber(value, { maximumFractionDigits: 0 })} %`);
const share = value => (value == null ? null : value * 100);

// Vertical marks at each anomaly, drawn over the plot; the chart's figure says how many it drew.
function anomalyMarks(anomalies, figure) {
  return {
    hooks: {
      draw: [u => {
        const { ctx, bbox } = u;
        let drawn = 0;
        ctx.save();
        ctx.strokeStyle = anomalyColour;
        ctx.fillStyle = anomalyColour;
        ctx.lineWidth = 2 * devicePixelRatio;
        ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
        ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
        // Set, not inherited: uPlot leaves the context aligned as it drew its last axis label.
        ctx.textAlign = 'left';
        ctx.textBaseline = 'top';
        for (const a of anomalies) {
          const x = Math.round(u.valToPos(a.x, 'x', true));
          if (x < bbox.left || x > bbox.left + bbox.width) continue;
          ctx.beginPath();
          ctx.moveTo(x, bbox.top);
          ctx.lineTo(x, bbox.top + bbox.height);
          ctx.stroke();
          // Beside the mark, on whichever side has room for the name.
          const text = `⚠ ${a.label}`;
          const room = bbox.left + bbox.width - x;
          const gap = 4 * devicePixelRatio;
          const textWidth = ctx.measureText(text).width;
          ctx.fillText(text, room > textWidth + gap ? x + gap : Math.max(bbox.left, x - gap - textWidth), bbox.top + 2 * devicePixelRatio);
          drawn++;
        }
        ctx.restore();
        figure.dataset.marksDrawn = String(drawn);
      }],
    },
  };
}

export function createFloorCharts({ skillName }) {
  const host = $('#floor-charts');
  let today = null;
  let timer = null;
  let loading = null;
  let charts = [];
  let uPlot = null;
  let problem = null;
  const resize = new ResizeObserver(() => fit());

  async function refresh() {
    loading ??= (async () => {
      try {
        uPlot ??= await loadUPlot();
        today = await fetchJson('/api/stats/today', { token: loadSession()?.token });
        problem = null;
      } catch (err) {
        problem = uPlot ? t('floor.loadFailed', { detail: err.message }) : t('floor.unavailable');
      }
      render();
    })().finally(() => { loading = null; });
    return loading;
  }

  function destroy() {
    for (const { chart } of charts) chart.destroy();
    charts = [];
  }

  // Each chart fills its cell of the grid (one column on a phone, up to three on a wide screen).
  const width = plot => Math.max(200, plot.clientWidth);

  function fit() {
    for (const { chart, plot } of charts) {
      if (Math.abs(chart.width - width(plot)) > 1) chart.setSize({ width: width(plot), height });
    }
  }

  function draw(options, data, plot) {
    charts.push({ chart: new uPlot({ ...options, width: width(plot), height }, data, plot), plot });
  }

  function axes(yLabel, yValues) {
    return [
      // Room for "12:00 PM" between ticks, so hours never run into each other.
      { values: (u, splits) => splits.map(clockOf), stroke: '#444', grid: { stroke: '#eee' }, space: 80 },
      { label: yLabel, values: (u, splits) => splits.map(yValues), stroke: '#444', grid: { stroke: '#eee' }, size: 64 },
    ];
  }

  const line = (label, colour, value, extra) => ({
    label, stroke: colour, width: 2, points: { show: true, size: 5, fill: colour }, value: (u, v) => value(v), ...extra,
  });

  function figure(id, title, summary) {
    const plot = h('div', { class: 'floor-chart-plot', role: 'img', 'aria-label': summary });
    const el = h('figure', { class: 'floor-chart', id },
      h('figcaption', null, h('h4', null, title)), plot);
    return { el, plot };
  }

  function render() {
    destroy();
    const head = h('div', { class: 'floor-charts-head' },
      h('h3', { id: 'floor-charts-title' }, t('floor.title')),
      h('span', { class: 'muted' }, t('floor.subtitle')));
    if (problem || !today) {
      host.replaceChildren(head, h('p', { class: 'empty', role: 'status' }, problem ?? t('floor.loading')));
      return;
    }

    // One more point at the end of the current interval, so the last interval has a width like the others: the
    // volume steps draw across it; the other series have nothing there (null, a gap).
    const intervalSeconds = 15 * 60;
    const x = [...today.intervals.map(i => seconds(i.start)), seconds(today.intervals.at(-1).start) + intervalSeconds];
    const series = pick => [...today.intervals.map(pick), null];
    const answered = today.intervals.reduce((sum, i) => sum + i.answered, 0);
    const started = today.intervals.reduce((sum, i) => sum + i.started, 0);
    const anomalies = today.anomalies.map(a => ({ x: seconds(a.at), label: skillName(a.queue) ?? a.displayName, at: a.at }));

    const frt = figure('chart-frt', t('floor.frt.title'),
      t('floor.frt.summary', { answered: formatNumber(answered), alerts: formatNumber(anomalies.length) }));
    const service = figure('chart-service', t('floor.service.title'), t('floor.service.summary'));
    const volume = figure('chart-volume', t('floor.volume.title'), plural('floor.volume.summary', started));
    const marks = h('ul', { class: 'floor-anomalies', 'aria-label': t('floor.anomalies') },
      anomalies.map(a => h('li', { class: 'floor-anomaly', dataset: { queue: a.label } },
        h('span', { class: 'floor-anomaly-mark', 'aria-hidden': 'true' }, '⚠'), ' ',
        t('floor.anomaly', { time: clockOf(a.x), queue: a.label }))));
    frt.el.append(marks);
    const empty = started === 0 && answered === 0
      ? h('p', { class: 'empty', role: 'status' }, t('floor.empty')) : null;
    host.replaceChildren(head, empty ?? '', h('div', { class: 'floor-charts-grid' }, frt.el, service.el, volume.el));

    const common = { scales: { x: { time: true } }, cursor: { drag: { x: false, y: false } } };
    draw({
      ...common,
      series: [
        { label: t('floor.time'), value: (u, v) => (v == null ? '—' : clockOf(v)) },
        line(t('floor.frt.p50'), palette[0], durationText),
        line(t('floor.frt.p90'), palette[1], durationText, { dash: [8, 4] }),
      ],
      scales: { ...common.scales, y: { range: (u, min, max) => [0, Math.max(60, max ?? 0) * 1.1] } },
      axes: axes(t('floor.frt.axis'), durationText),
      plugins: [anomalyMarks(anomalies, frt.el)],
    }, [x, series(i => i.firstResponseP50Seconds), series(i => i.firstResponseP90Seconds)], frt.plot);

    draw({
      ...common,
      series: [
        { label: t('floor.time'), value: (u, v) => (v == null ? '—' : clockOf(v)) },
        line(t('floor.service.sla'), palette[2], percentText),
        line(t('floor.service.abandonment'), palette[1], percentText, { dash: [8, 4] }),
        line(t('floor.service.csat'), palette[0], percentText),
      ],
      scales: { ...common.scales, y: { range: [0, 100] } },
      axes: axes(t('floor.service.axis'), v => `${formatNumber(v)} %`),
    }, [x, series(i => share(i.slaAttainment)), series(i => share(i.abandonmentRate)), series(i => share(i.csat))], service.plot);

    const stepped = uPlot.paths.stepped({ align: 1 });
    draw({
      ...common,
      series: [
        { label: t('floor.time'), value: (u, v) => (v == null ? '—' : clockOf(v)) },
        ...today.topics.map((topic, i) => ({
          label: skillName(topic.name) ?? topic.displayName,
          stroke: palette[i % palette.length],
          width: 2,
          paths: stepped,
          points: { show: false },
          value: (u, v) => (v == null ? '—' : formatNumber(v)),
        })),
      ],
      scales: { ...common.scales, y: { range: (u, min, max) => [0, Math.max(4, max ?? 0) + 1] } },
      axes: axes(t('floor.volume.axis'), v => (Number.isInteger(v) ? formatNumber(v) : '')),
    }, [x, ...today.topics.map(topic => [...topic.started, topic.started.at(-1) ?? null])], volume.plot);
  }

  window.addEventListener('languagechange', () => { if (timer) render(); });

  return {
    refresh,
    show() {
      resize.observe(host);
      refresh();
      clearInterval(timer);
      timer = setInterval(refresh, refreshEvery);
    },
    hide() {
      clearInterval(timer);
      timer = null;
      resize.disconnect();
    },
  };
}
