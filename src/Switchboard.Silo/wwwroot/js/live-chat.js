// A supervisor on a live chat (issue 19): pick one from the floor's live chats or by id, watch it read-only as it
// happens, join and write into it, reassign it to an agent or a queue; and internal notes, which the agent holding a
// conversation and supervisors read and leave, marked in the transcript, and which the customer never sees.
import { h, $, toast } from './dom.js';
import { hubError, newId } from './hub.js';
import { t, formatNumber } from './i18n.js';
import { formatTime } from './time.js';

// The name staff wrote under: their message carries it (a supervisor's), or the notice that they joined does.
export function staffName(conversation, message) {
  return message.agentName
    ?? conversation?.messages?.find(m => m.from === 'system' && m.agentId === message.agentId && m.agentName)?.agentName
    ?? message.agentId;
}

// A note goes after the message it followed; its place in the thread sorts between two sequences.
const noteSequence = note => note.afterSequence + 0.5 + note.number / 10000;

export function noteItem(note) {
  return h('li', { class: 'message note', dataset: { sequence: noteSequence(note), note: note.id } },
    h('div', { class: 'note-label' }, t('livechat.note')),
    h('div', { class: 'bubble' }, note.text),
    h('div', { class: 'meta' }, note.authorName, ' · ', h('time', { datetime: note.at }, formatTime(note.at))));
}

// Puts a note into a thread (ol of li[data-sequence]) where it belongs, once.
export function placeNote(thread, note) {
  if (thread.querySelector(`li[data-note="${CSS.escape(note.id)}"]`)) return;
  const item = noteItem(note);
  const after = [...thread.children].find(li => Number(li.dataset.sequence) > noteSequence(note));
  thread.insertBefore(item, after ?? null);
}

export function placeNotes(thread, conversation) {
  for (const note of conversation?.notes ?? []) placeNote(thread, note);
}

function addTo(conversation, note) {
  conversation.notes ??= [];
  if (conversation.notes.some(n => n.id === note.id)) return false;
  conversation.notes.push(note);
  return true;
}

// The agent's side: notes on the conversations they hold, live, and a box to leave one on the open conversation.
export function mountAgentNotes({ connection, current }) {
  connection.on('NotePosted', ({ conversationId, note }) => {
    const conversation = current(conversationId);
    if (!conversation || !addTo(conversation, note)) return;
    if (current()?.id === conversationId) placeNote($('#thread'), note);
  });

  $('#note-composer')?.remove();
  const box = h('textarea', { id: 'note-text', rows: 2 });
  const error = h('span', { class: 'field-error', role: 'alert' });
  const form = h('form', { id: 'note-composer', class: 'note-composer', novalidate: true },
    h('label', { for: 'note-text', class: 'note-label' }),
    box,
    h('div', { class: 'composer-footer' }, error, h('button', { type: 'submit', class: 'ghost' })));
  const label = () => {
    $('label', form).textContent = t('livechat.noteLabel');
    box.placeholder = t('livechat.notePlaceholder');
    $('button', form).textContent = t('livechat.addNote');
  };
  label();
  window.addEventListener('languagechange', label);
  $('#composer').after(form);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const conversation = current();
    const text = box.value.trim();
    if (!conversation || !text) return;
    error.textContent = '';
    try {
      const note = await connection.invoke('AddNote', conversation.id, newId(), text);
      box.value = '';
      if (addTo(conversation, note)) placeNote($('#thread'), note);
    } catch (err) {
      error.textContent = hubError(err);
    }
  });
}

