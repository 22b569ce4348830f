// The agent console: sign in, presence, my conversations with their first-response clocks, the thread, quick
// replies, the house rules before sending, transfer and resolve; the supervisor's floor overview.
import { h, $, toast } from './dom.js';
import { hubConnection, startWithRetry, hubError, isUnauthorized, newId, invokeWithRetry, mayRetry } from './hub.js';
import { readToken, tokenProblem, loadSession, saveSession, clearSession } from './session.js';
import { fetchJson, serverNow, formatTime, formatTimeWithSeconds, formatDay, firstResponseClock } from './time.js';
import { matchQuickReplies, placeholderValues, fillPlaceholders, unfilledPlaceholders } from './quick-replies.js';
import { findForbiddenPhrases, agentMessagesInARow } from './message-rules.js';
import { createSupervisorView } from './supervisor.js';
import { loadLanguage, t, plural, language, languageNames, formatNumber } from './i18n.js';
import { mountLanguageSwitcher } from './language-switcher.js';
import { watchTyping } from './typing.js';
import { notifyIfHidden, askNotificationPermission, notificationPermission, primeSound } from './notify.js';
import { createLiveChatView, mountAgentNotes, placeNotes, staffName } from './live-chat.js';
import { mountWorkspace } from './workspace.js';
import { mountAdmin, watchSettings } from './admin.js';

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

// Topics are named in the agent's page language where the shop named them so.
const skillName = name =>
  state.settings?.languages?.[language()]?.topics?.[name]
  ?? state.settings?.skills.find(s => s.name === name)?.displayName ?? (name === 'supervisors' ? t('supervisor.supervisorsQueue') : name);

// The set of quick replies and house-rule phrases for a conversation: its customer's language, else this page's
// language, else English (the server checks the same phrases for the customer's language, English where none are set).
function languageSet(conversation, part) {
  const sets = state.settings?.languages ?? {};
  return sets[conversation?.language]?.[part] ?? sets[language()]?.[part] ?? sets.en?.[part]
    ?? (part === 'quickReplies' ? state.settings.quickReplies : state.settings.messageRules.forbiddenPhrases);
}

// ---- start and sign-in ------------------------------------------------------------------------------------------

const expiredReason = () => t('signin.expired');
// Why the page before the reload went back to sign-in, and as whom, so the sign-in screen can say so.
const returnKey = 'switchboard.signinReturn';

async function main() {
  await loadLanguage(['common', 'console', 'chatpage', 'tickets', 'livechat', 'workspace', 'admin', 'floor']);
  mountLanguageSwitcher($('#language-switcher'));
  mountLanguageSwitcher($('#signin-language'), 'signin-language-choice');
  window.addEventListener('languagechange', onLanguageChange);
  $('#dev-signin').addEventListener('submit', onDevSignIn);
  $('#token-signin').addEventListener('submit', onTokenSignIn);
  $('#sign-out').addEventListener('click', () => signOut());
  const back = JSON.parse(sessionStorage.getItem(returnKey) ?? 'null');
  sessionStorage.removeItem(returnKey);
  try {
    state.settings = await fetchJson('/api/console-settings');
  } catch (err) {
    $('#signin').hidden = false;
    showSignInError(t('signin.unreachable', { detail: err.message }));
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
    showSignIn(problem === 'expired' ? expiredReason() : t('signin.unreadable'),
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
      h('span', { class: 'agent-id' }, a.supervisor ? t('signin.demoSupervisor', { id: a.id }) : a.id)))));
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
    showSignInError(t('signin.enterId'));
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
    showSignInError(err.status === 404 ? err.message : t('signin.failed', { detail: err.message }));
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
      missing: () => t('signin.token.missing'),
      unreadable: () => t('signin.token.unreadable'),
      'not-an-agent': () => t('signin.token.notAnAgent'),
      'no-expiry': () => t('signin.token.noExpiry'),
      expired: () => (claims?.expiresAt
        ? t('signin.token.expiredAt', { time: formatTime(new Date(claims.expiresAt).toISOString()) })
        : t('signin.token.expired')),
    }[problem]());
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
  const whose = saved ? 'saved' : 'token';
  switch (err.status) {
    case 401: return /expired/i.test(err.message) ? expiredReason() : t(`signin.refused.${whose}`, { detail: err.message });
    case 403: return t(`signin.forbidden.${whose}`, { detail: err.message });
    case 404: return t('signin.noAgent', { id: claims.agentId });
    default: return t('signin.failed', { detail: err.message });
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
  renderMe();
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
    // Monitor, join, reassign a live chat; internal notes (js/live-chat.js).
    state.liveChat = createLiveChatView({ invoke: (...args) => state.connection.invoke(...args), skillName, skills: () => state.settings?.skills ?? [] });
    $('#show-conversations').addEventListener('click', () => showView('conversations'));
    $('#show-supervisor').addEventListener('click', () => showView('supervisor'));
    mountAdmin({ token: () => state.claims.token, skills: () => state.settings.skills, skillName, onShow: () => state.supervisor.hide() });
  }
  // The views Mine / Unassigned / Closed today and the search (js/workspace.js); a picked chat is shown and selected.
  state.workspace = mountWorkspace({
    token: () => state.claims.token,
    skillName,
    invoke: (...args) => state.connection.invoke(...args),
    onPicked: conversation => {
      upsertConversation(conversation);
      select(conversation.id);
    },
    renderMessage: messageItem,
  });
  renderAll();
  watchExpiry();
  await connect();
}

