// The agent's sign-in: the bearer token and what it says, kept in localStorage so a reload stays signed in.
// Reading the token here only decides what to show and when it ends; the server checks its signature.

const sessionKey = 'switchboard.session';

// A JWT's payload, or null when the text is not one (three base64url parts, a JSON object in the middle).
function payloadOf(token) {
  const parts = String(token ?? '').trim().split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(parts[1].length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
    const payload = JSON.parse(new TextDecoder().decode(bytes));
    return payload && typeof payload === 'object' && !Array.isArray(payload) ? payload : null;
  } catch {
    return null;
  }
}

// What the console needs from a token: who (sub), the roles, and until when (exp, in ms).
export function readToken(token) {
  const payload = payloadOf(token);
  if (!payload) return null;
  const roles = [payload.role ?? []].flat().filter(r => typeof r === 'string');
  return {
    token: String(token).trim(),
    agentId: typeof payload.sub === 'string' && payload.sub ? payload.sub : null,
    roles,
    supervisor: roles.includes('supervisor'),
    expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : null,
  };
}

// Why a token cannot sign an agent in, as a code the caller words for its situation; null when it can.
export function tokenProblem(claims, now) {
  if (!claims) return 'unreadable';
  if (!claims.agentId || !claims.roles.includes('agent')) return 'not-an-agent';
  if (claims.expiresAt == null) return 'no-expiry';
  if (claims.expiresAt <= now) return 'expired';
  return null;
}

// The saved sign-in, or null when there is none; a damaged entry comes back with an empty token, to be refused.
export function loadSession() {
  const text = localStorage.getItem(sessionKey);
  if (text == null) return null;
  try {
    const saved = JSON.parse(text);
    return { token: typeof saved?.token === 'string' ? saved.token : '', agentId: typeof saved?.agentId === 'string' ? saved.agentId : '' };
  } catch {
    return { token: '', agentId: '' };
  }
}

export function saveSession(token, agentId) {
  localStorage.setItem(sessionKey, JSON.stringify({ token, agentId }));
}

export function clearSession() {
  localStorage.removeItem(sessionKey);
  // The agent-id-only sign-in of earlier versions.
  localStorage.removeItem('switchboard.agentId');
}
