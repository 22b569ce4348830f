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
