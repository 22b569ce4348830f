// The pages' languages. Texts live in catalogues, /i18n/<language>/<area>.json, each a flat object of key → text with
// {name} placeholders ("Hello, {name}"). A page loads the areas it uses once, before it draws anything; English is
// always loaded beside the chosen language, so a key a translation lacks reads in English, never as a bare key.
//
// The language is, in order: ?lang= in the address, the one this browser chose before (the switcher), the browser's
// own preferences (navigator.languages), English. Adding a language: a folder under /i18n with the same files, and
// its code in `languages` below (docs/languages.md says the rest).
export const languages = Object.freeze(['en', 'de', 'ru']);
// Each language's name in itself, for the switcher.
export const languageNames = Object.freeze({ en: 'English', de: 'Deutsch', ru: 'Русский' });

const storageKey = 'switchboard.language';
const fallback = 'en';
let current = fallback;
let loadedAreas = [];
const texts = new Map();
const english = new Map();

const supported = tag => {
  const code = String(tag ?? '').toLowerCase().split('-')[0];
  return languages.includes(code) ? code : null;
};

function chosenLanguage() {
  const fromAddress = supported(new URLSearchParams(location.search).get('lang'));
  if (fromAddress) return fromAddress;
  let saved = null;
  try { saved = supported(localStorage.getItem(storageKey)); } catch { /* storage off: not remembered */ }
  if (saved) return saved;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const code = supported(tag);
    if (code) return code;
  }
  return fallback;
}

async function fetchArea(language, area) {
  const response = await fetch(`/i18n/${language}/${area}.json`, { headers: { accept: 'application/json' } });
  if (!response.ok) return {};
  return response.json().catch(() => ({}));
}

async function fill(target, language, areas) {
  target.clear();
  for (const catalogue of await Promise.all(areas.map(area => fetchArea(language, area)))) {
    for (const [key, text] of Object.entries(catalogue)) {
      if (typeof text === 'string') target.set(key, text);
    }
  }
}

// Loads the areas a page uses (e.g. ['common', 'chat']) in the chosen language, then translates the document.
export async function loadLanguage(areas) {
  loadedAreas = [...areas];
  current = chosenLanguage();
  await Promise.all([fill(english, fallback, loadedAreas), current === fallback ? null : fill(texts, current, loadedAreas)]);
  document.documentElement.lang = current;
  translate(document);
  return current;
}

// Switches the page's language and remembers it for this browser; listeners of 'languagechange' on window redraw
// what they drew with t().
export async function setLanguage(language) {
  const code = supported(language) ?? fallback;
  try { localStorage.setItem(storageKey, code); } catch { /* storage off: this page only */ }
  current = code;
  if (code !== fallback) await fill(texts, code, loadedAreas);
  document.documentElement.lang = code;
  translate(document);
  window.dispatchEvent(new CustomEvent('languagechange', { detail: code }));
}

export const language = () => current;

// The text for a key in the page's language (English if the translation lacks it, the key if both do), with
// {placeholders} filled from params.
export function t(key, params) {
  const text = (current !== fallback ? texts.get(key) : undefined) ?? english.get(key) ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// Elements marked data-i18n="key" get the text; data-i18n-attr="placeholder:key; title:other.key" sets attributes.
export function translate(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attribute, key] = pair.split(':').map(part => part.trim());
      if (attribute && key) el.setAttribute(attribute, t(key));
    }
  }
}

// Numbers and dates in the page's language (Intl), e.g. formatNumber(1234.5) → "1.234,5" in German.
export const formatNumber = (value, options) => new Intl.NumberFormat(current, options).format(value);
export const formatDateTime = (value, options) => new Intl.DateTimeFormat(current, options).format(value);

// A text that depends on a count, in the page's language's plural forms (Intl.PluralRules): the catalogue has one key
// per form the language uses, `key#one`, `key#few`, `key#many`, `key#other` (English and German: one, other; Russian:
// one, few, many, other). {count} is the number, formatted for the language.
const pluralRules = new Map();

export function plural(key, count, params) {
  if (!pluralRules.has(current)) pluralRules.set(current, new Intl.PluralRules(current));
  const category = pluralRules.get(current).select(count);
  const form = [`${key}#${category}`, `${key}#other`].find(k => (current !== fallback && texts.has(k)) || english.has(k)) ?? `${key}#other`;
  return t(form, { ...params, count: formatNumber(count) });
}
