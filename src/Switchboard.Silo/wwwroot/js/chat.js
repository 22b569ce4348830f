// The customer's chat: start (name, topic, question), the acknowledgement with its estimate, the agent's messages
// live, the closure. The conversation id and the customer token the start gave are kept for this tab, so a reload
// joins the same chat again; the customer identity is kept for the browser, so the next chat is the same customer's.
// A start and each message carry an id made here, so one sent again (its answer was lost with the connection, or the
// server asked to try again while part of the cluster was replaced) is answered with what the first try made.
import { h, $ } from './dom.js';
import { hubConnection, startWithRetry, hubError, newId, invokeWithRetry, mayRetry, createGate } from './hub.js';
import { fetchJson, formatTime, parseTimeSpan } from './time.js';
import { loadLanguage, t } from './i18n.js';
import { createLeaveMessage } from './leave-message.js';

const conversationKey = 'switchboard.conversation';
// The customer identity token the server gave with the last start, kept per browser: with it a returning customer is
// remembered (history, their last agent) and hears a conversation a shop opens for them.
const identityKey = 'switchboard.customer';

function savedIdentity() {
  try {
    const saved = JSON.parse(localStorage.getItem(identityKey) ?? 'null');
    return typeof saved?.token === 'string' && Date.parse(saved.expiresAt) > Date.now() ? saved : null;
  } catch {
    return null;
  }
}

// { id, token } of this tab's chat, or null (nothing saved, or the id-only entry of earlier versions).
function savedChat() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(conversationKey) ?? 'null');
    return typeof saved?.id === 'string' && typeof saved?.token === 'string' ? saved : null;
  } catch {
    return null;
  }
}

// A start sent and not answered yet, { startId, start }: kept for this tab until the server answers or refuses it, so
// the same start goes again with the same id (after a reconnect, a reload, a second press of Start chat) and reaches
// the conversation the first try opened instead of opening another.
const pendingStartKey = 'switchboard.pendingStart';

function savedPendingStart() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(pendingStartKey) ?? 'null');
    return typeof saved?.startId === 'string' && typeof saved?.start?.customerName === 'string' ? saved : null;
  } catch {
    return null;
  }
}

const sameStart = (a, b) => JSON.stringify(a) === JSON.stringify(b);

let connection;
// Leave a message instead of waiting (js/leave-message.js).
let leaveMessage;
let conversation = null;
let customerToken = null;
const messages = new Map();
const agentNames = new Map();
const early = [];
// Open while the connection is up, has said who it speaks for and has joined this tab's chat again: a new connection
// has joined nothing, so a call made again waits for it.
const ready = createGate();
let starting = false;
// The message being sent, or the last one that could not be: { conversationId, messageId, text, sending }. Its id is
// made when the customer presses Send and kept until the server has it, so however often it goes, it is stored once.
let outgoing = null;
// Why the page is trying again right now ('start', 'send', 'identify', 'join'), for the discreet note in the header.
const retrying = new Set();

