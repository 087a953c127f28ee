import type { InboundJobInput } from '../../core/contracts/job.ts';
import type { StreamPort } from './stream-response.ts';

/** What the HTTP adapter asks of the queue: put a job on it, then await its reply or relay its parts. */
export interface JobsPort extends StreamPort {
  /** This process's reply address, put in every job's `replyTo`. */
  replyAddress: string;
  enqueue(job: InboundJobInput): Promise<unknown>;
  /** Cancels after a grace period unless a client resumes the job meanwhile (a dropped WebSocket). */
  cancelUnlessResumed(jobId: string, graceMs: number): void;
  markResumed(jobId: string): Promise<void>;
}
