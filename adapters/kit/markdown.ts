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
