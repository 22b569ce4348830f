// The agent console: sign in, presence, my conversations with their first-response clocks, the thread, quick
// replies, the house rules before sending, transfer and resolve; the supervisor's floor overview.
import { h, $, toast } from './dom.js';
import { hubConnection, startWithRetry, hubError, isUnauthorized, newId, invokeWithRetry, mayRetry } from './hub.js';
import { readToken, tokenProblem, loadSession, saveSession, clearSession } from './session.js';
import { fetchJson, serverNow, formatTime, formatTimeWithSeconds, firstResponseClock } from './time.js';
import { matchQuickReplies, placeholderValues, fillPlaceholders, unfilledPlaceholders } from './quick-replies.js';
import { findForbiddenPhrases, agentMessagesInARow } from './message-rules.js';
import { createSupervisorView } from './supervisor.js';
import { loadLanguage } from './i18n.js';
import { notifyIfHidden, askNotificationPermission, notificationPermission, primeSound } from './notify.js';

const state = {
  settings: null,
  // What the token says (agentId, roles, supervisor, expiresAt) and the token itself.
  claims: null,
  agentId: null,
  agent: null,
  // Why the sign-in cannot go on, once the connection has been refused for good.
  refused: null,
  connection: null,
  signingOut: false,
  conversations: new Map(),
  selectedId: null,
  read: {},
  supervisor: null,
  confirmed: null,
  // Assignments and withdrawals counted as they are pushed, so a read that started before one cannot undo it.
  pushes: 0,
  withdrawn: new Map(),
  // Per conversation, the reply being sent or the last one that could not be: { messageId, text, sending }. Its id is
  // made when the agent sends and kept until the server has the reply, so sending it again never posts it twice.
  outgoing: new Map(),
};

const skillName = name =>
  state.settings?.skills.find(s => s.name === name)?.displayName ?? (name === 'supervisors' ? 'Supervisors' : name);

// ---- start and sign-in ------------------------------------------------------------------------------------------

const expiredReason = 'Your sign-in expired; sign in again.';
// Why the page before the reload went back to sign-in, and as whom, so the sign-in screen can say so.
const returnKey = 'switchboard.signinReturn';

async function main() {
  await loadLanguage(['common', 'console', 'tickets']);
  $('#dev-signin').addEventListener('submit', onDevSignIn);
  $('#token-signin').addEventListener('submit', onTokenSignIn);
  $('#sign-out').addEventListener('click', () => signOut());
  const back = JSON.parse(sessionStorage.getItem(returnKey) ?? 'null');
  sessionStorage.removeItem(returnKey);
  try {
    state.settings = await fetchJson('/api/console-settings');
  } catch (err) {
    $('#signin').hidden = false;
    showSignInError(`The server cannot be reached (${err.message}). Reload to try again.`);
    return;
  }
  wireConversation();

  const saved = loadSession();
  if (!saved) {
    showSignIn(back?.reason, back?.agentId);
    return;
  }
  // Checked before use, against the server's clock: an expired token would only fail the connection later.
  const claims = readToken(saved.token);
  const problem = tokenProblem(claims, serverNow());
  if (problem) {
    clearSession();
    showSignIn(problem === 'expired' ? expiredReason : 'Your saved sign-in could not be read; sign in again.',
      claims?.agentId ?? saved.agentId);
    return;
  }
  await signIn(claims, { saved: true });
}

function showSignIn(error = '', agentId = '') {
  $('#app').hidden = true;
  $('#signin').hidden = false;
  showSignInError(error);
  const development = state.settings?.developmentSignIn === true;
  $('#dev-signin').hidden = !development;
  $('#token-signin').hidden = development;
  if (!development) {
    $('#access-token').focus();
    return;
  }
  const agents = state.settings.demoAgents ?? [];
  $('#agent-ids').replaceChildren(...agents.map(a => h('option', { value: a.id }, a.name)));
  $('#demo-agents').replaceChildren(...agents.map(a => h('li', null,
    h('button', { type: 'button', class: 'ghost demo-agent', dataset: { agent: a.id }, onclick: () => devSignIn(a.id) },
      h('span', { class: 'agent-name' }, a.name),
      h('span', { class: 'agent-id' }, a.supervisor ? `${a.id} · supervisor` : a.id)))));
  $('#demo-agents-box').hidden = agents.length === 0;
  if (agentId) $('#agent-id').value = agentId;
  $('#agent-id').focus();
}

function showSignInError(text) {
  $('#signin-error').textContent = text ?? '';
}

function setSignInBusy(busy) {
  for (const button of document.querySelectorAll('#signin button')) button.disabled = busy;
}

async function onDevSignIn(event) {
  event.preventDefault();
  const id = $('#agent-id').value.trim();
  if (!id) {
    showSignInError('Enter your agent id.');
    $('#agent-id').focus();
    return;
  }
  await devSignIn(id);
}

async function devSignIn(agentId) {
  setSignInBusy(true);
  showSignInError('');
  try {
    const issued = await fetchJson('/api/dev/token', { body: { agentId } });
    await signIn(readToken(issued.token));
  } catch (err) {
    // 404 says which agent does not exist, in the server's words.
    showSignInError(err.status === 404 ? err.message : `Sign-in failed: ${err.message}`);
    $('#agent-id').focus();
  } finally {
    setSignInBusy(false);
  }
}

