import { Lexer, type Token, type Tokens } from 'marked';

export type { Token, Tokens };

/**
 * The one reading of a model's Markdown (GitHub-flavoured, via marked's lexer): top-level blocks, each
 * with its inline tokens. Every platform renders from these, so no dialect re-guesses the syntax.
 */
export function parseMarkdown(markdown: string): Token[] {
  return new Lexer({ gfm: true }).lex(markdown).filter((token) => token.type !== 'space' && token.type !== 'def');
}

/** A rendered message read back as formatting and text, so a splitter can cut between them. */
export type MarkupPiece = { kind: 'text'; text: string } | { kind: 'open'; text: string; close: string } | { kind: 'close'; text: string };

/** How a platform writes one block of the reply: Telegram HTML, Discord Markdown, Slack mrkdwn. */
export interface Dialect {
  name: string;
  /** One top-level block, rendered. */
  block(token: Token): string;
  /** Between two blocks. */
  separator: string;
  /** Reads rendered output back into its formatting and its text, in order. */
  markup(rendered: string): MarkupPiece[];
  /** Rendered output as the text a person reads, formatting and escapes undone: the plain-text fallback. */
  plain(rendered: string): string;
  /** Rendered pieces joined, kept apart where markers would run together (a cut closing and reopening them). Default: as they are. */
  adjoin?(pieces: string[]): string;
}

/** The plain text of inline tokens, formatting dropped (for table cells, link text as a fallback). */
export function plainText(tokens: readonly Token[] | undefined): string {
  return (tokens ?? [])
    .map((token) => ('tokens' in token && token.tokens?.length ? plainText(token.tokens) : 'text' in token ? String(token.text) : ''))
    .join('');
}

/** A table as monospaced text: where a platform has no tables, columns still line up. */
export function tableAsText(table: Tokens.Table): string {
  const rows = [table.header.map((cell) => plainText(cell.tokens)), ...table.rows.map((row) => row.map((cell) => plainText(cell.tokens)))];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => [...(row[column] ?? '')].length)));
  const line = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ').trimEnd();
  return [line(rows[0]!), widths.map((width) => '-'.repeat(width)).join('-+-'), ...rows.slice(1).map(line)].join('\n');
}

/**
 * A list as lines: `bullet` or the item's number, ☑/☐ for a task, nested lists indented by two
 * spaces. `render` writes an item's other content in the platform's dialect.
 */
export function listAsText(token: Tokens.List, bullet: string, render: (child: Token) => string, depth = 0): string {
  const start = typeof token.start === 'number' ? token.start : 1;
  return token.items
    .map((item, index) => {
      const marker = item.task ? (item.checked ? '☑' : '☐') : token.ordered ? `${start + index}.` : bullet;
      const parts = item.tokens.map((child) => (child.type === 'list' ? `\n${listAsText(child as Tokens.List, bullet, render, depth + 1)}` : render(child)));
      return `${'  '.repeat(depth)}${marker} ${parts.join('').trim()}`;
    })
    .join('\n');
}

/**
 * A quote for dialects that quote line by line (`> `): a code block or table inside it is shown after
 * its lines, unquoted, so its fence stays whole.
 */
export function quoteLines(children: readonly Token[] | undefined, block: (token: Token) => string): string {
  return (children ?? [])
    .filter((child) => child.type !== 'space')
    .map((child) => (child.type === 'code' || child.type === 'table' ? block(child) : block(child).replace(/^/gm, '> ')))
    .join('\n');
}

/** What a markup reader found at the start of the rest: the pieces, and how many characters they took. */
export type MarkupFound = { pieces: MarkupPiece[]; length: number } | undefined;
export type MarkupReader = (rest: string) => MarkupFound;

/**
 * Rendered text read back as pieces, for a dialect whose markup is marked-up text (Discord Markdown,
 * Slack mrkdwn): at each position the first reader that recognises something there wins; anything
 * else is text. Adjacent text is kept as one piece.
 */
export function scanMarkup(rendered: string, readers: readonly MarkupReader[]): MarkupPiece[] {
  const pieces: MarkupPiece[] = [];
  let text = '';
  for (let at = 0; at < rendered.length; ) {
    const rest = rendered.slice(at);
    let found: MarkupFound;
    for (const read of readers) if ((found = read(rest))) break;
    if (!found) {
      text += rest[0];
      at += 1;
      continue;
    }
    for (const piece of found.pieces) {
      if (piece.kind === 'text') text += piece.text;
      else {
        if (text) pieces.push({ kind: 'text', text });
        text = '';
        pieces.push(piece);
      }
    }
    at += Math.max(1, found.length);
  }
  if (text) pieces.push({ kind: 'text', text });
  return pieces;
}

/** A fenced code block opened by `opening` (which ends in a newline): literal text up to the closing fence. */
export const readFence = (opening: RegExp): MarkupReader => (rest) => {
  const fence = opening.exec(rest)?.[0];
  if (!fence) return undefined;
  const end = rest.indexOf('\n```', fence.length - 1);
  const stop = end < 0 ? rest.length : end;
  return { pieces: [{ kind: 'open', text: fence, close: '\n```' }, { kind: 'text', text: rest.slice(fence.length, stop) }, { kind: 'close', text: '\n```' }], length: stop + 4 };
};

/** Inline code: literal text up to the next backtick. */
export const readInlineCode: MarkupReader = (rest) => {
  if (rest[0] !== '`') return undefined;
  const end = rest.indexOf('`', 1);
  return { pieces: [{ kind: 'open', text: '`', close: '`' }, { kind: 'text', text: rest.slice(1, end < 0 ? undefined : end) }, { kind: 'close', text: '`' }], length: end < 0 ? rest.length : end + 1 };
};
