import { listAsText, plainText, tableAsText, type Dialect, type MarkupPiece, type Token, type Tokens } from './markdown.ts';

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
      // Discord quotes line by line; a code block or table inside one is shown after it, unquoted, so its fence stays whole.
      return (token.tokens ?? [])
        .filter((child: Token) => child.type !== 'space')
        .map((child: Token) => (child.type === 'code' || child.type === 'table' ? block(child) : block(child).replace(/^/gm, '> ')))
        .join('\n');
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
  const pieces: MarkupPiece[] = [];
  const open: string[] = [];
  let text = '';
  const emit = (piece: MarkupPiece) => {
    if (text) pieces.push({ kind: 'text', text });
    text = '';
    pieces.push(piece);
  };
  let at = 0;
  while (at < rendered.length) {
    const rest = rendered.slice(at);
    if (rest[0] === '\\' && rest.length > 1) {
      text += rest.slice(0, 2);
      at += 2;
      continue;
    }
    const fence = /^```[\w+#-]*\n/.exec(rest);
    if (fence) {
      const end = rest.indexOf('\n```', fence[0].length - 1);
      const stop = end < 0 ? rest.length : end;
      emit({ kind: 'open', text: fence[0], close: '\n```' });
      text = rest.slice(fence[0].length, stop);
      emit({ kind: 'close', text: '\n```' });
      at += stop + 4;
      continue;
    }
    if (rest[0] === '`') {
      const end = rest.indexOf('`', 1);
      emit({ kind: 'open', text: '`', close: '`' });
      text = rest.slice(1, end < 0 ? undefined : end);
      emit({ kind: 'close', text: '`' });
      at += end < 0 ? rest.length : end + 1;
      continue;
    }
    const link = /^\]\(([^)\s]*)\)/.exec(rest);
    if (link && open.at(-1) === '[') {
      open.pop();
      emit({ kind: 'close', text: link[0] });
      at += link[0].length;
      continue;
    }
    if (rest[0] === '[') {
      const close = /\]\([^)\s]*\)/.exec(rest);
      open.push('[');
      emit({ kind: 'open', text: '[', close: close?.[0] ?? ']' });
      at += 1;
      continue;
    }
    const marker = ['**', '~~', '*'].find((candidate) => rest.startsWith(candidate));
    if (marker) {
      const top = open.at(-1);
      // Markers never touch (see styled), so inside italics `**` is bold opening.
      const boldInItalics = top === '*' && marker === '**';
      if (top && rest.startsWith(top) && !boldInItalics) {
        open.pop();
        emit({ kind: 'close', text: top });
        at += top.length;
      } else {
        open.push(marker);
        emit({ kind: 'open', text: marker, close: marker });
        at += marker.length;
      }
      continue;
    }
    text += rest[0];
    at += 1;
  }
  if (text) pieces.push({ kind: 'text', text });
  return pieces;
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
