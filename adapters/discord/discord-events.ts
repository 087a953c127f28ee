import { z } from 'zod';

/**
 * The part of Discord's gateway dispatches the adapter reads (MESSAGE_CREATE, INTERACTION_CREATE),
 * validated at the edge as discord.js hands them over raw. Unknown fields pass through untouched.
 */
const snowflake = z.string().regex(/^\d{1,20}$/, { error: 'expected a Discord snowflake id' });

const userSchema = z.looseObject({ id: snowflake, username: z.string(), global_name: z.string().nullish(), bot: z.boolean().optional() });

export const discordMessageSchema = z.looseObject({
  id: snowflake,
  channel_id: snowflake,
  /** Absent in direct messages. */
  guild_id: snowflake.optional(),
  author: userSchema,
  /** Empty when the message has only attachments, or when the bot lacks the message content intent. */
  content: z.string(),
  timestamp: z.iso.datetime({ offset: true }),
  /** 0 a message, 19 a reply; the rest are system messages (joins, pins, boosts…). */
  type: z.number().int(),
  /** Set when a webhook, not a person, posted it. */
  webhook_id: snowflake.optional(),
  mentions: z.array(userSchema).default([]),
  attachments: z
    .array(z.looseObject({ filename: z.string(), content_type: z.string().optional(), size: z.number().int().nonnegative().optional(), url: z.url().optional() }))
    .default([]),
  sticker_items: z.array(z.looseObject({ name: z.string() })).default([]),
  referenced_message: z.looseObject({ author: userSchema }).nullish(),
});
export type DiscordMessage = z.infer<typeof discordMessageSchema>;

const optionSchema = z.looseObject({ name: z.string(), type: z.number().int(), value: z.union([z.string(), z.number(), z.boolean()]).optional() });

export const discordInteractionSchema = z.looseObject({
  id: snowflake,
  application_id: snowflake,
  /** 2 an application (slash) command, 3 a message component (a button pressed); pings and autocomplete are not used. */
  type: z.number().int(),
  /** Answers this interaction for 15 minutes: a credential, kept out of jobs and logs. */
  token: z.string().min(1).max(1000),
  channel_id: snowflake.optional(),
  guild_id: snowflake.optional(),
  /** In a guild: the member, with the user. */
  member: z.looseObject({ user: userSchema }).optional(),
  /** In a direct message: the user. */
  user: userSchema.optional(),
  /** A slash command's name and options, or a component's custom_id and component_type (2 a button). */
  data: z
    .looseObject({
      name: z.string().optional(),
      options: z.array(optionSchema).default([]),
      custom_id: z.string().max(100).optional(),
      component_type: z.number().int().optional(),
    })
    .optional(),
  /** A component's message: its flags say whether it was ephemeral (64), seen only by the presser. */
  message: z.looseObject({ id: snowflake, flags: z.number().int().default(0) }).optional(),
});
export type DiscordInteraction = z.infer<typeof discordInteractionSchema>;

/** The PING Discord posts to the Interactions Endpoint URL to check it (when it is saved, and now and then). */
export const discordPingSchema = z.looseObject({ type: z.literal(1) });
