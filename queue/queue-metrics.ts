import type { Queue } from 'bullmq';
import { gauge } from '../core/metrics/metric.ts';

const states = ['waiting', 'active', 'delayed', 'failed'] as const;

/** Queues this process holds a handle on, one per name: read when /metrics is scraped. */
const watched = new Map<string, Queue>();

gauge({
  name: 'gateway_queue_jobs',
  help: 'Jobs in each queue by state (waiting, active, delayed, failed), read from Redis when scraped.',
  labelNames: ['queue', 'state'] as const,
  async collect() {
    this.reset();
    await Promise.all([...watched].map(async ([name, queue]) => {
      // Redis away: the gauge goes blank for this queue rather than failing the whole scrape.
      const counts = await queue.getJobCounts(...states).catch(() => undefined);
      if (counts) for (const state of states) this.set({ queue: name, state }, counts[state] ?? 0);
    }));
  },
});

/** Reports `queue`'s counts at /metrics until the returned function is called. */
export function watchQueue(queue: Queue): () => void {
  if (watched.has(queue.name)) return () => {};
  watched.set(queue.name, queue);
  return () => {
    if (watched.get(queue.name) === queue) watched.delete(queue.name);
  };
}
