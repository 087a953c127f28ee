import type { InboundJobInput } from '../../core/contracts/job.ts';

/** What a chat platform can show, declared once per adapter and sent with each job for the model. */
export type Capabilities = NonNullable<InboundJobInput['capabilities']> & {
  /** Whether a sent message can be edited (streaming as edits), or each part must be a new message. */
  edits: boolean;
};

/** Telegram Bot API, HTML parse mode: 4096 characters a message, no tables. */
export const telegramCapabilities: Capabilities = {
  platform: 'Telegram',
  maxMessageLength: 4096,
  formatting: ['bold', 'italic', 'strikethrough', 'inline code', 'code blocks', 'links', 'block quotes'],
  tables: false,
  edits: true,
};

/** Discord Markdown: 2000 characters a message, no tables. */
export const discordCapabilities: Capabilities = {
  platform: 'Discord',
  maxMessageLength: 2000,
  formatting: ['bold', 'italic', 'strikethrough', 'inline code', 'code blocks', 'links', 'headings', 'block quotes', 'lists'],
  tables: false,
  edits: true,
};

/**
 * Slack mrkdwn: 4000 characters a message (Slack truncates `text` at 40,000, but long messages read
 * badly; 4000 is its own advice), no tables, no headings.
 */
export const slackCapabilities: Capabilities = {
  platform: 'Slack',
  maxMessageLength: 4000,
  formatting: ['bold', 'italic', 'strikethrough', 'inline code', 'code blocks', 'links', 'block quotes', 'lists'],
  tables: false,
  edits: true,
};

/** The part of the capabilities the job carries (the model's instruction); `edits` stays with the adapter. */
export const forJob = ({ edits: _, ...declared }: Capabilities): NonNullable<InboundJobInput['capabilities']> => declared;