async function onTokenSignIn(event) {
  event.preventDefault();
  const box = $('#access-token');
  // People paste whole headers too.
  const text = box.value.trim().replace(/^Bearer\s+/i, '');
  const claims = readToken(text);
  const problem = text ? tokenProblem(claims, serverNow()) : 'missing';
  if (problem) {
    showSignInError({
      missing: 'Paste your access token.',
      unreadable: 'That is not an access token: paste the whole token, three parts separated by dots (it starts with “eyJ”).',
      'not-an-agent': 'That token is not an agent’s: it does not open the agent console. Paste the token you were given for it.',
      'no-expiry': 'That token has no expiry time, so the server will not accept it. Ask for a new one.',
      expired: `That token expired${claims?.expiresAt ? ` at ${formatTime(new Date(claims.expiresAt).toISOString())}` : ''}; ask for a new one.`,
    }[problem]);
    box.focus();
    return;
  }
  setSignInBusy(true);
  showSignInError('');
  try {
    await signIn(claims);
  } finally {
    setSignInBusy(false);
  }
}

// The server's word on a token: reading one's own profile needs a token it accepts, for an agent it knows.
function refusal(err, claims, saved) {
  const whose = saved ? 'your saved sign-in' : 'this token';
  switch (err.status) {
    case 401: return /expired/i.test(err.message) ? expiredReason : `The server does not accept ${whose}: ${err.message} Sign in again.`;
    case 403: return `The server does not let ${whose} into the agent console: ${err.message}`;
    case 404: return `There is no agent '${claims.agentId}' on this server.`;
    default: return `Sign-in failed: ${err.message}`;
  }
}

async function signIn(claims, { saved = false } = {}) {
  let agent;
  try {
    agent = await fetchJson(`/api/agents/${encodeURIComponent(claims.agentId)}`, { token: claims.token });
  } catch (err) {
    // A server that cannot be reached right now says nothing about the token: keep it for the next reload.
    if ([401, 403, 404].includes(err.status)) clearSession();
    showSignIn(refusal(err, claims, saved), claims.agentId);
    return;
  }
  saveSession(claims.token, claims.agentId);
  state.claims = claims;
  state.agentId = claims.agentId;
  state.agent = agent;
  state.read = JSON.parse(sessionStorage.getItem(readKey()) ?? '{}');
  $('#signin').hidden = true;
  $('#app').hidden = false;
  $('#me').textContent = agent.profile.name;
  $('#me').title = `Signed in as ${claims.agentId} until ${formatTime(new Date(claims.expiresAt).toISOString())}`;
  renderPresence();
  renderNotifyButton();
  primeSound();
  // The hub decides by the token's roles, so the console does too.
  if (claims.supervisor) {
    $('#views').hidden = false;
    state.supervisor = createSupervisorView({
      invoke: (...args) => state.connection.invoke(...args),
      skillName,
      agentId: claims.agentId,
      onClaimed: conversation => {
        upsertConversation(conversation);
        showView('conversations');
        select(conversation.id);
      },
    });
    $('#show-conversations').addEventListener('click', () => showView('conversations'));
    $('#show-supervisor').addEventListener('click', () => showView('supervisor'));
  }
  renderAll();
  watchExpiry();
  await connect();
}

const tokenExpired = () => state.claims.expiresAt <= serverNow();

// Back to sign-in when the token runs out; the server closes the connection then too.
function watchExpiry() {
  const left = state.claims.expiresAt - serverNow();
  // setTimeout waits at most 2^31 - 1 ms (about 24 days): a longer token is looked at again then.
  setTimeout(() => (tokenExpired() ? signOut(expiredReason) : watchExpiry()), Math.min(Math.max(left, 0) + 50, 2 ** 31 - 1));
}

async function signOut(reason = '') {
  if (state.signingOut) return;
  state.signingOut = true;
  clearSession();
  // Signing out ends the working session: without this, signing in again within the grace period would resume Online.
  if (!reason && state.connection?.state === 'Connected') {
    await state.connection.invoke('SetPresence', 'away').catch(() => {});
  }
  await state.connection?.stop();
  location.hash = '';
  if (reason) sessionStorage.setItem(returnKey, JSON.stringify({ reason, agentId: state.agentId }));
  location.reload();
}

// ---- connection -------------------------------------------------------------------------------------------------

function setConnection(stateName, text) {
  const el = $('#connection');
  el.dataset.state = stateName;
  el.textContent = text;
  for (const control of ['#presence', '#send', '#transfer', '#resolve']) $(control).disabled = stateName !== 'connected';
  document.body.dataset.connection = stateName;
}

// A sign-in that retrying cannot bring back: the token ran out, or negotiate answered 401. Remembers why.
function signInRefused(err) {
  if (tokenExpired()) state.refused = expiredReason;
  else if (isUnauthorized(err)) state.refused = 'The server no longer accepts your sign-in; sign in again.';
  return state.refused != null;
}

async function connect() {
  const connection = hubConnection('/hubs/agent', {
    accessTokenFactory: () => state.claims.token,
    canRetry: err => !signInRefused(err),
  });
  state.connection = connection;
  connection.on('ConversationAssigned', onAssigned);
  connection.on('MessagePosted', onMessagePosted);
  connection.on('ConversationClosed', onClosed);
  connection.on('ConversationWithdrawn', onWithdrawn);
  connection.on('SlaWarning', onSlaWarning);
  connection.on('FollowUpDue', ({ conversationId }) => toast(`A resolved complaint is due its follow-up (${conversationId.slice(0, 8)}).`));
  connection.on('SupervisorAlert', alert => state.supervisor?.alert(alert));
  connection.onreconnecting(() => setConnection('reconnecting', 'Reconnecting…'));
  connection.onreconnected(() => {
    setConnection('connected', 'Connected');
    resync();
  });
  const waiting = delay => setConnection('offline', `Offline · retrying in ${Math.round(delay / 1000)} s`);
  const started = () => {
    setConnection('connected', 'Connected');
    return resync();
  };
  const refused = () => signOut(state.refused ?? expiredReason);
  connection.onclose(err => {
    if (state.signingOut) return;
    if (signInRefused(err)) {
      refused();
      return;
    }
    // The server refuses an unknown agent once, for good: back to sign-in with its words.
    const reason = err ? hubError(err) : '';
    if (/does not exist|Connect with/.test(reason)) {
      signOut(reason);
      return;
    }
    setConnection('offline', 'Offline · retrying');
    startWithRetry(connection, waiting, e => !signInRefused(e)).then(started, refused);
  });

  setConnection('connecting', 'Connecting…');
  try {
    await startWithRetry(connection, waiting, err => !signInRefused(err));
  } catch {
    refused();
    return;
  }
  await started();
}

