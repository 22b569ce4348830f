/* global signalR */
// One back-off for both pages: retry at once, then back off to every 30 s; only a page's canRetry stops it.
const retryPolicy = {
  nextRetryDelayInMilliseconds: ({ previousRetryCount }) =>
    previousRetryCount === 0 ? 0 : Math.min(1000 * 2 ** previousRetryCount, 30000),
};

// accessTokenFactory: the agent's bearer token; canRetry(error): false stops reconnecting (a refused sign-in does
// not get better by trying again), and the connection closes.
export function hubConnection(url, { accessTokenFactory, canRetry = () => true } = {}) {
  return new signalR.HubConnectionBuilder()
    .withUrl(url, accessTokenFactory ? { accessTokenFactory } : {})
    .withAutomaticReconnect({
      nextRetryDelayInMilliseconds: context =>
        canRetry(context.retryReason) ? retryPolicy.nextRetryDelayInMilliseconds(context) : null,
    })
    .configureLogging(signalR.LogLevel.Warning)
    .build();
}

// start() fails while the server is down; keep trying with the same back-off as reconnects, unless canRetry says no.
export async function startWithRetry(connection, onWaiting, canRetry = () => true) {
  for (let attempt = 1; ; attempt++) {
    try {
      await connection.start();
      return;
    } catch (err) {
      if (connection.state !== signalR.HubConnectionState.Disconnected || !canRetry(err)) throw err;
      const delay = retryPolicy.nextRetryDelayInMilliseconds({ previousRetryCount: attempt });
      onWaiting?.(delay, err);
      await new Promise(resolve => setTimeout(resolve, delay));
    }
  }
}

// Negotiate refused the token: the client reports the status only in its message.
export const isUnauthorized = err => /Status code '401'/.test(String(err?.message ?? err));

// The server's own words: SignalR prefixes them with "... HubException: ".
export function hubError(err) {
  const text = String(err?.message ?? err);
  const at = text.indexOf('HubException: ');
  return at >= 0 ? text.slice(at + 'HubException: '.length) : text;
}

// The client's own id for a start or a message: sent again with it, the server answers what the first try made.
// crypto.randomUUID exists only in secure contexts (https, localhost); plain http elsewhere gets the same from
// getRandomValues.
export function newId() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map(b => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// The server could not complete the call while part of the cluster was being replaced: the same call again is welcome.
export const isUnavailable = err => hubError(err).startsWith('Unavailable:');

// Every answer from the server names the method "... on the server"; a call that failed otherwise never got one: its
// connection dropped under it, or was down when it was made.
const lostWithConnection = err => !/ on the server\b/.test(String(err?.message ?? err));

// Whether a failed call may simply be made again: only for calls that carry their own id (a start id, a message id)
// or change nothing, which the server answers once however often they arrive.
export const mayRetry = err => isUnavailable(err) || lostWithConnection(err);

const sleep = ms => new Promise(resolve => setTimeout(resolve, Math.max(ms, 0)));

// 0.5 s, 1 s, 2 s, 4 s, then every 4 s, each ±20 %: clients that lost the same silo do not all come back at once.
export const retryDelay = attempt => Math.min(500 * 2 ** attempt, 4000) * (0.8 + Math.random() * 0.4);

async function whenConnected(connection, until) {
  while (connection.state !== signalR.HubConnectionState.Connected && Date.now() < until) await sleep(100);
}

// Makes a call that may be made again (see mayRetry) until it is answered: a try lost with the connection or answered
// "Unavailable: ..." is made again after retryDelay, once ready() says the connection is back (by default: connected),
// for up to giveUpAfter ms in all. onRetry(err, attempt) is told before each new try. Any other error fails at once.
export async function invokeWithRetry(connection, method, args, { ready, onRetry, giveUpAfter = 20000 } = {}) {
  const until = Date.now() + giveUpAfter;
  for (let attempt = 0; ; attempt++) {
    try {
      return await connection.invoke(method, ...args);
    } catch (err) {
      const delay = retryDelay(attempt);
      if (!mayRetry(err) || Date.now() + delay >= until) throw err;
      onRetry?.(err, attempt + 1);
      await sleep(delay);
      await Promise.race([ready ? ready() : whenConnected(connection, until), sleep(until - Date.now())]);
    }
  }
}

// Open or shut; wait() resolves at once while open, else when it opens. A page shuts it while its connection is away
// and opens it once the new connection has done what the page needs first (say who it is, join its chat again).
export function createGate(open = false) {
  let opened = null;
  let waiting = open ? null : new Promise(resolve => { opened = resolve; });
  return {
    shut() {
      waiting ??= new Promise(resolve => { opened = resolve; });
    },
    open() {
      opened?.();
      waiting = opened = null;
    },
    wait: () => waiting ?? Promise.resolve(),
  };
}