const tokenExpired = () => state.claims.expiresAt <= serverNow();

// Back to sign-in when the token runs out; the server closes the connection then too.
function watchExpiry() {
  const left = state.claims.expiresAt - serverNow();
  // setTimeout waits at most 2^31 - 1 ms (about 24 days): a longer token is looked at again then.
  setTimeout(() => (tokenExpired() ? signOut(expiredReason()) : watchExpiry()), Math.min(Math.max(left, 0) + 50, 2 ** 31 - 1));
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

// The connection's state and its words, a function of the language (drawn again when it changes).
let connectionText = () => '';

function setConnection(stateName, text) {
  const el = $('#connection');
  el.dataset.state = stateName;
  connectionText = text;
  el.textContent = text();
  for (const control of ['#presence', '#send', '#transfer', '#resolve']) $(control).disabled = stateName !== 'connected';
  document.body.dataset.connection = stateName;
}

// A sign-in that retrying cannot bring back: the token ran out, or negotiate answered 401. Remembers why.
function signInRefused(err) {
  if (tokenExpired()) state.refused = expiredReason();
  else if (isUnauthorized(err)) state.refused = t('signin.noLongerAccepted');
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
  connection.on('FollowUpDue', ({ conversationId }) => toast(t('toast.followUp', { id: conversationId.slice(0, 8) })));
  connection.on('SupervisorAlert', alert => state.supervisor?.alert(alert));
  state.liveChat?.listen(connection);
  mountAgentNotes({ connection, current: id => state.conversations.get(id ?? state.selectedId) });
  // Quick replies and house rules a supervisor changed apply from the next keystroke.
  watchSettings(connection, settings => { state.settings = settings; updateQuickReplies(); });
  state.typing = watchTyping({ connection, from: 'customer', box: $('#message'), current: () => state.selectedId,
    canSignal: id => state.conversations.get(id)?.status === 'assigned',
    // The list shows it too, in place of the last message, for the chats not on screen.
    onChange: (id, typing) => {
      const line = $(`#conversation-list li[data-id="${id}"] .item-bottom`);
      if (line && typing) line.dataset.typing = t('chatpage.typingInList');
      else if (line) delete line.dataset.typing;
    } });
  connection.onreconnecting(() => setConnection('reconnecting', () => t('common.reconnecting')));
  connection.onreconnected(() => {
    setConnection('connected', () => t('common.connected'));
    resync();
    state.liveChat?.resume();
  });
  const waiting = delay => setConnection('offline', () => t('common.offlineRetryingIn', { seconds: formatNumber(Math.round(delay / 1000)) }));
  const started = () => {
    setConnection('connected', () => t('common.connected'));
    return resync();
  };
  const refused = () => signOut(state.refused ?? expiredReason());
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
    setConnection('offline', () => t('common.offlineRetrying'));
    startWithRetry(connection, waiting, e => !signInRefused(e)).then(started, refused);
  });

  setConnection('connecting', () => t('common.connecting'));
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
    toast(t('toast.loadFailed', { detail: hubError(err) }), 'error');
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
    toast(wanted === 'away' ? t(state.claims?.supervisor ? 'toast.awaySupervisor' : 'toast.away') : t('toast.online'));
  } catch (err) {
    toast(t('toast.presenceFailed', { detail: hubError(err) }), 'error');
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
  button.title = permission === 'denied' ? t('notify.blockedTitle') : t('notify.title');
  button.textContent = permission === 'denied' ? t('notify.blocked') : t('notify.button');
}

