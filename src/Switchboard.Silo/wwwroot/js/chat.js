// The customer's chat: start (name, topic, question), the acknowledgement with its estimate, the agent's messages
// live, the closure. The conversation id and the customer token the start gave are kept for this tab, so a reload
// joins the same chat again; the customer identity is kept for the browser, so the next chat is the same customer's.
// A start and each message carry an id made here, so one sent again (its answer was lost with the connection, or the
// server asked to try again while part of the cluster was replaced) is answered with what the first try made.
import { h, $ } from './dom.js';
import { hubConnection, startWithRetry, hubError, newId, invokeWithRetry, mayRetry, createGate } from './hub.js';
import { fetchJson, formatTime, parseTimeSpan } from './time.js';
import { loadLanguage, t, language, formatNumber } from './i18n.js';
import { mountLanguageSwitcher } from './language-switcher.js';
import { createRating } from './chat-rating.js';
import { createEndChat } from './chat-end.js';
import { watchTyping } from './typing.js';
import { rememberName, fillRememberedName } from './customer-name.js';
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
// Issue 18's parts of the page (rating, End chat), made once the connection exists.
let rating;
let endChat;
// Why the page is trying again right now ('start', 'send', 'identify', 'join'), for the discreet note in the header.
const retrying = new Set();

async function main() {
  await loadLanguage(['common', 'chat', 'chatpage', 'tickets']);
  mountLanguageSwitcher($('#language-switcher'));
  // What was drawn with t() is drawn again in the new language (the conversation's own notices stay in the language
  // it was started in: the server wrote them).
  window.addEventListener('languagechange', () => {
    renderTopics();
    renderStatus();
    if (retrying.size) showRetrying(null, false);
    [...messages.values()].forEach(m => redrawMeta(m));
  });
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
    .then(result => {
      settings = result;
      renderTopics();
    })
    .catch(err => { $('#start-error').textContent = t('chat.error.unreachable', { detail: err.message }); });

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
  rating = createRating({ connection, ready: ready.wait });
  endChat = createEndChat({ connection, ready: ready.wait, current: () => conversation, ended: onEnded });
  watchTyping({ connection, from: 'agent', box: $('#message'), current: () => conversation?.id,
    canSignal: () => conversation?.status !== 'resolved' });
  connection.onreconnecting(() => {
    ready.shut();
    showConnection('reconnecting', t('common.reconnecting'));
  });
  connection.onreconnected(() => {
    showConnection('connected', '');
    identify().then(rejoin).then(ready.open);
  });
  // Also when the server closed this connection (say it stopped reading and its outbox filled up): a new one reads
  // the chat's state again.
  connection.onclose(() => {
    ready.shut();
    showConnection('offline', t('common.offlineRetrying'));
    startWithRetry(connection, () => showConnection('offline', t('common.offlineRetrying'))).then(() => {
      showConnection('connected', '');
      identify().then(rejoin).then(ready.open);
    });
  });

  await startWithRetry(connection, () => showConnection('offline', t('common.offlineRetrying')));
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
    $('#start-error').textContent = joined === 'refused' ? t('chat.error.rejoinRefused') : t('chat.error.rejoinUnreachable');
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
  // A returning customer finds their name filled in (and may change it): the topic is next.
  $(fillRememberedName($('#name')) ? '#topic' : '#name').focus();
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
  el.textContent = retrying.has('start') ? t('chat.retrying.start')
    : retrying.has('send') ? t('common.retrying.send') : t('common.retrying');
}

async function start(event) {
  event.preventDefault();
  const customerName = $('#name').value.trim();
  const topic = $('#topic').value;
  const text = $('#question').value.trim();
  const order = $('#order').value.trim();
  const error = !customerName ? ['#name', t('chat.error.name')]
    : !topic ? ['#topic', t('chat.error.topic')]
      : !text ? ['#question', t('chat.error.question')] : null;
  if (error) {
    $('#start-error').textContent = error[1];
    $(error[0]).focus();
    return;
  }
  if (starting) return;
  // Only the fields the server knows: it refuses the whole call over an unknown one. The page's language is the
  // customer's: what the server tells them is written in it.
  const body = { customerName, topic, text, context: order ? { order } : null, language: language() };
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
    rememberName(pending.start.customerName);
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
      ? t('chat.error.startUnreachable')
      : refusalText(err);
  } finally {
    starting = false;
    showRetrying('start', false);
    $('#start-chat').disabled = false;
  }
}

// Why the server refused, in the page's language for the refusals a customer meets (the server words its refusals
// in English for every client); any other in the server's words.
function refusalText(err) {
  const text = hubError(err);
  if (/^Too many (messages|starts)/.test(text)) {
    return t('chat.refused.tooMany', { seconds: formatNumber(Number(/Try again in (\d+) s/.exec(text)?.[1] ?? 1)) });
  }
  if (/ is full/.test(text)) return t('chat.refused.full');
  if (/UTF-16 code units long/.test(text)) return t('chat.refused.tooLong');
  if (/look like a member of staff/.test(text)) return t('chat.refused.staffName');
  return text;
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
    rating.hide();
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
    setStatus('chat.status.unreachable');
    return;
  }
  setStatus('chat.status.gone');
  $('#composer').hidden = true;
  $('#closed').hidden = false;
}

