/** The queue every adapter feeds and every worker drains. */
export const inboundQueueName = 'inbound';

/**
 * How long finished jobs stay in Redis. A redelivered event whose job still exists is recognised as the
 * same job and not answered again, so this is the deduplication window for platform retries.
 */
export const keepCompleted = { age: 24 * 3600, count: 100_000 };
export const keepFailed = { age: 7 * 24 * 3600 };

/** Retries for transient failures (a provider's 503, a store hiccup), with exponential backoff from 1 s. */
export const attempts = 3;
export const backoff = { type: 'exponential', delay: 1000 } as const;

/**
 * Takeovers of one job after its worker died (a crash, a deploy, a Redis outage past the lock) before
 * it is failed. BullMQ's default, 1, fails a job unanswered at its second takeover; ten in a row is no
 * longer bad luck but a job that kills its workers.
 */
export const maxStalls = 10;