// Pushes are not replayed: after every (re)connect, read what this agent holds. Pushes that arrive while the read
// is under way are newer than it and win.
async function resync() {
  try {
    const mark = state.pushes;
    // Reads: made again when the server asks to try again (part of the cluster is being replaced).
    const [agent, held] = await Promise.all([
      invokeWithRetry(state.connection, 'GetProfile', []),
      invokeWithRetry(state.connection, 'GetConversations', []),
    ]);
    state.agent = agent;
    const heldIds = new Set(held.map(c => c.id));
    for (const [id, conversation] of state.conversations) {
      if (!heldIds.has(id) && conversation.status !== 'resolved' && (conversation.pushed ?? 0) <= mark) state.conversations.delete(id);
    }
    held.filter(view => (state.withdrawn.get(view.id) ?? 0) <= mark).forEach(upsertConversation);
    if (!state.selectedId || !state.conversations.has(state.selectedId)) {
      state.selectedId = null;
      const wanted = location.hash.slice(1);
      select(state.conversations.has(wanted) ? wanted : first()?.id ?? null);
    }
    renderPresence();
    renderAll();
    state.supervisor?.refresh();
  } catch (err) {
    toast(`Could not load your conversations: ${hubError(err)}`, 'error');
  }
}

// ---- presence ---------------------------------------------------------------------------------------------------

function renderPresence() {
  // Offline until the hub connection is up: neither choice is shown as made.
  const presence = state.agent?.presence ?? 'offline';
  $('#presence-online').checked = presence === 'online';
  $('#presence-away').checked = presence === 'away';
  document.body.dataset.presence = presence;
}

$('#presence').addEventListener('change', async event => {
  const wanted = event.target.value;
  // Choosing Online is a click, the one moment a page may ask to notify: chats will come while the tab is hidden.
  if (wanted === 'online') askNotificationPermission().then(renderNotifyButton);
  try {
    // Setting the same presence twice is setting it once.
    state.agent = await invokeWithRetry(state.connection, 'SetPresence', [wanted]);
    toast(wanted === 'away' ? `You are Away: no new conversations until you are Online again${escalationsNote()}.` : 'You are Online.');
  } catch (err) {
    toast(`Could not change presence: ${hubError(err)}`, 'error');
  }
  renderPresence();
  renderInbox();
});

// The bell offers desktop notifications until the agent has answered the browser's question.
function renderNotifyButton() {
  const button = $('#notify');
  const permission = notificationPermission();
  button.hidden = permission !== 'default' && permission !== 'denied';
  button.dataset.permission = permission;
  button.title = permission === 'denied'
    ? 'Notifications are blocked for this site: allow them in the browser\'s site settings to hear of new chats while this tab is hidden.'
    : 'Notify me of new chats and messages while this tab is hidden';
  button.textContent = permission === 'denied' ? 'Notifications blocked' : 'Notify me';
}

$('#notify').addEventListener('click', async () => {
  const permission = await askNotificationPermission();
  renderNotifyButton();
  if (permission === 'granted') toast('Desktop notifications are on for new chats and messages while this tab is hidden.');
});

// A supervisor who is Away still takes escalations (the supervisors' queue): say so where Away is explained.
const escalationsNote = () => (state.claims?.supervisor ? ' (escalations to supervisors still reach you)' : '');

// ---- conversations: state ---------------------------------------------------------------------------------------

function upsertConversation(view) {
  const existing = state.conversations.get(view.id);
  const messages = new Map((existing?.messages ?? []).map(m => [m.sequence, m]));
  for (const message of view.messages) messages.set(message.sequence, message);
  const conversation = { ...existing, ...view, messages: [...messages.values()].sort((a, b) => a.sequence - b.sequence) };
  // A view read before a push must not reopen or un-answer what the push already said.
  if (existing?.status === 'resolved') conversation.status = 'resolved';
  conversation.firstResponseAt ??= existing?.firstResponseAt ?? null;
  state.conversations.set(view.id, conversation);
  return conversation;
}

function addMessage(conversation, message) {
  if (conversation.messages.some(m => m.sequence === message.sequence)) return false;
  conversation.messages.push(message);
  conversation.messages.sort((a, b) => a.sequence - b.sequence);
  if (message.from === 'agent' && !conversation.firstResponseAt) conversation.firstResponseAt = message.at;
  return true;
}

const first = () => ordered()[0];

// Open ones first, in the order they came; closed ones stay at the bottom until removed.
function ordered() {
  return [...state.conversations.values()].sort((a, b) =>
    (a.status === 'resolved') - (b.status === 'resolved') || Date.parse(a.startedAt) - Date.parse(b.startedAt));
}

function lastRead(id) {
  return state.read[id] ?? 0;
}

function unread(conversation) {
  return conversation.messages.filter(m => m.from === 'customer' && m.sequence > lastRead(conversation.id)).length;
}

function readKey() {
  return `switchboard.read.${state.agentId}`;
}

function markRead(conversation) {
  if (!conversation || document.visibilityState !== 'visible' || !$('#supervisor').hidden) return;
  const last = conversation.messages.at(-1)?.sequence ?? 0;
  if (lastRead(conversation.id) >= last) return;
  state.read[conversation.id] = last;
  sessionStorage.setItem(readKey(), JSON.stringify(state.read));
}

// ---- conversations: pushes --------------------------------------------------------------------------------------

