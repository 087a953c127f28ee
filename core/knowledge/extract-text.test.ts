import { describe, expect, it } from 'vitest';
import { buildPdf } from '../../test/helpers/pdf.ts';
import { extractText, htmlToText, MAX_DOCUMENT_BYTES, UnsupportedDocumentError } from './extract-text.ts';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('extractText: format detection', () => {
  it('uses the media type first, ignoring parameters', async () => {
    const result = await extractText({ data: encode('# Title'), name: 'notes.txt', mediaType: 'Text/Markdown; charset=utf-8' });
    expect(result).toEqual({ text: '# Title', format: 'markdown' });
  });

  it('falls back to the file extension when the media type says nothing', async () => {
    const data = encode('<p>Hi</p>');
    expect(await extractText({ data, name: 'page.HTM', mediaType: 'application/octet-stream' })).toEqual({ text: 'Hi', format: 'html' });
    expect((await extractText({ data: encode('x'), name: 'readme.markdown' })).format).toBe('markdown');
    expect((await extractText({ data: encode('x'), name: 'a.text' })).format).toBe('text');
  });

  it('is not fooled by names that exist on every object', async () => {
    const result = await extractText({ data: encode('&constructor;'), name: 'a.constructor', mediaType: 'toString' });
    expect(result).toEqual({ text: '&constructor;', format: 'text' });
    expect(htmlToText('&constructor; &__proto__;')).toBe('&constructor; &__proto__;');
  });

  it('sniffs a PDF by its magic bytes and UTF-8 text otherwise', async () => {
    expect(await extractText({ data: buildPdf(['Sniffed']) })).toEqual({ text: 'Sniffed', format: 'pdf' });
    expect(await extractText({ data: encode('just text'), name: 'notes' })).toEqual({ text: 'just text', format: 'text' });
  });

  it('refuses binary data, naming what was given and what is accepted', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
    const error = await extractText({ data: png, name: 'photo.png', mediaType: 'image/png' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedDocumentError);
    expect((error as Error).message).toMatch(/"photo\.png" \(image\/png\) is not UTF-8 text.*Accepted: .*\.pdf/);
  });

  it('refuses valid UTF-8 that holds NUL bytes, and UTF-16', async () => {
    await expect(extractText({ data: encode('a\0b'), name: 'x.bin' })).rejects.toThrow(/binary data/);
    await expect(extractText({ data: new Uint8Array([0xff, 0xfe, 0x61, 0]), mediaType: 'text/plain' })).rejects.toThrow(/UTF-16/);
  });

  it('refuses text declared as text that is not valid UTF-8', async () => {
    await expect(extractText({ data: new Uint8Array([0x63, 0x61, 0x66, 0xe9]), mediaType: 'text/plain' })).rejects.toThrow(
      UnsupportedDocumentError,
    );
  });

  it('refuses documents over 20 MB before reading them', async () => {
    const data = new Uint8Array(MAX_DOCUMENT_BYTES + 1);
    await expect(extractText({ data, name: 'big.txt' })).rejects.toThrow(/"big\.txt" is 20\.0 MB; documents up to 20 MB/);
  });
});

describe('extractText: text and Markdown', () => {
  it('strips a BOM and normalizes line endings', async () => {
    const data = new Uint8Array([0xef, 0xbb, 0xbf, ...encode('one\r\ntwo\rthree\n')]);
    expect(await extractText({ data, name: 'a.txt' })).toEqual({ text: 'one\ntwo\nthree\n', format: 'text' });
  });

  it('keeps non-ASCII text intact', async () => {
    expect((await extractText({ data: encode('Grüße 👋 日本語'), mediaType: 'text/plain' })).text).toBe('Grüße 👋 日本語');
  });
});

