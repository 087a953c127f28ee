/**
 * Splits a document into overlapping chunks for retrieval. A chunk ends at the most natural boundary
 * before the size limit (a heading, a paragraph, a line, a sentence, a space), so each chunk reads as
 * a passage; the overlap repeats the end of one chunk at the start of the next, so a fact that straddles
 * a boundary is still found whole in one of them.
 */

export interface Chunk {
  index: number;
  text: string;
  /** Character offsets in the source text */
  start: number;
  end: number;
}

export interface ChunkOptions {
  /** Target maximum characters per chunk. Default 1200. */
  size?: number;
  /** Characters shared with the previous chunk. Default 200, or size / 4 when less. Must be < size / 2. */
  overlap?: number;
}

const DEFAULT_SIZE = 1200;
const DEFAULT_OVERLAP = 200;
const MIN_SIZE = 100;

/**
 * Boundaries are looked for only in the second half of the window: a break early in the window would
 * make a chunk shorter than the overlap that follows it, wasting embeddings on repeated text.
 */
const MIN_FILL = 0.5;
/** A heading this far into the window is worth ending the chunk early for, so the section starts a chunk. */
const HEADING_FROM = 0.6;

const HEADING = /#{1,6}[ \t]/y;
const BLANK_LINE = /\n[^\S\n]*\n/y;
const WHITESPACE = /\s/;

export function chunkText(text: string, options: ChunkOptions = {}): Chunk[] {
  const { size, overlap } = validate(options);
  const chunks: Chunk[] = [];
  let pos = skipWhitespace(text, 0);
  while (pos < text.length) {
    const fitsWhole = text.length - pos <= size;
    const { at, heading } = fitsWhole ? { at: text.length, heading: false } : findBreak(text, pos, size);
    // `pos` is never whitespace, so the trimmed chunk is never empty.
    let end = at;
    while (end > pos && isSpace(text, end - 1)) end--;
    chunks.push({ index: chunks.length, text: text.slice(pos, end), start: pos, end });
    if (at >= text.length) break;
    // A new section starts clean at its heading: repeating the previous section's tail adds no context.
    // Otherwise step back by the overlap, but always forward of this chunk's start, so the loop ends.
    pos = skipWhitespace(text, heading ? at : nextStart(text, pos, end, overlap));
  }
  return chunks;
}

function validate(options: ChunkOptions): { size: number; overlap: number } {
  const size = options.size ?? DEFAULT_SIZE;
  if (!Number.isSafeInteger(size) || size < MIN_SIZE) {
    throw new RangeError(`chunk size must be an integer of at least ${MIN_SIZE} characters (got ${size})`);
  }
  const overlap = options.overlap ?? Math.min(DEFAULT_OVERLAP, Math.floor(size / 4));
  // Below half the size, every chunk brings at least as much new text as it repeats.
  if (!Number.isSafeInteger(overlap) || overlap < 0 || overlap >= size / 2) {
    throw new RangeError(
      `chunk overlap must be an integer from 0 to less than half the chunk size ${size} (got ${overlap})`,
    );
  }
  return { size, overlap };
}

/**
 * Where to end the chunk that starts at `pos` (exclusive), when the rest of the text does not fit.
 * One backward scan of the window notes the last boundary of each kind; the best kind found wins.
 */
function findBreak(text: string, pos: number, size: number): { at: number; heading: boolean } {
  const limit = pos + size; // < text.length here
  const low = pos + Math.ceil(size * MIN_FILL);
  const headingLow = pos + Math.ceil(size * HEADING_FROM);
  let paragraph = -1;
  let line = -1;
  let sentence = -1;
  let space = -1;
  for (let at = limit; at >= low; at--) {
    const ch = text[at];
    if (at >= headingLow && text[at - 1] === '\n' && matchesAt(HEADING, text, at)) return { at, heading: true };
    if (ch === '\n') {
      if (paragraph < 0 && matchesAt(BLANK_LINE, text, at)) paragraph = at;
      if (line < 0) line = at;
    }
    if (sentence < 0 && isSentenceEnd(text, at)) sentence = at;
    if (space < 0 && isSpace(text, at)) space = at;
  }
  for (const at of [paragraph, line, sentence, space]) if (at >= 0) return { at, heading: false };
  // One unbroken run (a URL, a base64 blob, text without spaces): cut, but never between the two
  // halves of a surrogate pair, which would leave both chunks holding half a character.
  return { at: isLowSurrogateAfterHigh(text, limit) ? limit - 1 : limit, heading: false };
}

/** True when a sentence ends just before `at`: ". " "? " "! " or the ideographic full stops, which need no space. */
function isSentenceEnd(text: string, at: number): boolean {
  const before = text[at - 1];
  if (before === '。' || before === '！' || before === '？') return true;
  return (before === '.' || before === '?' || before === '!') && isSpace(text, at);
}

/**
 * Where the chunk after [start, end) begins: `overlap` characters before `end`, moved forward to the next
 * word so a chunk does not open on half a word. When the whole overlap region is one word (or CJK text
 * without spaces), moving forward would skip text, so the chunk starts mid-word instead.
 */
function nextStart(text: string, start: number, end: number, overlap: number): number {
  let at = Math.max(end - overlap, start + 1);
  if (!isSpace(text, at - 1) && !isSpace(text, at)) {
    let wordEnd = at;
    while (wordEnd < end && !isSpace(text, wordEnd)) wordEnd++;
    if (wordEnd < end) return wordEnd; // the whitespace after it is skipped by the caller
  }
  if (isLowSurrogateAfterHigh(text, at)) at++;
  return at;
}

function skipWhitespace(text: string, at: number): number {
  while (at < text.length && isSpace(text, at)) at++;
  return at;
}

function isSpace(text: string, at: number): boolean {
  const ch = text[at];
  return ch !== undefined && WHITESPACE.test(ch);
}

function matchesAt(pattern: RegExp, text: string, at: number): boolean {
  pattern.lastIndex = at;
  return pattern.test(text);
}

function isLowSurrogateAfterHigh(text: string, at: number): boolean {
  const low = text.charCodeAt(at);
  const high = text.charCodeAt(at - 1);
  return low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff;
}