function onAssigned(view) {
  const isNew = !state.conversations.has(view.id);
  upsertConversation(view).pushed = ++state.pushes;
  state.withdrawn.delete(view.id);
  if (isNew) {
    toast(`New conversation: ${view.customerName} · ${skillName(view.topic)}`);
    const last = view.messages.filter(m => m.from === 'customer').at(-1);
    notifyIfHidden({
      title: `New chat: ${view.customerName} · ${skillName(view.topic)}`,
      body: last?.text ?? '',
      tag: `conversation-${view.id}`,
      onClick: () => select(view.id),
    });
  }
  if (!state.selectedId) select(view.id);
  else renderAll();
}

function onMessagePosted({ conversationId, message }) {
  const conversation = state.conversations.get(conversationId);
  if (!conversation || !addMessage(conversation, message)) return;
  // The server marks an outreach answered at the customer's first message; the push carries only the message.
  if (message.from === 'customer' && conversation.outreach && !conversation.outreach.customerAnswered) {
    conversation.outreach = { ...conversation.outreach, customerAnswered: true };
  }
  if (message.from === 'customer') {
    notifyIfHidden({
      title: `${conversation.customerName} wrote`,
      body: message.text,
      tag: `conversation-${conversationId}`,
      onClick: () => select(conversationId),
    });
  }
  if (conversationId === state.selectedId) {
    appendMessage(conversation, message);
    markRead(conversation);
    renderRules();
  }
  renderInbox();
  renderContext();
}

function onClosed({ conversationId }) {
  const conversation = state.conversations.get(conversationId);
  if (!conversation) return;
  conversation.status = 'resolved';
  renderAll();
}

function onWithdrawn({ conversationId, reason }) {
  state.withdrawn.set(conversationId, ++state.pushes);
  const conversation = state.conversations.get(conversationId);
  if (!conversation) return;
  state.conversations.delete(conversationId);
  delete state.read[conversationId];
  toast(`${conversation.customerName} left your list: ${reason}.`);
  if (state.selectedId === conversationId) select(first()?.id ?? null);
  else renderAll();
}

function onSlaWarning({ conversationId, dueAt }) {
  const conversation = state.conversations.get(conversationId);
  if (!conversation) return;
  conversation.firstResponseDueAt = dueAt;
  const late = Date.parse(dueAt) <= serverNow();
  toast(late
    ? `${conversation.customerName} has waited past the deadline: answer now.`
    : `Answer ${conversation.customerName} now: the first answer is due at ${formatTimeWithSeconds(dueAt)}.`, 'warning');
  renderAll();
}

// ---- rendering: inbox -------------------------------------------------------------------------------------------

function renderAll() {
  renderInbox();
  renderConversation();
  renderContext();
}

function renderInbox() {
  const list = $('#conversation-list');
  const conversations = ordered();
  const items = new Map([...list.children].map(li => [li.dataset.id, li]));
  const wanted = conversations.map(conversation => {
    const li = items.get(conversation.id) ?? createInboxItem(conversation.id);
    fillInboxItem(li, conversation);
    items.delete(conversation.id);
    return li;
  });
  items.forEach(li => li.remove());
  wanted.forEach((li, i) => {
    if (list.children[i] !== li) list.insertBefore(li, list.children[i] ?? null);
  });

  const open = conversations.filter(c => c.status !== 'resolved').length;
  $('#inbox-count').textContent = state.agent ? `${open} of ${state.agent.profile.capacity}` : '';
  const empty = $('#inbox-empty');
  empty.hidden = conversations.length > 0;
  empty.textContent = document.body.dataset.presence === 'away'
    ? `You are Away: no new conversations come to you until you switch to Online${escalationsNote()}.`
    : document.body.dataset.presence === 'offline'
      ? 'Connecting…'
      : 'No conversations yet. New chats appear here the moment they are routed to you.';

  paintClocks();
  const totalUnread = conversations.reduce((n, c) => n + unread(c), 0);
  document.title = `${totalUnread ? `(${totalUnread}) ` : ''}Switchboard · Agent console`;
}

function createInboxItem(id) {
  const button = h('button', { type: 'button', class: 'conversation-item', onclick: () => select(id) },
    h('span', { class: 'item-top' }, h('span', { class: 'item-name' }), h('span', { class: 'clock', 'data-clock': id })),
    h('span', { class: 'item-bottom' },
      h('span', { class: 'item-topic' }), h('span', { class: 'item-preview' }), h('span', { class: 'unread' })));
  return h('li', { dataset: { id } }, button);
}

function fillInboxItem(li, conversation) {
  const button = li.firstElementChild;
  const selected = conversation.id === state.selectedId;
  button.classList.toggle('selected', selected);
  button.classList.toggle('closed', conversation.status === 'resolved');
  if (selected) button.setAttribute('aria-current', 'true');
  else button.removeAttribute('aria-current');
  $('.item-name', button).textContent = conversation.customerName;
  $('.item-topic', button).textContent = skillName(conversation.topic);
  const last = [...conversation.messages].reverse().find(m => m.from !== 'system') ?? conversation.messages.at(-1);
  $('.item-preview', button).textContent = last ? `${last.from === 'agent' ? 'You: ' : ''}${last.text}` : '';
  const count = unread(conversation);
  const badge = $('.unread', button);
  badge.textContent = count || '';
  badge.hidden = !count;
  badge.setAttribute('aria-label', `${count} unread`);
  paintClock($('.clock', button), conversation);
}

// ---- rendering: one conversation ---------------------------------------------------------------------------------

function select(id) {
  if (state.selectedId !== id) {
    state.confirmed = null;
    hideConfirm();
    $('#message').value = '';
    fitComposer();
    closeQuickReplies();
  }
  state.selectedId = id;
  $('#send-retrying').hidden = !sendRetrying.has(id);
  history.replaceState(null, '', id ? `#${id}` : location.pathname);
  renderAll();
  renderThread();
  const conversation = state.conversations.get(id);
  markRead(conversation);
  renderInbox();
  if (conversation && conversation.status !== 'resolved') $('#message').focus();
}

