// The agent's workspace around "My conversations": the views Mine / Unassigned / Closed today, and a search over the
// agent's own closed conversations (customer name, order number or words of the chat). Lists and search are read over
// HTTP (/api/workspace, docs/protocol.md); a picked chat arrives like any assignment, through the hub's push.
import { h, $, toast } from './dom.js';
import { fetchJson, serverNow, formatTime, formatDay, formatClock } from './time.js';
import { hubError } from './hub.js';
import { t, plural, formatNumber } from './i18n.js';

const views = ['mine', 'unassigned', 'closed'];
// The Unassigned view is read again this often while it is shown: waiting chats come and go with routing.
const unassignedEvery = 5000;

/**
 * Mounts the views and the search in the inbox pane. token(): the agent's bearer token; skillName(name): a topic's
 * name; invoke(...): a call on the agent hub; onPicked(view): a chat the agent took (shown in Mine, selected);
 * renderMessage(view, message): a message as the thread draws it.
 */
export function mountWorkspace({ token, skillName, invoke, onPicked, renderMessage }) {
  const inbox = $('.inbox');
  let view = 'mine';
  let query = '';
  let canPick = true;
  let timer = null;
  let results = { unassigned: null, closed: null, search: null };
  let loading = null;

  const tabs = views.map(name => h('button', {
    type: 'button', role: 'tab', id: `view-${name}`, 'aria-controls': name === 'mine' ? 'conversation-list' : 'workspace-list',
    'aria-selected': String(name === view), tabindex: name === view ? '0' : '-1', dataset: { view: name },
    onclick: () => show(name),
    onkeydown: event => {
      if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
      const shown = views.filter(v => !$(`#view-${v}`).hidden);
      const next = shown[(shown.indexOf(view) + (event.key === 'ArrowRight' ? 1 : -1) + shown.length) % shown.length];
      show(next);
      $(`#view-${next}`).focus();
    },
  }, h('span', { class: 'view-label' }), ' ', h('span', { class: 'view-count muted' })));
  const tablist = h('div', { class: 'workspace-views', role: 'tablist' }, tabs);
  const search = h('input', { type: 'search', id: 'workspace-search', autocomplete: 'off', maxlength: '100', enterkeyhint: 'search' });
  const searchLabel = h('label', { for: 'workspace-search', class: 'visually-hidden' });
  const form = h('form', { class: 'workspace-search', role: 'search', novalidate: true }, searchLabel, search,
    h('button', { type: 'submit', class: 'ghost', id: 'workspace-search-go' }));
  const status = h('p', { class: 'workspace-status', role: 'status', 'aria-live': 'polite' });
  const list = h('ul', { class: 'workspace-list', id: 'workspace-list', role: 'tabpanel' });
  $('#inbox-title').after(form, tablist);
  $('#inbox-empty').after(status, list);

  form.addEventListener('submit', event => {
    event.preventDefault();
    query = search.value.trim();
    if (query) show('search');
    else show(view === 'search' ? 'mine' : view);
  });
  // Clearing the box (its × or Esc) goes back to where the agent was.
  search.addEventListener('search', () => {
    if (!search.value.trim() && view === 'search') show('mine');
  });
  window.addEventListener('languagechange', render);

  async function show(name) {
    view = name;
    inbox.dataset.view = name;
    clearInterval(timer);
    timer = null;
    render();
    if (name === 'unassigned') timer = setInterval(() => load(), unassignedEvery);
    if (name !== 'mine') await load();
  }

  async function load(which = view) {
    if (which === 'mine') return;
    const url = {
      unassigned: '/api/workspace/unassigned',
      closed: `/api/workspace/closed?since=${encodeURIComponent(startOfToday().toISOString())}`,
      search: `/api/workspace/search?q=${encodeURIComponent(query)}`,
    }[which];
    try {
      loading = which;
      render();
      results[which] = await fetchJson(url, { token: token() });
    } catch (err) {
      if (which === 'unassigned' && err.status === 403) {
        // This agent does not pick (Switchboard:Workspace:AgentsMayPick): the view goes.
        canPick = false;
        return view === 'unassigned' ? show('mine') : render();
      }
      results[which] = { error: err.message };
    } finally {
      loading = null;
    }
    render();
  }

  function render() {
    for (const tab of tabs) {
      const name = tab.dataset.view;
      const selected = name === view;
      tab.setAttribute('aria-selected', String(selected));
      tab.tabIndex = selected || (view === 'search' && name === 'mine') ? 0 : -1;
      $('.view-label', tab).textContent = t(`workspace.view.${name}`);
      const count = Array.isArray(results[name]) && name !== 'mine' ? results[name].length : null;
      $('.view-count', tab).textContent = count ? formatNumber(count) : '';
    }
    $('#view-unassigned').hidden = !canPick;
    tablist.setAttribute('aria-label', t('workspace.views'));
    searchLabel.textContent = t('workspace.search.label');
    search.placeholder = t('workspace.search.placeholder');
    $('#workspace-search-go').textContent = t('workspace.search.go');
    if (view === 'mine') {
      list.replaceChildren();
      status.textContent = '';
      return;
    }
    list.setAttribute('aria-labelledby', view === 'search' ? 'workspace-search' : `view-${view}`);
    const shown = results[view];
    if (shown?.error) {
      status.textContent = t('workspace.failed', { detail: shown.error });
      return;
    }
    if (!Array.isArray(shown)) {
      status.textContent = loading ? t('workspace.loading') : '';
      return;
    }
    status.textContent = shown.length ? (view === 'search' ? plural('workspace.search.found', shown.length, { query }) : '')
      : t(`workspace.empty.${view}`, { query });
    list.replaceChildren(...shown.map(item => (view === 'unassigned' ? waitingItem(item) : pastItem(item))));
  }

  function waitingItem(chat) {
    const waited = Math.max(0, serverNow() - Date.parse(chat.waitingSince));
    return h('li', { class: 'workspace-item', dataset: { id: chat.id } },
      h('span', { class: 'item-top' }, h('span', { class: 'item-name' }, chat.customerName),
        chat.vip ? h('span', { class: 'tag tag-vip' }, 'VIP') : null,
        h('span', { class: 'waited', title: t('workspace.waitingSince', { time: formatTime(chat.waitingSince) }) }, t('workspace.waited', { time: formatClock(waited) }))),
      h('span', { class: 'item-bottom' }, h('span', { class: 'item-topic' }, skillName(chat.queue === 'supervisors' ? chat.queue : chat.topic)),
        chat.order ? h('span', { class: 'item-order' }, chat.order) : null),
      chat.lastMessage ? h('span', { class: 'workspace-snippet' }, chat.lastMessage) : null,
      h('button', { type: 'button', class: 'primary pick', 'aria-label': t('workspace.pickLabel', { name: chat.customerName }),
        onclick: event => pick(chat, event.currentTarget) }, t('workspace.pick')));
  }

  function pastItem(past) {
    return h('li', { class: 'workspace-item past', dataset: { id: past.id } },
      h('button', { type: 'button', class: 'workspace-open', onclick: () => open(past),
        'aria-label': t('workspace.openLabel', { name: past.customerName, day: formatDay(past.closedAt), time: formatTime(past.closedAt) }) },
        h('span', { class: 'item-top' }, h('span', { class: 'item-name' }, past.customerName),
          h('time', { datetime: past.closedAt, class: 'muted' }, view === 'closed' ? formatTime(past.closedAt) : `${formatDay(past.closedAt)} ${formatTime(past.closedAt)}`)),
        h('span', { class: 'item-bottom' }, h('span', { class: 'item-topic' }, skillName(past.topic)),
          past.order ? h('span', { class: 'item-order' }, past.order) : null,
          h('span', { class: 'muted' }, t(past.endedByCustomer ? 'workspace.endedByCustomer' : 'workspace.resolved'))),
        past.snippet ? h('span', { class: 'workspace-snippet' }, past.snippet) : null));
  }

  async function pick(chat, button) {
    button.disabled = true;
    try {
      const taken = await fetchJson(`/api/workspace/unassigned/${encodeURIComponent(chat.id)}/pick`,
        { token: token(), body: { queue: chat.queue, ticket: chat.ticket } });
      toast(t('workspace.picked', { name: taken.customerName }));
      results.unassigned = results.unassigned?.filter(c => c.id !== chat.id) ?? null;
      await show('mine');
      onPicked(taken);
    } catch (err) {
      // Taken by someone else, no room, or it moved on: the server says which; the list is read again.
      toast(t('workspace.pickFailed', { detail: err.message }), 'error');
      button.disabled = false;
      load();
    }
  }

  // A closed conversation opens read-only, in the same dialog as a customer's earlier ones.
  async function open(past) {
    try {
      const conversation = await invoke('GetConversation', past.id);
      $('#past-title').textContent = `${conversation.customerName} · ${skillName(conversation.topic)} · ${formatDay(conversation.startedAt)}`;
      $('#past-facts').textContent = [past.order, t(past.endedByCustomer ? 'workspace.endedByCustomer' : 'workspace.resolved'),
        t('workspace.closedAt', { time: `${formatDay(past.closedAt)} ${formatTime(past.closedAt)}` })].filter(Boolean).join(' · ');
      $('#past-messages').replaceChildren(...conversation.messages.map(m => renderMessage(conversation, m)));
      const dialog = $('#past-thread');
      if (!dialog.open) dialog.showModal();
      $('#past-close').focus();
    } catch (err) {
      toast(t('workspace.openFailed', { detail: hubError(err) }), 'error');
    }
  }

  inbox.dataset.view = view;
  render();
  // Whether this agent may pick is the server's word: one read tells (403 hides the view).
  load('unassigned');
  return {
    // A conversation closed or was picked elsewhere: the lists shown are read again.
    changed: () => (view === 'mine' ? null : load()),
    show,
  };
}

function startOfToday() {
  const today = new Date(serverNow());
  today.setHours(0, 0, 0, 0);
  return today;
}
