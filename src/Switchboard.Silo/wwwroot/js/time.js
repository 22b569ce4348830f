import { t, plural, formatDateTime } from './i18n.js';

// Deadlines come from the server; the browser's clock may be off. Learn the difference from the Date header of
// a response (whole seconds only, so differences under two seconds are taken as none).
let offset = 0;

// GET by default; { token } sends it as the bearer, { body } POSTs it as JSON.
export async function fetchJson(url, { token, body, method } = {}) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const sent = Date.now();
  const response = await fetch(url, {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const received = Date.now();
  const date = Date.parse(response.headers.get('date') ?? '');
  if (!Number.isNaN(date)) {
    const difference = date - (sent + received) / 2;
    offset = Math.abs(difference) > 2000 ? difference : 0;
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => null);
    const error = new Error(problem?.detail ?? `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return response.json();
}

export const serverNow = () => Date.now() + offset;

// 75 s → "1:15"; 2 h 5 min → "2 h 05"
export function formatClock(ms) {
  const seconds = Math.floor(Math.abs(ms) / 1000);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  return hours > 0 ? t('time.hoursMinutes', { hours, minutes: String(minutes).padStart(2, '0') }) : `${minutes}:${String(rest).padStart(2, '0')}`;
}

export function spokenDuration(ms) {
  const seconds = Math.floor(Math.abs(ms) / 1000);
  const minutes = Math.floor(seconds / 60);
  const parts = [];
  if (minutes) parts.push(plural('time.minutes', minutes));
  if (seconds % 60 || !minutes) parts.push(plural('time.seconds', seconds % 60));
  return parts.join(' ');
}

// In the page's language (i18n.js), so a German page shows 14:05 and an English one 02:05 PM.
export const formatTime = iso => formatDateTime(new Date(iso), { hour: '2-digit', minute: '2-digit' });

export const formatTimeWithSeconds = iso => formatDateTime(new Date(iso), { hour: '2-digit', minute: '2-digit', second: '2-digit' });

// A day, e.g. "3 Dec 2026" / "3. Dez. 2026" / "3 дек. 2026 г.".
export const formatDay = iso => formatDateTime(new Date(iso), { day: 'numeric', month: 'short', year: 'numeric' });

// .NET TimeSpan as JSON: "hh:mm:ss", "hh:mm:ss.fffffff" or "d.hh:mm:ss..."; null stays null.
export function parseTimeSpan(text) {
  if (text == null) return null;
  const match = /^(-)?(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(text);
  if (!match) return null;
  const [, minus, days, h, m, s] = match;
  const ms = ((Number(days ?? 0) * 24 + Number(h)) * 3600 + Number(m) * 60 + Number(s)) * 1000;
  return minus ? -ms : ms;
}

// The first-response clock of a conversation, as the agent sees it: a level for its colour and a label.
export function firstResponseClock(conversation, now = serverNow()) {
  if (conversation.status === 'resolved') return { level: 'answered', text: t('clock.closed'), spoken: t('clock.closed') };
  if (conversation.firstResponseAt) {
    return { level: 'answered', text: conversation.breached ? t('clock.answeredLate') : t('clock.answered'), spoken: t('clock.sent') };
  }
  const due = Date.parse(conversation.firstResponseDueAt);
  const total = due - Date.parse(conversation.startedAt);
  const left = due - now;
  if (left <= 0) {
    return { level: 'late', text: t('clock.late', { time: formatClock(-left) }), spoken: t('clock.overdue', { duration: spokenDuration(-left) }) };
  }
  // Colours follow the clock: calm, then amber past half of it, red in the last third (when the server warns).
  const level = left <= total / 3 ? 'urgent' : left <= total / 2 ? 'soon' : 'ok';
  return { level, text: formatClock(left), spoken: t('clock.dueIn', { duration: spokenDuration(left) }) };
}
