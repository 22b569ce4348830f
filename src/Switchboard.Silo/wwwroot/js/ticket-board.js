// The supervisor's side of "leave a message": tickets with somewhere to send an answer (an email address, or the
// customer's messaging channel) are claimed, answered here and delivered by the server, which retries; an answer it
// could not deliver stays on the board with the last error and a Retry. A ticket without a contact is the board's
// older kind (take it live) and is drawn by supervisor.js.
import { h, toast } from './dom.js';
import { t } from './i18n.js';
import { hubError, newId } from './hub.js';
import { formatTime } from './time.js';

export function createTicketBoard({ invoke, me, skillName, refresh }) {
  document.head.append(h('link', { rel: 'stylesheet', href: '/css/tickets.css' }));
  // Answers being written survive the board's refreshes: the same textarea, and the answer's id for a resend.
  const drafts = new Map();

  const contactText = contact => contact.startsWith('channel:')
    ? t('tickets.board.viaChannel', { channel: contact.slice('channel:'.length) })
    : contact;

  async function act(method, ...args) {
    try {
      await invoke(method, ...args);
    } catch (err) {
      toast(t('tickets.board.refused', { error: hubError(err) }), 'error');
    } finally {
      refresh();
    }
  }

  function draftFor(ticket) {
    let draft = drafts.get(ticket.conversationId);
    if (!draft) {
      const id = `answer-${ticket.conversationId}`;
      const label = h('label', { for: id });
      const box = h('textarea', { id, rows: 3 });
      const error = h('p', { class: 'field-error', role: 'alert' });
      const send = h('button', { type: 'submit', class: 'primary' });
      draft = { answerId: newId(), label, box, error, send };
      draft.form = h('form', {
        class: 'ticket-answer', novalidate: true,
        onsubmit: event => { event.preventDefault(); answer(ticket.conversationId, draft); },
      }, label, box, error, h('div', { class: 'ticket-actions' }, send));
      drafts.set(ticket.conversationId, draft);
    }
    draft.label.textContent = t('tickets.board.answerLabel', { name: ticket.customerName });
    draft.send.textContent = t('tickets.board.send');
    return draft;
  }

  async function answer(conversationId, draft) {
    const text = draft.box.value.trim();
    if (!text) {
      draft.error.textContent = t('tickets.board.emptyAnswer');
      draft.box.focus();
      return;
    }
    draft.send.disabled = true;
    draft.error.textContent = '';
    try {
      // The draft's id goes with every press: an answer that did arrive is not stored or sent twice.
      await invoke('AnswerTicket', conversationId, draft.answerId, text);
      drafts.delete(conversationId);
    } catch (err) {
      draft.error.textContent = t('tickets.board.refused', { error: hubError(err) });
    } finally {
      draft.send.disabled = false;
      refresh();
    }
  }

  function state(ticket) {
    const a = ticket.answer;
    if (a?.delivery === 'failed') {
      return [
        h('p', { class: 'ticket-state failed', role: 'alert' }, t('tickets.board.failed', { attempts: a.attempts, error: a.lastError ?? '' })),
        h('p', { class: 'ticket-left' }, h('span', { class: 'muted' }, t('tickets.board.yourAnswer'), ' '), a.text),
        h('div', { class: 'ticket-actions' },
          h('button', { type: 'button', class: 'primary', onclick: () => act('RetryTicketAnswer', ticket.conversationId) }, t('tickets.board.retry'))),
      ];
    }
    if (a) {
      return [h('p', { class: 'ticket-state pending', role: 'status' }, t('tickets.board.sending', { attempt: a.attempts + 1 })),
        h('p', { class: 'ticket-left' }, h('span', { class: 'muted' }, t('tickets.board.yourAnswer'), ' '), a.text)];
    }
    if (!ticket.claimedBy) {
      return [h('div', { class: 'ticket-actions' },
        h('button', { type: 'button', class: 'ghost', onclick: () => act('ClaimTicket', ticket.conversationId) }, t('tickets.board.claim')))];
    }
    if (ticket.claimedBy === me) return [draftFor(ticket).form];
    return [h('p', { class: 'ticket-state' }, t('tickets.board.claimedBy', { agent: ticket.claimedBy }))];
  }

  // One answerable ticket for the board's list.
  function item(ticket) {
    return h('li', { class: 'ticket ticket-answerable', dataset: { id: ticket.conversationId } },
      h('div', { class: 'ticket-head' },
        h('strong', null, ticket.customerName), h('span', { class: 'tag' }, skillName(ticket.topic)),
        h('span', { class: 'muted' }, formatTime(ticket.ticketedAt))),
      h('p', { class: 'ticket-contact' }, t('tickets.board.answerTo', { contact: contactText(ticket.contact) })),
      h('p', { class: 'ticket-left' }, h('span', { class: 'muted' }, t('tickets.board.wrote'), ' '), ticket.leftMessage ?? ticket.firstMessage),
      ...state(ticket));
  }

  // Keeps the caret where it was when a refresh redraws the list around an answer being written.
  function keepFocus(redraw) {
    const active = document.activeElement;
    const draft = [...drafts.values()].find(d => d.box === active);
    const selection = draft ? [active.selectionStart, active.selectionEnd] : null;
    redraw();
    if (draft && draft.box.isConnected && document.activeElement !== draft.box) {
      draft.box.focus();
      draft.box.setSelectionRange(...selection);
    }
  }

  const alertLabel = kind => (kind === 'undelivered' ? t('tickets.alert.undelivered') : null);

  return { item, keepFocus, alertLabel };
}
