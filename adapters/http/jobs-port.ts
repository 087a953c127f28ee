import type { InboundJobInput } from '../../core/contracts/job.ts';
import type { StreamPort } from './stream-response.ts';

/** What the HTTP adapter asks of the queue: put a job on it, then await its reply or relay its parts. */
export interface JobsPort extends StreamPort {
  enqueue(job: InboundJobInput): Promise<unknown>;
}
