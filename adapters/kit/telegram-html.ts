import { listAsText, plainText, tableAsText, type Dialect, type MarkupPiece, type Token, type Tokens } from './markdown.ts';

/** Telegram's HTML parse mode needs only these three escaped, in text and attributes alike (plus `"` in href). */
export const escapeHtml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** Links Telegram opens; anything else (javascript:, data:) is shown as text. */
const safeUrl = (href: string) => /^(https?:|tg:|mailto:)/i.test(href);

function inline(tokens: readonly Token[] | undefined): string {
  return (tokens ?? []).map(inlineToken).join('');
}

function inlineToken(token: Token): string {
  switch (token.type) {
    case 'strong':
      return `<b>${inline(token.tokens)}</b>`;
    case 'em':
      return `<i>${inline(token.tokens)}</i>`;
    case 'del':
      return `<s>${inline(token.tokens)}</s>`;
    case 'codespan':
      return `<code>${escapeHtml(token.text)}</code>`;
    case 'br':
      return '\n';
    case 'checkbox': // a task item's box: the list marker shows it
      return '';
    case 'link':
      return safeUrl(token.href) ? `<a href="${escapeHtml(token.href).replaceAll('"', '&quot;')}">${inline(token.tokens)}</a>` : inline(token.tokens);
    case 'image':
      return safeUrl(token.href) ? `<a href="${escapeHtml(token.href).replaceAll('"', '&quot;')}">${escapeHtml(token.text || token.href)}</a>` : escapeHtml(token.text);
    case 'text':
      return 'tokens' in token && token.tokens?.length ? inline(token.tokens) : escapeHtml(token.text);
    // Raw HTML from the model is text: it never reaches Telegram as markup.
    default:
      return escapeHtml('raw' in token ? token.raw : '');
  }
}

function block(token: Token): string {
  switch (token.type) {
    case 'heading':
      return `<b>${inline(token.tokens)}</b>`;
    case 'paragraph':
      return inline(token.tokens);
    case 'code': {
      const language = /^[\w+#-]{1,32}$/.test(token.lang ?? '') ? ` class="language-${token.lang}"` : '';
      return `<pre><code${language}>${escapeHtml(token.text)}</code></pre>`;
    }
    case 'table':
      return `<pre>${escapeHtml(tableAsText(token as Tokens.Table))}</pre>`;
    case 'blockquote':
      // Telegram does not nest quotes: an inner quote is flattened into the outer one.
      return `<blockquote>${token.tokens?.map((child: Token) => block(child).replace(/<\/?blockquote>/g, '')).join('\n') ?? ''}</blockquote>`;
    case 'list':
      return listAsText(token as Tokens.List, '•', (child) => (child.type === 'text' || child.type === 'paragraph' ? inlineToken({ ...child, type: 'text' } as Token) : block(child)));
    case 'hr':
      return '──────────';
    case 'checkbox':
      return '';
    case 'text':
      return inlineToken(token);
    default:
      return escapeHtml('raw' in token ? token.raw : plainText([token]));
  }
}

/** Our own output read back: every `<` in text was escaped, so each one here starts a tag. */
function markup(rendered: string): MarkupPiece[] {
  return rendered
    .split(/(<[^>]*>)/)
    .filter(Boolean)
    .map((part): MarkupPiece => {
      const tag = /^<(\/?)(\w+)/.exec(part);
      if (!tag) return { kind: 'text', text: part };
      return tag[1] ? { kind: 'close', text: part } : { kind: 'open', text: part, close: `</${tag[2]}>` };
    });
}

const unescapeHtml = (text: string) => text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&amp;', '&');

/** The text of a rendered message; a link keeps its address, which plain text cannot hide behind words. */
function plain(rendered: string): string {
  const linked = rendered.replace(/<a href="([^"]*)">([\s\S]*?)<\/a>/g, (_, href: string, text: string) => (text === href ? text : `${text} (${href})`));
  return unescapeHtml(markup(linked).flatMap((piece) => (piece.kind === 'text' ? [piece.text] : [])).join(''));
}

/** Telegram's HTML parse mode: bold, italic, strike, code, pre with a language, links, quotes; no tables. */
export const telegramHtml: Dialect = { name: 'telegram-html', block, separator: '\n\n', markup, plain };
