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

/**
 * A press of a button under one of the bot's messages (Block Kit's `block_actions`), posted as a signed
 * form `payload=<JSON>` to the same URL as events, or sent as a Socket Mode `interactive` envelope.
 */
export const slackBlockActionsSchema = z
  .looseObject({
    type: z.literal('block_actions'),
    /** Null for an app installed org-wide (Enterprise Grid): the user's team_id names the workspace then. */
    team: z.looseObject({ id: slackId }).nullish(),
    user: z.looseObject({ id: slackId, team_id: slackId.optional() }),
    channel: z.looseObject({ id: slackId }),
    /** The pressed message: whether only the presser sees it (ephemeral), and its thread. */
    container: z.looseObject({ type: z.string(), message_ts: ts.optional(), thread_ts: ts.optional(), is_ephemeral: z.boolean().optional() }),
    message: z.looseObject({ ts: ts.optional(), thread_ts: ts.optional() }).optional(),
    /** Answers this press for 30 minutes, five times: a credential, kept out of jobs and logs. */
    response_url: z.url({ protocol: /^https?$/ }),
    /** Unique per press: the job's id. */
    trigger_id: z.string().regex(/^[\w.-]{1,200}$/),
    actions: z.array(z.looseObject({ type: z.string(), action_id: z.string().max(255), value: z.string().max(2000).optional() })).min(1),
  })
  .refine((press) => press.team?.id ?? press.user.team_id, { error: 'expected the team of the press (team.id or user.team_id)' });
export type SlackBlockActions = z.infer<typeof slackBlockActionsSchema>;