function renderConversation() {
  const conversation = state.conversations.get(state.selectedId);
  $('#no-conversation').hidden = !!conversation;
  $('#conversation-body').hidden = !conversation;
  $('#context').hidden = !conversation;
  if (!conversation) return;

  const closed = conversation.status === 'resolved';
  $('#conversation-title').textContent = conversation.customerName;
  $('#conversation-topic').textContent = skillName(conversation.topic);
  const badge = $('#conversation-state');
  badge.hidden = !closed;
  badge.textContent = closed ? 'Closed' : '';
  badge.className = 'tag tag-closed';
  paintClock($('#conversation-clock'), conversation);
  $('#conversation-clock').hidden = closed;

  const transfer = $('#transfer-to');
  const current = transfer.value;
  transfer.replaceChildren(
    h('option', { value: '' }, 'Transfer to…'),
    ...state.settings.skills.filter(s => s.name !== conversation.topic).map(s => h('option', { value: s.name }, s.displayName)));
  transfer.value = [...transfer.options].some(o => o.value === current) ? current : '';

  for (const id of ['#transfer-to', '#transfer', '#resolve']) $(id).hidden = closed;
  $('#dismiss').hidden = !closed;
  $('#composer').hidden = closed;
  $('#message').setAttribute('aria-label', `Reply to ${conversation.customerName}`);
  renderRules();
}

// Whether the thread shows its newest message (kept by its scroll events, read when its size changes).
let threadAtBottom = true;
const isAtBottom = thread => thread.scrollHeight - thread.scrollTop - thread.clientHeight < 80;

function renderThread() {
  const thread = $('#thread');
  const conversation = state.conversations.get(state.selectedId);
  thread.replaceChildren(...(conversation?.messages ?? []).map(m => messageItem(conversation, m)));
  thread.scrollTop = thread.scrollHeight;
  threadAtBottom = true;
}

function appendMessage(conversation, message) {
  const thread = $('#thread');
  const atBottom = isAtBottom(thread);
  const item = messageItem(conversation, message);
  const after = [...thread.children].find(li => Number(li.dataset.sequence) > message.sequence);
  thread.insertBefore(item, after ?? null);
  if (atBottom || message.from === 'agent') {
    thread.scrollTop = thread.scrollHeight;
    threadAtBottom = true;
  }
}

// The reply box is as tall as its text, between its CSS minimum and maximum.
function fitComposer() {
  const box = $('#message');
  box.style.height = 'auto';
  box.style.height = `${box.scrollHeight + box.offsetHeight - box.clientHeight}px`;
}

function messageItem(conversation, message) {
  if (message.from === 'system') {
    return h('li', { class: 'message system', dataset: { sequence: message.sequence } },
      h('span', null, message.text), ' ', h('time', { datetime: message.at }, formatTime(message.at)));
  }
  const mine = message.from === 'agent' && message.agentId === state.agentId;
  const author = message.from === 'customer' ? conversation.customerName : mine ? 'You' : message.agentId;
  return h('li', { class: `message ${message.from}${mine ? ' mine' : ''}`, dataset: { sequence: message.sequence } },
    h('div', { class: 'bubble' }, message.text),
    h('div', { class: 'meta' }, author, ' · ', h('time', { datetime: message.at }, formatTime(message.at))));
}

// ---- rendering: customer context --------------------------------------------------------------------------------

const contextLabels = { order: 'Order', email: 'Email', phone: 'Phone', language: 'Language', country: 'Country' };
const emotionLabels = { neutral: null, calm: 'Calm', upset: 'Upset', angry: 'Angry' };

function renderContext() {
  const conversation = state.conversations.get(state.selectedId);
  if (!conversation) return;
  const fact = (label, value, cls) => value == null || value === '' ? [] : [h('dt', null, label), h('dd', { class: cls }, value)];
  const extra = Object.entries(conversation.context ?? {})
    .sort(([a], [b]) => (a === 'order' ? -1 : b === 'order' ? 1 : a.localeCompare(b)))
    .flatMap(([key, value]) => fact(contextLabels[key] ?? key[0].toUpperCase() + key.slice(1), value));
  $('#context-facts').replaceChildren(
    ...fact('Name', conversation.customerName),
    ...extra,
    ...fact('Topic', skillName(conversation.topic)),
    ...fact('Mood', emotionLabels[conversation.emotion], `mood-${conversation.emotion}`),
    ...fact('Complaint', conversation.tier && conversation.tier !== 'none' ? `${conversation.tier[0].toUpperCase()}${conversation.tier.slice(1)} tier` : null),
    ...fact('VIP', conversation.vip ? 'Yes' : null),
    ...fact('Started', formatTime(conversation.startedAt)),
    ...fact('Why opened', conversation.outreach
      ? `${conversation.outreach.reason} (we wrote first${conversation.outreach.customerAnswered ? '; the customer answered' : ''})` : null, 'outreach-reason'),
    ...fact('Routed', preferenceText(conversation)));
  renderHistory(conversation);
  $('#context-clock').replaceChildren(
    ...fact('Due by', formatTimeWithSeconds(conversation.firstResponseDueAt)),
    ...fact('Sent at', conversation.firstResponseAt ? formatTimeWithSeconds(conversation.firstResponseAt) : null),
    ...fact('Status', conversation.breached ? 'Breached' : conversation.firstResponseAt ? 'On time' : null,
      conversation.breached ? 'mood-angry' : ''));
  $('#context-events').replaceChildren(...(conversation.slaEvents ?? []).map(e =>
    h('li', null, h('time', { datetime: e.at }, formatTime(e.at)), ' ', e.detail)));
}

