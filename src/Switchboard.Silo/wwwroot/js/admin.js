// Administration for supervisors: agents (name, role, capacity, skills with proficiency 1–5), quick replies and house
// rules per language. The server checks everything again and answers a refusal with the problem of each field
// (a 400 validation problem); those appear next to the field, as this page's own checks do.
import { h, $, toast } from './dom.js';
import { t, plural, language, languages, languageNames } from './i18n.js';
import { fetchJson } from './time.js';

const presenceLabel = presence => (['online', 'away', 'offline'].includes(presence) ? t(`presence.${presence}`) : presence);

// Like fetchJson, but a refusal keeps the problem's field errors ({ field: [messages] }).
async function send(url, token, method, body) {
  const response = await fetch(url, {
    method,
    headers: { accept: 'application/json', authorization: `Bearer ${token()}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(answer?.detail ?? `${response.status} ${response.statusText}`);
    error.status = response.status;
    error.errors = answer?.errors ?? {};
    throw error;
  }
  return answer;
}

// Keeps the console's quick replies and house rules current: a supervisor's change is pushed to every console,
// which reads its settings again (the version makes any silo answer with that change or a later one).
export function watchSettings(connection, apply) {
  connection.on('SettingsChanged', async ({ version }) => {
    try {
      apply(await fetchJson(`/api/console-settings?version=${encodeURIComponent(version)}`));
    } catch {
      // Kept as they were; the next load reads them.
    }
  });
}

// A labelled input with its error line below, tied together for screen readers.
function field(id, label, input, hint) {
  input.id = id;
  input.setAttribute('aria-describedby', `${id}-error${hint ? ` ${id}-hint` : ''}`);
  return h('div', { class: 'admin-field', dataset: { field: id } },
    h('label', { for: id }, label),
    input,
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    h('p', { class: 'field-error', id: `${id}-error`, role: 'alert' }));
}

// Shows each message next to its field (by the server's field name); the rest in the form's own line.
function showErrors(form, errors, fieldIds) {
  for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const rest = [];
  for (const [name, messages] of Object.entries(errors)) {
    const id = fieldIds(name);
    const line = id && form.querySelector(`#${CSS.escape(id)}-error`);
    if (line) {
      line.textContent = [messages].flat().join(' ');
      form.querySelector(`#${CSS.escape(id)}`)?.setAttribute('aria-invalid', 'true');
    } else rest.push(...[messages].flat());
  }
  form.querySelector('.form-error').textContent = rest.join(' ');
  const first = form.querySelector('[aria-invalid="true"]');
  first?.focus();
  return Object.keys(errors).length === 0;
}

export function mountAdmin({ token, skills, skillName, onShow }) {
  const root = $('#admin');
  let agents = [];
  let phrasebook = [];
  let editing = null; // null: nothing; '': a new agent; an id: that agent
  // The supervisor's own page language first; any served language from the picker.
  let phraseLanguage = language();
  let loaded = false;

  const button = $('#show-admin');
  button.hidden = false;
  button.addEventListener('click', () => show());
  for (const other of ['#show-conversations', '#show-supervisor']) $(other).addEventListener('click', () => hide());
  window.addEventListener('languagechange', () => loaded && render());

  async function show() {
    onShow?.();
    $('#workspace').hidden = true;
    $('#supervisor').hidden = true;
    root.hidden = false;
    for (const other of ['#show-conversations', '#show-supervisor']) $(other).setAttribute('aria-pressed', 'false');
    button.setAttribute('aria-pressed', 'true');
    await load();
  }

  function hide() {
    root.hidden = true;
    button.setAttribute('aria-pressed', 'false');
  }

  async function load() {
    try {
      [agents, phrasebook] = await Promise.all([
        send('/api/admin/agents', token, 'GET'),
        send('/api/admin/phrasebook', token, 'GET'),
      ]);
      loaded = true;
      render();
    } catch (err) {
      toast(t('admin.loadFailed', { detail: err.message }), 'error');
    }
  }

  function render() {
    root.replaceChildren(
      h('div', { class: 'supervisor-head' },
        h('h2', { class: 'pane-title' }, t('admin.title')),
        h('span', { class: 'muted' }, t('admin.lead'))),
      h('div', { class: 'admin-grid' }, agentsCard(), phrasebookCard()));
  }

  // ---- agents ----------------------------------------------------------------------------------------------------

  function agentsCard() {
    const rows = agents.map(a => h('tr', { dataset: { agent: a.id } },
      h('th', { scope: 'row' }, a.name, h('span', { class: 'muted agent-id' }, a.id)),
      h('td', null, a.supervisor ? t('admin.role.supervisor') : t('admin.role.agent')),
      h('td', { class: 'skills' }, Object.entries(a.skills).sort().map(([skill, level]) => `${skillName(skill)} · ${level}`).join(', ') || '—'),
      h('td', { class: 'num' }, String(a.capacity)),
      h('td', null, presenceLabel(a.presence)),
      h('td', null, h('button', { type: 'button', class: 'ghost small', 'aria-label': t('admin.editAgent', { name: a.name }), onclick: () => edit(a.id) }, t('admin.edit')))));
    return h('section', { class: 'card', 'aria-labelledby': 'admin-agents-title' },
      h('div', { class: 'card-head' },
        h('h3', { id: 'admin-agents-title' }, t('admin.agents'), ' ', h('span', { class: 'muted' }, plural('admin.agentCount', agents.length))),
        h('button', { type: 'button', id: 'admin-new-agent', class: 'primary', onclick: () => edit('') }, t('admin.newAgent'))),
      editing === '' ? agentForm(null) : null,
      h('div', { class: 'table-scroll' },
        h('table', { class: 'table', id: 'admin-agents' },
          h('thead', null, h('tr', null,
            h('th', { scope: 'col' }, t('admin.agent')),
            h('th', { scope: 'col' }, t('admin.role')),
            h('th', { scope: 'col' }, t('admin.skills')),
            h('th', { scope: 'col', class: 'num' }, t('admin.capacity')),
            h('th', { scope: 'col' }, t('admin.status')),
            h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('admin.edit'))))),
          h('tbody', null, rows))),
      editing ? agentForm(agents.find(a => a.id === editing)) : null);
  }

  function edit(id) {
    editing = id;
    render();
    root.querySelector(id === '' ? '#agent-form-id' : '#agent-form-name')?.focus();
  }

  function agentForm(agent) {
    const isNew = !agent;
    const skillRows = skills().map(s => {
      const select = h('select', null,
        h('option', { value: '' }, t('admin.noSkill')),
        [1, 2, 3, 4, 5].map(n => h('option', { value: String(n), selected: agent?.skills?.[s.name] === n }, t(`admin.level.${n}`))));
      return field(`agent-form-skill-${s.name}`, skillName(s.name), select);
    });
    const form = h('form', { class: 'admin-form', id: 'agent-form', novalidate: true, 'aria-labelledby': 'agent-form-title' },
      h('h4', { id: 'agent-form-title' }, isNew ? t('admin.newAgent') : t('admin.editAgent', { name: agent.name })),
      h('div', { class: 'admin-fields' },
        isNew ? field('agent-form-id', t('admin.id'), h('input', { autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', required: true }), t('admin.idHint')) : null,
        field('agent-form-name', t('admin.name'), h('input', { value: agent?.name ?? '', autocomplete: 'off', required: true })),
        field('agent-form-role', t('admin.role'), h('select', null,
          h('option', { value: 'agent', selected: !agent?.supervisor }, t('admin.role.agent')),
          h('option', { value: 'supervisor', selected: !!agent?.supervisor }, t('admin.role.supervisor'))),
          t('admin.roleHint')),
        field('agent-form-capacity', t('admin.capacity'), h('input', { type: 'number', min: '1', step: '1', inputmode: 'numeric', value: String(agent?.capacity ?? 2), required: true }), t('admin.capacityHint'))),
      h('fieldset', { class: 'admin-skills' },
        h('legend', null, t('admin.skillsLegend')),
        h('div', { class: 'admin-fields' }, skillRows)),
      h('p', { class: 'field-error form-error', role: 'alert' }),
      h('div', { class: 'admin-actions' },
        h('button', { type: 'submit', class: 'primary' }, isNew ? t('admin.create') : t('admin.save')),
        h('button', { type: 'button', class: 'ghost', onclick: () => { editing = null; render(); } }, t('admin.cancel'))));
    form.addEventListener('submit', event => saveAgent(event, form, agent));
    return form;
  }

  const agentFieldId = name => (name.startsWith('skills.') ? `agent-form-skill-${name.slice(7)}` : `agent-form-${name}`);

  async function saveAgent(event, form, agent) {
    event.preventDefault();
    const value = id => form.querySelector(`#${CSS.escape(id)}`)?.value ?? '';
    const body = {
      name: value('agent-form-name').trim(),
      supervisor: value('agent-form-role') === 'supervisor',
      capacity: Number(value('agent-form-capacity')),
      skills: Object.fromEntries(skills().map(s => [s.name, Number(value(`agent-form-skill-${s.name}`))]).filter(([, level]) => level > 0)),
    };
    if (!agent) body.id = value('agent-form-id').trim();
    // The checks a person needs at once, in their language; the server checks everything again.
    const errors = {};
    if (!agent && !body.id) errors.id = t('admin.error.idRequired');
    if (!agent && /\s/.test(body.id)) errors.id = t('admin.error.idSpaces');
    if (!body.name) errors.name = t('admin.error.nameRequired');
    if (!Number.isInteger(body.capacity) || body.capacity < 1) errors.capacity = t('admin.error.capacity');
    if (!showErrors(form, errors, agentFieldId)) return;
    try {
      const saved = agent
        ? await send(`/api/admin/agents/${encodeURIComponent(agent.id)}`, token, 'PUT', body)
        : await send('/api/admin/agents', token, 'POST', body);
      agents = [...agents.filter(a => a.id !== saved.id), saved].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      editing = null;
      render();
      toast(t(agent ? 'admin.agentSaved' : 'admin.agentCreated', { name: saved.name, id: saved.id }));
    } catch (err) {
      showErrors(form, Object.keys(err.errors ?? {}).length ? err.errors : { '': err.message }, agentFieldId);
    }
  }

  // ---- quick replies and house rules ----------------------------------------------------------------------------

  function phrasebookCard() {
    const entry = phrasebook.find(e => e.language === phraseLanguage) ?? { quickReplies: [], phrases: [] };
    const picker = h('select', { id: 'admin-language', onchange: e => { phraseLanguage = e.target.value; render(); } },
      languages.map(code => h('option', { value: code, selected: code === phraseLanguage }, languageNames[code])));
    return h('section', { class: 'card', 'aria-labelledby': 'admin-phrases-title' },
      h('div', { class: 'card-head' },
        h('h3', { id: 'admin-phrases-title' }, t('admin.phrasebook')),
        h('label', { for: 'admin-language', class: 'inline-label' }, t('admin.language')), picker),
      listForm({
        id: 'quick-replies-form', title: t('admin.quickReplies'), set: entry.quickRepliesSet, lead: t('admin.replyTextHint'),
        items: entry.quickReplies, path: 'quick-replies', key: 'replies', empty: () => ({ shortcut: '', title: '', topic: null, text: '' }),
        row: (reply, i) => [
          field(`replies-${i}-shortcut`, t('admin.shortcut'), h('input', { value: reply.shortcut, autocapitalize: 'off', spellcheck: 'false', dataset: { key: 'shortcut' } })),
          field(`replies-${i}-title`, t('admin.replyTitle'), h('input', { value: reply.title, dataset: { key: 'title' } })),
          field(`replies-${i}-topic`, t('admin.topic'), h('select', { dataset: { key: 'topic' } },
            h('option', { value: '' }, t('admin.anyTopic')),
            skills().map(s => h('option', { value: s.name, selected: reply.topic === s.name }, skillName(s.name))))),
          field(`replies-${i}-text`, t('admin.replyText'), h('textarea', { rows: '2', dataset: { key: 'text' } }, reply.text)),
        ],
      }),
      listForm({
        id: 'house-rules-form', title: t('admin.houseRules'), set: entry.phrasesSet, lead: t('admin.houseRulesLead'),
        items: entry.phrases, path: 'house-rules', key: 'phrases', empty: () => ({ phrase: '', alternative: '' }),
        row: (rule, i) => [
          field(`phrases-${i}-phrase`, t('admin.phrase'), h('input', { value: rule.phrase, dataset: { key: 'phrase' } })),
          field(`phrases-${i}-alternative`, t('admin.alternative'), h('input', { value: rule.alternative, dataset: { key: 'alternative' } })),
        ],
      }));
  }

  // A list of rows (quick replies, phrases) edited in place and saved together for the chosen language.
  function listForm({ id, title, set, lead, items, path, key, empty, row }) {
    const list = h('ol', { class: 'admin-rows' });
    // Ids from a counter, not the row's place: a row removed and another added must not share ids (labels, errors).
    let made = 0;
    const addRow = item => {
      const i = made++;
      list.append(h('li', { class: 'admin-row' },
        h('div', { class: 'admin-fields' }, row(item, i)),
        h('button', { type: 'button', class: 'ghost small', 'aria-label': t('admin.removeRow', { n: list.children.length + 1 }), onclick: e => e.target.closest('li').remove() }, t('admin.remove'))));
    };
    items.forEach(addRow);
    const form = h('form', { class: 'admin-form', id, novalidate: true, 'aria-labelledby': `${id}-title` },
      h('h4', { id: `${id}-title` }, title, ' ', h('span', { class: 'tag' }, set ? t('admin.setHere') : t('admin.fromConfiguration'))),
      lead ? h('p', { class: 'hint' }, lead) : null,
      list,
      h('p', { class: 'field-error form-error', role: 'alert' }),
      h('div', { class: 'admin-actions' },
        h('button', { type: 'button', class: 'ghost', onclick: () => addRow(empty()) }, t('admin.addRow')),
        h('button', { type: 'submit', class: 'primary' }, t('admin.saveLanguage', { language: languageNames[phraseLanguage] })),
        set ? h('button', { type: 'button', class: 'ghost', onclick: () => reset(path) }, t('admin.reset')) : null));
    form.addEventListener('submit', event => saveList(event, form, path, key));
    return form;
  }

  async function saveList(event, form, path, key) {
    event.preventDefault();
    // Rows are read in the order shown; the server's field names count them the same way (replies[2].text).
    const rows = [...form.querySelectorAll('.admin-row')];
    const ids = new Map();
    const values = rows.map((li, i) => {
      const item = {};
      for (const input of li.querySelectorAll('[data-key]')) {
        item[input.dataset.key] = input.value === '' && input.dataset.key === 'topic' ? null : input.value;
        ids.set(`${key}[${i}].${input.dataset.key}`, input.id);
      }
      return item;
    });
    const errors = {};
    values.forEach((item, i) => {
      for (const [name, text] of Object.entries(item)) {
        if (name !== 'topic' && !String(text ?? '').trim()) errors[`${key}[${i}].${name}`] = t('admin.error.required');
      }
    });
    const fieldIds = name => ids.get(name);
    if (!showErrors(form, errors, fieldIds)) return;
    try {
      const entry = await send(`/api/admin/${path}/${phraseLanguage}`, token, 'PUT', { [key]: values });
      phrasebook = [...phrasebook.filter(e => e.language !== entry.language), entry];
      render();
      toast(t('admin.saved', { language: languageNames[phraseLanguage] }));
    } catch (err) {
      showErrors(form, Object.keys(err.errors ?? {}).length ? err.errors : { '': err.message }, fieldIds);
    }
  }

  async function reset(path) {
    try {
      const entry = await send(`/api/admin/${path}/${phraseLanguage}`, token, 'DELETE');
      phrasebook = [...phrasebook.filter(e => e.language !== entry.language), entry];
      render();
      toast(t('admin.resetDone', { language: languageNames[phraseLanguage] }));
    } catch (err) {
      toast(err.message, 'error');
    }
  }
}
