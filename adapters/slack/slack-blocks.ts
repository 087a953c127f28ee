import type { types } from '@slack/bolt';
import type { ReplyAction } from '../../core/contracts/reply.ts';

/** A section's text may be 3000 characters; a message 4000, so one message may take two sections. */
const sectionLimit = 3000;
/** What closing and reopening a code block adds around a cut. */
const fenceRoom = 8;

/** Buttons' action_ids: the adapter answers these; the value carries the command. */
export const actionIdPrefix = 'gateway_command_';

/** Text in pieces a section takes, cut at a line, else a word; a code block cut is closed and reopened. */
function sectionTexts(text: string, plain: boolean): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > sectionLimit) {
    const room = sectionLimit - fenceRoom;
    const line = rest.lastIndexOf('\n', room);
    const word = rest.lastIndexOf(' ', room);
    const cut = line > room / 2 ? line : word > room / 2 ? word : room;
    let piece = rest.slice(0, cut);
    rest = rest.slice(cut).replace(/^[\n ]/, '');
    if (!plain && (piece.split('```').length - 1) % 2 === 1) {
      piece += '\n```';
      rest = `\`\`\`\n${rest}`;
    }
    pieces.push(piece);
  }
  return [...pieces, rest];
}

/**
 * A message with buttons as Block Kit blocks: its text in sections (mrkdwn, or plain_text when
 * plain), then one actions block with a button per action, its command as the value. The message's
 * `text` stays beside them, for notifications.
 */
export function messageBlocks(text: string, plain: boolean, buttons: readonly ReplyAction[]): types.KnownBlock[] {
  return [
    ...sectionTexts(text, plain).map((piece): types.SectionBlock => ({ type: 'section', text: plain ? { type: 'plain_text', text: piece, emoji: true } : { type: 'mrkdwn', text: piece } })),
    {
      type: 'actions',
      elements: buttons.map((button, index): types.Button => ({
        type: 'button',
        text: { type: 'plain_text', text: button.label, emoji: true },
        action_id: `${actionIdPrefix}${index}`,
        value: button.command,
        ...(button.style ? { style: button.style } : {}),
      })),
    },
  ];
}
