// The web chat page: sign in, pick a model, chat with streamed answers. Plain ES modules, no build step.
// Model output reaches the DOM only through render-markdown.js (in message-view.js); all else is set as text.
import { ApiError, createClient, describeError, storedTitle } from './api.js';
import { messageElement, updateMessage } from './message-view.js';
import * as saved from './saved.js';

/** @typedef {import('./saved.js').Message} Message */
/** @typedef {import('./saved.js').Conversation} Conversation */

/** Offered first, as they are what most people want; the gateway accepts them whether or not it lists them. */
const tiers = ['default', 'instant', 'thinking'];

/** @param {string} id */
const element = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const ui = {
  account: element('account'),
  model: /** @type {HTMLSelectElement} */ (element('model')),
  signOut: element('sign-out'),
  error: element('error'),
  errorText: element('error-text'),
  retry: element('retry'),
  signInForm: /** @type {HTMLFormElement} */ (element('sign-in-form')),
  token: /** @type {HTMLInputElement} */ (element('token')),
  signIn: /** @type {HTMLButtonElement} */ (element('sign-in')),
  chat: element('chat'),
  newChat: element('new-chat'),
  conversationList: element('conversation-list'),
  offlineNote: element('offline-note'),
  messages: element('messages'),
  composer: /** @type {HTMLFormElement} */ (element('composer')),
  input: /** @type {HTMLTextAreaElement} */ (element('message')),
  send: /** @type {HTMLButtonElement} */ (element('send')),
  stop: element('stop'),
};

/** @type {ReturnType<typeof createClient> | null} */
let client = null;
/** @type {Conversation} */
let conversation = fresh();
/** The answer streaming now, if any: aborting it stops the fetch, and the gateway cancels the job. */
let running = /** @type {AbortController | null} */ (null);
/** False once the gateway said it has no conversations API: the list is then this browser's alone. */
let serverConversations = true;
/** @type {(() => void) | null} */
let retryAction = null;

