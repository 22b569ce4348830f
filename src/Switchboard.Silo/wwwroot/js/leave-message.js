// Leave a message instead of waiting: offered on the chat page at once when nobody who handles the topic is available
// (the server says so with the conversation, leaveMessageFrom = its start, or a queue report with no estimate), and
// after Switchboard:Tickets:OfferAfter to anyone still waiting. The form takes an email address and the message
// (prefilled with what the customer wrote); submitting turns the chat into a ticket, answered later by email. The
// request carries an id made here and kept until the server answers, so a retry leaves the message once.
import { h, $ } from './dom.js';
import { t } from './i18n.js';
import { newId, invokeWithRetry, mayRetry, hubError } from './hub.js';
import { serverNow } from './time.js';

// One address, like the server's rule (it decides): something@domain.tld, no spaces or list separators.
const emailPattern = /^[^\s@<>,;"()[\]\\]+@[^\s@<>,;"()[\]\\]+\.[^\s@<>,;"()[\]\\.]+$/;
const pendingKey = 'switchboard.leaveMessage';

export function createLeaveMessage({ connection, ready, conversation: current, messages, onLeft }) {
  document.head.append(h('link', { rel: 'stylesheet', href: '/css/tickets.css' }));
  let timer = null;
  let state = 'hidden'; // 'hidden' | 'offer' | 'form' | 'left'
  let leftTo = null;
  let sending = false;

  const intro = h('p', { class: 'leave-intro' });
  const open = h('button', { type: 'button', class: 'ghost', id: 'leave-open', onclick: () => showForm() });
  const offer = h('div', { class: 'leave-offer' }, intro, open);

  const emailLabel = h('label', { for: 'leave-email' });
  const email = h('input', { id: 'leave-email', type: 'email', autocomplete: 'email', required: true, maxlength: 254 });
  const textLabel = h('label', { for: 'leave-text' });
  const text = h('textarea', { id: 'leave-text', rows: 4, required: true });
  const error = h('p', { class: 'field-error', role: 'alert', id: 'leave-error' });
  const submit = h('button', { type: 'submit', class: 'primary' });
  const cancel = h('button', { type: 'button', class: 'ghost', onclick: () => { state = 'offer'; render(); } });
  const title = h('h2', { class: 'leave-title', id: 'leave-title' });
  const form = h('form', { class: 'leave-form', novalidate: true, 'aria-labelledby': 'leave-title', onsubmit: event => { event.preventDefault(); send(); } },
    title, emailLabel, email, textLabel, text, error, h('div', { class: 'leave-actions' }, submit, cancel));

  const done = h('p', { class: 'leave-done', role: 'status' });
  const root = h('section', { id: 'leave-message', class: 'leave-message', hidden: true }, offer, form, done);
  $('#status').after(root);

  function texts() {
    intro.textContent = t('tickets.offer.text');
    open.textContent = t('tickets.offer.button');
    title.textContent = t('tickets.form.title');
    emailLabel.textContent = t('tickets.form.email');
    textLabel.textContent = t('tickets.form.message');
    submit.textContent = t('tickets.form.send');
    cancel.textContent = t('tickets.form.cancel');
    root.setAttribute('aria-label', t('tickets.region'));
    if (leftTo !== null) done.textContent = leftTo ? t('tickets.left.email', { email: leftTo }) : t('tickets.left.channel');
  }

  function render() {
    root.hidden = state === 'hidden';
    offer.hidden = state !== 'offer';
    form.hidden = state !== 'form';
    done.hidden = state !== 'left';
    texts();
  }

  function showForm() {
    state = 'form';
    // What the customer wrote so far, for them to keep or edit.
    if (!text.value) {
      text.value = [...messages.values()].filter(m => m.from === 'customer').sort((a, b) => a.sequence - b.sequence).map(m => m.text).join('\n\n');
    }
    error.textContent = '';
    render();
    email.focus();
  }

  async function send() {
    const conversation = current();
    if (!conversation || sending) return;
    const address = email.value.trim();
    const message = text.value.trim();
    const problem = !emailPattern.test(address) ? [email, t('tickets.error.email')]
      : !message ? [text, t('tickets.error.message')] : null;
    if (problem) {
      error.textContent = problem[1];
      problem[0].focus();
      return;
    }
    // The same request pressed again keeps its id; a changed one is new (the server refuses a second message).
    let pending = null;
    try { pending = JSON.parse(sessionStorage.getItem(pendingKey) ?? 'null'); } catch { /* none */ }
    const body = { conversationId: conversation.id, email: address, text: message };
    if (!pending || pending.conversationId !== body.conversationId || pending.email !== address || pending.text !== message) {
      pending = { ...body, requestId: newId() };
      sessionStorage.setItem(pendingKey, JSON.stringify(pending));
    }
    sending = true;
    submit.disabled = true;
    error.textContent = '';
    try {
      const view = await invokeWithRetry(connection, 'LeaveMessage', [pending.conversationId, pending.requestId, address, message], { ready });
      sessionStorage.removeItem(pendingKey);
      update(view);
      onLeft?.(view);
    } catch (err) {
      error.textContent = mayRetry(err) ? t('tickets.error.unreachable') : hubError(err);
    } finally {
      sending = false;
      submit.disabled = false;
    }
  }

  // Called with every view of the conversation the page gets (start, join, after leaving).
  function update(view) {
    clearTimeout(timer);
    if (view.status === 'resolved') {
      state = 'hidden';
    } else if (view.ticket?.message) {
      state = 'left';
      leftTo = view.ticket.message.email ?? '';
    } else if (!['waiting', 'ticket'].includes(view.status) || !view.leaveMessageFrom) {
      state = 'hidden';
    } else if (state === 'hidden') {
      const wait = Date.parse(view.leaveMessageFrom) - serverNow();
      if (wait <= 0) state = 'offer';
      else timer = setTimeout(() => { if (state === 'hidden' && current()?.status !== 'resolved') { state = 'offer'; render(); } }, wait);
    }
    render();
  }

  // A queue report with no estimate: nobody who handles the topic is available now.
  function nobodyAvailable() {
    if (state === 'hidden' && current()?.status === 'waiting') {
      clearTimeout(timer);
      state = 'offer';
      render();
    }
  }

  // An agent took the chat, or it closed (an answer to a message left closes it too): nothing to offer or confirm.
  function hide() {
    clearTimeout(timer);
    state = 'hidden';
    render();
  }

  // A correction clears the last complaint about the form.
  for (const field of [email, text]) field.addEventListener('input', () => { error.textContent = ''; });
  window.addEventListener('languagechange', texts);
  render();
  return { update, nobodyAvailable, hide };
}
