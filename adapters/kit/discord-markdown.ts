import { listAsText, plainText, quoteLines, readFence, readInlineCode, scanMarkup, tableAsText, type Dialect, type MarkupPiece, type MarkupReader, type Token, type Tokens } from './markdown.ts';

/**
 * Characters Discord reads as formatting anywhere in a line. A backslash before any punctuation shows
 * it as is, so escaping is always safe; `<` keeps `<@id>` and `<#id>` from becoming mentions.
 */
const inlineSpecials = /[\\*_~`|[\]<]/g;
/** Formatting that only counts at the start of a line: headings, quotes, lists, subtext. */
const lineStart = /^(\s*)([#>+-]|\d+\.)/gm;

/** Text shown exactly as written, whatever Markdown it looks like. */
export const escapeDiscord = (text: string) => text.replace(inlineSpecials, '\\$&').replace(lineStart, '$1\\$2');

/** Links Discord opens; anything else (javascript:, data:) is shown as text. */
const safeUrl = (href: string) => /^https?:\/\//i.test(href);

/** Pieces side by side, kept apart by a zero-width space where markers would run together (`*` and `**` into `***`). */
const adjoin = (pieces: string[]) => pieces.reduce((out, next) => out + (/[*~]$/.test(out) && /^[*~]/.test(next) ? '\u200b' : '') + next, '');

/** Code as written inside a fence: only a fence of its own could end the block early. */
const fenced = (code: string) => code.replaceAll('```', '`\u200b``');

/** Inline pieces joined, one's closing marker kept apart from the next one's opening (`*a*` `*b*`). */
function inline(tokens: readonly Token[] | undefined, within: readonly string[] = []): string {
  return adjoin((tokens ?? []).map((token) => inlineToken(token, within)));
}

/**
 * Formatting around inline content. Inside the same formatting it adds nothing and would read
 * ambiguously (`*a *b**`), so only the outer one is written; markers that would touch (`***`) are
 * kept apart by a zero-width space, so every run of markers reads one way.
 */
function styled(marker: string, tokens: readonly Token[] | undefined, within: readonly string[]): string {
  if (within.includes(marker)) return inline(tokens, within);
  const content = inline(tokens, [...within, marker]);
  const gap = (touching: boolean) => (touching ? '\u200b' : '');
  return `${marker}${gap(/^[*~]/.test(content))}${content}${gap(/[*~]$/.test(content))}${marker}`;
}

function inlineToken(token: Token, within: readonly string[] = []): string {
  switch (token.type) {
    case 'strong':
      return styled('**', token.tokens, within);
    case 'em':
      return styled('*', token.tokens, within);
    case 'del':
      return styled('~~', token.tokens, within);
    case 'codespan': {
      const text = token.text.replaceAll('`', 'ˋ');
      return text.trim() ? `\`${text}\`` : text;
    }
    case 'br':
      return '\n';
    case 'checkbox':
      return '';
    case 'link': {
      const text = inline(token.tokens, within);
      if (!safeUrl(token.href)) return text;
      // A masked link's address may not hold a bare `)`; the link itself stays the same.
      const href = token.href.replaceAll(')', '%29').replaceAll(' ', '%20');
      return text === escapeDiscord(token.href) ? href : `[${text}](${href})`;
    }
    case 'image':
      return safeUrl(token.href) ? `[${escapeDiscord(token.text || 'image')}](${token.href.replaceAll(')', '%29')})` : escapeDiscord(token.text);
    case 'text':
      return 'tokens' in token && token.tokens?.length ? inline(token.tokens, within) : escapeDiscord(token.text);
    case 'escape':
      return escapeDiscord(token.text);
    default:
      return escapeDiscord('raw' in token ? token.raw : '');
  }
}

function block(token: Token): string {
  switch (token.type) {
    case 'heading':
      // Discord has three heading sizes; smaller ones are bold lines.
      return token.depth <= 3 ? `${'#'.repeat(token.depth)} ${inline(token.tokens)}` : `**${inline(token.tokens)}**`;
    case 'paragraph':
      return inline(token.tokens);
    case 'code': {
      const language = /^[\w+#-]{1,32}$/.test(token.lang ?? '') ? token.lang : '';
      return `\`\`\`${language}\n${fenced(token.text) || ' '}\n\`\`\``;
    }
    case 'table':
      return `\`\`\`\n${fenced(tableAsText(token as Tokens.Table))}\n\`\`\``;
    case 'blockquote':
      return quoteLines(token.tokens, block);
    case 'list':
      return listAsText(token as Tokens.List, '-', (child) => (child.type === 'text' || child.type === 'paragraph' ? inlineToken({ ...child, type: 'text' } as Token) : block(child)));
    case 'hr':
      return '───';
    case 'checkbox':
      return '';
    case 'text':
      return inlineToken(token);
    default:
      return escapeDiscord('raw' in token ? token.raw : plainText([token]));
  }
}

/**
 * Our own output read back. Text was escaped, so an unescaped marker is formatting: `**`, `*` and `~~`
 * toggle, `` ` `` and a fence hold literal text up to their end, `[` opens a link closed by `](url)`.
 */
function markup(rendered: string): MarkupPiece[] {
  const open: string[] = [];
  const escape: MarkupReader = (rest) => (rest[0] === '\\' && rest.length > 1 ? { pieces: [{ kind: 'text', text: rest.slice(0, 2) }], length: 2 } : undefined);
  const link: MarkupReader = (rest) => {
    const close = /^\]\([^)\s]*\)/.exec(rest)?.[0];
    if (close && open.at(-1) === '[') return open.pop(), { pieces: [{ kind: 'close', text: close }], length: close.length };
    if (rest[0] !== '[') return undefined;
    open.push('[');
    return { pieces: [{ kind: 'open', text: '[', close: /\]\([^)\s]*\)/.exec(rest)?.[0] ?? ']' }], length: 1 };
  };
  const style: MarkupReader = (rest) => {
    const marker = ['**', '~~', '*'].find((candidate) => rest.startsWith(candidate));
    if (!marker) return undefined;
    const top = open.at(-1);
    // Markers never touch (see styled), so inside italics `**` is bold opening.
    if (top && rest.startsWith(top) && !(top === '*' && marker === '**')) return open.pop(), { pieces: [{ kind: 'close', text: top }], length: top.length };
    open.push(marker);
    return { pieces: [{ kind: 'open', text: marker, close: marker }], length: marker.length };
  };
  return scanMarkup(rendered, [escape, readFence(/^```[\w+#-]*\n/), readInlineCode, link, style]);
}

/** The text a person reads: markers and their zero-width spacers dropped, escapes undone, a masked link's address shown after it. */
function plain(rendered: string): string {
  const pieces = markup(rendered);
  return pieces
    .map((piece) => {
      if (piece.kind === 'text') return piece.text.replace(/\\([^\sa-zA-Z0-9])/g, '$1').replaceAll('\u200b', '');
      const href = /^\]\((.*)\)$/.exec(piece.text)?.[1];
      return href ? ` (${href})` : '';
    })
    .join('');
}

/** Discord Markdown: bold, italic, strike, code with its language, masked links, headings, quotes, lists; no tables. */
export const discordMarkdown: Dialect = { name: 'discord-markdown', block, separator: '\n\n', markup, plain, adjoin };
