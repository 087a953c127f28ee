import { UnrecoverableError } from 'bullmq';
import type { JobOutcome } from '../core/pipeline/run-job.ts';

/**
 * The one place that tells BullMQ what an attempt's outcome means: a retry is an ordinary error (BullMQ
 * retries with backoff), a drop is an UnrecoverableError (never retried).
 */
export function toQueueError(outcome: Extract<JobOutcome, { kind: 'retry' | 'drop' }>): Error {
  const message = `${outcome.error.code}: ${outcome.error.message}`;
  return outcome.kind === 'drop' ? new UnrecoverableError(message) : new Error(message);
}
