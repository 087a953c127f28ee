// Model output rendered as HTML that can never carry markup of its own: every raw HTML token is shown
// as text, only http:, https: and mailto: links survive, images become links (never loaded), code is
// escaped. The page puts Markdown into the DOM only through this module. It runs in the browser and in
// Node (tests), so it takes the marked module rather than importing it by a path only one of them knows.

const allowedProtocols = new Set(['http:', 'https:', 'mailto:']);

const escapes = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for HTML content and attribute values.
 * @param {string} text
 * @returns {string}
 */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (character) => escapes[/** @type {keyof typeof escapes} */ (character)]);
}

/**
 * As escapeHtml, but a character reference already in the text (`&amp;`, `&#169;`) is kept: marked
 * decodes numeric references in text itself, and a named one reads as the character it names, never as markup.
 * @param {string} text
 */
const escapeText = (text) => String(text).replace(/[<>"']|&(?!(#\d{1,7}|#[Xx][a-fA-F0-9]{1,6}|\w+);)/g, (character) => escapes[/** @type {keyof typeof escapes} */ (character)]);

/**
 * The URL when it is absolute and of an allowed protocol, normalized; otherwise null. Relative URLs are
 * refused too: a model has no business linking into the gateway, and `&#106;avascript:` or
 * ` java\nscript:` parse as relative or not at all.
 * @param {string} href
 * @returns {string | null}
 */
export function safeUrl(href) {
  try {
    const url = new URL(href);
    return allowedProtocols.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

/** @param {string} href @param {string} inner @param {string | null | undefined} title */
const anchor = (href, inner, title) =>
  `<a href="${escapeHtml(href)}"${title ? ` title="${escapeHtml(title)}"` : ''} rel="noopener noreferrer" target="_blank">${inner}</a>`;

/**
 * A Markdown-to-safe-HTML function over the given marked module (`import * as marked from 'marked'`).
 * Its own Marked instance: the module's global options are left alone.
 * @param {{ Marked: typeof import('marked').Marked }} markedModule
 * @returns {(markdown: string) => string}
 */
export function createRenderer(markedModule) {
  const instance = new markedModule.Marked({
    gfm: true,
    renderer: {
      // Raw HTML, block or inline, is shown as the text the model wrote.
      html({ text, block }) {
        return block ? `<p>${escapeHtml(text)}</p>` : escapeHtml(text);
      },
      // marked leaves text after an inline <pre>, <code> or <script> tag unescaped ("raw"): escaped here, always.
      text(token) {
        if ('tokens' in token && token.tokens) return this.parser.parseInline(token.tokens);
        return escapeText(token.text);
      },
      link({ href, title, tokens }) {
        const inner = this.parser.parseInline(tokens);
        const url = safeUrl(href);
        return url ? anchor(url, inner, title) : inner;
      },
      // An image is a link to it, so nothing is fetched on the reader's behalf (no tracking pixels).
      image({ href, title, text }) {
        const label = escapeHtml(text || href);
        const url = safeUrl(href);
        return url ? anchor(url, `🖼 ${label}`, title) : label;
      },
      code({ text, lang }) {
        const language = (lang ?? '').match(/^[\w+#.-]+/)?.[0];
        return `<pre><code${language ? ` class="language-${escapeHtml(language)}"` : ''}>${escapeHtml(text)}</code></pre>\n`;
      },
      codespan({ text }) {
        return `<code>${escapeHtml(text)}</code>`;
      },
    },
  });
  return (markdown) => {
    try {
      return /** @type {string} */ (instance.parse(String(markdown), { async: false }));
    } catch {
      // marked failing on some input must not lose the answer: shown as plain text.
      return `<p>${escapeHtml(markdown)}</p>`;
    }
  };
}
