import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkText, type Chunk } from './chunk-text.ts';

const SENTENCES = [
  'The gateway routes every message through one pipeline.',
  'Retrieval adds the most relevant passages to the prompt.',
  'Chunks overlap so that a fact on a boundary is not lost.',
  'Why would anyone index a document twice?',
  'Administrators upload manuals, policies and notes!',
];

/** Deterministic prose: `count` sentences cycling through SENTENCES, `perParagraph` to a paragraph. */
function prose(count: number, perParagraph = Infinity): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    parts.push(SENTENCES[i % SENTENCES.length] ?? '');
    if ((i + 1) % perParagraph === 0 && i + 1 < count) parts.push('\n\n');
    else if (i + 1 < count) parts.push(' ');
  }
  return parts.join('');
}

/** The invariants every chunking must hold, whatever the input. */
function expectWellFormed(source: string, chunks: Chunk[], size: number): void {
  chunks.forEach((chunk, i) => {
    expect(chunk.index).toBe(i);
    expect(chunk.text).toBe(source.slice(chunk.start, chunk.end));
    expect(chunk.text.length).toBeGreaterThan(0);
    expect(chunk.text.length).toBeLessThanOrEqual(size);
    expect(chunk.text).toBe(chunk.text.trim());
    if (i > 0) expect(chunk.start).toBeGreaterThan(chunks[i - 1]?.start ?? Infinity);
  });
}

/** Every non-whitespace character of the source lies inside some chunk. */
function uncovered(source: string, chunks: Chunk[]): number[] {
  const covered = new Uint8Array(source.length);
  for (const { start, end } of chunks) covered.fill(1, start, end);
  const missing: number[] = [];
  for (let i = 0; i < source.length; i++) if (!covered[i] && /\S/.test(source[i] ?? '')) missing.push(i);
  return missing;
}

