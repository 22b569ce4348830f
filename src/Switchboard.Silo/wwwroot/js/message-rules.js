// The house rules for agent messages (DESIGN §1), the same checks the server runs (MessageRules.cs).

// Every occurrence of a forbidden phrase, case-insensitive, in text order, without overlaps.
export function findForbiddenPhrases(text, forbidden) {
  const lower = text.toLowerCase();
  const found = [];
  for (const [phrase, alternative] of Object.entries(forbidden)) {
    const needle = phrase.toLowerCase();
    if (!needle) continue;
    for (let at = lower.indexOf(needle); at >= 0; at = lower.indexOf(needle, at + needle.length)) {
      found.push({ phrase, alternative, start: at, end: at + needle.length });
    }
  }
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  return found.filter((hit, i) => i === 0 || hit.start >= found[i - 1].end);
}

// Agent messages at the end of the thread since the customer last wrote (system notes do not count).
export function agentMessagesInARow(messages) {
  let count = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].from === 'customer') return count;
    if (messages[i].from === 'agent') count++;
  }
  return count;
}
