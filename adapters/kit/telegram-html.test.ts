import { describe, expect, it } from 'vitest';
import { parseMarkdown } from './markdown.ts';
import { telegramHtml } from './telegram-html.ts';

const render = (markdown: string) => parseMarkdown(markdown).map(telegramHtml.block).join(telegramHtml.separator);

describe('Markdown as Telegram HTML', () => {
  it('escapes <, > and & wherever the model writes them, and never passes its HTML through', () => {
    expect(render('if a < b && c > d')).toBe('if a &lt; b &amp;&amp; c &gt; d');
    expect(render('<b>not bold</b> <script>alert(1)</script>')).toBe('&lt;b&gt;not bold&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(render('<div>\nblock html\n</div>')).toBe('&lt;div&gt;\nblock html\n&lt;/div&gt;');
    expect(render('`x<y && z>w`')).toBe('<code>x&lt;y &amp;&amp; z&gt;w</code>');
    expect(render('```\nif (a < b) { return "&"; }\n```')).toBe('<pre><code>if (a &lt; b) { return "&amp;"; }</code></pre>');
    expect(render('AT&T &amp; co')).toBe('AT&amp;T &amp;amp; co');
  });

  it('renders what Telegram can show: bold, italic, strike, code with its language, links, quotes, lists, headings', () => {
    expect(render('**bold** *it* ~~gone~~ `code`')).toBe('<b>bold</b> <i>it</i> <s>gone</s> <code>code</code>');
    expect(render('```ts\nconst a = 1;\n```')).toBe('<pre><code class="language-ts">const a = 1;</code></pre>');
    expect(render('```"><script>\nx\n```')).toBe('<pre><code>x</code></pre>');
    expect(render('[docs](https://x.dev/?a=1&b="2")')).toBe('<a href="https://x.dev/?a=1&amp;b=&quot;2&quot;">docs</a>');
    expect(render('[bad](javascript:alert(1))')).toBe('bad');
    expect(render('# Title\n\n> quoted **text**')).toBe('<b>Title</b>\n\n<blockquote>quoted <b>text</b></blockquote>');
    expect(render('- one\n- **two**\n  - nested\n\n1. first\n2. second')).toBe('• one\n• <b>two</b>\n  • nested\n\n1. first\n2. second');
    expect(render('- [x] done\n- [ ] todo')).toBe('☑ done\n☐ todo');
  });

  it('shows a table, which Telegram lacks, as aligned monospaced text', () => {
    expect(render('| name | n |\n|---|---|\n| a<b | 10 |\n| ccc | 2 |')).toBe('<pre>name | n\n-----+---\na&lt;b  | 10\nccc  | 2</pre>');
  });
});