describe('chunkText', () => {
  it('returns nothing for empty or whitespace-only text', () => {
    expect(chunkText('')).toEqual([]);
    expect(chunkText(' \n\t\r\n  ')).toEqual([]);
  });

  it('returns short text as one trimmed chunk with exact offsets', () => {
    const source = '\n  Hello, retrieval.  \n';
    expect(chunkText(source)).toEqual([{ index: 0, text: 'Hello, retrieval.', start: 3, end: 20 }]);
  });

  it('splits long prose into overlapping chunks no larger than the size, ending on sentences', () => {
    const source = prose(200);
    const chunks = chunkText(source, { size: 500, overlap: 100 });
    expect(chunks.length).toBeGreaterThan(source.length / 500);
    expectWellFormed(source, chunks, 500);
    expect(uncovered(source, chunks)).toEqual([]);
    for (let i = 1; i < chunks.length; i++) {
      const previous = chunks[i - 1]!;
      const chunk = chunks[i]!;
      expect(chunk.start).toBeLessThan(previous.end);
      // Never opens on half a word.
      expect(source[chunk.start - 1]).toMatch(/\s/);
    }
    for (const chunk of chunks.slice(0, -1)) expect(chunk.text).toMatch(/[.?!]$/);
  });

  it('uses the defaults: 1200 characters, 200 overlap', () => {
    const source = prose(300);
    const chunks = chunkText(source);
    expectWellFormed(source, chunks, 1200);
    expect(Math.max(...chunks.map((c) => c.text.length))).toBeGreaterThan(1000);
    const first = chunks[0]!;
    const second = chunks[1]!;
    expect(first.end - second.start).toBeGreaterThan(150);
    expect(first.end - second.start).toBeLessThanOrEqual(200);
  });

  it('prefers paragraph boundaries over sentences', () => {
    const source = prose(40, 4);
    const chunks = chunkText(source, { size: 600, overlap: 0 });
    expectWellFormed(source, chunks, 600);
    for (const chunk of chunks.slice(0, -1)) expect(source.slice(chunk.end, chunk.end + 2)).toBe('\n\n');
  });

  it('prefers line breaks over sentences inside a paragraph', () => {
    const source = Array.from({ length: 30 }, (_, i) => `Line ${i}. ${SENTENCES[i % 5]}`).join('\n');
    const chunks = chunkText(source, { size: 300, overlap: 0 });
    for (const chunk of chunks.slice(0, -1)) expect(source[chunk.end]).toBe('\n');
  });

  it('starts a new chunk at a Markdown heading near the end of the window, without overlap', () => {
    const section = (title: string) => `# ${title}\n\n${prose(6)}`; // ~350 characters: the next heading is at 70%
    const source = [section('One'), section('Two'), section('Three')].join('\n\n');
    const chunks = chunkText(source, { size: 500, overlap: 100 });
    expectWellFormed(source, chunks, 500);
    expect(chunks.map((c) => c.text.split('\n')[0])).toEqual(['# One', '# Two', '# Three']);
  });

  it('ends chunks after ideographic full stops in text without spaces', () => {
    const source = '日本語の文章です。'.repeat(100);
    const chunks = chunkText(source, { size: 100, overlap: 20 });
    expectWellFormed(source, chunks, 100);
    expect(uncovered(source, chunks)).toEqual([]);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.text.endsWith('。')).toBe(true);
  });

  it('hard-cuts a single word longer than the size, with the overlap inside the word', () => {
    const source = `start ${'x'.repeat(1000)} end`;
    const chunks = chunkText(source, { size: 200, overlap: 50 });
    expectWellFormed(source, chunks, 200);
    expect(uncovered(source, chunks)).toEqual([]);
    expect(chunks.some((c) => c.text.length === 200 && /^x+$/.test(c.text))).toBe(true);
    expect(chunks[1]!.start).toBe(chunks[0]!.end - 50);
  });

  it('never splits a surrogate pair', () => {
    const source = '😀'.repeat(500) + ' a😀b '.repeat(50);
    for (const [size, overlap] of [[101, 0], [100, 33], [150, 49]] as const) {
      const chunks = chunkText(source, { size, overlap });
      expectWellFormed(source, chunks, size);
      for (const chunk of chunks) {
        expect(chunk.text).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
        expect(chunk.text.isWellFormed()).toBe(true);
      }
    }
  });

  it('rejects options that cannot chunk sensibly', () => {
    expect(() => chunkText('x', { size: 99 })).toThrow(RangeError);
    expect(() => chunkText('x', { size: 1.5e3 + 0.5 })).toThrow(/integer/);
    expect(() => chunkText('x', { size: 1000, overlap: 500 })).toThrow(/less than half the chunk size 1000 \(got 500\)/);
    expect(() => chunkText('x', { overlap: -1 })).toThrow(RangeError);
    expect(() => chunkText('x', { overlap: Number.NaN })).toThrow(RangeError);
    // A small size alone is valid: the default overlap shrinks with it.
    expect(chunkText('x'.repeat(300), { size: 100 })).toHaveLength(4);
  });
});

describe('chunkText properties', () => {
  const options = fc
    .integer({ min: 100, max: 400 })
    .chain((size) => fc.record({ size: fc.constant(size), overlap: fc.integer({ min: 0, max: Math.ceil(size / 2) - 1 }) }));
  // Text rich in the characters the splitter cares about: spaces, newlines, sentence ends, '#', emoji.
  const pieces = fc.constantFrom(' ', '\n', '\n\n', '. ', '? ', '。', '# ', '\n# ', 'word', 'a', '😀', '\t', 'x'.repeat(150));
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 3000 }),
    fc.array(fc.oneof(pieces, fc.string({ maxLength: 8 })), { maxLength: 600 }).map((parts) => parts.join('')),
  );

  it('yields exact, bounded, increasing chunks that cover every non-whitespace character', () => {
    fc.assert(
      fc.property(text, options, (source, { size, overlap }) => {
        const chunks = chunkText(source, { size, overlap });
        expectWellFormed(source, chunks, size);
        expect(uncovered(source, chunks)).toEqual([]);
        // Terminates with a bounded number of chunks: each starts strictly after the previous one.
        expect(chunks.length).toBeLessThanOrEqual(source.length);
      }),
      { numRuns: 300 },
    );
  });
});