$('#notify').addEventListener('click', async () => {
  const permission = await askNotificationPermission();
  renderNotifyButton();
  if (permission === 'granted') toast(t('notify.on'));
});

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
  if (!conversation || document.visibilityState !== 'visible' || $('#workspace').hidden) return;
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
    toast(t('toast.newConversation', { name: view.customerName, topic: skillName(view.topic) }));
    const last = view.messages.filter(m => m.from === 'customer').at(-1);
    notifyIfHidden({
      title: t('notify.newChat', { name: view.customerName, topic: skillName(view.topic) }),
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
      title: t('notify.wrote', { name: conversation.customerName }),
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

function onClosed({ conversationId, byCustomer }) {
  const conversation = state.conversations.get(conversationId);
  if (!conversation) return;
  conversation.status = 'resolved';
  conversation.endedByCustomer = !!byCustomer;
  if (byCustomer) toast(t('chatpage.console.customerLeft', { name: conversation.customerName }));
  state.workspace?.changed();
  renderAll();
}

function onWithdrawn({ conversationId, reason }) {
  state.withdrawn.set(conversationId, ++state.pushes);
  const conversation = state.conversations.get(conversationId);
  if (!conversation) return;
  state.conversations.delete(conversationId);
  delete state.read[conversationId];
  toast(t('toast.withdrawn', { name: conversation.customerName, reason }));
  if (state.selectedId === conversationId) select(first()?.id ?? null);
  else renderAll();
}

function onSlaWarning({ conversationId, dueAt }) {
  const conversation = state.conversations.get(conversationId);
  if (!conversation) return;
  conversation.firstResponseDueAt = dueAt;
  const late = Date.parse(dueAt) <= serverNow();
  toast(late
    ? t('toast.late', { name: conversation.customerName })
    : t('toast.warning', { name: conversation.customerName, time: formatTimeWithSeconds(dueAt) }), 'warning');
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
  $('#inbox-count').textContent = state.agent
    ? t('inbox.count', { open: formatNumber(open), capacity: formatNumber(state.agent.profile.capacity) }) : '';
  $('#inbox-count').title = state.agent ? plural('inbox.countTitle', open, { capacity: formatNumber(state.agent.profile.capacity) }) : '';
  const empty = $('#inbox-empty');
  empty.hidden = conversations.length > 0;
  empty.textContent = document.body.dataset.presence === 'away'
    ? t(state.claims?.supervisor ? 'inbox.awaySupervisor' : 'inbox.away')
    : document.body.dataset.presence === 'offline'
      ? t('common.connecting')
      : t('inbox.empty');

  paintClocks();
  const totalUnread = conversations.reduce((n, c) => n + unread(c), 0);
  document.title = `${totalUnread ? `(${formatNumber(totalUnread)}) ` : ''}${t('console.title')}`;
}

function createInboxItem(id) {
  const button = h('button', { type: 'button', class: 'conversation-item', onclick: () => select(id) },
    h('span', { class: 'item-top' }, h('span', { class: 'item-name' }), h('span', { class: 'tag tag-language item-language' }),
      h('span', { class: 'clock', 'data-clock': id })),
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
  // The customer's language, when it is not the one this page is in: the agent sees at a glance who writes another.
  const spoken = $('.item-language', button);
  spoken.hidden = !conversation.language || conversation.language === language();
  spoken.textContent = spoken.hidden ? '' : conversation.language.toUpperCase();
  spoken.title = t('conversation.language', { language: languageNames[conversation.language] ?? conversation.language ?? '' });
  $('.item-topic', button).textContent = skillName(conversation.topic);
  const last = [...conversation.messages].reverse().find(m => m.from !== 'system') ?? conversation.messages.at(-1);
  $('.item-preview', button).textContent = last ? (last.from === 'agent' && last.agentId === state.agentId ? t('inbox.yourMessage', { text: last.text }) : last.text) : '';
  const count = unread(conversation);
  const badge = $('.unread', button);
  badge.textContent = count || '';
  badge.hidden = !count;
  badge.setAttribute('aria-label', plural('inbox.unread', count));
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
  // The customer's language, beside their name: what they read and what the server tells them in.
  const spoken = $('#conversation-language');
  spoken.hidden = !conversation.language;
  spoken.textContent = (conversation.language ?? '').toUpperCase();
  spoken.title = t('conversation.language', { language: languageNames[conversation.language] ?? conversation.language ?? '' });
  spoken.setAttribute('aria-label', spoken.title);
  spoken.lang = conversation.language ?? '';
  const badge = $('#conversation-state');
  badge.hidden = !closed;
  badge.textContent = closed ? (conversation.endedByCustomer ? t('chatpage.console.endedByCustomer') : t('conversation.closed')) : '';
  badge.className = 'tag tag-closed';
  paintClock($('#conversation-clock'), conversation);
  $('#conversation-clock').hidden = closed;

  const transfer = $('#transfer-to');
  const current = transfer.value;
  transfer.replaceChildren(
    h('option', { value: '' }, t('conversation.transferTo')),
    ...state.settings.skills.filter(s => s.name !== conversation.topic).map(s => h('option', { value: s.name }, skillName(s.name))));
  transfer.value = [...transfer.options].some(o => o.value === current) ? current : '';

  for (const id of ['#transfer-to', '#transfer', '#resolve']) $(id).hidden = closed;
  $('#dismiss').hidden = !closed;
  $('#composer').hidden = closed;
  $('#message').setAttribute('aria-label', t('composer.replyTo', { name: conversation.customerName }));
  state.typing?.render();
  renderRules();
}

// Whether the thread shows its newest message (kept by its scroll events, read when its size changes).
let threadAtBottom = true;
const isAtBottom = thread => thread.scrollHeight - thread.scrollTop - thread.clientHeight < 80;

function renderThread() {
  const thread = $('#thread');
  const conversation = state.conversations.get(state.selectedId);
  thread.replaceChildren(...(conversation?.messages ?? []).map(m => messageItem(conversation, m)));
  placeNotes(thread, conversation);
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
  const author = message.from === 'customer' ? conversation.customerName : mine ? t('common.you') : staffName(conversation, message);
  return h('li', { class: `message ${message.from}${mine ? ' mine' : ''}`, dataset: { sequence: message.sequence } },
    h('div', { class: 'bubble' }, message.text),
    h('div', { class: 'meta' }, author, ' · ', h('time', { datetime: message.at }, formatTime(message.at))));
}

// ---- rendering: customer context --------------------------------------------------------------------------------

const contextKeys = ['order', 'email', 'phone', 'language', 'country'];
const contextLabel = key => (contextKeys.includes(key) ? t(`context.${key}`) : key[0].toUpperCase() + key.slice(1));
const emotionLabel = emotion => (['calm', 'upset', 'angry'].includes(emotion) ? t(`mood.${emotion}`) : null);

function renderContext() {
  const conversation = state.conversations.get(state.selectedId);
  if (!conversation) return;
  const fact = (label, value, cls) => value == null || value === '' ? [] : [h('dt', null, label), h('dd', { class: cls }, value)];
  const extra = Object.entries(conversation.context ?? {})
    .sort(([a], [b]) => (a === 'order' ? -1 : b === 'order' ? 1 : a.localeCompare(b)))
    .flatMap(([key, value]) => fact(contextLabel(key), value));
  $('#context-facts').replaceChildren(
    ...fact(t('context.name'), conversation.customerName),
    ...fact(t('context.spokenLanguage'), conversation.language ? languageNames[conversation.language] ?? conversation.language : null, 'customer-language'),
    ...extra,
    ...fact(t('context.topic'), skillName(conversation.topic)),
    ...fact(t('context.mood'), emotionLabel(conversation.emotion), `mood-${conversation.emotion}`),
    ...fact(t('context.complaint'), conversation.tier && conversation.tier !== 'none' ? t(`context.tier.${conversation.tier}`) : null),
    ...fact(t('context.vip'), conversation.vip ? t('common.yes') : null),
    ...fact(t('context.started'), formatTime(conversation.startedAt)),
    ...fact(t('context.whyOpened'), conversation.outreach
      ? t(conversation.outreach.customerAnswered ? 'context.outreachAnswered' : 'context.outreach', { reason: conversation.outreach.reason }) : null, 'outreach-reason'),
    ...fact(t('context.routed'), preferenceText(conversation)));
  renderHistory(conversation);
  $('#context-clock').replaceChildren(
    ...fact(t('context.dueBy'), formatTimeWithSeconds(conversation.firstResponseDueAt)),
    ...fact(t('context.sentAt'), conversation.firstResponseAt ? formatTimeWithSeconds(conversation.firstResponseAt) : null),
    ...fact(t('context.status'), conversation.breached ? t('context.breached') : conversation.firstResponseAt ? t('context.onTime') : null,
      conversation.breached ? 'mood-angry' : ''));
  $('#context-events').replaceChildren(...(conversation.slaEvents ?? []).map(e =>
    h('li', null, h('time', { datetime: e.at }, formatTime(e.at)), ' ', e.detail)));
}

function preferenceText(conversation) {
  const preference = conversation.preference;
  if (!preference || preference.agentId !== state.agentId || conversation.agentId !== state.agentId) return null;
  return preference.reason === 'reopened' ? t('context.routedReopened') : t('context.routedLastAgent');
}

const outcomeLabel = outcome => (['open', 'resolved', 'abandoned'].includes(outcome) ? t(`history.outcome.${outcome}`) : outcome);

// The customer's earlier conversations, newest first, as the server sent them with this one.
function renderHistory(conversation) {
  const history = conversation.history ?? [];
  $('#history-empty').hidden = history.length > 0;
  $('#context-history').replaceChildren(...history.map(past => h('li', null,
    h('button', { type: 'button', class: 'history-item', dataset: { id: past.id }, onclick: () => openPast(past),
      'aria-label': t('history.open', { topic: skillName(past.topic), day: formatDay(past.startedAt) }) },
      h('span', { class: 'history-top' },
        h('span', null, skillName(past.topic)), ' · ', h('time', { datetime: past.startedAt }, formatDay(past.startedAt)),
        ' · ', h('span', { class: `history-outcome outcome-${past.outcome}` }, outcomeLabel(past.outcome)),
        past.rating ? h('span', { title: t('history.rated', { score: formatNumber(past.rating) }) }, ` · ${'★'.repeat(past.rating)}`) : null),
      h('span', { class: 'muted' }, [past.trigger ? t('history.outreach', { trigger: past.trigger }) : '', servedBy(past)].join('')),
      past.lastMessage ? h('span', { class: 'history-excerpt' }, past.lastMessage) : null))));
}

function servedBy(past) {
  const agentId = past.resolvedBy ?? past.agentId;
  return !agentId ? t('history.noAgent') : agentId === state.agentId ? t('history.you') : t('history.agent', { id: agentId });
}

async function openPast(past) {
  try {
    const view = await invokeWithRetry(state.connection, 'OpenPastConversation', [past.id]);
    $('#past-title').textContent = `${view.customerName} · ${skillName(view.topic)} · ${formatDay(view.startedAt)}`;
    $('#past-facts').textContent = [outcomeLabel(past.outcome),
      view.agentId ? t('history.agent', { id: view.agentId }) : null,
      view.rating ? t('history.ratedLower', { score: formatNumber(view.rating.score) }) : null].filter(Boolean).join(' · ');
    $('#past-messages').replaceChildren(...view.messages.map(m => messageItem(view, m)));
    const dialog = $('#past-thread');
    if (!dialog.open) dialog.showModal();
    $('#past-close').focus();
  } catch (err) {
    toast(t('toast.openFailed', { detail: hubError(err) }), 'error');
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
  quickReplyMatches = matchQuickReplies(languageSet(conversation, 'quickReplies'), typed[1], conversation.topic);
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
    : [h('li', { class: 'quick-reply none', role: 'option', 'aria-disabled': 'true' }, t('quickReplies.none', { typed: typed[1] }))]));
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
  const forbidden = findForbiddenPhrases(text, languageSet(conversation, 'forbiddenPhrases'));
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
      h('span', { class: 'rule-text' }, t('rules.avoid'), ' ', h('mark', null, `“${hit.phrase}”`), t('rules.try'), ' ', h('q', null, hit.alternative)),
      h('button', { type: 'button', class: 'link', onclick: () => useAlternative(hit) }, t('rules.useWording'))));
  }
  if (check.tooMany) {
    notes.push(h('p', { class: 'rule rule-row' }, plural('rules.inARow', check.inARow, {
      name: conversation.customerName, limit: formatNumber(state.settings.messageRules.maxAgentMessagesInARow) })));
  }
  if (check.missing.length) {
    notes.push(h('p', { class: 'rule rule-missing' }, t('rules.fillIn', { placeholders: check.missing.join(', ') })));
  }
  if (check.refuse && (check.forbidden.length || check.tooMany)) {
    notes.push(h('p', { class: 'rule rule-refused' }, t('rules.refused')));
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
      ? t('rules.replaceFirst')
      : t('rules.waitForReply', { name: conversation.customerName });
    return;
  }
  const concerns = [];
  if (check.tooMany) concerns.push(t('confirm.inARow', { ordinal: formatNumber(check.inARow + 1), name: conversation.customerName }));
  if (check.forbidden.length) concerns.push(t('confirm.contains', { phrases: dedupe(check.forbidden).map(f => `“${f.phrase}”`).join(', ') }));
  if (check.missing.length) concerns.push(t('confirm.missing', { placeholders: check.missing.join(', ') }));
  if (concerns.length && state.confirmed !== box.value) {
    showConfirm(`${concerns.join(' ')} ${t('confirm.sendAnyway')}`);
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
    const why = mayRetry(err) ? t('composer.unreachable') : hubError(err);
    if (conversation.id === state.selectedId) $('#send-error').textContent = why;
    else toast(t('toast.notSent', { name: conversation.customerName, detail: why }), 'error');
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
    toast(t('toast.chooseQueue'));
    return;
  }
  try {
    await state.connection.invoke('Transfer', conversation.id, skill);
  } catch (err) {
    toast(t('toast.transferFailed', { detail: hubError(err) }), 'error');
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
    toast(t('toast.resolveFailed', { detail: hubError(err) }), 'error');
  } finally {
    $('#resolve').disabled = document.body.dataset.connection !== 'connected';
  }
}

// ---- language -----------------------------------------------------------------------------------------------------

function renderMe() {
  if (!state.claims) return;
  $('#me').title = t('me.title', { id: state.claims.agentId, time: formatTime(new Date(state.claims.expiresAt).toISOString()) });
}

// The page's language changed: what was drawn with t() is drawn again (messages keep the words they were sent in).
function onLanguageChange() {
  $('#connection').textContent = connectionText();
  renderMe();
  renderNotifyButton();
  if (!state.agent) return;
  renderAll();
  renderThread();
  updateQuickReplies();
}

// ---- views ------------------------------------------------------------------------------------------------------

function showView(view) {
  const supervisor = view === 'supervisor';
  $('#workspace').hidden = supervisor;
  $('#supervisor').hidden = !supervisor;
  $('#show-conversations').setAttribute('aria-pressed', String(!supervisor));
  $('#show-supervisor').setAttribute('aria-pressed', String(supervisor));
  if (supervisor) state.supervisor.show();
  if (supervisor) state.liveChat?.show(state.agentId);
  else {
    state.supervisor.hide();
    markRead(state.conversations.get(state.selectedId));
    renderInbox();
  }
}

main();
