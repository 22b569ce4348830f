/* global signalR */
// One policy for both pages: retry at once, then back off to every 30 s, and never give up.
const retryPolicy = {
  nextRetryDelayInMilliseconds: ({ previousRetryCount }) =>
    previousRetryCount === 0 ? 0 : Math.min(1000 * 2 ** previousRetryCount, 30000),
};

export function hubConnection(url) {
  return new signalR.HubConnectionBuilder()
    .withUrl(url)
    .withAutomaticReconnect(retryPolicy)
    .configureLogging(signalR.LogLevel.Warning)
    .build();
}

// start() fails while the server is down; keep trying with the same back-off as reconnects.
export async function startWithRetry(connection, onWaiting) {
  for (let attempt = 1; ; attempt++) {
    try {
      await connection.start();
      return;
    } catch (err) {
      if (connection.state !== signalR.HubConnectionState.Disconnected) throw err;
      const delay = retryPolicy.nextRetryDelayInMilliseconds({ previousRetryCount: attempt });
      onWaiting?.(delay, err);
      await new Promise(resolve => setTimeout(resolve, delay));
    }
  }
}

// The server's own words: SignalR prefixes them with "... HubException: ".
export function hubError(err) {
  const text = String(err?.message ?? err);
  const at = text.indexOf('HubException: ');
  return at >= 0 ? text.slice(at + 'HubException: '.length) : text;
}
