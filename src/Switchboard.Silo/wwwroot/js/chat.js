// The customer's chat: start (name, topic, question), the acknowledgement with its estimate, the agent's messages
// live, the closure. The conversation id and the customer token the start gave are kept for this tab, so a reload
// joins the same chat again; the customer identity is kept for the browser, so the next chat is the same customer's.
import { h, $ } from './dom.js';
import { hubConnection, startWithRetry, hubError } from './hub.js';
import { fetchJson, formatTime, parseTimeSpan } from './time.js';

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

let connection;
let conversation = null;
let customerToken = null;
const messages = new Map();
const agentNames = new Map();
const early = [];

async function main() {
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
  connection.on('MessagePosted', ({ conversationId, message }) => onMessage(conversationId, message));
  connection.on('ConversationQueued', queued => onQueued(queued));
  connection.on('OutreachOpened', opened => onOutreach(opened));
  connection.on('ConversationClosed', ({ conversationId }) => {
    if (conversationId === conversation?.id) close();
  });
  connection.onreconnecting(() => showConnection('reconnecting', 'Reconnecting…'));
  connection.onreconnected(() => {
    showConnection('connected', '');
    identify().then(rejoin);
  });
  connection.onclose(() => {
    showConnection('offline', 'Offline · retrying');
    startWithRetry(connection, () => showConnection('offline', 'Offline · retrying')).then(() => {
      showConnection('connected', '');
      identify().then(rejoin);
    });
  });

  await startWithRetry(connection, () => showConnection('offline', 'Offline · retrying'));
  showConnection('connected', '');
  await identify();

  const saved = savedChat();
  if (saved) {
    if (await join(saved)) return;
    sessionStorage.removeItem(conversationKey);
    $('#start-error').textContent = 'We could not open your earlier chat again. Please start a new one.';
  }
  $('#start').hidden = false;
  $('#name').focus();
}

function showConnection(stateName, text) {
  const el = $('#connection');
  el.dataset.state = stateName;
  el.textContent = text;
  el.hidden = stateName === 'connected';
  $('#send').disabled = stateName !== 'connected';
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
  $('#start-chat').disabled = true;
  $('#start-error').textContent = '';
  try {
    // Only the fields the server knows: it refuses the whole call over an unknown one.
    const started = await connection.invoke('StartConversation', { customerName, topic, text, context: order ? { order } : null });
    sessionStorage.setItem(conversationKey, JSON.stringify({ id: started.conversation.id, token: started.customerToken }));
    localStorage.setItem(identityKey, JSON.stringify(started.customer));
    customerToken = started.customerToken;
    show(started.conversation);
    // From now on this page speaks for that customer: it hears a conversation a shop opens for them.
    identify();
  } catch (err) {
    $('#start-error').textContent = hubError(err);
  } finally {
    $('#start-chat').disabled = false;
  }
}

// A returning customer says who they are (the connection then also hears outreach); a refused identity is dropped,
// and the next start makes a new one.
async function identify() {
  const identity = savedIdentity();
  if (!identity) return;
  try {
    await connection.invoke('Identify', identity.token);
  } catch (err) {
    if (/not valid|has expired/.test(hubError(err))) localStorage.removeItem(identityKey);
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
  if (await join({ id: conversationId, token })) {
    sessionStorage.setItem(conversationKey, JSON.stringify({ id: conversationId, token }));
  }
}

async function join({ id, token }) {
  try {
    show(await connection.invoke('JoinConversation', id, token));
    customerToken = token;
    return true;
  } catch (err) {
    // A refused token (expired, not this chat's) or an id the server forgot: start afresh.
    if (/not valid|has expired|not for conversation|does not exist/.test(hubError(err))) sessionStorage.removeItem(conversationKey);
    return false;
  }
}

// A new connection has joined nothing: join again, and catch up on what was said meanwhile.
async function rejoin() {
  if (!conversation || await join({ id: conversation.id, token: customerToken })) return;
  setStatus('We could not find this chat any more. Please start a new one.');
  $('#composer').hidden = true;
  $('#closed').hidden = false;
}

function show(view) {
  conversation = view;
  $('#start').hidden = true;
  $('#chat').hidden = false;
  setStatus(view.status === 'assigned' ? 'An agent is with you.' : 'Waiting for an agent…');
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
    setStatus(`${agentNames.get(message.agentId) ?? 'An agent'} is with you.`);
  }
}

function onQueued(queued) {
  if (!conversation) {
    early.push(() => onQueued(queued));
    return;
  }
  if (queued.conversationId !== conversation.id || conversation.status === 'resolved') return;
  const wait = parseTimeSpan(queued.estimatedWait);
  const estimate = wait == null ? 'All our agents are busy; the first one free will answer you.'
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
  $('#composer').hidden = true;
  $('#closed').hidden = false;
  $('#new-chat').focus();
}

async function send() {
  const box = $('#message');
  const text = box.value.trim();
  if (!text || !conversation || conversation.status === 'resolved') return;
  $('#send').disabled = true;
  $('#send-error').textContent = '';
  try {
    const message = await connection.invoke('SendMessage', conversation.id, text);
    onMessage(conversation.id, message);
    if (box.value.trim() === text) box.value = '';
  } catch (err) {
    $('#send-error').textContent = hubError(err);
  } finally {
    $('#send').disabled = false;
    box.focus();
  }
}

main();
