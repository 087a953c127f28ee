// What the page keeps in localStorage: the credential (a reload stays signed in), the chosen model, and
// each conversation (so the list and history work where the gateway keeps none, or is unreachable).
// Storage may be missing or full (private windows, quotas): the page then works without it.

const keys = { token: 'chat-gateway.token', model: 'chat-gateway.model', conversations: 'chat-gateway.conversations' };
/** Enough for a long list, small enough to stay far below a 5 MB quota. */
const keptConversations = 50;

/** @typedef {{ role: 'user' | 'assistant', content: string, state: 'streaming' | 'done' | 'stopped' | 'error' }} Message */
/**
 * `id` is what the page sends as X-Conversation-Id. The gateway keeps its own record of the conversation
 * under an id of its own: `record`, as its answers name it, and `openedFrom`, the record a conversation
 * was reopened from.
 * @typedef {{ id: string, title: string, updatedAt: string, messages: Message[], record?: string, openedFrom?: string }} Conversation
 */
/** @param {string} key */
const read = (key) => {
  try {
    return globalThis.localStorage?.getItem(key) ?? null;
  } catch {
    return null;
  }
};
/** @param {string} key @param {string | null} value */
const write = (key, value) => {
  try {
    if (value === null) globalThis.localStorage?.removeItem(key);
    else globalThis.localStorage?.setItem(key, value);
  } catch {
    // Full or forbidden: this session goes on without it.
  }
};

export const token = {
  get: () => read(keys.token),
  /** @param {string | null} value */
  set: (value) => write(keys.token, value),
};

export const model = {
  get: () => read(keys.model),
  /** @param {string} value */
  set: (value) => write(keys.model, value),
};

/** @returns {Record<string, Conversation>} */
export function loadConversations() {
  try {
    const value = JSON.parse(read(keys.conversations) ?? '{}');
    return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}

/** @param {Conversation} conversation */
export function saveConversation(conversation) {
  const all = { ...loadConversations(), [conversation.id]: conversation };
  const newest = Object.values(all)
    .sort((a, b) => String(b.updatedAt).localeCompare(String(a.updatedAt)))
    .slice(0, keptConversations);
  write(keys.conversations, JSON.stringify(Object.fromEntries(newest.map((kept) => [kept.id, kept]))));
}

/** Signing out forgets this browser's copy of the conversations too: the next person here sees none of them. */
export function forgetAll() {
  for (const key of Object.values(keys)) write(key, null);
}
