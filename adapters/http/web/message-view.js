// One message of the conversation as a list item, with the stable attributes a browser test reads:
// data-testid="message", data-role (user, assistant), data-state (streaming, done, stopped, error).
import * as marked from './marked.js';
import { createRenderer } from './render-markdown.js';

/** @typedef {import('./saved.js').Message} Message */

const renderMarkdown = createRenderer(marked);

const notes = { stopped: 'Stopped.', error: 'Failed.' };

/** @param {Message} message */
export function messageElement(message) {
  const item = document.createElement('li');
  item.dataset.testid = 'message';
  item.className = `message ${message.role}`;
  const who = document.createElement('p');
  who.className = 'who';
  who.textContent = message.role === 'user' ? 'You' : 'Assistant';
  const body = document.createElement('div');
  body.className = 'body';
  const note = document.createElement('p');
  note.className = 'state';
  item.append(who, body, note);
  updateMessage(item, message);
  return item;
}

/** @param {HTMLElement} item @param {Message} message */
export function updateMessage(item, message) {
  item.dataset.role = message.role;
  item.dataset.state = message.state;
  const [, body, note] = /** @type {HTMLElement[]} */ ([...item.children]);
  // The person's own words as text; the model's as Markdown, through the safe renderer only.
  if (message.role === 'user') body.textContent = message.content;
  else body.innerHTML = renderMarkdown(message.content);
  note.textContent = message.state === 'stopped' || message.state === 'error' ? notes[message.state] : '';
}
