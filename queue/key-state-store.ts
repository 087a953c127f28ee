import { z } from 'zod';
import type { KeyState, KeyStateStore } from '../core/models/key-ring.ts';
import type { RedisClient } from './connection.ts';

const keyStateSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('cooling'), untilMs: z.number() }),
  z.object({ state: z.literal('removed'), reason: z.string(), atMs: z.number() }),
]);

/** A provider's keys set aside, shared by every process: one Redis hash per provider, by fingerprint. */
export class RedisKeyStateStore implements KeyStateStore {
  readonly #redis: RedisClient;

  constructor(redis: RedisClient) {
    this.#redis = redis;
  }

  async read(provider: string): Promise<Record<string, KeyState>> {
    const fields = await this.#redis.hgetall(hashOf(provider));
    const states: Record<string, KeyState> = {};
    for (const [fingerprint, json] of Object.entries(fields)) {
      try {
        states[fingerprint] = keyStateSchema.parse(JSON.parse(json));
      } catch {
        // A field this version cannot read (written by another) counts as no state: the key is tried.
      }
    }
    return states;
  }

  async write(provider: string, fingerprint: string, state: KeyState): Promise<void> {
    await this.#redis.hset(hashOf(provider), fingerprint, JSON.stringify(state));
  }
}

const hashOf = (provider: string) => `gw:keys:${provider}`;
