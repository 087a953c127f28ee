import { MongoServerError, type Document, type ObjectId } from 'mongodb';
import type { Platform } from '../../contracts/job.ts';
import type {
  GatewaySettings,
  ApiKey,
  AuditRecord,
  Conversation,
  ConversationSettings,
  LimitOverrides,
  OneTimeCode,
  RequestLogEntry,
  StoredMessage,
  UsageFigures,
  UsageGroup,
  UsageQuery,
  UsageRow,
  User,
  UserRole,
} from '../store.ts';

// The MongoDB store's documents, and those documents read back as the Store contract's plain objects:
// no `_id`, no storage-only fields, optional fields absent rather than undefined. Also the usage
// pipeline, and telling the duplicate key errors that idempotent writes rely on.

export interface UserDoc {
  _id: string;
  role: UserRole;
  limits: LimitOverrides;
  createdAt: string;
  lastSeenAt: string;
}

export interface IdentityDoc {
  platform: Platform;
  externalId: string;
  userId: string;
  /** Lower case: handles are found in any case. */
  handle?: string;
}

/** The gateway-wide defaults: one document, `_id: 'gateway'`. */
export interface SettingsDoc {
  _id: string;
  value: GatewaySettings;
}

export interface CodeDoc extends Omit<OneTimeCode, 'payload'> {
  payload?: string | null;
  /** For the TTL index, which only reads Dates: expired codes are swept, not just hidden. */
  expiresAtDate: Date;
}

export interface ApiKeyDoc extends Omit<ApiKey, 'id'> {
  _id: string;
}

export interface ConversationDoc extends Omit<Conversation, 'id'> {
  _id: string;
  settings?: ConversationSettings;
}

export interface MessageDoc extends Omit<StoredMessage, 'id'> {
  _id: string;
  /** Insertion order, to break ties between messages created at the same instant. */
  order: ObjectId;
}

export interface AuditDoc extends Omit<AuditRecord, 'id' | 'detail'> {
  _id: string;
  /**
   * The detail as JSON text: BSON would refuse some keys (NUL bytes) and store others (`$`, `.`)
   * with caveats, and a record must read back exactly as it was hashed.
   */
  detail: string;
}

export interface RequestDoc extends Omit<RequestLogEntry, 'requestId' | 'apiKeyId' | 'deployment' | 'branch'> {
  _id: string;
  apiKeyId: string | null;
  /** Missing in documents written before routing policies: read as null. */
  deployment?: string | null;
  branch?: string | null;
  /** For the TTL index, which only reads Dates. */
  atDate: Date;
}

/** Only the known limits that are numbers: what an admin set, nothing a caller slipped in. */
export function cleanLimits(limits: LimitOverrides | undefined): LimitOverrides {
  const clean: LimitOverrides = {};
  for (const key of ['requestsPerMinute', 'tokensPerMinute', 'budgetUsd'] as const) {
    const value = limits?.[key];
    if (typeof value === 'number') clean[key] = value;
  }
  return clean;
}

export const toUser = (doc: UserDoc): User => ({
  id: doc._id,
  role: doc.role,
  limits: cleanLimits(doc.limits),
  createdAt: doc.createdAt,
  lastSeenAt: doc.lastSeenAt,
});

export const toCode = (doc: CodeDoc): OneTimeCode => ({
  purpose: doc.purpose,
  code: doc.code,
  userId: doc.userId,
  createdAt: doc.createdAt,
  expiresAt: doc.expiresAt,
  ...(doc.payload === null || doc.payload === undefined ? {} : { payload: doc.payload }),
});

export const codeDoc = (code: OneTimeCode): CodeDoc => ({
  purpose: code.purpose,
  code: code.code,
  userId: code.userId,
  createdAt: code.createdAt,
  expiresAt: code.expiresAt,
  ...(code.payload === undefined ? {} : { payload: code.payload }),
  expiresAtDate: new Date(code.expiresAt),
});

