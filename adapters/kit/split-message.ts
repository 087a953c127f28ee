import { parseMarkdown, type Dialect } from './markdown.ts';

/** Where a block too long for one message is cut, most preferred first: lines, sentences, words, characters. */
const boundaries = [/(?<=\n)/, /(?<=[.!?…]\s+)/, /(?<=\s)/];
/** The last resort cuts between characters, never inside an HTML entity (`&amp;`) or a Markdown escape (`\\*`). */
const characters = /&#?\w+;|\\[\s\S]|[\s\S]/g;

interface Tag {
  /** As written, attributes included, to reopen it in the next message. */
  open: string;
  close: string;
}

/**
 * A reply as the platform's messages: rendered in its dialect, each at most `limit` characters (UTF-16
 * units, as Telegram, Discord and Slack count). Whole blocks share a message while they fit; a block
 * too long is cut at a line, else a sentence, else a word boundary, and formatting open at the cut (a
 * code block, bold, a link) is closed there and reopened in the next message, so every message stands
 * on its own and a code block is never left open.
 */
export function splitMessage(markdown: string, dialect: Dialect, limit: number): string[] {
  const units = parseMarkdown(markdown).flatMap((token) => {
    const rendered = dialect.block(token);
    return rendered.length <= limit ? [rendered] : cutRendered(rendered, dialect, limit);
  });
  const messages: string[] = [];
  let current = '';
  for (const unit of units) {
    if (current && (current + dialect.separator + unit).length <= limit) current += dialect.separator + unit;
    else {
      if (current) messages.push(current);
      current = unit;
    }
  }
  if (current) messages.push(current);
  return messages;
}

/** One rendered block as messages of at most `limit`, cut between text atoms, tags closed and reopened. */
function cutRendered(rendered: string, dialect: Dialect, limit: number): string[] {
  const messages: string[] = [];
  const open: Tag[] = [];
  // Every concatenation goes through the dialect's adjoin, so markers meeting at a cut still read apart.
  const join = (...parts: string[]) => (dialect.adjoin ? dialect.adjoin(parts) : parts.join(''));
  const closers = (tags: Tag[]) => join(...tags.map((tag) => tag.close).reverse());
  const openers = () => join(...open.map((tag) => tag.open));
  let current = '';
  let hasText = false;
  /** Where `current` ends without the tags opened after its last text: those move to the next message whole. */
  let settled = 0;
  let pending = 0;

  // A cut's own whitespace (the newline or space it was made at) belongs to neither message.
  const flush = () => {
    if (hasText) messages.push(join(current.slice(0, settled).replace(/\s+$/, ''), closers(open.slice(0, open.length - pending))));
    current = openers();
    settled = current.length;
    pending = 0;
    hasText = false;
  };
  const append = (text: string) => {
    current = join(current, text);
    settled = current.length;
    pending = 0;
    hasText ||= text.trim() !== '';
  };
  const fits = (text: string) => join(current, text, closers(open)).length <= limit;
  const addText = (text: string, level: number) => {
    if (!hasText && messages.length > 0) text = text.replace(/^\n+/, '');
    if (!text) return;
    if (fits(text)) return append(text);
    if (hasText) flush();
    if (fits(text)) return append(text);
    // Too long even for a message of its own: a finer cut.
    const boundary = boundaries[level];
    const atoms = boundary ? text.split(boundary) : (text.match(characters) ?? []);
    if (atoms.length <= 1 && !boundary) throw new Error(`the limit of ${limit} leaves no room for text inside ${openers()}`);
    for (const atom of atoms) addText(atom, boundary ? level + 1 : level);
  };

  for (const piece of dialect.markup(rendered)) {
    if (piece.kind === 'text') addText(piece.text, 0);
    else if (piece.kind === 'open') {
      open.push({ open: piece.text, close: piece.close });
      current = join(current, piece.text);
      pending += 1;
    } else {
      open.pop();
      current = join(current, piece.text);
      if (pending > 0) pending -= 1;
      else settled = current.length;
    }
  }
  if (hasText) messages.push(current);
  return messages;
}