async function main() {
  await loadLanguage(['common', 'chat', 'tickets']);
  $('#start').addEventListener('submit', start);
  $('#composer').addEventListener('submit', event => {
    event.preventDefault();
    send();
  });
  $('#message').addEventListener('keydown', event => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  $('#new-chat').addEventListener('click', () => {
    sessionStorage.removeItem(conversationKey);
    location.reload();
  });

  fetchJson('/api/console-settings')
    .then(settings => $('#topic').replaceChildren(
      h('option', { value: '' }, 'Choose a topic'),
      ...settings.skills.map(s => h('option', { value: s.name }, s.displayName))))
    .catch(err => { $('#start-error').textContent = `We cannot reach our chat service (${err.message}). Please try again later.`; });

  connection = hubConnection('/hubs/customer');
  leaveMessage = createLeaveMessage({
    connection, ready: ready.wait, conversation: () => conversation, messages,
    onLeft: view => { conversation.status = view.status; setStatus(t('tickets.left.status')); },
  });
  connection.on('MessagePosted', ({ conversationId, message }) => onMessage(conversationId, message));
  connection.on('ConversationQueued', queued => onQueued(queued));
  connection.on('OutreachOpened', opened => onOutreach(opened));
  connection.on('ConversationClosed', ({ conversationId }) => {
    if (conversationId === conversation?.id) close();
  });
  connection.onreconnecting(() => {
    ready.shut();
    showConnection('reconnecting', 'Reconnecting…');
  });
  connection.onreconnected(() => {
    showConnection('connected', '');
    identify().then(rejoin).then(ready.open);
  });
  // Also when the server closed this connection (say it stopped reading and its outbox filled up): a new one reads
  // the chat's state again.
  connection.onclose(() => {
    ready.shut();
    showConnection('offline', 'Offline · retrying');
    startWithRetry(connection, () => showConnection('offline', 'Offline · retrying')).then(() => {
      showConnection('connected', '');
      identify().then(rejoin).then(ready.open);
    });
  });

  await startWithRetry(connection, () => showConnection('offline', 'Offline · retrying'));
  showConnection('connected', '');
  await identify();

  const saved = savedChat();
  if (saved) {
    const joined = await join(saved);
    if (joined === 'joined') {
      ready.open();
      return;
    }
    if (joined === 'refused') sessionStorage.removeItem(conversationKey);
    $('#start-error').textContent = joined === 'refused'
      ? 'We could not open your earlier chat again. Please start a new one.'
      : 'We cannot reach our chat service right now. Reload the page in a moment to open your chat again.';
  }
  ready.open();
  $('#start').hidden = false;
  // A start this tab sent whose answer never came (the page was reloaded meanwhile): send it again, with its id.
  const pending = saved ? null : savedPendingStart();
  if (pending) {
    fillStartForm(pending.start);
    sendStart(pending);
    return;
  }
  $('#name').focus();
}

function showConnection(stateName, text) {
  const el = $('#connection');
  el.dataset.state = stateName;
  el.textContent = text;
  el.hidden = stateName === 'connected';
  $('#send').disabled = stateName !== 'connected' || !!outgoing?.sending;
}

// A discreet note while a call is being made again: not an error, nothing for the customer to do.
function showRetrying(reason, on) {
  if (on) retrying.add(reason);
  else retrying.delete(reason);
  const el = $('#retrying');
  el.hidden = retrying.size === 0;
  el.textContent = retrying.has('start') ? 'Starting your chat · trying again…'
    : retrying.has('send') ? 'Sending · trying again…' : 'Trying again…';
}

async function start(event) {
  event.preventDefault();
  const customerName = $('#name').value.trim();
  const topic = $('#topic').value;
  const text = $('#question').value.trim();
  const order = $('#order').value.trim();
  const error = !customerName ? ['#name', 'Tell us your name.']
    : !topic ? ['#topic', 'Choose what your question is about.']
      : !text ? ['#question', 'Write your question.'] : null;
  if (error) {
    $('#start-error').textContent = error[1];
    $(error[0]).focus();
    return;
  }
  if (starting) return;
  // Only the fields the server knows: it refuses the whole call over an unknown one.
  const body = { customerName, topic, text, context: order ? { order } : null };
  // Pressed again after we gave up trying: the same start keeps its id, a changed one is a new start.
  const pending = savedPendingStart();
  await sendStart({ startId: pending && sameStart(pending.start, body) ? pending.startId : newId(), start: body });
}

function fillStartForm(start) {
  $('#name').value = start.customerName ?? '';
  $('#topic').value = start.topic ?? '';
  $('#order').value = start.context?.order ?? '';
  $('#question').value = start.text ?? '';
}

async function sendStart(pending) {
  starting = true;
  sessionStorage.setItem(pendingStartKey, JSON.stringify(pending));
  $('#start-chat').disabled = true;
  $('#start-error').textContent = '';
  try {
    const started = await invokeWithRetry(connection, 'StartConversation', [{ ...pending.start, startId: pending.startId }], {
      ready: ready.wait,
      onRetry: () => showRetrying('start', true),
    });
    sessionStorage.removeItem(pendingStartKey);
    sessionStorage.setItem(conversationKey, JSON.stringify({ id: started.conversation.id, token: started.customerToken }));
    localStorage.setItem(identityKey, JSON.stringify(started.customer));
    customerToken = started.customerToken;
    show(started.conversation);
    // From now on this page speaks for that customer: it hears a conversation a shop opens for them.
    identify();
  } catch (err) {
    // Refused: nothing was opened, and what the customer changes next is a new start. Not reached: the start is kept,
    // and the next press of Start chat (or a reload) sends it again with its id.
    if (!mayRetry(err)) sessionStorage.removeItem(pendingStartKey);
    $('#start-error').textContent = mayRetry(err)
      ? 'We could not reach our chat service to start your chat. Press Start chat to try again.'
      : hubError(err);
  } finally {
    starting = false;
    showRetrying('start', false);
    $('#start-chat').disabled = false;
  }
}

// A returning customer says who they are (the connection then also hears outreach); a refused identity is dropped,
// and the next start makes a new one.
async function identify() {
  const identity = savedIdentity();
  if (!identity) return;
  try {
    // Before anything else on a new connection: a start sent again must speak for the same customer as the first try.
    await invokeWithRetry(connection, 'Identify', [identity.token], { onRetry: () => showRetrying('identify', true) });
  } catch (err) {
    if (/not valid|has expired/.test(hubError(err))) localStorage.removeItem(identityKey);
  } finally {
    showRetrying('identify', false);
  }
}

// A shop wrote first: show that conversation unless the customer is in an open chat already.
async function onOutreach({ conversationId, customerToken: token }) {
  if (conversation && conversation.status !== 'resolved') return;
  if (conversation) {
    conversation = null;
    messages.clear();
    $('#thread').replaceChildren();
    $('#composer').hidden = false;
    $('#closed').hidden = true;
  }
  if (await join({ id: conversationId, token }) === 'joined') {
    sessionStorage.setItem(conversationKey, JSON.stringify({ id: conversationId, token }));
  }
}

// 'joined'; 'refused' (a token expired or not this chat's, an id the server forgot: start afresh); or 'unreachable'.
async function join({ id, token }) {
  try {
    show(await invokeWithRetry(connection, 'JoinConversation', [id, token], { onRetry: () => showRetrying('join', true) }));
    customerToken = token;
    return 'joined';
  } catch (err) {
    if (!/not valid|has expired|not for conversation|does not exist/.test(hubError(err))) return 'unreachable';
    sessionStorage.removeItem(conversationKey);
    return 'refused';
  } finally {
    showRetrying('join', false);
  }
}

// A new connection has joined nothing: join again, and catch up on what was said meanwhile.
async function rejoin() {
  if (!conversation) return;
  const joined = await join({ id: conversation.id, token: customerToken });
  if (joined === 'joined') return;
  if (joined === 'unreachable') {
    setStatus('We cannot reach our chat service right now. Reload the page in a moment to see new messages.');
    return;
  }
  setStatus('We could not find this chat any more. Please start a new one.');
  $('#composer').hidden = true;
  $('#closed').hidden = false;
}

function show(view) {
  conversation = view;
  $('#start').hidden = true;
  $('#chat').hidden = false;
  setStatus(view.status === 'assigned' ? 'An agent is with you.' : 'Waiting for an agent…');
  leaveMessage.update(view);
  if (view.ticket?.message && view.status !== 'resolved') setStatus(t('tickets.left.status'));
  view.messages.forEach(m => onMessage(view.id, m));
  // Pushes that came before the start result.
  early.splice(0).forEach(push => push());
  if (view.status === 'resolved') close();
  else $('#message').focus();
}

function onMessage(conversationId, message) {
  if (!conversation) {
    early.push(() => onMessage(conversationId, message));
    return;
  }
  if (conversationId !== conversation.id || messages.has(message.sequence)) return;
  messages.set(message.sequence, message);
  // The join notice names the agent ("Alice Martin has joined the conversation.").
  const joined = message.from === 'system' && message.agentId ? /^(.+) has joined the conversation\.$/.exec(message.text) : null;
  if (joined) agentNames.set(message.agentId, joined[1]);
  const thread = $('#thread');
  // A shop that writes first opens with its own message: shown as what support said, not as a notice.
  const fromShop = message.from === 'system' && message.sequence === 1 && conversation.outreach;
  const item = h('li', { class: `message ${fromShop ? 'agent' : message.from}`, dataset: { sequence: message.sequence } },
    message.from === 'system' && !fromShop
      ? [h('span', null, message.text)]
      : [h('div', { class: 'bubble' }, message.text),
        h('div', { class: 'meta' }, fromShop ? 'Customer support' : message.from === 'customer' ? 'You' : agentNames.get(message.agentId) ?? 'Agent',
          ' · ', h('time', { datetime: message.at }, formatTime(message.at)))]);
  const after = [...thread.children].find(li => Number(li.dataset.sequence) > message.sequence);
  thread.insertBefore(item, after ?? null);
  thread.scrollTop = thread.scrollHeight;
  if (joined || (message.from === 'agent' && conversation.status !== 'resolved')) {
    if (joined) leaveMessage.hide();
    setStatus(`${agentNames.get(message.agentId) ?? 'An agent'} is with you.`);
  }
}

function onQueued(queued) {
  if (!conversation) {
    early.push(() => onQueued(queued));
    return;
  }
  if (queued.conversationId !== conversation.id || conversation.status === 'resolved') return;
  if (queued.estimatedWait == null) leaveMessage.nobodyAvailable();
  const wait = parseTimeSpan(queued.estimatedWait);
  const estimate = wait == null ? 'Nobody who handles this topic is available right now; the first agent who is will answer you here.'
    : wait < 60000 ? 'An agent will answer in less than a minute.'
      : `An agent will answer in about ${Math.ceil(wait / 60000)} min.`;
  setStatus(`${queued.position > 1 ? `You are number ${queued.position} in line. ` : ''}${estimate}`);
}

function setStatus(text) {
  $('#status').textContent = text;
}

function close() {
  conversation.status = 'resolved';
  setStatus('This chat is closed.');
  leaveMessage.hide();
  $('#composer').hidden = true;
  $('#closed').hidden = false;
  $('#new-chat').focus();
}

async function send() {
  const box = $('#message');
  const text = box.value.trim();
  if (!text || !conversation || conversation.status === 'resolved' || outgoing?.sending) return;
  // The message that could not be sent, pressed again: the same id, so if the first try did arrive it is not doubled.
  if (outgoing?.conversationId !== conversation.id || outgoing.text !== text) {
    outgoing = { conversationId: conversation.id, messageId: newId(), text };
  }
  const current = outgoing;
  current.sending = true;
  $('#send').disabled = true;
  $('#send-error').textContent = '';
  try {
    const message = await invokeWithRetry(connection, 'SendMessageOnce', [current.conversationId, current.messageId, text], {
      ready: ready.wait,
      onRetry: () => showRetrying('send', true),
    });
    if (outgoing === current) outgoing = null;
    // Its push may have come first: the thread keeps each sequence once.
    onMessage(current.conversationId, message);
    if (box.value.trim() === text) box.value = '';
  } catch (err) {
    // Refused: nothing was stored. Not reached: it keeps its id for the next press of Send.
    if (!mayRetry(err) && outgoing === current) outgoing = null;
    $('#send-error').textContent = mayRetry(err)
      ? 'Not sent yet: we cannot reach our chat service. Press Send to try again.'
      : hubError(err);
  } finally {
    current.sending = false;
    showRetrying('send', false);
    $('#send').disabled = $('#connection').dataset.state !== 'connected';
    box.focus();
  }
}

main();