export const apiKeyDoc = (key: ApiKey): ApiKeyDoc => ({
  _id: key.id,
  userId: key.userId,
  name: key.name,
  prefix: key.prefix,
  hash: key.hash,
  createdAt: key.createdAt,
  createdBy: key.createdBy,
  expiresAt: key.expiresAt,
  revokedAt: key.revokedAt,
  limits: cleanLimits(key.limits),
  budgetTokens: key.budgetTokens,
  spentTokens: key.spentTokens,
  budgetUsd: key.budgetUsd,
  spentUsd: key.spentUsd,
  models: key.models === null ? null : [...key.models],
});

export const toApiKey = (doc: ApiKeyDoc): ApiKey => ({
  id: doc._id,
  userId: doc.userId,
  name: doc.name,
  prefix: doc.prefix,
  hash: doc.hash,
  createdAt: doc.createdAt,
  createdBy: doc.createdBy ?? null,
  expiresAt: doc.expiresAt ?? null,
  revokedAt: doc.revokedAt ?? null,
  limits: cleanLimits(doc.limits),
  budgetTokens: doc.budgetTokens ?? null,
  spentTokens: doc.spentTokens ?? 0,
  budgetUsd: doc.budgetUsd ?? null,
  spentUsd: doc.spentUsd ?? 0,
  models: doc.models ?? null,
});

export const toConversation = (doc: ConversationDoc): Conversation => ({
  id: doc._id,
  userId: doc.userId,
  platform: doc.platform,
  createdAt: doc.createdAt,
  updatedAt: doc.updatedAt,
});

export const messageDoc = (message: StoredMessage, order: ObjectId): MessageDoc => ({
  _id: message.id,
  conversationId: message.conversationId,
  userId: message.userId,
  jobId: message.jobId,
  role: message.role,
  content: message.content,
  createdAt: message.createdAt,
  order,
});

export const toMessage = (doc: MessageDoc): StoredMessage => ({
  id: doc._id,
  conversationId: doc.conversationId,
  userId: doc.userId,
  jobId: doc.jobId,
  role: doc.role,
  content: doc.content,
  createdAt: doc.createdAt,
});

export const auditDoc = (record: AuditRecord): AuditDoc => ({
  _id: record.id,
  seq: record.seq,
  prevHash: record.prevHash,
  hash: record.hash,
  requestId: record.requestId,
  at: record.at,
  actorId: record.actorId,
  action: record.action,
  outcome: record.outcome,
  detail: JSON.stringify(record.detail),
});

export const toAudit = (doc: AuditDoc): AuditRecord => ({
  id: doc._id,
  requestId: doc.requestId,
  at: doc.at,
  actorId: doc.actorId ?? null,
  action: doc.action,
  outcome: doc.outcome,
  detail: JSON.parse(doc.detail) as Record<string, unknown>,
  seq: doc.seq,
  prevHash: doc.prevHash,
  hash: doc.hash,
});

export const requestDoc = (entry: RequestLogEntry): RequestDoc => ({
  _id: entry.requestId,
  jobId: entry.jobId,
  userId: entry.userId,
  apiKeyId: entry.apiKeyId ?? null,
  platform: entry.platform,
  externalId: entry.externalId,
  provider: entry.provider,
  model: entry.model,
  tier: entry.tier,
  deployment: entry.deployment ?? null,
  branch: entry.branch ?? null,
  status: entry.status,
  errorCode: entry.errorCode,
  latencyMs: entry.latencyMs,
  inputTokens: entry.inputTokens,
  outputTokens: entry.outputTokens,
  cachedInputTokens: entry.cachedInputTokens,
  reasoningTokens: entry.reasoningTokens,
  costUsd: entry.costUsd,
  at: entry.at,
  atDate: new Date(entry.at),
});

export const toRequest = (doc: RequestDoc): RequestLogEntry => ({
  requestId: doc._id,
  jobId: doc.jobId,
  userId: doc.userId ?? null,
  apiKeyId: doc.apiKeyId ?? null,
  platform: doc.platform,
  externalId: doc.externalId ?? null,
  provider: doc.provider ?? null,
  model: doc.model ?? null,
  tier: doc.tier ?? null,
  deployment: doc.deployment ?? null,
  branch: doc.branch ?? null,
  status: doc.status,
  errorCode: doc.errorCode ?? null,
  latencyMs: doc.latencyMs,
  inputTokens: doc.inputTokens,
  outputTokens: doc.outputTokens,
  cachedInputTokens: doc.cachedInputTokens ?? 0,
  reasoningTokens: doc.reasoningTokens ?? 0,
  costUsd: doc.costUsd ?? 0,
  at: doc.at,
});

