import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMarkdown } from './markdown.ts';
import { splitMessage } from './split-message.ts';
import { telegramHtml } from './telegram-html.ts';

/** Tags opened and closed in order; throws otherwise. Telegram refuses a message whose tags do not balance. */
function assertBalanced(html: string) {
  const open: string[] = [];
  for (const [, closing, name] of html.matchAll(/<(\/?)(\w+)[^>]*>/g)) {
    if (!closing) open.push(name!);
    else if (open.pop() !== name) throw new Error(`unbalanced </${name}> in:\n${html}`);
  }
  if (open.length) throw new Error(`unclosed <${open.join('>, <')}> in:\n${html}`);
}

const unescape = (html: string) => html.replace(/<[^>]+>/g, '').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
/** What a reader sees, whitespace aside: splitting may move line breaks, never lose or add a character. */
const visible = (messages: string[]) => messages.map(unescape).join('').replace(/\s+/g, '');
const whole = (markdown: string) => parseMarkdown(markdown).map(telegramHtml.block).join('\n\n');

describe('splitMessage', () => {
  it('keeps a short reply as one message', () => {
    expect(splitMessage('Hello **there**.', telegramHtml, 4096)).toEqual(['Hello <b>there</b>.']);
  });

  it('splits a 10,000-character answer with code blocks into messages Telegram accepts, closing and reopening the code', () => {
    const code = Array.from({ length: 150 }, (_, i) => `  const value${i} = compute(${i}) < limit && ok; // line ${i}`).join('\n');
    const prose = (n: number) => Array.from({ length: n }, (_, i) => `Sentence ${i} says a < b & c > d, plainly.`).join(' ');
    const markdown = `# Report\n\n${prose(40)}\n\n\`\`\`ts\n${code}\n\`\`\`\n\n${prose(60)}\n\n- item one\n- item two`;
    expect(markdown.length).toBeGreaterThan(10_000);
    const messages = splitMessage(markdown, telegramHtml, 4096);
    expect(messages.length).toBeGreaterThanOrEqual(3);
    for (const message of messages) {
      expect(message.length).toBeLessThanOrEqual(4096);
      assertBalanced(message);
      expect(message).not.toMatch(/&(?!amp;|lt;|gt;|quot;)/);
    }
    const codeParts = messages.flatMap((m) => [...m.matchAll(/<pre><code class="language-ts">([\s\S]*?)<\/code><\/pre>/g)].map((match) => match[1]!));
    expect(codeParts.length).toBeGreaterThan(1);
    expect(codeParts.map(unescape).join('\n')).toBe(code);
    expect(visible(messages)).toBe(visible([whole(markdown)]));
  });

  it('cuts on paragraphs first, then lines, then sentences', () => {
    const paragraphs = splitMessage('aaaa aaaa.\n\nbbbb bbbb.', telegramHtml, 12);
    expect(paragraphs).toEqual(['aaaa aaaa.', 'bbbb bbbb.']);
    expect(splitMessage('first line here\nsecond line here', telegramHtml, 20)).toEqual(['first line here', 'second line here']);
    expect(splitMessage('One sentence here. Another one here.', telegramHtml, 20)).toEqual(['One sentence here.', 'Another one here.']);
  });

  it('never exceeds the limit, never unbalances a tag, never loses a character, for any reply', () => {
    const word = fc.stringMatching(/^[a-z<>&]{1,12}$/);
    const sentence = fc.array(word, { minLength: 1, maxLength: 12 }).map((words) => `${words.join(' ')}.`);
    const paragraph = fc.array(sentence, { minLength: 1, maxLength: 8 }).map((sentences) => sentences.join(' '));
    const emphasized = paragraph.map((text) => `**${text}**`);
    const code = fc.array(fc.stringMatching(/^[ -~]{0,60}$/).filter((line) => !line.includes('`')), { minLength: 1, maxLength: 30 }).map((lines) => `\`\`\`js\n${lines.join('\n')}\n\`\`\``);
    const list = fc.array(sentence, { minLength: 1, maxLength: 6 }).map((items) => items.map((item) => `- ${item}`).join('\n'));
    const reply = fc.array(fc.oneof(paragraph, emphasized, code, list), { minLength: 1, maxLength: 12 }).map((blocks) => blocks.join('\n\n'));
    fc.assert(
      fc.property(reply, fc.integer({ min: 120, max: 4096 }), (markdown, limit) => {
        const messages = splitMessage(markdown, telegramHtml, limit);
        for (const message of messages) {
          expect(message.length).toBeLessThanOrEqual(limit);
          assertBalanced(message);
        }
        expect(visible(messages)).toBe(visible([whole(markdown)]));
      }),
      { numRuns: 300 },
    );
  });
});
