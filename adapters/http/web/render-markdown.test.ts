import * as marked from 'marked';
import { describe, expect, it } from 'vitest';
import { createRenderer, escapeHtml, safeUrl } from './render-markdown.js';

const render = createRenderer(marked);

/** Every tag the renderer wrote, with its attributes: text that merely looks like a tag is escaped, so not here. */
const tagsOf = (html: string) => [...html.matchAll(/<\/?([a-z][a-z0-9]*)([^>]*)>/gi)].map(([, name, attributes]) => ({ name: name!.toLowerCase(), attributes: attributes!.trim() }));
/** What the page may contain: Markdown's own elements, with attributes that cannot run anything. */
const allowedTags = new Set(['p', 'a', 'strong', 'em', 'del', 'code', 'pre', 'ul', 'ol', 'li', 'blockquote', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'br', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'input']);
const allowedAttribute = /^(href|title|rel|target|class|align|start|checked|disabled|type)$/;

function expectInert(html: string) {
  for (const { name, attributes } of tagsOf(html)) {
    expect(allowedTags.has(name), `<${name}> in ${html}`).toBe(true);
    for (const [, attribute] of attributes.matchAll(/([^\s=]+)(?:="[^"]*")?/g)) expect(attribute, `${attribute} on <${name}> in ${html}`).toMatch(allowedAttribute);
  }
  expect(html).not.toMatch(/<script|<img|<iframe|<svg|<style/i);
  for (const [, href] of html.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^(https?|mailto):/);
  expect(html).not.toMatch(/<[^>]*\son[a-z]+=/i);
}

describe('the safe Markdown renderer', () => {
  it.each([
    ['a script tag', '<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['an image with onerror', 'look <img src=x onerror=alert(1)> here', '&lt;img src=x onerror=alert(1)&gt;'],
    ['a javascript: link', '[x](javascript:alert(1))', '<p>x</p>'],
    ['an entity-encoded javascript: link', '[x](&#106;avascript:alert(1))', '<p>x</p>'],
    ['a javascript: reference link', '[x][r]\n\n[r]: javascript:alert(1)', '<p>x</p>'],
    ['a data: link', '[x](data:text/html,<script>alert(1)</script>)', 'x'],
    ['a relative link', '[x](/v1/keys)', '<p>x</p>'],
    ['an image', '![a chart](http://x/y.png)', '<a href="http://x/y.png" rel="noopener noreferrer" target="_blank">🖼 a chart</a>'],
    ['a javascript: image', '![i](javascript:alert(1))', '<p>i</p>'],
    ['a code block closing its code', '```html\n</code><script>alert(1)</script>\n```', '<pre><code class="language-html">&lt;/code&gt;&lt;script&gt;alert(1)&lt;/script&gt;</code></pre>'],
    ['a code block with a hostile language', '```"><script>\nx\n```', '<pre><code>x</code></pre>'],
    ['inline code', '`<b onmouseover=alert(1)>`', '<code>&lt;b onmouseover=alert(1)&gt;</code>'],
    ['raw text after an inline <code> tag', 'a <code>x <svg/onload=alert(1)> y', '&lt;svg/onload=alert(1)&gt;'],
    ['an HTML block', '<div onclick="alert(1)">\n\n**hi**\n\n</div>', '&lt;div onclick=&quot;alert(1)&quot;&gt;'],
    ['an iframe', '<iframe src="https://evil.example"></iframe>', '&lt;iframe'],
    ['a character reference spelling a tag', '&#60;script&#62;alert(1)&#60;/script&#62;', '&lt;script&gt;'],
    ['a link title breaking out', '[x](https://a.example "\\"><script>alert(1)</script>")', 'title="&quot;&gt;&lt;script&gt;'],
    ['a table cell with HTML', '| a |\n|---|\n| <b>1</b> |', '&lt;b&gt;1&lt;/b&gt;'],
  ])('keeps %s inert', (_, markdown, expected) => {
    const html = render(markdown);
    expectInert(html);
    expect(html).toContain(expected);
  });

  it('renders Markdown: bold, lists, links, code, tables, quotes', () => {
    const html = render(
      [
        '# Title',
        '',
        '**bold**, _em_ and ~~gone~~, `code`',
        '',
        '- one',
        '- two',
        '',
        '1. first',
        '',
        '[docs](https://example.com/a?b=1&c=2 "Docs"), <https://example.org>, mailto:someone@example.com',
        '',
        '```ts',
        'const a = 1 < 2;',
        '```',
        '',
        '| x | y |',
        '|---|--:|',
        '| 1 | 2 |',
        '',
        '> quoted',
      ].join('\n'),
    );
    expectInert(html);
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<em>em</em>');
    expect(html).toContain('<del>gone</del>');
    expect(html).toContain('<code>code</code>');
    expect(html).toMatch(/<ul>\s*<li>one<\/li>\s*<li>two<\/li>\s*<\/ul>/);
    expect(html).toMatch(/<ol>\s*<li>first<\/li>\s*<\/ol>/);
    expect(html).toContain('<a href="https://example.com/a?b=1&amp;c=2" title="Docs" rel="noopener noreferrer" target="_blank">docs</a>');
    expect(html).toContain('<a href="https://example.org/" rel="noopener noreferrer" target="_blank">https://example.org</a>');
    expect(html).toContain('<a href="mailto:someone@example.com" rel="noopener noreferrer" target="_blank">');
    expect(html).toContain('<pre><code class="language-ts">const a = 1 &lt; 2;</code></pre>');
    expect(html).toContain('<td align="right">2</td>');
    expect(html).toMatch(/<blockquote>\s*<p>quoted<\/p>\s*<\/blockquote>/);
  });

  it('shows named character references as the characters they are', () => {
    expect(render('AT&amp;T &copy; 1 & 2')).toBe('<p>AT&amp;T &copy; 1 &amp; 2</p>\n');
  });

  it('renders an unfinished stream without breaking (an open code fence, a half link)', () => {
    expectInert(render('Here:\n\n```js\nconsole.log("<b>")'));
    expectInert(render('see [the docs](https://exa'));
  });

  it('escapes and checks URLs on their own', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    expect(safeUrl('https://example.com')).toBe('https://example.com/');
    expect(safeUrl(' JavaScript:alert(1)')).toBeNull();
    expect(safeUrl('java\nscript:alert(1)')).toBeNull();
    expect(safeUrl('vbscript:x')).toBeNull();
    expect(safeUrl('//evil.example')).toBeNull();
    expect(safeUrl('mailto:a@b.c')).toBe('mailto:a@b.c');
  });
});
