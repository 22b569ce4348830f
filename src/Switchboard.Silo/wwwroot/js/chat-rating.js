// After an agent has resolved the chat (or the customer ended one an agent had answered): a 1–5 rating with an
// optional comment, sent once with RateConversation. The same rating sent again is answered with the stored one, so
// a try lost with the connection is simply made again; a reload shows the stored rating instead of the form.
import { h, $ } from './dom.js';
import { invokeWithRetry, hubError, mayRetry } from './hub.js';
import { t } from './i18n.js';

const maxComment = 1000;

// ready(): resolves when the connection may take calls again (the page's gate).
export function createRating({ connection, ready }) {
  const host = h('section', { id: 'rating', class: 'rating', 'aria-labelledby': 'rating-title', hidden: true });
  $('#closed').before(host);
  let shown = null;
  let sending = false;

  function render() {
    if (!shown) {
      host.hidden = true;
      host.replaceChildren();
      return;
    }
    host.hidden = false;
    if (shown.rating) {
      host.replaceChildren(
        h('h2', { id: 'rating-title', class: 'rating-title' }, t('chatpage.rating.thanks')),
        h('p', { class: 'rating-stored' }, t('chatpage.rating.stored', { score: shown.rating.score })),
        shown.rating.comment ? h('blockquote', { class: 'rating-comment' }, shown.rating.comment) : null);
      return;
    }
    const scores = [1, 2, 3, 4, 5].map(score => h('label', { class: 'rating-score' },
      h('input', { type: 'radio', name: 'score', value: score }),
      h('span', { 'aria-hidden': 'true' }, '★'.repeat(score)),
      h('span', { class: 'visually-hidden' }, t('chatpage.rating.scoreLabel', { score }))));
    const form = h('form', { class: 'rating-form', novalidate: true, onsubmit: send, onchange: () => { $('#rating-error').textContent = ''; } },
      h('fieldset', null,
        h('legend', { id: 'rating-title', class: 'rating-title' }, t('chatpage.rating.question')),
        h('div', { class: 'rating-scale' },
          h('div', { class: 'rating-scores' }, scores),
          h('p', { class: 'rating-ends muted', 'aria-hidden': 'true' },
            h('span', null, t('chatpage.rating.low')), h('span', null, t('chatpage.rating.high'))))),
      h('label', { for: 'rating-comment' }, t('chatpage.rating.comment')),
      h('textarea', { id: 'rating-comment', name: 'comment', rows: 2, maxlength: maxComment }),
      h('p', { id: 'rating-error', class: 'field-error', role: 'alert' }),
      h('button', { type: 'submit', id: 'rating-send', class: 'primary' }, t('chatpage.rating.send')));
    host.replaceChildren(form);
  }

  async function send(event) {
    event.preventDefault();
    if (sending || !shown) return;
    const form = event.currentTarget;
    const score = Number(form.elements.score.value);
    const comment = form.elements.comment.value.trim() || null;
    const error = $('#rating-error', form);
    if (!score) {
      error.textContent = t('chatpage.rating.chooseScore');
      form.querySelector('input[name=score]').focus();
      return;
    }
    sending = true;
    $('#rating-send', form).disabled = true;
    error.textContent = '';
    const conversation = shown;
    try {
      const rating = await invokeWithRetry(connection, 'RateConversation', [conversation.id, score, comment], { ready });
      conversation.rating = rating;
      if (shown === conversation) {
        render();
        $('#rating-title').focus?.();
      }
    } catch (err) {
      error.textContent = mayRetry(err) ? t('chatpage.rating.unreachable') : hubError(err);
    } finally {
      sending = false;
      const button = $('#rating-send', form);
      if (button) button.disabled = false;
    }
  }

  window.addEventListener('languagechange', () => {
    // A half-filled form keeps what the customer chose.
    if (shown && !shown.rating && host.querySelector('form')) {
      const form = host.querySelector('form');
      const score = form.elements.score.value;
      const comment = form.elements.comment.value;
      render();
      const again = host.querySelector('form');
      if (score) again.querySelector(`input[name=score][value="${score}"]`).checked = true;
      again.elements.comment.value = comment;
    } else {
      render();
    }
  });

  return {
    // A closed conversation: the form, the stored rating, or nothing (abandoned: nobody served it).
    show(conversation) {
      shown = conversation && !conversation.abandoned ? conversation : null;
      render();
    },
    hide() {
      shown = null;
      render();
    },
  };
}
