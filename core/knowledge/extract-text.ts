/**
 * Text extraction for the knowledge base: turns an uploaded document (plain text, Markdown, HTML or a PDF
 * with a text layer) into plain text ready for chunking. Anything else is refused with a message an admin
 * can act on, rather than indexed as garbage.
 */

export interface ExtractedText {
  text: string;
  format: 'text' | 'markdown' | 'pdf' | 'html';
}

type Format = ExtractedText['format'];

/** A document we cannot turn into text; the message says what was given and what is accepted. */
export class UnsupportedDocumentError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnsupportedDocumentError';
  }
}

/** Larger uploads are refused before any parsing: pdf.js holds the whole document (and more) in memory. */
export const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;

const ACCEPTED =
  'Accepted: UTF-8 plain text (.txt), Markdown (.md), HTML (.html) and PDF files with selectable text (.pdf).';

// Maps, not object literals: a name like "x.constructor" must not find Object.prototype's members.
const MEDIA_TYPES: ReadonlyMap<string, Format> = new Map([
  ['text/plain', 'text'],
  ['text/markdown', 'markdown'],
  ['text/x-markdown', 'markdown'],
  ['application/pdf', 'pdf'],
  ['text/html', 'html'],
  ['application/xhtml+xml', 'html'],
]);

const EXTENSIONS: ReadonlyMap<string, Format> = new Map([
  ['txt', 'text'],
  ['text', 'text'],
  ['md', 'markdown'],
  ['markdown', 'markdown'],
  ['pdf', 'pdf'],
  ['html', 'html'],
  ['htm', 'html'],
]);

export async function extractText(input: {
  data: Uint8Array;
  name?: string;
  mediaType?: string;
}): Promise<ExtractedText> {
  const what = describe(input);
  if (input.data.byteLength > MAX_DOCUMENT_BYTES) {
    const mb = (input.data.byteLength / (1024 * 1024)).toFixed(1);
    throw new UnsupportedDocumentError(`${what} is ${mb} MB; documents up to 20 MB are accepted.`);
  }
  // Declared type first, then the file name; with neither, the bytes decide: "%PDF-" is a PDF, and
  // anything else must decode as UTF-8 text in the text branch, which refuses it otherwise.
  const format = declaredFormat(input) ?? (startsWithAscii(input.data, '%PDF-') ? 'pdf' : 'text');
  switch (format) {
    case 'pdf':
      return { format, text: await pdfToText(input.data, what) };
    case 'html':
      return { format, text: htmlToText(decodeUtf8(input.data, what)) };
    default:
      return { format, text: normalizeNewlines(decodeUtf8(input.data, what)) };
  }
}

/** The format the media type names, else the one the file extension names; unknown ones (octet-stream) say nothing. */
function declaredFormat(input: { name?: string; mediaType?: string }): Format | undefined {
  const mediaType = input.mediaType?.split(';')[0]?.trim().toLowerCase();
  const byType = mediaType ? MEDIA_TYPES.get(mediaType) : undefined;
  if (byType) return byType;
  const extension = input.name?.match(/\.([^./\\]+)$/)?.[1]?.toLowerCase();
  return extension ? EXTENSIONS.get(extension) : undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true }); // strips a leading BOM by default (ignoreBOM: false)

function decodeUtf8(data: Uint8Array, what: string): string {
  if ((data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff)) {
    throw new UnsupportedDocumentError(`${what} is UTF-16 text; save it as UTF-8 and upload it again.`);
  }
  let text: string;
  try {
    text = utf8.decode(data);
  } catch (error) {
    const message = `${what} is not UTF-8 text: it is a binary file or uses another encoding. ${ACCEPTED}`;
    throw new UnsupportedDocumentError(message, { cause: error });
  }
  // NUL is valid UTF-8 but never appears in real text: it means a binary file or UTF-16 without a BOM.
  if (text.includes('\0')) {
    throw new UnsupportedDocumentError(`${what} contains binary data, not text. ${ACCEPTED}`);
  }
  return text;
}

function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

const PARAGRAPH_TAGS =
  /<\/?(?:p|div|h[1-6]|ul|ol|dl|table|blockquote|pre|section|article|header|footer|main|nav|aside|hr|title)\b[^>]*>/gi;