function preferenceText(conversation) {
  const preference = conversation.preference;
  if (!preference || preference.agentId !== state.agentId || conversation.agentId !== state.agentId) return null;
  return preference.reason === 'reopened' ? 'Back to you: you resolved their last chat on this topic minutes ago' : 'Back to you: you served this customer last';
}

const outcomeLabels = { open: 'Open', resolved: 'Resolved', abandoned: 'Abandoned' };

// The customer's earlier conversations, newest first, as the server sent them with this one.
function renderHistory(conversation) {
  const history = conversation.history ?? [];
  $('#history-empty').hidden = history.length > 0;
  $('#context-history').replaceChildren(...history.map(past => h('li', null,
    h('button', { type: 'button', class: 'history-item', dataset: { id: past.id }, onclick: () => openPast(past),
      'aria-label': `Open the earlier conversation on ${skillName(past.topic)} from ${formatDay(past.startedAt)}` },
      h('span', { class: 'history-top' },
        h('span', null, skillName(past.topic)), ' · ', h('time', { datetime: past.startedAt }, formatDay(past.startedAt)),
        ' · ', h('span', { class: `history-outcome outcome-${past.outcome}` }, outcomeLabels[past.outcome] ?? past.outcome),
        past.rating ? h('span', { title: `Rated ${past.rating} of 5` }, ` · ${'★'.repeat(past.rating)}`) : null),
      h('span', { class: 'muted' }, [past.trigger ? `Outreach (${past.trigger}) · ` : '', servedBy(past)].join('')),
      past.lastMessage ? h('span', { class: 'history-excerpt' }, past.lastMessage) : null))));
}

function servedBy(past) {
  const agentId = past.resolvedBy ?? past.agentId;
  return !agentId ? 'no agent' : agentId === state.agentId ? 'you' : `agent ${agentId}`;
}

function formatDay(at) {
  return new Date(at).toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

async function openPast(past) {
  try {
    const view = await invokeWithRetry(state.connection, 'OpenPastConversation', [past.id]);
    $('#past-title').textContent = `${view.customerName} · ${skillName(view.topic)} · ${formatDay(view.startedAt)}`;
    $('#past-facts').textContent = [outcomeLabels[past.outcome] ?? past.outcome,
      view.agentId ? `agent ${view.agentId}` : null, view.rating ? `rated ${view.rating.score} of 5` : null].filter(Boolean).join(' · ');
    $('#past-messages').replaceChildren(...view.messages.map(m => messageItem(view, m)));
    const dialog = $('#past-thread');
    if (!dialog.open) dialog.showModal();
    $('#past-close').focus();
  } catch (err) {
    toast(`Could not open that conversation: ${hubError(err)}`, 'error');
  }
}

$('#past-close').addEventListener('click', () => $('#past-thread').close());

// ---- the first-response clock -----------------------------------------------------------------------------------

function paintClock(el, conversation) {
  const clock = firstResponseClock(conversation, serverNow());
  el.dataset.clock = conversation.id;
  el.dataset.level = clock.level;
  el.textContent = clock.text;
  el.title = clock.spoken;
  el.setAttribute('aria-label', clock.spoken);
}

// Once a second, only the clocks' text changes.
function paintClocks() {
  for (const el of document.querySelectorAll('[data-clock]')) {
    const conversation = state.conversations.get(el.dataset.clock);
    if (conversation) paintClock(el, conversation);
  }
}

setInterval(paintClocks, 1000);

// ---- composer: sending, rules, quick replies ---------------------------------------------------------------------

function wireConversation() {
  const box = $('#message');
  $('#composer').addEventListener('submit', event => {
    event.preventDefault();
    send();
  });
  box.addEventListener('keydown', onComposerKey);
  box.addEventListener('input', () => {
    fitComposer();
    state.confirmed = null;
    hideConfirm();
    $('#send-error').textContent = '';
    updateQuickReplies();
    renderRules();
  });
  box.addEventListener('scroll', () => { $('#composer-backdrop').scrollTop = box.scrollTop; });
  // The thread stays on the newest message while the composer grows (a longer reply, a rule note, the confirmation)
  // or the window shrinks, unless the agent scrolled up to read.
  const thread = $('#thread');
  thread.addEventListener('scroll', () => { threadAtBottom = isAtBottom(thread); });
  new ResizeObserver(() => { if (threadAtBottom) thread.scrollTop = thread.scrollHeight; }).observe(thread);
  box.addEventListener('blur', () => setTimeout(() => {
    if (!$('#composer').contains(document.activeElement)) closeQuickReplies();
  }, 150));
  $('#confirm-send').addEventListener('click', () => {
    state.confirmed = $('#message').value;
    send();
  });
  $('#confirm-cancel').addEventListener('click', () => {
    hideConfirm();
    box.focus();
  });
  $('#confirm').addEventListener('keydown', event => {
    if (event.key === 'Escape') {
      hideConfirm();
      box.focus();
    }
  });
  $('#transfer').addEventListener('click', transfer);
  $('#resolve').addEventListener('click', resolve);
  $('#dismiss').addEventListener('click', () => {
    state.conversations.delete(state.selectedId);
    select(first()?.id ?? null);
  });
  // Alt+↑ / Alt+↓ go to the previous / next conversation from anywhere.
  document.addEventListener('keydown', event => {
    if (!event.altKey || (event.key !== 'ArrowUp' && event.key !== 'ArrowDown') || !$('#workspace').offsetParent) return;
    const list = ordered();
    if (!list.length) return;
    event.preventDefault();
    const at = list.findIndex(c => c.id === state.selectedId);
    const next = list[(at + (event.key === 'ArrowDown' ? 1 : -1) + list.length) % list.length];
    select(next.id);
  });
  document.addEventListener('visibilitychange', () => {
    markRead(state.conversations.get(state.selectedId));
    renderInbox();
  });
}

function onComposerKey(event) {
  const list = $('#quick-replies');
  if (!list.hidden) {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      moveQuickReply(event.key === 'ArrowDown' ? 1 : -1);
      return;
    }
    if ((event.key === 'Enter' && !event.shiftKey) || event.key === 'Tab') {
      event.preventDefault();
      insertQuickReply(quickReplyChoice);
      return;
    }
    if (event.key === 'Escape') {
      event.preventDefault();
      closeQuickReplies();
      return;
    }
  }
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
}

