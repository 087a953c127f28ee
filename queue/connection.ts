import { Redis } from 'ioredis';

/**
 * Connection options for BullMQ. BullMQ owns the connections it makes from these, and closes them on
 * close(); passing it a client instead would leave that client open after Redis goes away.
 */
export function bullConnection(redisUrl: string) {
  return { url: redisUrl, maxRetriesPerRequest: null };
}

/** A client for our own commands (conversation order, checkpoints). The caller quits it. */
export function createRedisClient(redisUrl: string) {
  return new Redis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
}

export type RedisClient = Redis;