function show(view) {
  conversation = view;
  $('#start').hidden = true;
  $('#chat').hidden = false;
  setStatus(view.status === 'assigned' ? 'chat.status.agent' : 'chat.status.waiting');
  leaveMessage.update(view);
  if (view.ticket?.message && view.status !== 'resolved') setStatus('tickets.left.status');
  view.messages.forEach(m => onMessage(view.id, m));
  // Pushes that came before the start result.
  early.splice(0).forEach(push => push());
  if (view.status === 'resolved') close();
  else {
    endChat.show();
    $('#message').focus();
  }
}

function onMessage(conversationId, message) {
  if (!conversation) {
    early.push(() => onMessage(conversationId, message));
    return;
  }
  if (conversationId !== conversation.id || messages.has(message.sequence)) return;
  messages.set(message.sequence, message);
  // The join notice names the agent (its text is in the customer's language; earlier notices only had the English text).
  const joinedName = message.from === 'system' && message.agentId
    ? message.agentName ?? /^(.+) has joined the conversation\.$/.exec(message.text)?.[1] : null;
  const joined = joinedName != null;
  if (joined) agentNames.set(message.agentId, joinedName);
  const thread = $('#thread');
  // A shop that writes first opens with its own message: shown as what support said, not as a notice.
  const fromShop = message.from === 'system' && message.sequence === 1 && conversation.outreach;
  const item = h('li', { class: `message ${fromShop ? 'agent' : message.from}`, dataset: { sequence: message.sequence } },
    message.from === 'system' && !fromShop
      ? [h('span', null, message.text)]
      : [h('div', { class: 'bubble' }, message.text), h('div', { class: 'meta' }, ...metaParts(message, fromShop))]);
  const after = [...thread.children].find(li => Number(li.dataset.sequence) > message.sequence);
  thread.insertBefore(item, after ?? null);
  thread.scrollTop = thread.scrollHeight;
  if (joined || (message.from === 'agent' && conversation.status !== 'resolved')) {
    if (joined) leaveMessage.hide();
    const name = agentNames.get(message.agentId);
    setStatus(name ? 'chat.status.agentNamed' : 'chat.status.agent', { name });
  }
}

function metaParts(message, fromShop) {
  const author = fromShop ? t('chat.brand') : message.from === 'customer' ? t('common.you') : agentNames.get(message.agentId) ?? t('chat.agent');
  return [author, ' · ', h('time', { datetime: message.at }, formatTime(message.at))];
}

function redrawMeta(message) {
  const meta = $(`#thread li[data-sequence="${message.sequence}"] .meta`);
  const fromShop = message.from === 'system' && message.sequence === 1 && conversation?.outreach;
  if (meta) meta.replaceChildren(...metaParts(message, fromShop));
}

let settings = null;

// The topics, named in the page's language where the shop named them so.
function renderTopics() {
  if (!settings) return;
  const select = $('#topic');
  const chosen = select.value;
  const names = settings.languages?.[language()]?.topics ?? {};
  select.replaceChildren(
    h('option', { value: '' }, t('chat.chooseTopic')),
    ...settings.skills.map(s => h('option', { value: s.name }, names[s.name] ?? s.displayName)));
  select.value = chosen;
}

function onQueued(queued) {
  if (!conversation) {
    early.push(() => onQueued(queued));
    return;
  }
  if (queued.conversationId !== conversation.id || conversation.status === 'resolved') return;
  if (queued.estimatedWait == null) leaveMessage.nobodyAvailable();
  const wait = parseTimeSpan(queued.estimatedWait);
  setStatus(() => {
    const estimate = wait == null ? t('chat.queue.nobody')
      : wait < 60000 ? t('chat.queue.underAMinute')
        : t('chat.queue.minutes', { minutes: formatNumber(Math.ceil(wait / 60000)) });
    return queued.position > 1 ? `${t('chat.queue.position', { position: formatNumber(queued.position) })} ${estimate}` : estimate;
  });
}

// The status line: a key (and its values) or a function of the language, kept so a change of language redraws it.
let status = null;

function setStatus(key, params) {
  status = typeof key === 'function' ? key : () => t(key, params);
  renderStatus();
}

function renderStatus() {
  $('#status').textContent = status ? status() : '';
}

function close() {
  // Closed already (the push and the End chat answer both say so, in either order).
  if (conversation.status === 'resolved' && !$('#closed').hidden) return;
  conversation.status = 'resolved';
  setStatus('chat.status.closed');
  leaveMessage.hide();
  $('#composer').hidden = true;
  $('#closed').hidden = false;
  endChat.hide();
  // Ending it here: its answer says whether anyone served it (rateable), so the rating waits for onEnded.
  if (!endChat.leaving) rating.show(conversation);
  $('#new-chat').focus();
}

// The customer ended the chat (End chat): closed as the server answered, abandoned or not.
function onEnded(view) {
  if (view.id !== conversation?.id) return;
  conversation.abandoned = view.abandoned;
  conversation.rating = view.rating;
  if (conversation.status !== 'resolved') close();
  rating.show(conversation);
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
      ? t('chat.error.sendUnreachable')
      : refusalText(err);
  } finally {
    current.sending = false;
    showRetrying('send', false);
    $('#send').disabled = $('#connection').dataset.state !== 'connected';
    box.focus();
  }
}

main();
