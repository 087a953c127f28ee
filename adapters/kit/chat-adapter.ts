import type { Logger } from 'pino';
import type { InboundJobInput, Platform } from '../../core/contracts/job.ts';
import type { Reply } from '../../core/contracts/reply.ts';
import type { HealthCheck } from '../http/routes/health.ts';
import type { DeliveryRecords } from './delivery-records.ts';
import type { InteractionTokens } from './interaction-tokens.ts';
import { chatMetrics } from './chat-metrics.ts';
import type { LiveRepliesOptions } from './live-replies.ts';

export type ChatPlatform = Exclude<Platform, 'http'>;

/** What every chat adapter is given by the process that runs it. */
export interface ChatAdapterParts {
  jwtKey: Uint8Array;
  /** Puts a job on the inbound queue; idempotent by job id. */
  enqueue: (job: InboundJobInput) => Promise<unknown>;
  records: DeliveryRecords;
  /** Where short-lived interaction credentials are kept, shared by the adapter's processes. */
  tokens: InteractionTokens;
  subscribe: LiveRepliesOptions['subscribe'];
  log: Logger;
  /** CHAT_EDIT_INTERVAL_MS. Default: 1000 ms. */
  editIntervalMs?: number;
  /** CHAT_REPLY_MAX_AGE_SECONDS, in ms. Default: 15 minutes. */
  maxReplyAgeMs?: number;
  /** ADAPTER_STALL_SECONDS, in ms: a connection or polling loop silent this long is restarted. */
  stallMs?: number;
}

/** What every chat adapter gives back. */
export interface ChatAdapter {
  /** Posts a reply from the outbound queue. */
  deliver(reply: Reply): Promise<void>;
  health: HealthCheck;
  close(): Promise<void>;
}

/** What became of one platform event (a message, a command), once the adapter has handled it. */
export interface ChatEventOutcome {
  /** The platform's id for the event. */
  eventId: string;
  kind: 'job' | 'unsupported' | 'ignore' | 'unknown-command' | 'failed';
  reason?: string;
}

/** Counts each event's outcome in `gateway_chat_events_total`, and tells `onEvent` (tests, diagnostics). */
export const eventReporter =
  (platform: ChatPlatform, onEvent?: (outcome: ChatEventOutcome) => void) =>
  (outcome: ChatEventOutcome): void => {
    chatMetrics.events.inc({ platform, outcome: outcome.kind });
    onEvent?.(outcome);
  };
