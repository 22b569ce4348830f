// "… is typing" both ways. While keys are pressed a page sends SignalTyping at most once every sendEvery ms per
// conversation (the server drops anything more frequent); the other side shows the indicator until a message from the
// typist arrives, the conversation closes, or showFor ms pass without another signal.
import { h, $ } from './dom.js';
import { t } from './i18n.js';

export const sendEvery = 3000;
export const showFor = 5000;

// signal(conversationId) makes the call; a failed signal is not worth telling anyone about.
export function createTypingSender(signal) {
  const last = new Map();
  return conversationId => {
    if (!conversationId) return;
    const now = Date.now();
    if (now - (last.get(conversationId) ?? -Infinity) < sendEvery) return;
    last.set(conversationId, now);
    Promise.resolve().then(() => signal(conversationId)).catch(() => {});
  };
}

// The indicator under a thread: current() names the conversation on screen; only its typist is shown there.
// onChange(conversationId, typing) hears of every conversation (the console marks its list with it).
export function createTypingIndicator(thread, current, onChange = () => {}) {
  let element = $('#typing');
  if (!element) {
    element = h('p', { id: 'typing', class: 'typing', role: 'status', 'aria-live': 'polite', hidden: true });
    thread.after(element);
  }
  const typists = new Map();

  const text = typist => t('chatpage.typing', { name: typist.name });

  function render() {
    const typist = typists.get(current());
    element.hidden = !typist;
    element.textContent = typist ? text(typist) : '';
  }

  function stop(conversationId) {
    const typist = typists.get(conversationId);
    if (!typist) return;
    clearTimeout(typist.timer);
    typists.delete(conversationId);
    render();
    onChange(conversationId, false);
  }

  window.addEventListener('languagechange', () => {
    render();
    typists.forEach((typist, id) => onChange(id, true));
  });
  return {
    typing({ conversationId, name }) {
      clearTimeout(typists.get(conversationId)?.timer);
      const typist = { name, timer: setTimeout(() => stop(conversationId), showFor) };
      typists.set(conversationId, typist);
      render();
      onChange(conversationId, true);
    },
    stop,
    render,
  };
}

// Wires a hub connection: pushes of 'Typing' from `from` show, its messages and the close hide them; typing in `box`
// signals for the conversation current() names while canSignal(id) allows.
export function watchTyping({ connection, from, box, current, canSignal = () => true, onChange }) {
  const indicator = createTypingIndicator($('#thread'), current, onChange);
  connection.on('Typing', typing => {
    if (typing.from === from) indicator.typing(typing);
  });
  connection.on('MessagePosted', ({ conversationId, message }) => {
    if (message.from === from) indicator.stop(conversationId);
  });
  connection.on('ConversationClosed', ({ conversationId }) => indicator.stop(conversationId));
  const send = createTypingSender(conversationId => connection.invoke('SignalTyping', conversationId));
  box.addEventListener('input', () => {
    const id = current();
    if (id && box.value.trim() && canSignal(id)) send(id);
  });
  return indicator;
}
