export { startRedisServer, freePort, type RedisServer, type RedisServerOptions } from './redis-server.ts';
export { InboundQueue } from './inbound-queue.ts';
export { startInboundWorker, type InboundWorker, type InboundWorkerOptions } from './worker.ts';
export { ReplyWaiter, type AwaitReplyOptions } from './replies.ts';
export { RedisCircuitStore, type CircuitOptions } from './circuit-store.ts';
export { createRedisClient } from './connection.ts';
export { StreamRelay, type RelayedPart, type StreamRelayOptions } from './stream-relay.ts';
export { Cancellation } from './cancellation.ts';
export { RedisTokenBuckets, redisOnceWithin } from './token-buckets.ts';