describe('htmlToText', () => {
  it('drops scripts, styles and tags and keeps block structure', () => {
    const html = `<!doctype html><html><head><title>Doc</title><style>p { color: red }</style>
      <script>var x = "<p>no</p>";</script></head><body>
      <h1>Heading</h1><p>First <b>bold</b>
      paragraph.</p><noscript>Enable JS</noscript><ul><li>one</li><li>two</li></ul>
      <p>Line<br>break</p><table><tr><td>a</td><td>b</td></tr></table><!-- hidden --></body></html>`;
    expect(htmlToText(html)).toBe('Doc\n\nHeading\n\nFirst bold paragraph.\n\none\ntwo\n\nLine\nbreak\n\na b');
  });

  it('decodes the common entities once', () => {
    expect(htmlToText('<p>a &amp; b &lt;tag&gt; &quot;q&quot; &#39;s&#39; x&nbsp;y &#169; &#x1F600; &amp;lt; &bogus;</p>')).toBe(
      `a & b <tag> "q" 's' x y © 😀 &lt; &bogus;`,
    );
  });

  it('keeps a less-than sign that opens no tag, and drops an unclosed script', () => {
    expect(htmlToText('<p>1 < 2 and 3 > 2</p><script>never closed <p>hidden')).toBe('1 < 2 and 3 > 2');
    expect(htmlToText('<p>before</p><!-- never closed <p>hidden')).toBe('before');
  });

  it('stays fast on adversarial markup', () => {
    const started = performance.now();
    htmlToText('<script <!-- <style '.repeat(50_000));
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('replaces invalid numeric references', () => {
    expect(htmlToText('&#0;&#xD800;&#x110000;')).toBe('\uFFFD\uFFFD\uFFFD');
  });

  it('is used for HTML uploads, with CRLF sources', async () => {
    const result = await extractText({ data: encode('<p>One\r\ntwo</p>\r\n<p>Three</p>'), mediaType: 'text/html; charset=UTF-8' });
    expect(result).toEqual({ text: 'One two\n\nThree', format: 'html' });
  });
});

describe('extractText: PDF', () => {
  it('extracts the text of a one-page PDF', async () => {
    const result = await extractText({ data: buildPdf(['Hello retrieval world']), name: 'hello.pdf' });
    expect(result.format).toBe('pdf');
    expect(result.text).toContain('Hello retrieval world');
  });

  it('separates pages with a blank line and leaves the input untouched', async () => {
    const data = buildPdf(['First page text', 'Second page text']);
    const copy = data.slice();
    const result = await extractText({ data, mediaType: 'application/pdf' });
    expect(result.text).toBe('First page text\n\nSecond page text');
    expect(data).toEqual(copy);
  });

  it('accepts a Node Buffer', async () => {
    const result = await extractText({ data: Buffer.from(buildPdf(['From a buffer'])), name: 'b.pdf' });
    expect(result.text).toBe('From a buffer');
  });

  it('refuses a PDF with no text layer', async () => {
    await expect(extractText({ data: buildPdf([null, null]), name: 'scan.pdf' })).rejects.toThrow(
      /"scan\.pdf" has no text layer/,
    );
  });

  it('refuses an encrypted PDF', async () => {
    // Standard security handler whose /U does not match the empty password: pdf.js asks for a password.
    const encryption = `<< /Filter /Standard /V 1 /R 2 /O <${'ab'.repeat(32)}> /U <${'cd'.repeat(32)}> /P -4 >>`;
    const data = buildPdf(['Secret'], {
      extraObjects: [encryption],
      trailerExtra: `/Encrypt 6 0 R /ID [<${'01'.repeat(16)}> <${'01'.repeat(16)}>] `,
    });
    await expect(extractText({ data, name: 'locked.pdf' })).rejects.toThrow(/"locked\.pdf" is password-protected/);
  });

  it('refuses a corrupt PDF', async () => {
    const error = await extractText({ data: encode('%PDF-1.4\nnot really a pdf'), name: 'bad.pdf' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedDocumentError);
    expect((error as Error).message).toMatch(/"bad\.pdf" could not be read as a PDF/);
  });

  it('refuses a declared PDF that is something else', async () => {
    await expect(extractText({ data: encode('hello'), mediaType: 'application/pdf' })).rejects.toThrow(/could not be read as a PDF/);
  });
});
