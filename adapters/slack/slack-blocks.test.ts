import { describe, expect, it } from 'vitest';
import { messageBlocks } from './slack-blocks.ts';

const buttons = [
  { label: 'Confirm', command: '/confirm ABCDEFGH', style: 'danger' as const },
  { label: 'Cancel', command: '/cancel ABCDEFGH' },
];

describe('Slack message blocks', () => {
  it('puts the text in a section and one button per action under it, each carrying its command', () => {
    expect(messageBlocks('Block *Ann*?', false, buttons)).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: 'Block *Ann*?' } },
      {
        type: 'actions',
        elements: [
          { type: 'button', text: { type: 'plain_text', text: 'Confirm', emoji: true }, action_id: 'gateway_command_0', value: '/confirm ABCDEFGH', style: 'danger' },
          { type: 'button', text: { type: 'plain_text', text: 'Cancel', emoji: true }, action_id: 'gateway_command_1', value: '/cancel ABCDEFGH' },
        ],
      },
    ]);
    expect(messageBlocks('a < b', true, buttons)[0]).toEqual({ type: 'section', text: { type: 'plain_text', text: 'a < b', emoji: true } });
  });

  it("splits a message longer than a section's 3000 characters at a line, a code block closed and reopened", () => {
    const code = Array.from({ length: 120 }, (_, i) => `line ${i} of the code, long enough`).join('\n');
    const text = `Here:\n\`\`\`\n${code}\n\`\`\``;
    const blocks = messageBlocks(text, false, buttons);
    const sections = blocks.filter((block) => block.type === 'section').map((block) => (block as { text: { text: string } }).text.text);
    expect(sections.length).toBe(2);
    for (const section of sections) {
      expect(section.length).toBeLessThanOrEqual(3000);
      expect(section.split('```').length % 2).toBe(1);
    }
    expect(sections.join('\n').replaceAll('\n```\n```\n', '\n')).toBe(text);
    expect(blocks.at(-1)!.type).toBe('actions');
  });
});