// The supervisor's side: a card on the floor with the live chats and the one being watched.
export function createLiveChatView({ invoke, skillName, skills }) {
  let chats = [];
  let agents = [];
  let watched = null; // the conversation on screen, as last read
  let joined = false;

  const list = h('ul', { id: 'live-chats', class: 'live-chats' });
  const empty = h('p', { id: 'live-chats-empty', class: 'empty', hidden: true });
  const idBox = h('input', { id: 'monitor-id', type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const panel = h('div', { id: 'monitor', class: 'monitor', hidden: true });
  const card = h('section', { class: 'card live-chat-card', 'aria-labelledby': 'live-chats-title' },
    h('div', { class: 'live-chat-head' },
      h('h3', { id: 'live-chats-title' }),
      h('button', { type: 'button', id: 'live-chats-refresh', class: 'ghost', onclick: () => refresh() })),
    list, empty,
    h('form', { class: 'monitor-by-id', onsubmit: event => { event.preventDefault(); if (idBox.value.trim()) monitor(idBox.value.trim()); } },
      h('label', { for: 'monitor-id' }), idBox, h('button', { type: 'submit', class: 'ghost' })),
    panel);
  $('#supervisor .supervisor-grid').append(card);

  // Called with each new connection (the console makes it after the view); pushes for the watched conversation.
  function listen(connection) {
    connection.on('WatchedMessagePosted', ({ conversationId, message }) => {
      if (watched?.id !== conversationId || watched.messages.some(m => m.sequence === message.sequence)) return;
      watched.messages.push(message);
      const thread = $('#monitor-thread');
      const item = messageItem(message);
      const after = [...thread.children].find(li => Number(li.dataset.sequence) > message.sequence);
      thread.insertBefore(item, after ?? null);
      thread.scrollTop = thread.scrollHeight;
    });
    connection.on('NotePosted', ({ conversationId, note }) => {
      if (watched?.id !== conversationId || !addTo(watched, note)) return;
      placeNote($('#monitor-thread'), note);
    });
    connection.on('WatchedConversationChanged', ({ conversationId }) => {
      if (watched?.id === conversationId) reread();
    });
  }
  window.addEventListener('languagechange', () => { labels(); renderList(); renderPanel(); });
  labels();

  function labels() {
    $('#live-chats-title').textContent = t('livechat.title');
    $('#live-chats-refresh').textContent = t('livechat.refresh');
    $('label[for="monitor-id"]', card).textContent = t('livechat.byId');
    idBox.placeholder = t('livechat.idPlaceholder');
    $('.monitor-by-id button', card).textContent = t('livechat.monitor');
  }

  async function refresh() {
    try {
      const live = await invoke('GetLiveChats');
      chats = live.chats;
      agents = live.agents;
      renderList();
    } catch (err) {
      toast(t('livechat.failed', { detail: hubError(err) }), 'error');
    }
  }

  function agentName(id) {
    return agents.find(a => a.id === id)?.name ?? id;
  }

  function renderList() {
    list.replaceChildren(...chats.map(chat => h('li', { dataset: { id: chat.id }, class: watched?.id === chat.id ? 'watching' : '' },
      h('button', { type: 'button', class: 'live-chat', onclick: () => monitor(chat.id),
        'aria-label': t('livechat.monitorChat', { name: chat.customerName }) },
        h('strong', null, chat.customerName),
        h('span', { class: 'tag' }, skillName(chat.topic)),
        h('span', { class: 'muted' }, chat.agentId ? agentName(chat.agentId) : t('livechat.waiting'))))));
    empty.hidden = chats.length > 0;
    empty.textContent = t('livechat.none');
  }

  async function monitor(id) {
    try {
      if (watched && watched.id !== id) await invoke('StopMonitoring', watched.id).catch(() => {});
      watched = await invoke('MonitorConversation', id);
      joined = (watched.supervisors ?? []).includes(me());
      renderPanel();
      renderList();
      panel.scrollIntoView({ block: 'start' });
    } catch (err) {
      toast(t('livechat.failed', { detail: hubError(err) }), 'error');
    }
  }

  async function reread() {
    if (!watched) return;
    try {
      watched = await invoke('MonitorConversation', watched.id);
      renderPanel();
      refresh();
    } catch (err) {
      toast(t('livechat.failed', { detail: hubError(err) }), 'error');
    }
  }

  let myId = null;
  const me = () => myId;

  function messageItem(message) {
    if (message.from === 'system') {
      return h('li', { class: 'message system', dataset: { sequence: message.sequence } },
        h('span', null, message.text), ' ', h('time', { datetime: message.at }, formatTime(message.at)));
    }
    const author = message.from === 'customer' ? watched.customerName : staffName(watched, message);
    const mine = message.from === 'agent' && message.agentId === me();
    return h('li', { class: `message ${message.from}${mine ? ' mine' : ''}`, dataset: { sequence: message.sequence } },
      h('div', { class: 'bubble' }, message.text),
      h('div', { class: 'meta' }, author, ' · ', h('time', { datetime: message.at }, formatTime(message.at))));
  }

  function renderPanel() {
    panel.hidden = !watched;
    if (!watched) return;
    const open = watched.status === 'assigned' || watched.status === 'waiting';
    const thread = h('ol', { id: 'monitor-thread', class: 'thread', role: 'log', 'aria-label': t('livechat.transcript'), tabindex: 0 },
      ...watched.messages.map(messageItem));
    placeNotes(thread, watched);
    const holder = watched.status === 'assigned' ? t('livechat.heldBy', { agent: agentName(watched.agentId) }) : t(`livechat.status.${watched.status}`);
    const target = h('select', { id: 'reassign-to' },
      // Those who can take it now first: only an Online agent with room and the skill is granted the slot.
      h('optgroup', { label: t('livechat.agents') }, ...agents.filter(a => a.id !== watched.agentId)
        .sort((a, b) => (a.presence === 'online' ? 0 : 1) - (b.presence === 'online' ? 0 : 1) || a.name.localeCompare(b.name))
        .map(a => h('option', { value: `agent:${a.id}` }, t('livechat.agentOption', {
          name: a.name, presence: t(`presence.${a.presence}`), active: formatNumber(a.active), capacity: formatNumber(a.capacity) })))),
      h('optgroup', { label: t('livechat.queues') }, ...skills().map(s => h('option', { value: `queue:${s.name}` }, skillName(s.name)))));
    const reply = h('textarea', { id: 'monitor-reply', rows: 2 });
    const note = h('textarea', { id: 'monitor-note', rows: 2 });
    panel.replaceChildren(...[
      h('div', { class: 'monitor-head' },
        h('h4', { id: 'monitor-title' }, watched.customerName),
        h('span', { class: 'tag' }, skillName(watched.topic)),
        h('span', { id: 'monitor-holder', class: 'muted' }, holder),
        h('span', { class: 'tag tag-readonly' }, joined ? t('livechat.joined') : t('livechat.readOnly'))),
      thread,
      open ? h('div', { class: 'monitor-actions' },
        joined ? null : h('button', { type: 'button', id: 'monitor-join', class: 'primary', disabled: watched.status !== 'assigned', onclick: join }, t('livechat.join')),
        h('label', { for: 'reassign-to' }, t('livechat.reassignTo')), target,
        h('button', { type: 'button', id: 'monitor-reassign', class: 'ghost', onclick: () => reassign(target.value) }, t('livechat.reassign'))) : null,
      open && joined ? h('form', { class: 'monitor-form', onsubmit: event => { event.preventDefault(); send(reply); } },
        h('label', { for: 'monitor-reply' }, t('livechat.replyLabel')), reply,
        h('button', { type: 'submit', class: 'primary' }, t('livechat.send'))) : null,
      open ? h('form', { class: 'monitor-form note-composer', onsubmit: event => { event.preventDefault(); addNote(note); } },
        h('label', { for: 'monitor-note', class: 'note-label' }, t('livechat.noteLabel')), note,
        h('button', { type: 'submit', class: 'ghost' }, t('livechat.addNote'))) : null,
    ].filter(Boolean));
    thread.scrollTop = thread.scrollHeight;
  }

  async function act(call, done) {
    try {
      const result = await call();
      done?.(result);
    } catch (err) {
      toast(t('livechat.failed', { detail: hubError(err) }), 'error');
    }
  }

  const join = () => act(() => invoke('JoinConversation', watched.id), view => { watched = view; joined = true; renderPanel(); });

  const send = box => box.value.trim() && act(() => invoke('SendSupervisorMessage', watched.id, newId(), box.value.trim()), () => { box.value = ''; });

  const addNote = box => box.value.trim() && act(() => invoke('AddNote', watched.id, newId(), box.value.trim()), added => {
    box.value = '';
    if (addTo(watched, added)) placeNote($('#monitor-thread'), added);
  });

  function reassign(value) {
    const [kind, ...rest] = value.split(':');
    const target = rest.join(':');
    if (!target) return;
    act(() => (kind === 'agent' ? invoke('ReassignToAgent', watched.id, target) : invoke('ReassignToQueue', watched.id, target)), () => {
      toast(t('livechat.reassigned', { target: kind === 'agent' ? agentName(target) : skillName(target) }));
      reread();
    });
  }

  return {
    listen,
    // A new connection watches nothing: watch the one on screen again.
    resume: () => (watched ? reread() : null),
    show(agentId) {
      myId = agentId;
      refresh();
    },
  };
}