/** @returns {Conversation} */
function fresh() {
  // getRandomValues, not randomUUID: the latter exists only on https or localhost.
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  const id = `web-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
  return { id, title: '', updatedAt: new Date().toISOString(), messages: [] };
}

// ── Errors ───────────────────────────────────────────────────────────────────────────────────────

/** @param {string} message @param {(() => void) | null} [retry] */
function showError(message, retry = null) {
  ui.errorText.textContent = message;
  retryAction = retry;
  ui.retry.hidden = !retry;
  ui.error.hidden = false;
}
function clearError() {
  ui.error.hidden = true;
  ui.errorText.textContent = '';
  retryAction = null;
}
ui.retry.addEventListener('click', () => {
  const action = retryAction;
  clearError();
  action?.();
});

// ── Signing in ───────────────────────────────────────────────────────────────────────────────────

/** @param {string} token */
async function signIn(token) {
  clearError();
  ui.signIn.disabled = true;
  const candidate = createClient({ token });
  try {
    const models = await candidate.listModels();
    client = candidate;
    saved.token.set(token);
    fillModels(models);
    ui.signInForm.hidden = true;
    ui.account.hidden = false;
    ui.chat.hidden = false;
    ui.token.value = '';
    newChat();
    await refreshConversations();
  } catch (error) {
    showSignIn();
    // A refused credential will be refused again: only a failure to reach the gateway is worth a retry.
    const refused = error instanceof ApiError && (error.status === 401 || error.status === 403);
    if (refused) saved.token.set(null);
    showError(refused ? `Sign-in refused: ${describeError(error)}` : describeError(error), refused ? null : () => void signIn(token));
  } finally {
    ui.signIn.disabled = false;
  }
}

function showSignIn() {
  client = null;
  ui.signInForm.hidden = false;
  ui.account.hidden = true;
  ui.chat.hidden = true;
  ui.token.focus();
}

ui.signInForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = ui.token.value.trim().replace(/^Bearer\s+/i, '');
  if (token) void signIn(token);
});

ui.signOut.addEventListener('click', () => {
  stopStreaming();
  saved.forgetAll();
  conversation = fresh();
  ui.messages.replaceChildren();
  ui.conversationList.replaceChildren();
  ui.offlineNote.hidden = true;
  clearError();
  showSignIn();
});

/** @param {string[]} ids */
function fillModels(ids) {
  const choices = [...tiers.filter((tier) => !ids.includes(tier)), ...ids];
  ui.model.replaceChildren(...choices.map((id) => new Option(id, id)));
  const chosen = saved.model.get();
  if (chosen && choices.includes(chosen)) ui.model.value = chosen;
}
ui.model.addEventListener('change', () => saved.model.set(ui.model.value));

// ── Messages ─────────────────────────────────────────────────────────────────────────────────────

function drawMessages() {
  ui.messages.replaceChildren(...conversation.messages.map(messageElement));
  scrollToEnd(true);
}

/** Follows a streaming answer, unless the reader scrolled up to read something. */
function scrollToEnd(always = false) {
  const { scrollingElement } = document;
  if (!scrollingElement) return;
  const nearEnd = scrollingElement.scrollHeight - scrollingElement.scrollTop - scrollingElement.clientHeight < 120;
  if (always || nearEnd) scrollingElement.scrollTop = scrollingElement.scrollHeight;
}

/** @param {boolean} streaming */
function setStreaming(streaming) {
  ui.send.disabled = streaming;
  ui.stop.hidden = !streaming;
  // Screen readers wait for the finished answer rather than reading every fragment.
  ui.messages.setAttribute('aria-busy', String(streaming));
}

/** Stops the answer streaming now, if any, and frees the page for the next one at once. */
function stopStreaming() {
  running?.abort();
  running = null;
  setStreaming(false);
}

/** @param {string} model */
const isOffline = (model) => model === 'offline' || model.startsWith('offline/');

// ── Chatting ─────────────────────────────────────────────────────────────────────────────────────

/** @param {string} text */
async function send(text) {
  if (!client || running) return;
  clearError();
  /** @type {Message} */
  const question = { role: 'user', content: text, state: 'done' };
  conversation.messages.push(question);
  if (!conversation.title) conversation.title = storedTitle(text);
  ui.messages.append(messageElement(question));
  await answer();
}

/** Streams the assistant's answer to the conversation so far (again, on a retry). */
async function answer() {
  if (!client) return;
  // The whole conversation, OpenAI style: what a failed answer left is not part of it.
  const history = conversation.messages.filter((message) => message.content && message.state !== 'error').map(({ role, content }) => ({ role, content }));
  /** @type {Message} */
  const reply = { role: 'assistant', content: '', state: 'streaming' };
  const current = conversation;
  current.messages.push(reply);
  const item = messageElement(reply);
  ui.messages.append(item);
  scrollToEnd(true);

  const controller = new AbortController();
  running = controller;
  setStreaming(true);
  // One render per frame however fast the text comes: re-rendering on every fragment is wasted work.
  let pending = false;
  const redraw = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      updateMessage(item, reply);
      scrollToEnd();
    });
  };
  try {
    await client.streamChat({
      model: ui.model.value || 'default',
      messages: history,
      conversationId: current.id,
      signal: controller.signal,
      onDelta: (text) => {
        reply.content += text;
        redraw();
      },
      onModel: (model) => {
        ui.offlineNote.hidden = !isOffline(model);
      },
      onRecord: (record) => {
        current.record = record;
      },
    });
    reply.state = 'done';
  } catch (error) {
    if (controller.signal.aborted) reply.state = 'stopped';
    else {
      reply.state = 'error';
      showError(describeError(error), () => {
        if (conversation !== current || running) return;
        current.messages.splice(current.messages.indexOf(reply), 1);
        item.remove();
        void answer();
      });
    }
  } finally {
    // Unless stopStreaming already let go of it (a new chat, another conversation, signing out).
    if (running === controller) {
      running = null;
      setStreaming(false);
    }
  }
  updateMessage(item, reply);
  // Signed out meanwhile: this browser was told to forget the conversation, so it is not saved again.
  if (!client) return;
  current.updatedAt = new Date().toISOString();
  saved.saveConversation(current);
  await refreshConversations();
}

ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = ui.input.value.trim();
  if (!text || running) return;
  ui.input.value = '';
  void send(text);
});
ui.input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ui.composer.requestSubmit();
  }
});
ui.stop.addEventListener('click', () => running?.abort());

// ── Conversations ────────────────────────────────────────────────────────────────────────────────

function newChat() {
  stopStreaming();
  conversation = fresh();
  clearError();
  drawMessages();
  markCurrent();
  ui.input.focus();
}
ui.newChat.addEventListener('click', newChat);

/** @param {unknown} value an ISO time or epoch milliseconds */
const timeOf = (value) => (typeof value === 'number' ? value : Date.parse(String(value ?? '')) || 0);

/**
 * The list: this browser's conversations, and the gateway's records of any others (other browsers,
 * other clients, chat platforms), newest first, each once: a record this browser has a conversation
 * of is listed as that conversation.
 */
async function refreshConversations() {
  const locals = saved.loadConversations();
  /** @type {{ id: string, title: string, platform: string, updatedAt: string }[]} */
  let remote = [];
  if (client && serverConversations) {
    try {
      const listed = await client.listConversations();
      if (listed === null) serverConversations = false;
      else remote = listed;
    } catch {
      // Unreachable or failing: this browser's list still works.
    }
  }
  const claimed = new Set(Object.values(locals).flatMap(recordsOf));
  const entries = [
    ...Object.values(locals).map(({ id, title, updatedAt }) => ({ id, title, updatedAt, platform: 'web' })),
    ...remote.filter(({ id }) => !claimed.has(id)),
  ].sort((a, b) => timeOf(b.updatedAt) - timeOf(a.updatedAt));
  ui.conversationList.replaceChildren(...entries.map((entry) => listItem(entry, Boolean(locals[entry.id]))));
  markCurrent();
}

/** @param {{ id: string, title: string, platform: string }} entry @param {boolean} local */
function listItem({ id, title, platform }, local) {
  const item = document.createElement('li');
  const button = document.createElement('button');
  button.type = 'button';
  button.dataset.id = id;
  button.textContent = title || 'Untitled';
  // Where a conversation from elsewhere took place: a Telegram chat reads differently from this page.
  if (!local && platform && platform !== 'http') {
    const where = document.createElement('span');
    where.className = 'platform';
    where.textContent = ` (${platform})`;
    button.append(where);
  }
  button.addEventListener('click', () => void (local ? openLocal(id) : openRemote(id, title)));
  item.append(button);
  return item;
}

/** @param {Conversation} local */
const recordsOf = ({ record, openedFrom }) => [record, openedFrom].filter((id) => typeof id === 'string');

function markCurrent() {
  const ids = new Set([conversation.id, ...recordsOf(conversation)]);
  for (const button of ui.conversationList.querySelectorAll('button')) {
    if (ids.has(button.dataset.id ?? '')) button.setAttribute('aria-current', 'true');
    else button.removeAttribute('aria-current');
  }
}

/** @param {Conversation} next */
function show(next) {
  stopStreaming();
  clearError();
  conversation = next;
  drawMessages();
  markCurrent();
}

/** One of this browser's: its own copy is what the person saw here (stopped answers included). @param {string} id */
function openLocal(id) {
  const local = saved.loadConversations()[id];
  if (local && local.id !== conversation.id) show(local);
}

/**
 * One the gateway keeps and this browser does not: read back, then continued under an id of this page's
 * (the gateway's own id cannot be sent back as X-Conversation-Id), with its history in every request.
 * @param {string} serverId @param {string} title
 */
async function openRemote(serverId, title) {
  if (recordsOf(conversation).includes(serverId)) return;
  show({ ...fresh(), title, openedFrom: serverId });
  await loadHistory(serverId);
}

/** @param {string} serverId */
async function loadHistory(serverId) {
  if (!client) return;
  const opened = conversation;
  try {
    const stored = (await client.conversationMessages(serverId)) ?? [];
    if (conversation !== opened || opened.messages.length > 0) return;
    opened.messages = stored
      .filter(({ role }) => role === 'user' || role === 'assistant')
      .map(({ role, content }) => ({ role: /** @type {'user' | 'assistant'} */ (role), content, state: 'done' }));
    drawMessages();
  } catch (error) {
    if (conversation === opened) showError(describeError(error), () => void loadHistory(serverId));
  }
}

// ── Start ────────────────────────────────────────────────────────────────────────────────────────

const stored = saved.token.get();
if (stored) void signIn(stored);
else showSignIn();
