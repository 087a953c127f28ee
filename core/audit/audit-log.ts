import { z } from 'zod';
import { requireAdmin, type Actor } from '../identity/actor.ts';
import type { AuditRecord, Store } from '../store/store.ts';
import { findChainBreak, type ChainBreak } from './audit-chain.ts';

/** An audit question, as GET /v1/audit takes it (and /audit in chat builds it). */
export const auditQuerySchema = z
  .object({
    limit: z.coerce.number({ error: 'expected a number from 1 to 1000' }).int().min(1).max(1000).default(50),
    /** Records numbered below this: the `nextBefore` of the previous page. */
    before: z.coerce.number({ error: 'expected a record number' }).int().min(1).optional(),
    /** Only this action, such as `user.role` or `chat.completion`. */
    action: z.string().regex(/^[\w.-]{1,100}$/, { error: 'expected an action name such as user.role' }).optional(),
    /** Only what this internal user did. */
    actor: z.string().regex(/^[\w.:-]{1,220}$/, { error: 'expected an internal user id (usr_…)' }).optional(),
  })
  .strict();
export type AuditQueryInput = z.input<typeof auditQuerySchema>;

export interface ChainReport {
  /** Records checked: the whole chain. */
  records: number;
  /** The last record's hash: write it down elsewhere, and a later truncation shows too. */
  headHash: string | null;
  /** The first break found; absent: the chain is intact. */
  break?: ChainBreak;
}

/** Reads the whole chain page by page and reports the first break. */
export async function verifyAuditChain(store: Store, pageSize = 1000): Promise<ChainReport> {
  let last: AuditRecord | undefined;
  let records = 0;
  for (;;) {
    const page = await store.readAuditChain(last?.seq ?? 0, pageSize);
    const found = findChainBreak(last, page);
    if (found) return { records: records + page.findIndex((record) => record.seq === found.seq), headHash: last?.hash ?? null, break: found };
    records += page.length;
    last = page.at(-1) ?? last;
    if (page.length < pageSize) return { records, headHash: last?.hash ?? null };
  }
}

/** The audit trail as admins read it, from chat (`/audit`) or HTTP (GET /v1/audit). */
export class AuditLog {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async list(actor: Actor, query: AuditQueryInput = {}): Promise<{ records: AuditRecord[]; nextBefore: number | null }> {
    await requireAdmin(this.#store, actor, 'audit.read');
    const { limit, before, action, actor: actorId } = auditQuerySchema.parse(query);
    const records = await this.#store.listAudit({ limit, beforeSeq: before, action, actorId });
    return { records, nextBefore: records.length === limit ? (records.at(-1)?.seq ?? null) : null };
  }

  async verify(actor: Actor): Promise<ChainReport> {
    await requireAdmin(this.#store, actor, 'audit.verify');
    return verifyAuditChain(this.#store);
  }
}