let quickReplyMatches = [];
let quickReplyChoice = 0;

function updateQuickReplies() {
  const box = $('#message');
  const conversation = state.conversations.get(state.selectedId);
  const typed = /^\/(\S*)$/.exec(box.value);
  if (!typed || !conversation) {
    closeQuickReplies();
    return;
  }
  quickReplyMatches = matchQuickReplies(state.settings.quickReplies, typed[1], conversation.topic);
  quickReplyChoice = 0;
  const values = placeholderValues(conversation, state.agent.profile.name);
  $('#quick-reply-list').replaceChildren(...(quickReplyMatches.length
    ? quickReplyMatches.map((reply, i) => h('li', {
      id: `quick-reply-${i}`,
      role: 'option',
      class: 'quick-reply',
      'aria-selected': i === 0 ? 'true' : 'false',
      onmousedown: event => event.preventDefault(),
      onclick: () => insertQuickReply(i),
    },
    h('span', { class: 'quick-reply-head' },
      h('span', { class: 'shortcut' }, `/${reply.shortcut}`), h('span', { class: 'title' }, reply.title),
      reply.topic ? h('span', { class: 'tag' }, skillName(reply.topic)) : null),
    h('span', { class: 'preview' }, fillPlaceholders(reply.text, values).text)))
    : [h('li', { class: 'quick-reply none', role: 'option', 'aria-disabled': 'true' }, `No quick reply matches “${typed[1]}”.`)]));
  $('#quick-replies').hidden = false;
  box.setAttribute('aria-expanded', 'true');
  box.setAttribute('aria-activedescendant', quickReplyMatches.length ? 'quick-reply-0' : '');
}

function moveQuickReply(step) {
  if (!quickReplyMatches.length) return;
  quickReplyChoice = (quickReplyChoice + step + quickReplyMatches.length) % quickReplyMatches.length;
  [...$('#quick-reply-list').children].forEach((li, i) => li.setAttribute('aria-selected', i === quickReplyChoice ? 'true' : 'false'));
  $(`#quick-reply-${quickReplyChoice}`).scrollIntoView({ block: 'nearest' });
  $('#message').setAttribute('aria-activedescendant', `quick-reply-${quickReplyChoice}`);
}

function insertQuickReply(index) {
  const reply = quickReplyMatches[index];
  const conversation = state.conversations.get(state.selectedId);
  if (!reply || !conversation) {
    closeQuickReplies();
    return;
  }
  const { text, missing } = fillPlaceholders(reply.text, placeholderValues(conversation, state.agent.profile.name));
  const box = $('#message');
  box.value = text;
  fitComposer();
  closeQuickReplies();
  box.focus();
  // A value the conversation does not have (say {order}) is selected, for the agent to type over.
  if (missing.length) {
    const at = text.indexOf(missing[0]);
    box.setSelectionRange(at, at + missing[0].length);
  } else {
    box.setSelectionRange(text.length, text.length);
  }
  renderRules();
}

function closeQuickReplies() {
  $('#quick-replies').hidden = true;
  const box = $('#message');
  box.setAttribute('aria-expanded', 'false');
  box.removeAttribute('aria-activedescendant');
}

// What the rules say about the text in the box, live: highlighted phrases with their alternatives, the count in a row.
function ruleCheck(conversation, text) {
  const rules = state.settings.messageRules;
  const forbidden = findForbiddenPhrases(text, rules.forbiddenPhrases);
  const inARow = agentMessagesInARow(conversation.messages);
  return { forbidden, inARow, tooMany: inARow >= rules.maxAgentMessagesInARow, missing: unfilledPlaceholders(text), refuse: rules.mode === 'refuse' };
}

function renderRules() {
  const conversation = state.conversations.get(state.selectedId);
  if (!conversation) return;
  const box = $('#message');
  const text = box.value;
  const check = ruleCheck(conversation, text);

  // The backdrop behind the (transparent) textarea marks the phrases in place.
  const backdrop = $('#composer-backdrop');
  const parts = [];
  let at = 0;
  for (const hit of check.forbidden) {
    parts.push(text.slice(at, hit.start), h('mark', null, text.slice(hit.start, hit.end)));
    at = hit.end;
  }
  parts.push(text.slice(at), '\n');
  backdrop.replaceChildren(...parts);
  backdrop.scrollTop = box.scrollTop;
  box.classList.toggle('has-marks', check.forbidden.length > 0);

  const notes = [];
  for (const hit of dedupe(check.forbidden)) {
    notes.push(h('p', { class: 'rule rule-phrase' },
      h('span', { class: 'rule-text' }, 'Avoid ', h('mark', null, `“${hit.phrase}”`), '. Try: ', h('q', null, hit.alternative)),
      h('button', { type: 'button', class: 'link', onclick: () => useAlternative(hit) }, 'Use this wording')));
  }
  if (check.tooMany) {
    notes.push(h('p', { class: 'rule rule-row' }, `You have sent ${check.inARow} messages in a row without a reply from ${conversation.customerName}; `
      + `messaging channels throttle more than ${state.settings.messageRules.maxAgentMessagesInARow}. Wait for a reply if you can.`));
  }
  if (check.missing.length) {
    notes.push(h('p', { class: 'rule rule-missing' }, `Fill in ${check.missing.join(', ')} before sending.`));
  }
  if (check.refuse && (check.forbidden.length || check.tooMany)) {
    notes.push(h('p', { class: 'rule rule-refused' }, 'The house rules refuse this message as it stands.'));
  }
  $('#rule-notes').replaceChildren(...notes);
}

