import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMarkdown } from './markdown.ts';
import { slackMrkdwn } from './slack-mrkdwn.ts';
import { splitMessage } from './split-message.ts';

const render = (markdown: string) => parseMarkdown(markdown).map(slackMrkdwn.block).join(slackMrkdwn.separator);

describe('Markdown as Slack mrkdwn', () => {
  it('renders bold, italics, strike, code, code blocks, links as <url|text>, quotes and lists', () => {
    expect(render('**bold** *it* ~~gone~~ `code`')).toBe('*bold* _it_ ~gone~ `code`');
    expect(render('```ts\nconst a = 1;\n```')).toBe('```\nconst a = 1;\n```');
    expect(render('[docs](https://x.dev/?a=1&b=2) and https://y.dev')).toBe('<https://x.dev/?a=1&amp;b=2|docs> and <https://y.dev>');
    expect(render('[bad](javascript:alert(1))')).toBe('bad');
    expect(render('# Title\n\n> quoted **text**')).toBe('*Title*\n\n> quoted *text*');
    expect(render('- one\n- two\n  - nested\n\n1. first')).toBe('• one\n• two\n  • nested\n\n1. first');
  });

  it('escapes &, < and > wherever the model writes them, so no text becomes a mention or a link', () => {
    expect(render('if a < b && c > d <!channel> <@U123>')).toBe('if a &lt; b &amp;&amp; c &gt; d &lt;!channel&gt; &lt;@U123&gt;');
    expect(render('```\nx <b> & y\n```')).toBe('```\nx &lt;b&gt; &amp; y\n```');
  });

  it('shows a table as aligned text in a code block', () => {
    expect(render('| a | b |\n|---|---|\n| 1 | 22 |')).toBe('```\na | b\n--+---\n1 | 22\n```');
  });

  it('reads its output back: links and code as formatting, the rest as text', () => {
    expect(slackMrkdwn.markup('*bold* and <https://x.dev|the _docs_> in `a*b`').map((piece) => `${piece.kind}:${piece.text}`)).toEqual([
      'text:*bold* and ', 'open:<https://x.dev|', 'text:the _docs_', 'close:>', 'text: in ', 'open:`', 'text:a*b', 'close:`',
    ]);
    expect(slackMrkdwn.plain('Hi &lt;3 <https://x.dev|docs> 2*3*4')).toBe('Hi <3 docs (https://x.dev) 2*3*4');
  });

  it('splits long replies within the limit, code blocks closed and reopened, losing nothing', () => {
    const code = Array.from({ length: 200 }, (_, i) => `  if (value${i} < limit && ok) return ${i}; // line ${i}`).join('\n');
    const messages = splitMessage(`Intro with *stars* and a < b.\n\n\`\`\`js\n${code}\n\`\`\``, slackMrkdwn, 4000);
    expect(messages.length).toBeGreaterThanOrEqual(3);
    for (const message of messages) {
      expect(message.length).toBeLessThanOrEqual(4000);
      expect(message.split('```').length % 2).toBe(1);
    }
    expect(messages.map(slackMrkdwn.plain).join('\n').replace(/```\n?/g, '')).toContain(code.split('\n')[199]);
  });

  it('never exceeds the limit, never leaves a code block open, never loses a character, for any reply', () => {
    const word = fc.stringMatching(/^[a-z<>&*_~|]{1,12}$/);
    const sentence = fc.array(word, { minLength: 1, maxLength: 12 }).map((words) => `${words.join(' ')}.`);
    const paragraph = fc.array(sentence, { minLength: 1, maxLength: 8 }).map((sentences) => sentences.join(' '));
    const code = fc.array(fc.stringMatching(/^[ -~]{0,60}$/), { minLength: 1, maxLength: 30 }).map((lines) => `\`\`\`\n${lines.join('\n')}\n\`\`\``);
    const reply = fc.array(fc.oneof(paragraph, code), { minLength: 1, maxLength: 10 }).map((blocks) => blocks.join('\n\n'));
    const visible = (messages: string[]) => messages.map(slackMrkdwn.plain).join('').replace(/\s+/g, '');
    fc.assert(
      fc.property(reply, fc.integer({ min: 100, max: 4000 }), (markdown, limit) => {
        const messages = splitMessage(markdown, slackMrkdwn, limit);
        for (const message of messages) {
          expect(message.length).toBeLessThanOrEqual(limit);
          expect(message.split('```').length % 2).toBe(1);
        }
        expect(visible(messages)).toBe(visible([render(markdown)]));
      }),
      { numRuns: 300 },
    );
  });
});
