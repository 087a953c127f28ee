import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { discordMarkdown, escapeDiscord } from './discord-markdown.ts';
import { parseMarkdown } from './markdown.ts';
import { splitMessage } from './split-message.ts';

const render = (markdown: string) => parseMarkdown(markdown).map(discordMarkdown.block).join(discordMarkdown.separator);

/** Formatting opened and closed in order, as Discord needs it to show a message as written. */
function assertBalanced(message: string) {
  const open: string[] = [];
  for (const piece of discordMarkdown.markup(message)) {
    if (piece.kind === 'open') open.push(piece.close);
    if (piece.kind === 'close' && open.pop() !== piece.text) throw new Error(`unbalanced ${piece.text} in:\n${message}`);
  }
  if (open.length) throw new Error(`unclosed ${open.join(', ')} in:\n${message}`);
  if ((message.match(/```/g) ?? []).length % 2) throw new Error(`an open code block in:\n${message}`);
}

describe('Markdown as Discord Markdown', () => {
  it('renders what Discord shows: bold, italic, strike, code with its language, masked links, headings, quotes, lists', () => {
    expect(render('**bold** *it* ~~gone~~ `code`')).toBe('**bold** *it* ~~gone~~ `code`');
    expect(render('```ts\nconst a = 1;\n```')).toBe('```ts\nconst a = 1;\n```');
    expect(render('[docs](https://x.dev/a_(b))')).toBe('[docs](https://x.dev/a_(b%29)');
    expect(render('[bad](javascript:alert(1))')).toBe('bad');
    expect(render('# Title\n\n#### Small\n\n> quoted **text**\n> more')).toBe('# Title\n\n**Small**\n\n> quoted **text**\n> more');
    expect(render('> see:\n>\n> ```\n> code\n> ```')).toBe('> see:\n```\ncode\n```');
    expect(render('- one\n- **two**\n  - nested\n\n1. first\n2. second')).toBe('- one\n- **two**\n  - nested\n\n1. first\n2. second');
  });

  it('shows what the model wrote as text literally: no stray formatting, no mentions, no early end of a code block', () => {
    expect(render('2 \\* 3 is snake_case')).toBe('2 \\* 3 is snake\\_case');
    expect(render('ping <@123> and <#456>')).toBe('ping \\<@123> and \\<#456>');
    expect(render('```\nsay ``` done\n```')).toBe('```\nsay `\u200b`` done\n```');
    expect(escapeDiscord('# not a heading\n- not a list\n> not a quote')).toBe('\\# not a heading\n\\- not a list\n\\> not a quote');
  });

  it('shows a table, which Discord lacks, as aligned text in a code block', () => {
    expect(render('| name | n |\n|---|---|\n| a | 10 |')).toBe('```\nname | n\n-----+---\na    | 10\n```');
  });

  it('reads its output back as formatting and text, nested bold and italics included', () => {
    const rendered = render('***both*** and *it **bold***');
    expect(rendered).toBe('*\u200b**both**\u200b* and *it **bold**\u200b*');
    expect(discordMarkdown.markup(rendered).map((piece) => piece.text)).toEqual(['*', '\u200b', '**', 'both', '**', '\u200b', '*', ' and ', '*', 'it ', '**', 'bold', '**', '\u200b', '*']);
    expect(discordMarkdown.plain('**Hi** \\*not\\* snake\\_case [docs](https://x.dev) `a*b`')).toBe('Hi *not* snake_case docs (https://x.dev) a*b');
  });

  it('splits long replies within 2000 characters, closing and reopening code blocks and formatting, losing nothing', () => {
    const code = Array.from({ length: 120 }, (_, i) => `  const value${i} = compute(${i}) * 2; // line ${i}`).join('\n');
    const prose = Array.from({ length: 60 }, (_, i) => `Sentence ${i} has **bold and *italic* words** in it.`).join(' ');
    const messages = splitMessage(`${prose}\n\n\`\`\`ts\n${code}\n\`\`\``, discordMarkdown, 2000);
    expect(messages.length).toBeGreaterThanOrEqual(3);
    for (const message of messages) {
      expect(message.length).toBeLessThanOrEqual(2000);
      assertBalanced(message);
    }
    const codeParts = messages.flatMap((m) => [...m.matchAll(/```ts\n([\s\S]*?)\n```/g)].map((match) => match[1]!));
    expect(codeParts.length).toBeGreaterThan(1);
    expect(codeParts.join('\n')).toBe(code);
  });

  it('never exceeds the limit or leaves formatting open, for any reply', () => {
    const word = fc.stringMatching(/^[a-z*_~`<>#\\-]{1,12}$/);
    const sentence = fc.array(word, { minLength: 1, maxLength: 12 }).map((words) => `${words.join(' ')}.`);
    const paragraph = fc.array(sentence, { minLength: 1, maxLength: 8 }).map((sentences) => sentences.join(' '));
    const emphasized = paragraph.map((text) => `**${text.replace(/[*_~`\\]/g, '')}**`);
    const code = fc.array(fc.stringMatching(/^[ -~]{0,60}$/), { minLength: 1, maxLength: 30 }).map((lines) => `\`\`\`js\n${lines.join('\n')}\n\`\`\``);
    const reply = fc.array(fc.oneof(paragraph, emphasized, code), { minLength: 1, maxLength: 10 }).map((blocks) => blocks.join('\n\n'));
    const visible = (messages: string[]) => messages.map(discordMarkdown.plain).join('').replace(/\s+/g, '');
    fc.assert(
      fc.property(reply, fc.integer({ min: 100, max: 2000 }), (markdown, limit) => {
        const messages = splitMessage(markdown, discordMarkdown, limit);
        for (const message of messages) {
          expect(message.length).toBeLessThanOrEqual(limit);
          assertBalanced(message);
        }
        expect(visible(messages)).toBe(visible([render(markdown)]));
      }),
      { numRuns: 300 },
    );
  });
});