const dedupe = hits => hits.filter((hit, i) => hits.findIndex(o => o.phrase === hit.phrase) === i);

function useAlternative(hit) {
  const box = $('#message');
  const lower = box.value.toLowerCase();
  const at = lower.indexOf(hit.phrase.toLowerCase());
  if (at < 0) return;
  box.value = box.value.slice(0, at) + hit.alternative + box.value.slice(at + hit.phrase.length);
  fitComposer();
  box.focus();
  box.setSelectionRange(at + hit.alternative.length, at + hit.alternative.length);
  state.confirmed = null;
  hideConfirm();
  renderRules();
}

function showConfirm(text) {
  $('#confirm-text').textContent = text;
  $('#confirm').hidden = false;
  $('#confirm-send').focus();
}

function hideConfirm() {
  $('#confirm').hidden = true;
}

async function send() {
  const conversation = state.conversations.get(state.selectedId);
  const box = $('#message');
  const text = box.value.trim();
  if (!conversation || !text || conversation.status === 'resolved') return;
  const check = ruleCheck(conversation, text);

  if (check.refuse && (check.forbidden.length || check.tooMany)) {
    $('#send-error').textContent = check.forbidden.length
      ? 'Replace the marked wording first.'
      : `Wait for ${conversation.customerName} to reply before writing again.`;
    return;
  }
  const concerns = [];
  if (check.tooMany) concerns.push(`This would be message ${check.inARow + 1} in a row without a reply from ${conversation.customerName}.`);
  if (check.forbidden.length) concerns.push(`It contains ${dedupe(check.forbidden).map(f => `“${f.phrase}”`).join(', ')}.`);
  if (check.missing.length) concerns.push(`${check.missing.join(', ')} is not filled in.`);
  if (concerns.length && state.confirmed !== box.value) {
    showConfirm(`${concerns.join(' ')} Send it anyway?`);
    return;
  }

  hideConfirm();
  // Sent again after it could not be: the same id, so if the first try did arrive it is not posted twice.
  let current = state.outgoing.get(conversation.id);
  if (current?.sending) return;
  if (current?.text !== text) {
    current = { messageId: newId(), text };
    state.outgoing.set(conversation.id, current);
  }
  current.sending = true;
  $('#send').disabled = true;
  $('#send-error').textContent = '';
  try {
    const message = await invokeWithRetry(state.connection, 'SendMessageOnce', [conversation.id, current.messageId, text], {
      onRetry: () => showSendRetrying(conversation.id, true),
    });
    if (state.outgoing.get(conversation.id) === current) state.outgoing.delete(conversation.id);
    if (addMessage(conversation, message) && conversation.id === state.selectedId) appendMessage(conversation, message);
    if (box.value.trim() === text) {
      box.value = '';
      fitComposer();
    }
    state.confirmed = null;
    renderRules();
    renderInbox();
    renderContext();
  } catch (err) {
    // Refused: nothing was stored. Not reached: the reply keeps its id for the next send.
    if (!mayRetry(err) && state.outgoing.get(conversation.id) === current) state.outgoing.delete(conversation.id);
    const why = mayRetry(err) ? 'Not sent yet: the server cannot be reached. Send again to retry.' : hubError(err);
    if (conversation.id === state.selectedId) $('#send-error').textContent = why;
    else toast(`Your reply to ${conversation.customerName} was not sent: ${why}`, 'error');
  } finally {
    current.sending = false;
    showSendRetrying(conversation.id, false);
    $('#send').disabled = document.body.dataset.connection !== 'connected';
    if (state.selectedId === conversation.id) box.focus();
  }
}

// A discreet note while a reply is being sent again (its connection dropped, or the server asked to try again).
const sendRetrying = new Set();

function showSendRetrying(conversationId, on) {
  if (on) sendRetrying.add(conversationId);
  else sendRetrying.delete(conversationId);
  $('#send-retrying').hidden = !sendRetrying.has(state.selectedId);
}

async function transfer() {
  const conversation = state.conversations.get(state.selectedId);
  const skill = $('#transfer-to').value;
  if (!conversation) return;
  if (!skill) {
    $('#transfer-to').focus();
    toast('Choose the queue to transfer to.');
    return;
  }
  try {
    await state.connection.invoke('Transfer', conversation.id, skill);
  } catch (err) {
    toast(`Transfer failed: ${hubError(err)}`, 'error');
  }
}

async function resolve() {
  const conversation = state.conversations.get(state.selectedId);
  if (!conversation) return;
  $('#resolve').disabled = true;
  try {
    // Resolving again is harmless (the server does nothing), so it is made again when it was not answered.
    await invokeWithRetry(state.connection, 'Resolve', [conversation.id]);
    conversation.status = 'resolved';
    renderAll();
    $('#dismiss').focus();
  } catch (err) {
    toast(`Could not resolve: ${hubError(err)}`, 'error');
  } finally {
    $('#resolve').disabled = document.body.dataset.connection !== 'connected';
  }
}

// ---- views ------------------------------------------------------------------------------------------------------

function showView(view) {
  const supervisor = view === 'supervisor';
  $('#workspace').hidden = supervisor;
  $('#supervisor').hidden = !supervisor;
  $('#show-conversations').setAttribute('aria-pressed', String(!supervisor));
  $('#show-supervisor').setAttribute('aria-pressed', String(supervisor));
  if (supervisor) state.supervisor.show();
  else {
    state.supervisor.hide();
    markRead(state.conversations.get(state.selectedId));
    renderInbox();
  }
}

main();
