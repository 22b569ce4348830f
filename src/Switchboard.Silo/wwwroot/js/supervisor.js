// The supervisor's floor overview: queues, agents, alerts as they happen, tickets.
import { h, $, toast } from './dom.js';
import { serverNow, formatClock, formatTime } from './time.js';
import { hubError } from './hub.js';
import { createTicketBoard } from './ticket-board.js';

const refreshEvery = 10000;
const presenceLabels = { online: 'Online', away: 'Away', offline: 'Offline' };
const alertLabels = { breach: 'Breach', ticket: 'Ticket', followUp: 'Follow-up' };

export function createSupervisorView({ invoke, skillName, onClaimed, agentId }) {
  let overview = null;
  let timer = null;
  let visible = false;
  let unseen = 0;
  let loading = null;

  $('#overview-refresh').addEventListener('click', () => refresh());
  // Tickets with a contact are answered later, from the board (js/ticket-board.js).
  const board = createTicketBoard({ invoke, me: agentId, skillName, refresh: () => refresh() });

  async function refresh() {
    // One read at a time; alerts in a burst share it.
    loading ??= invoke('GetOverview')
      .then(result => {
        overview = result;
        render();
      })
      .catch(err => $('#overview-updated').textContent = `Could not refresh: ${hubError(err)}`)
      .finally(() => { loading = null; });
    return loading;
  }

  // Live-chat bands (docs/metrics.md): stellar under 1 min, above average under 5, average under 10, below average to 1 h.
  const bandText = { stellar: 'Stellar', aboveAverage: 'Above avg.', average: 'Average', belowAverage: 'Below avg.', unacceptable: 'Unacceptable' };
  const bandClass = { stellar: 'good', aboveAverage: 'good', average: 'fair', belowAverage: 'poor', unacceptable: 'poor' };

  function render() {
    if (!overview) return;
    $('#overview-updated').textContent = `Updated ${new Date(serverNow()).toLocaleTimeString()}`;

    $('#queues-table tbody').replaceChildren(...overview.queues.map(q => {
      const answered = q.slaMetToday + q.slaMissedToday;
      const attainment = answered ? Math.round((100 * q.slaMetToday) / answered) : null;
      // A conversation that overflowed is counted once, in the furthest queue it waits in (the server decides).
      const waiting = q.overflowed
        ? [String(q.waiting), h('span', { class: 'overflowed muted' }, `${q.overflowed} overflowed`)]
        : [String(q.waiting)];
      return h('tr', { dataset: { queue: q.name }, class: q.waiting ? 'has-waiting' : '' },
        h('th', { scope: 'row' }, q.displayName),
        h('td', { class: 'num waiting', title: q.overflowed ? `${q.overflowed} of them overflowed here from another queue` : null }, ...waiting),
        h('td', { class: 'num', 'data-since': q.oldestWaitingSince ?? '' }, waitText(q.oldestWaitingSince)),
        h('td', { class: 'num' }, String(q.agentsOnline)),
        // Uncoloured: the row's one colour is its band's, so the two can never contradict each other (a red
        // "67 %" beside a green "Stellar"): attainment counts today's deadlines, the band the recent mean.
        h('td', { class: 'num attainment', title: `${q.slaMetToday} on time, ${q.slaMissedToday} late today` },
          attainment == null ? '—' : `${attainment} %`),
        h('td', { class: `band ${bandClass[q.band] ?? ''}`, title: 'From the mean first response time in the rolling window' },
          bandText[q.band] ?? '—'));
    }));

    $('#agents-table tbody').replaceChildren(...overview.agents.map(a =>
      h('tr', { dataset: { agent: a.id } },
        h('th', { scope: 'row' }, a.name),
        h('td', null, h('span', { class: `presence presence-${a.presence}` }, presenceLabels[a.presence] ?? a.presence)),
        h('td', { class: 'load' }, h('span', { class: 'load-cell' },
          h('meter', { min: 0, max: a.capacity, value: a.active, low: a.capacity * 0.5, high: a.capacity * 0.99, optimum: 0,
            'aria-label': `${a.name}: ${a.active} of ${a.capacity} conversations` }),
          h('span', { class: 'load-text' }, `${a.active} / ${a.capacity}`))))));

    board.keepFocus(() => $('#tickets').replaceChildren(...overview.tickets.map(t => t.contact ? board.item(t) :
      h('li', { class: 'ticket', dataset: { id: t.conversationId } },
        h('div', { class: 'ticket-head' },
          h('strong', null, t.customerName), h('span', { class: 'tag' }, skillName(t.topic)),
          t.tier !== 'none' ? h('span', { class: 'tag tag-warn' }, `${t.tier} complaint`) : null,
          t.emotion === 'angry' || t.emotion === 'upset' ? h('span', { class: `tag tag-${t.emotion}` }, t.emotion) : null,
          h('span', { class: 'muted' }, `since ${formatTime(t.startedAt)}`)),
        h('p', { class: 'ticket-text' }, t.firstMessage),
        h('button', { type: 'button', class: 'ghost', onclick: () => claim(t) }, 'Claim')))));
    // Honest when there are no tickets: say whether chats are still waiting rather than that every chat found an agent.
    const waitingNow = overview.queues.reduce((sum, q) => sum + q.waiting, 0);
    $('#tickets-empty').hidden = overview.tickets.length > 0;
    $('#tickets-empty').textContent = waitingNow === 0
      ? 'No tickets, and no chat is waiting.'
      : `No tickets yet. ${waitingNow === 1 ? '1 chat is' : `${waitingNow} chats are`} waiting for an agent (see Queues).`;
  }

  function waitText(since) {
    return since ? formatClock(serverNow() - Date.parse(since)) : '—';
  }

  async function claim(ticket) {
    // The server takes tickets only for agents who are Online; say so before asking.
    if (document.body.dataset.presence === 'away') {
      toast('Switch to Online to take a ticket.', 'warning');
      return;
    }
    try {
      const conversation = await invoke('ClaimTicket', ticket.conversationId);
      onClaimed(conversation);
      refresh();
    } catch (err) {
      toast(`Could not claim: ${hubError(err)}`, 'error');
    }
  }

  function alert(a) {
    const kind = alertLabels[a.kind] ?? board.alertLabel(a.kind) ?? a.kind;
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
    },
  };
}
