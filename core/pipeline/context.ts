import type { Logger } from 'pino';
import type { InboundJob } from '../contracts/job.ts';
import type { StreamPart } from '../contracts/stream-part.ts';

/**
 * Results of steps that must not repeat when a job is retried (the paid model call), kept per job id.
 * The queue provides the implementation; a retry finds what the first attempt already did.
 */
export interface Checkpoints {
  /**
   * `work`'s result, from an earlier attempt if one saved it. `fresh`: the caller knows no attempt can
   * have saved it yet (this is the job's first), so the lookup is skipped and the result only saved.
   */
  once<T>(name: string, work: () => Promise<T>, options?: { fresh?: boolean }): Promise<T>;
}

/** What the runner gives every job before the first step; each step adds its own fields. */
export interface JobContext {
  job: InboundJob;
  /** 1 on the first attempt. */
  attempt: number;
  /** Date.now() when this attempt started. */
  startedAt: number;
  checkpoints: Checkpoints;
  log: Logger;
  /** Aborts when the client goes away; reaches the provider's HTTP call. */
  abortSignal: AbortSignal;
  /**
   * Publishes a part of the answer for relaying (SSE, WebSocket, live edits). Calls are ordered; the
   * promise settles when Redis has the part.
   */
  publish: (part: StreamPart) => Promise<unknown>;
}
