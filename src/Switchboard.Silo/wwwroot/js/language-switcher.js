// The small language choice both pages show: English / Deutsch / Русский, remembered for this browser (i18n.js).
import { h } from './dom.js';
import { languages, languageNames, language, setLanguage, t } from './i18n.js';

// Fills the element with a labelled select; the label is read by screen readers, the names are each in their own language.
export function mountLanguageSwitcher(host, id = 'language-choice') {
  const select = h('select', { id, class: 'language-choice' },
    ...languages.map(code => h('option', { value: code, lang: code }, languageNames[code])));
  const label = h('label', { for: id, class: 'visually-hidden', 'data-i18n': 'common.language' }, t('common.language'));
  select.value = language();
  select.addEventListener('change', () => setLanguage(select.value));
  window.addEventListener('languagechange', () => { select.value = language(); });
  host.replaceChildren(label, select);
}
