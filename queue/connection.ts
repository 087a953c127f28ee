import { Redis } from 'ioredis';

/**
 * Commands issued in the same tick leave in one write (ioredis auto-pipelining). Under load a job's
 * commands and its neighbours' share syscalls, which is most of what a Redis command costs here.
 */
const shared = { maxRetriesPerRequest: null, enableAutoPipelining: true } as const;

/**
 * Connection options for BullMQ. BullMQ owns the connections it makes from these, and closes them on
 * close(); passing it a client instead would leave that client open after Redis goes away.
 */
export function bullConnection(redisUrl: string) {
  return { url: redisUrl, maxRetriesPerRequest: null };
}

/** A client for our own commands (conversation order, checkpoints). The caller quits it. */
export function createRedisClient(redisUrl: string) {
  return new Redis(redisUrl, { ...shared, lazyConnect: false });
}

export type RedisClient = Redis;
