// End chat: the customer closes the conversation from their side, after saying so in a confirmation. The server
// (LeaveConversation) counts it abandoned if no agent had answered yet, else closed by the customer; the agent is told
// and freed. Leaving again is answered with the closed conversation, so a try lost with the connection is made again.
import { h, $ } from './dom.js';
import { invokeWithRetry, hubError, mayRetry } from './hub.js';
import { t } from './i18n.js';

// current(): the open conversation; ended(view): the server's answer (the closed conversation).
export function createEndChat({ connection, ready, current, ended }) {
  const button = h('button', { type: 'button', id: 'end-chat', class: 'ghost end-chat', hidden: true, onclick: ask });
  $('#status').after(h('div', { class: 'end-chat-bar' }, button));
  const error = h('p', { id: 'end-error', class: 'field-error', role: 'alert' });
  button.parentElement.append(error);
  const confirm = h('dialog', { id: 'end-confirm', class: 'end-confirm', 'aria-labelledby': 'end-confirm-title', 'aria-describedby': 'end-confirm-text' },
    h('h2', { id: 'end-confirm-title' }),
    h('p', { id: 'end-confirm-text' }),
    h('div', { class: 'end-confirm-actions' },
      h('button', { type: 'button', id: 'end-keep', class: 'ghost', onclick: () => confirm.close() }),
      h('button', { type: 'button', id: 'end-yes', class: 'primary', onclick: leave })));
  document.body.append(confirm);
  let leaving = false;
  // Whether the status line says the customer ended it (redrawn in the page's language).
  let endedHere = false;

  function texts() {
    button.textContent = t('chatpage.end.button');
    $('#end-confirm-title').textContent = t('chatpage.end.confirmTitle');
    $('#end-confirm-text').textContent = t('chatpage.end.confirmText');
    $('#end-keep').textContent = t('chatpage.end.keep');
    $('#end-yes').textContent = t('chatpage.end.confirm');
    if (endedHere) $('#status').textContent = t('chatpage.end.ended');
  }

  function ask() {
    error.textContent = '';
    confirm.showModal();
    $('#end-keep').focus();
  }

  async function leave() {
    const conversation = current();
    if (leaving || !conversation) return;
    leaving = true;
    $('#end-yes').disabled = true;
    try {
      const view = await invokeWithRetry(connection, 'LeaveConversation', [conversation.id], { ready });
      confirm.close();
      ended(view);
      endedHere = true;
      $('#status').textContent = t('chatpage.end.ended');
    } catch (err) {
      confirm.close();
      error.textContent = mayRetry(err) ? t('chatpage.end.unreachable') : hubError(err);
    } finally {
      leaving = false;
      $('#end-yes').disabled = false;
    }
  }

  texts();
  window.addEventListener('languagechange', texts);
  return {
    get leaving() { return leaving; },
    show() {
      button.hidden = false;
      endedHere = false;
    },
    hide() {
      button.hidden = true;
      error.textContent = '';
      if (confirm.open) confirm.close();
    },
  };
}
