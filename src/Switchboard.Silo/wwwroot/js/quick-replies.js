// Quick replies: configuration from /api/console-settings, picked with "/" in the message box.

// The best matches first: shortcut prefix, then a word of the title, then anywhere; within each, the
// conversation's topic first, then replies for any topic, then the rest, in configured order.
export function matchQuickReplies(replies, query, topic) {
  const q = query.trim().toLowerCase();
  const ranked = [];
  replies.forEach((reply, index) => {
    const shortcut = reply.shortcut.toLowerCase();
    const title = reply.title.toLowerCase();
    let rank;
    if (!q || shortcut.startsWith(q)) rank = 0;
    else if (title.split(/\s+/).some(word => word.startsWith(q))) rank = 1;
    else if (shortcut.includes(q) || title.includes(q) || reply.text.toLowerCase().includes(q)) rank = 2;
    else return;
    const topicRank = reply.topic === topic ? 0 : reply.topic == null ? 1 : 2;
    ranked.push({ reply, key: [rank, topicRank, index] });
  });
  ranked.sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2]);
  return ranked.map(r => r.reply);
}

// {name} is the customer, {agent} the agent, anything else a key of the conversation's start context ({order}).
export function placeholderValues(conversation, agentName) {
  return { ...conversation.context, name: conversation.customerName, agent: agentName };
}

export function fillPlaceholders(text, values) {
  const missing = [];
  const filled = text.replace(/\{(\w+)\}/g, (placeholder, key) => {
    const value = values[key] ?? values[key.toLowerCase()];
    if (value == null || value === '') {
      missing.push(placeholder);
      return placeholder;
    }
    return value;
  });
  return { text: filled, missing };
}

export const unfilledPlaceholders = text => text.match(/\{\w+\}/g) ?? [];