/**
 * A reader's view of an HTML page an admin fetched: no DOM, just enough to keep the words and the
 * paragraph structure the chunker splits on. Not a sanitizer and not a browser.
 */
export function htmlToText(html: string): string {
  const text = html
    // An unclosed comment or script runs to the end, as in a browser; it also keeps these scans linear.
    .replace(/<!--[\s\S]*?(?:-->|$)/g, '')
    .replace(/<(script|style|noscript|template)\b[\s\S]*?(?:<\/\1\s*>|$)/gi, '')
    // Source line breaks are just spaces in HTML; only tags make lines.
    .replace(/\s+/g, ' ')
    // A list item or row starts a line; its closing tag adds nothing, or "</li><li>" would leave a blank line.
    .replace(/<br\s*\/?>|<(?:li|tr|dt|dd)\b[^>]*>/gi, '\n')
    .replace(PARAGRAPH_TAGS, '\n\n')
    // Cells side by side must not run their words together; inline tags (<b>, <a>) join without a space.
    .replace(/<\/?t[dh]\b[^>]*>/gi, ' ')
    // Only "<" followed by a name, "/", "!" or "?" opens a tag; "1 < 2" is text.
    .replace(/<[a-z/!?][^>]*>/gi, '');
  // Entities after tags, in one pass, so "&lt;b&gt;" stays text and "&amp;lt;" decodes once.
  return decodeEntities(text)
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const NAMED_ENTITIES: ReadonlyMap<string, string> = new Map([
  ['amp', '&'],
  ['lt', '<'],
  ['gt', '>'],
  ['quot', '"'],
  ['apos', "'"],
  ['nbsp', ' '],
]);

function decodeEntities(text: string): string {
  return text.replace(/&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|([a-z]+));/gi, (match, dec?: string, hex?: string, name?: string) => {
    if (name !== undefined) return NAMED_ENTITIES.get(name.toLowerCase()) ?? match;
    const code = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex ?? '', 16);
    // NUL, surrogates and out-of-range numbers are what a browser replaces with U+FFFD too.
    const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
    return valid ? String.fromCodePoint(code) : '\uFFFD';
  });
}

async function pdfToText(data: Uint8Array, what: string): Promise<string> {
  // Loaded on first use: pdf.js is megabytes of JavaScript the platform should not parse at start-up.
  const { getDocumentProxy, extractText: extractPdfText } = await import('unpdf');
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // A copy: pdf.js may take over (detach) the buffer it is given, and it refuses Node Buffers outright.
    pdf = await getDocumentProxy(new Uint8Array(data), { verbosity: 0 });
  } catch (error) {
    throw pdfError(error, what);
  }
  let pages: string[];
  try {
    pages = (await extractPdfText(pdf, { mergePages: false })).text;
  } catch (error) {
    throw pdfError(error, what);
  } finally {
    // Frees the parsed document and its (in-process) worker state; the proxy has no destroy() of its own.
    await pdf.loadingTask.destroy();
  }
  const text = pages
    .map((page) => normalizeNewlines(page).trim())
    .filter((page) => page !== '')
    .join('\n\n');
  if (text === '') {
    throw new UnsupportedDocumentError(
      `${what} has no text layer (it is probably scanned images); run it through OCR and upload the result.`,
    );
  }
  return text;
}

function pdfError(error: unknown, what: string): UnsupportedDocumentError {
  const name = error instanceof Error ? error.name : '';
  if (name === 'PasswordException') {
    return new UnsupportedDocumentError(`${what} is password-protected; remove the password and upload it again.`, {
      cause: error,
    });
  }
  const detail = error instanceof Error && error.message ? ` (${error.message.replace(/\.$/, '')})` : '';
  return new UnsupportedDocumentError(`${what} could not be read as a PDF: it is damaged or not a PDF${detail}.`, {
    cause: error,
  });
}

function describe(input: { name?: string; mediaType?: string }): string {
  const name = input.name ? `"${input.name}"` : 'The document';
  return input.mediaType ? `${name} (${input.mediaType})` : name;
}

function startsWithAscii(data: Uint8Array, prefix: string): boolean {
  if (data.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix.charCodeAt(i)) return false;
  return true;
}
