// The supervisor's floor overview: queues, agents, alerts as they happen, tickets.
import { h, $, toast } from './dom.js';
import { serverNow, formatClock, formatTime } from './time.js';
import { hubError } from './hub.js';
import { t, plural, formatNumber, formatDateTime } from './i18n.js';
import { createTicketBoard } from './ticket-board.js';
import { createFloorCharts } from './floor-charts.js';

const refreshEvery = 10000;
const presenceLabel = presence => (['online', 'away', 'offline'].includes(presence) ? t(`presence.${presence}`) : presence);
const alertLabel = kind => (['breach', 'ticket', 'followUp'].includes(kind) ? t(`supervisor.alert.${kind}`)
  : kind === 'anomaly' ? t('floor.alert.anomaly') : kind);

export function createSupervisorView({ invoke, skillName, onClaimed, agentId }) {
  let overview = null;
  let timer = null;
  let visible = false;
  let unseen = 0;
  let loading = null;

  $('#overview-refresh').addEventListener('click', () => refresh());
  // The tables are drawn from the last overview; the alerts already shown keep the language they came in.
  window.addEventListener('languagechange', () => render());
  // Tickets with a contact are answered later, from the board (js/ticket-board.js).
  const board = createTicketBoard({ invoke, me: agentId, skillName, refresh: () => refresh() });
  // Today's charts (js/floor-charts.js), read from /api/stats/today on their own, slower, clock.
  const charts = createFloorCharts({ skillName });

  async function refresh() {
    // One read at a time; alerts in a burst share it.
    loading ??= invoke('GetOverview')
      .then(result => {
        overview = result;
        render();
      })
      .catch(err => $('#overview-updated').textContent = t('supervisor.refreshFailed', { detail: hubError(err) }))
      .finally(() => { loading = null; });
    return loading;
  }

  // Live-chat bands (docs/metrics.md): stellar under 1 min, above average under 5, average under 10, below average to 1 h.
  const bandText = band => (band in bandClass ? t(`supervisor.band.${band}`) : null);
  const bandClass = { stellar: 'good', aboveAverage: 'good', average: 'fair', belowAverage: 'poor', unacceptable: 'poor' };

  function render() {
    if (!overview) return;
    $('#overview-updated').textContent = t('supervisor.updated', { time: formatDateTime(new Date(serverNow()), { timeStyle: 'medium' }) });

    $('#queues-table tbody').replaceChildren(...overview.queues.map(q => {
      const answered = q.slaMetToday + q.slaMissedToday;
      const attainment = answered ? Math.round((100 * q.slaMetToday) / answered) : null;
      // A conversation that overflowed is counted once, in the furthest queue it waits in (the server decides).
      const waiting = q.overflowed
        ? [formatNumber(q.waiting), h('span', { class: 'overflowed muted' }, plural('supervisor.overflowed', q.overflowed))]
        : [formatNumber(q.waiting)];
      return h('tr', { dataset: { queue: q.name }, class: q.waiting ? 'has-waiting' : '' },
        // Named in the page's language where the shop named the topic so (the server's name is English).
        h('th', { scope: 'row' }, skillName(q.name)),
        h('td', { class: 'num waiting', title: q.overflowed ? plural('supervisor.overflowedTitle', q.overflowed) : null }, ...waiting),
        h('td', { class: 'num', 'data-since': q.oldestWaitingSince ?? '' }, waitText(q.oldestWaitingSince)),
        h('td', { class: 'num' }, formatNumber(q.agentsOnline)),
        // Uncoloured: the row's one colour is its band's, so the two can never contradict each other (a red
        // "67 %" beside a green "Stellar"): attainment counts today's deadlines, the band the recent mean.
        h('td', { class: 'num attainment', title: t('supervisor.attainmentTitle', { met: formatNumber(q.slaMetToday), missed: formatNumber(q.slaMissedToday) }) },
          attainment == null ? '—' : `${formatNumber(attainment)} %`),
        h('td', { class: `band ${bandClass[q.band] ?? ''}`, title: t('supervisor.bandTitle') },
          bandText(q.band) ?? '—'));
    }));

    $('#agents-table tbody').replaceChildren(...overview.agents.map(a =>
      h('tr', { dataset: { agent: a.id } },
        h('th', { scope: 'row' }, a.name),
        h('td', null, h('span', { class: `presence presence-${a.presence}` }, presenceLabel(a.presence))),
        h('td', { class: 'load' }, h('span', { class: 'load-cell' },
          h('meter', { min: 0, max: a.capacity, value: a.active, low: a.capacity * 0.5, high: a.capacity * 0.99, optimum: 0,
            'aria-label': plural('supervisor.load', a.capacity, { name: a.name, active: formatNumber(a.active) }) }),
          h('span', { class: 'load-text' }, `${a.active} / ${a.capacity}`))))));

    board.keepFocus(() => $('#tickets').replaceChildren(...overview.tickets.map(ticket => ticket.contact ? board.item(ticket) :
      h('li', { class: 'ticket', dataset: { id: ticket.conversationId } },
        h('div', { class: 'ticket-head' },
          h('strong', null, ticket.customerName), h('span', { class: 'tag' }, skillName(ticket.topic)),
          ticket.tier !== 'none' ? h('span', { class: 'tag tag-warn' }, t(`supervisor.complaint.${ticket.tier}`)) : null,
          ticket.emotion === 'angry' || ticket.emotion === 'upset' ? h('span', { class: `tag tag-${ticket.emotion}` }, t(`mood.${ticket.emotion}`)) : null,
          h('span', { class: 'muted' }, t('supervisor.since', { time: formatTime(ticket.startedAt) }))),
        h('p', { class: 'ticket-text' }, ticket.firstMessage),
        h('button', { type: 'button', class: 'ghost', onclick: () => claim(ticket) }, t('supervisor.claim'))))));
    // Honest when there are no tickets: say whether chats are still waiting rather than that every chat found an agent.
    const waitingNow = overview.queues.reduce((sum, q) => sum + q.waiting, 0);
    $('#tickets-empty').hidden = overview.tickets.length > 0;
    $('#tickets-empty').textContent = waitingNow === 0 ? t('supervisor.noTicketsNoneWaiting') : plural('supervisor.noTicketsWaiting', waitingNow);
  }

  function waitText(since) {
    return since ? formatClock(serverNow() - Date.parse(since)) : '—';
  }

  async function claim(ticket) {
    // The server takes tickets only for agents who are Online; say so before asking.
    if (document.body.dataset.presence === 'away') {
      toast(t('supervisor.claimAway'), 'warning');
      return;
    }
    try {
      const conversation = await invoke('ClaimTicket', ticket.conversationId);
      onClaimed(conversation);
      refresh();
    } catch (err) {
      toast(t('supervisor.claimFailed', { detail: hubError(err) }), 'error');
    }
  }

  function alert(a) {
    const kind = board.alertLabel(a.kind) ?? alertLabel(a.kind);
    $('#alerts').prepend(h('li', { class: `alert alert-${a.kind}` },
      h('span', { class: 'alert-kind' }, kind),
      h('span', { class: 'alert-body' }, h('strong', null, skillName(a.topic)), ' ', a.detail),
      h('time', { datetime: a.at }, formatTime(a.at))));
    $('#alerts-empty').hidden = true;
    if (!visible) {
      unseen++;
      $('#alert-count').textContent = unseen;
      $('#alert-count').hidden = false;
      toast(`${kind}: ${skillName(a.topic)} · ${a.detail}`, a.kind === 'breach' ? 'error' : 'warning');
    }
    refresh();
    // An FRT alert is marked on the chart: draw it now, not at the next minute.
    if (visible && a.kind === 'anomaly') charts.refresh();
  }

  function tick() {
    for (const cell of document.querySelectorAll('#queues-table [data-since]')) {
      cell.textContent = waitText(cell.dataset.since || null);
    }
  }

  return {
    refresh,
    alert,
    show() {
      visible = true;
      unseen = 0;
      $('#alert-count').hidden = true;
      refresh();
      charts.show();
      clearInterval(timer);
      let seconds = 0;
      timer = setInterval(() => {
        tick();
        if ((seconds += 1000) >= refreshEvery) {
          seconds = 0;
          refresh();
        }
      }, 1000);
    },
    hide() {
      visible = false;
      clearInterval(timer);
      charts.hide();
    },
  };
}
