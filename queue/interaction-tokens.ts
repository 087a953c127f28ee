import type { InteractionTokens } from '../adapters/kit/interaction-tokens.ts';
import type { RedisClient } from './connection.ts';

/** Interaction tokens in Redis, each expiring with the platform's own window. */
export function redisInteractionTokens(redis: RedisClient, platform: string): InteractionTokens {
  const key = (interactionId: string) => `gw:itk:${platform}:${interactionId}`;
  return {
    async save(interactionId, value, ttlMs) {
      await redis.set(key(interactionId), value, 'PX', ttlMs);
    },
    load: async (interactionId) => (await redis.get(key(interactionId))) ?? undefined,
  };
}
