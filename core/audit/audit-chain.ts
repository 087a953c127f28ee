import { createHash } from 'node:crypto';
import type { AuditRecord, NewAuditRecord } from '../store/store.ts';

/** The `prevHash` of the first record. */
export const genesisHash = '0'.repeat(64);

/** JSON with object keys sorted, so a store that reorders keys (BSON, JSON columns) hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** SHA-256 over the previous hash and every field of the record, as hex. */
export function auditHash(record: Omit<AuditRecord, 'hash'>): string {
  const { seq, prevHash, id, requestId, at, actorId, action, outcome, detail } = record;
  return createHash('sha256').update(canonical([seq, prevHash, id, requestId, at, actorId, action, outcome, detail])).digest('hex');
}

/** The record as the next link after `last` (undefined: the chain is empty). */
export function chainAudit(last: Pick<AuditRecord, 'seq' | 'hash'> | undefined, record: NewAuditRecord): AuditRecord {
  // What a JSON round trip keeps is what a store gives back, so that is what is hashed.
  const detail = JSON.parse(JSON.stringify(record.detail)) as Record<string, unknown>;
  const linked = { ...record, detail, seq: (last?.seq ?? 0) + 1, prevHash: last?.hash ?? genesisHash };
  return { ...linked, hash: auditHash(linked) };
}

export interface ChainBreak {
  seq: number;
  id: string;
  problem: string;
}

/**
 * Checks one page of the chain, continuing from `last` (the final record of the previous page, or
 * undefined at the start). Returns the first break, if any.
 */
export function findChainBreak(last: Pick<AuditRecord, 'seq' | 'hash'> | undefined, page: readonly AuditRecord[]): ChainBreak | undefined {
  let previous = last;
  for (const record of page) {
    const expectedSeq = (previous?.seq ?? 0) + 1;
    if (record.seq !== expectedSeq) {
      return { seq: record.seq, id: record.id, problem: `expected record ${expectedSeq} next, found ${record.seq}: records are missing or reordered` };
    }
    if (record.prevHash !== (previous?.hash ?? genesisHash)) {
      return { seq: record.seq, id: record.id, problem: 'its prevHash is not the previous record\'s hash: a record before it was changed or removed' };
    }
    if (auditHash(record) !== record.hash) {
      return { seq: record.seq, id: record.id, problem: 'its content does not match its hash: the record was changed' };
    }
    previous = record;
  }
  return undefined;
}
