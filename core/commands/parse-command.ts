/** A chat command as typed: `/name arg arg`. */
export interface ParsedCommand {
  name: string;
  args: string[];
}

/**
 * `/link ABCD-EFGH` → { name: 'link', args: ['ABCD-EFGH'] }. Telegram appends the bot's name in
 * groups (`/link@my_bot`), which is dropped. Anything else is not a command.
 */
export function parseCommand(text: string): ParsedCommand | undefined {
  const match = /^\/([a-z][a-z0-9_]{0,31})(?:@\w+)?(?:\s+([\s\S]*))?$/i.exec(text.trim());
  if (!match) return undefined;
  const args = match[2]?.trim().split(/\s+/).filter(Boolean) ?? [];
  return { name: match[1]!.toLowerCase(), args };
}
