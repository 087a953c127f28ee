import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Actor } from '../identity/actor.ts';
import { formatCode, newCode, normalizeCode } from '../identity/one-time-code.ts';
import type { Store } from '../store/store.ts';

/** A destructive command an admin asked for, waiting for their go-ahead. */
const pendingSchema = z.object({ name: z.string(), args: z.array(z.string()) });
export type PendingCommand = z.infer<typeof pendingSchema>;

export interface ConfirmationsOptions {
  /** How long a question waits for its answer. Default: 5 minutes. */
  ttlMs?: number;
}

/**
 * Questions before destructive commands (`/block`, `/role`, `/keys revoke`, `/docs remove`): the command
 * waits under a one-time code that only the admin who asked can redeem, once, within a few minutes. One
 * question waits per admin; asking another replaces it.
 */
export class Confirmations {
  readonly #store: Store;
  readonly #ttlMs: number;

  constructor(store: Store, { ttlMs = 5 * 60_000 }: ConfirmationsOptions = {}) {
    this.#store = store;
    this.#ttlMs = ttlMs;
  }

  get ttlMinutes() {
    return Math.round(this.#ttlMs / 60_000);
  }

  /** Parks the command; its code as people type it (`ABCD-EFGH`). */
  async ask(actor: Actor, pending: PendingCommand): Promise<string> {
    const now = Date.now();
    const code = newCode();
    await this.#store.putCode({
      purpose: 'confirm',
      code,
      userId: actor.user.id,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.#ttlMs).toISOString(),
      payload: JSON.stringify(pending),
    });
    return formatCode(code);
  }

  /** The actor's command waiting under `input`, taken (it is answered once); refused if none is. */
  async take(actor: Actor, input: string): Promise<PendingCommand> {
    const held = await this.#store.findCode('confirm', actor.user.id);
    const code = normalizeCode(input);
    const taken = held?.code === code ? await this.#store.takeCode('confirm', code) : undefined;
    if (!taken?.payload) throw new GatewayError('invalid_code', 'Nothing of yours waits for confirmation with that code: it is unknown, answered already, expired, or someone else\'s.');
    return pendingSchema.parse(JSON.parse(taken.payload));
  }
}
