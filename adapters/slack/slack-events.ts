import { z } from 'zod';

/**
 * The parts of Slack's Events API and slash-command payloads the adapter reads, validated at the edge
 * (HTTP bodies after their signature, Socket Mode envelopes alike). Unknown fields pass through.
 */
const slackId = z.string().regex(/^[A-Z0-9]{2,30}$/, { error: 'expected a Slack id such as U123ABC' });
/** A message timestamp, which is also its id: `1700000000.123456`. */
const ts = z.string().regex(/^\d{1,12}\.\d{1,8}$/, { error: 'expected a Slack ts such as 1700000000.123456' });

export const slackMessageEventSchema = z.looseObject({
  type: z.enum(['app_mention', 'message']),
  /** Absent on bot messages. */
  user: slackId.optional(),
  bot_id: z.string().optional(),
  /** Edits, deletions, joins…: set; a person's new message: absent (or `file_share`). */
  subtype: z.string().optional(),
  text: z.string().default(''),
  channel: slackId,
  /** `im` for a direct message; `channel`, `group`, `mpim` otherwise. */
  channel_type: z.string().optional(),
  ts,
  thread_ts: ts.optional(),
  files: z
    .array(z.looseObject({ name: z.string().optional(), mimetype: z.string().optional(), size: z.number().int().nonnegative().optional(), url_private_download: z.url().optional() }))
    .default([]),
});
export type SlackMessageEvent = z.infer<typeof slackMessageEventSchema>;

/** An Events API callback: one event, with the id Slack keeps across its retries. */
export const slackEventCallbackSchema = z.looseObject({
  type: z.literal('event_callback'),
  team_id: slackId,
  event_id: z.string().regex(/^[\w-]{1,100}$/, { error: 'expected an event id such as Ev0123ABC' }),
  event_time: z.number().int(),
  event: slackMessageEventSchema,
});
export type SlackEventCallback = z.infer<typeof slackEventCallbackSchema>;

/** A slash command, as Slack posts it (form fields) or sends it over Socket Mode. */
export const slackCommandSchema = z.looseObject({
  command: z.string().regex(/^\/[\w-]{1,32}$/),
  text: z.string().default(''),
  team_id: slackId,
  user_id: slackId,
  channel_id: slackId,
  /** Answers this command for 30 minutes, five times: a credential, kept out of jobs and logs. */
  response_url: z.url({ protocol: /^https?$/ }),
  /** Unique per invocation: the job's id. */
  trigger_id: z.string().regex(/^[\w.-]{1,200}$/),
});
export type SlackCommand = z.infer<typeof slackCommandSchema>;
