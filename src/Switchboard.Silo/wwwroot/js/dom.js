// Builds elements without innerHTML, so text from customers and agents is always text.
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value == null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  el.append(...children.flat(Infinity).filter(c => c != null && c !== false));
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

// A short note in the corner; only the latest few stay, so a burst does not cover the page.
export function toast(text, kind = 'info') {
  const host = $('#toasts');
  const item = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
  host.append(item);
  while (host.children.length > 3) host.firstElementChild.remove();
  setTimeout(() => item.remove(), 5000);
}
