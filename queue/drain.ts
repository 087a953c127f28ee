import type { Job, Worker } from 'bullmq';
import type { Logger } from 'pino';

type Processor<T> = (job: Job, token?: string) => Promise<T>;

/**
 * A BullMQ processor that knows which of its jobs are running, and a close that waits for them until a
 * deadline: BullMQ's own close waits without end, and cannot be forced once it has begun waiting.
 */
export function drainable<T>(processor: Processor<T>) {
  const running = new Set<Promise<unknown>>();
  return {
    processor: ((job, token) => {
      const run = processor(job, token);
      const tracked: Promise<unknown> = run.catch(() => {}).finally(() => running.delete(tracked));
      running.add(tracked);
      return run;
    }) satisfies Processor<T>,

    /** Stops taking jobs, waits for the running ones until `deadline` aborts, then lets the rest go. */
    async close(worker: Worker, log: Logger, deadline?: AbortSignal) {
      await worker.pause(true);
      // Without a deadline this never settles, and close waits for every running job.
      const reached = new Promise<void>((resolve) => {
        if (deadline?.aborted) resolve();
        else deadline?.addEventListener('abort', () => resolve(), { once: true });
      });
      await Promise.race([Promise.all(running), reached]);
      // Let go, a job's lock lapses and another worker takes it over; its checkpoints keep work from repeating.
      if (running.size > 0) log.warn({ queue: worker.name, jobs: running.size }, 'shutdown deadline reached: running jobs are left to another worker');
      await worker.close(running.size > 0);
    },
  };
}