/**
 * What each usage group is keyed on in a request document. `$ifNull` makes a missing field group with
 * null: in a `$group` key, a missing field and a null one would otherwise be two groups.
 */
const usageGroupKeys: Record<UsageGroup, unknown> = {
  user: { $ifNull: ['$userId', null] },
  provider: { $ifNull: ['$provider', null] },
  model: { $ifNull: ['$model', null] },
  tier: { $ifNull: ['$tier', null] },
  platform: '$platform',
  // `at` is an ISO time in UTC, so its first ten bytes are the UTC day.
  day: { $substrBytes: ['$at', 0, 10] },
  deployment: { $ifNull: ['$deployment', null] },
  branch: { $ifNull: ['$branch', null] },
};

const usageTotals = {
  requests: { $sum: 1 },
  errors: { $sum: { $cond: [{ $eq: ['$status', 'error'] }, 1, 0] } },
  inputTokens: { $sum: '$inputTokens' },
  outputTokens: { $sum: '$outputTokens' },
  cachedInputTokens: { $sum: '$cachedInputTokens' },
  reasoningTokens: { $sum: '$reasoningTokens' },
  costUsd: { $sum: '$costUsd' },
  latencyMs: { $avg: '$latencyMs' },
};

/** Requests in the query's window, totalled per group, ordered by the grouped-by fields in their order. */
export function usagePipeline({ since, until, userId }: UsageQuery, groups: readonly UsageGroup[]): Document[] {
  const match: Document = { at: until === undefined ? { $gte: since } : { $gte: since, $lt: until } };
  if (userId !== undefined) match.userId = userId;
  const key = groups.length === 0 ? null : Object.fromEntries(groups.map((group) => [group, usageGroupKeys[group]]));
  const pipeline: Document[] = [{ $match: match }, { $group: { _id: key, ...usageTotals } }];
  if (groups.length > 0) pipeline.push({ $sort: Object.fromEntries(groups.map((group) => [`_id.${group}`, 1])) });
  return pipeline;
}

export interface UsageGroupDoc extends Omit<UsageFigures, 'latencyMs'> {
  _id: Partial<Record<UsageGroup, string | null>> | null;
  latencyMs: number | null;
}

export function toUsageRow(doc: UsageGroupDoc, groups: readonly UsageGroup[]): UsageRow {
  const row: UsageRow = {
    requests: doc.requests,
    errors: doc.errors,
    inputTokens: doc.inputTokens,
    outputTokens: doc.outputTokens,
    cachedInputTokens: doc.cachedInputTokens,
    reasoningTokens: doc.reasoningTokens,
    costUsd: doc.costUsd,
    latencyMs: doc.latencyMs ?? 0,
  };
  const keys = doc._id ?? {};
  for (const group of groups) {
    if (group === 'platform' || group === 'day') row[group] = keys[group] ?? '';
    else row[group] = keys[group] ?? null;
  }
  return row;
}

export const isDuplicateKey = (error: unknown): error is MongoServerError => error instanceof MongoServerError && error.code === 11000;

/** Which unique index a duplicate key error hit: `keyPattern` where the server sends it, else the message. */
export function duplicateOn(error: MongoServerError, field: string, indexName: string): boolean {
  const pattern = error.keyPattern as Document | undefined;
  if (pattern) return Object.hasOwn(pattern, field);
  return error.message.includes(`index: ${indexName} `);
}

/**
 * Two concurrent upserts of the same new key can both try to insert, and one fails on the unique index
 * (older servers do not retry that themselves). Run again, it finds the document the other inserted.
 */
export async function retryOnDuplicate<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (isDuplicateKey(error)) return operation();
    throw error;
  }
}
