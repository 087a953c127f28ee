import type { Platform } from '../../contracts/job.ts';
import type { ApiKey, AuditRecord, Conversation, LimitOverrides, OneTimeCode, RequestLogEntry, StoredMessage, User, UserRole } from '../store.ts';

// The embedded store's schema, and its rows read back as the Store contract's types.

/** Tables and indexes, created when missing. */
export const schema = `
  CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, role TEXT NOT NULL, created_at TEXT NOT NULL, last_seen_at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS identities (
    platform TEXT NOT NULL, external_id TEXT NOT NULL, user_id TEXT NOT NULL REFERENCES users(id),
    PRIMARY KEY (platform, external_id));
  CREATE INDEX IF NOT EXISTS identities_by_user ON identities(user_id);
  CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL, platform TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS conversations_by_user ON conversations(user_id, updated_at);
  CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, user_id TEXT NOT NULL, job_id TEXT NOT NULL,
    role TEXT NOT NULL, content TEXT NOT NULL, created_at TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, created_at);
  CREATE TABLE IF NOT EXISTS audit (
    id TEXT PRIMARY KEY, request_id TEXT NOT NULL, at TEXT NOT NULL, actor_id TEXT, action TEXT NOT NULL,
    outcome TEXT NOT NULL, detail TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS audit_by_time ON audit(at);
  CREATE TABLE IF NOT EXISTS requests (
    request_id TEXT PRIMARY KEY, job_id TEXT NOT NULL, user_id TEXT, platform TEXT NOT NULL, model TEXT,
    status TEXT NOT NULL, error_code TEXT, latency_ms INTEGER NOT NULL, input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL, at TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS requests_by_time ON requests(at);
  CREATE TABLE IF NOT EXISTS codes (
    purpose TEXT NOT NULL, code TEXT NOT NULL, user_id TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL,
    PRIMARY KEY (purpose, code));
  CREATE UNIQUE INDEX IF NOT EXISTS codes_by_user ON codes(purpose, user_id);
  CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL, prefix TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL, created_by TEXT, expires_at TEXT, revoked_at TEXT, requests_per_minute INTEGER,
    tokens_per_minute INTEGER, budget_tokens INTEGER, spent_tokens INTEGER NOT NULL DEFAULT 0, models TEXT);
  CREATE INDEX IF NOT EXISTS api_keys_by_user ON api_keys(user_id, created_at);
  CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/** Columns added after a table was first released: added to older files on open. */
export const addedColumns = [
  ['users', 'requests_per_minute', 'INTEGER'],
  ['users', 'tokens_per_minute', 'INTEGER'],
  ['requests', 'api_key_id', 'TEXT'],
  ['conversations', 'settings', 'TEXT'],
  ['codes', 'payload', 'TEXT'],
  ['users', 'budget_usd', 'REAL'],
  ['api_keys', 'budget_usd', 'REAL'],
  ['api_keys', 'spent_usd', 'REAL NOT NULL DEFAULT 0'],
  ['requests', 'external_id', 'TEXT'],
  ['requests', 'provider', 'TEXT'],
  ['requests', 'tier', 'TEXT'],
  ['requests', 'cached_input_tokens', 'INTEGER NOT NULL DEFAULT 0'],
  ['requests', 'reasoning_tokens', 'INTEGER NOT NULL DEFAULT 0'],
  ['requests', 'cost_usd', 'REAL NOT NULL DEFAULT 0'],
  // Records written before the chain existed keep a null seq: they are outside the chain.
  ['audit', 'seq', 'INTEGER'],
  ['audit', 'prev_hash', 'TEXT'],
  ['audit', 'hash', 'TEXT'],
  // Lower case: handles are found in any case.
  ['identities', 'handle', 'TEXT'],
  // The routing policy's arm and branch; null for requests no policy routed, and for those logged before.
  ['requests', 'deployment', 'TEXT'],
  ['requests', 'branch', 'TEXT'],
] as const;

/** Indexes on added columns, created once the columns exist. */
export const laterIndexes = `
  CREATE UNIQUE INDEX IF NOT EXISTS audit_by_seq ON audit(seq);
  CREATE INDEX IF NOT EXISTS requests_by_user ON requests(user_id, at);
  CREATE INDEX IF NOT EXISTS identities_by_handle ON identities(platform, handle);
`;

export type Row = Record<string, unknown>;

export const toLimits = (row: Row): LimitOverrides => ({
  ...(row.requests_per_minute === null ? {} : { requestsPerMinute: Number(row.requests_per_minute) }),
  ...(row.tokens_per_minute === null ? {} : { tokensPerMinute: Number(row.tokens_per_minute) }),
});

export const toUser = (row: Row): User => ({
  id: String(row.id),
  role: row.role as UserRole,
  limits: { ...toLimits(row), ...(row.budget_usd === null ? {} : { budgetUsd: Number(row.budget_usd) }) },
  createdAt: String(row.created_at),
  lastSeenAt: String(row.last_seen_at),
});

export const toCode = (row: Row): OneTimeCode => ({
  purpose: row.purpose as OneTimeCode['purpose'],
  code: String(row.code),
  userId: String(row.user_id),
  createdAt: String(row.created_at),
  expiresAt: String(row.expires_at),
  ...(row.payload === null || row.payload === undefined ? {} : { payload: String(row.payload) }),
});

export const nullableString = (value: unknown) => (value === null ? null : String(value));

export const toApiKey = (row: Row): ApiKey => ({
  id: String(row.id),
  userId: String(row.user_id),
  name: String(row.name),
  prefix: String(row.prefix),
  hash: String(row.hash),
  createdAt: String(row.created_at),
  createdBy: nullableString(row.created_by),
  expiresAt: nullableString(row.expires_at),
  revokedAt: nullableString(row.revoked_at),
  limits: toLimits(row),
  budgetTokens: row.budget_tokens === null ? null : Number(row.budget_tokens),
  spentTokens: Number(row.spent_tokens),
  budgetUsd: row.budget_usd === null ? null : Number(row.budget_usd),
  spentUsd: Number(row.spent_usd),
  models: row.models === null ? null : (JSON.parse(String(row.models)) as string[]),
});

export const toConversation = (row: Row): Conversation => ({
  id: String(row.id),
  userId: String(row.user_id),
  platform: row.platform as Platform,
  createdAt: String(row.created_at),
  updatedAt: String(row.updated_at),
});

export const toMessage = (row: Row): StoredMessage => ({
  id: String(row.id),
  conversationId: String(row.conversation_id),
  userId: String(row.user_id),
  jobId: String(row.job_id),
  role: row.role as StoredMessage['role'],
  content: String(row.content),
  createdAt: String(row.created_at),
});

export const toAudit = (row: Row): AuditRecord => ({
  id: String(row.id),
  requestId: String(row.request_id),
  at: String(row.at),
  actorId: row.actor_id === null ? null : String(row.actor_id),
  action: String(row.action),
  outcome: row.outcome as AuditRecord['outcome'],
  detail: JSON.parse(String(row.detail)) as Record<string, unknown>,
  seq: Number(row.seq),
  prevHash: String(row.prev_hash),
  hash: String(row.hash),
});

export const toRequest = (row: Row): RequestLogEntry => ({
  requestId: String(row.request_id),
  jobId: String(row.job_id),
  userId: nullableString(row.user_id),
  apiKeyId: nullableString(row.api_key_id),
  platform: row.platform as Platform,
  externalId: nullableString(row.external_id),
  provider: nullableString(row.provider),
  model: nullableString(row.model),
  tier: row.tier as RequestLogEntry['tier'],
  deployment: nullableString(row.deployment),
  branch: nullableString(row.branch),
  status: row.status as RequestLogEntry['status'],
  errorCode: nullableString(row.error_code),
  latencyMs: Number(row.latency_ms),
  inputTokens: Number(row.input_tokens),
  outputTokens: Number(row.output_tokens),
  cachedInputTokens: Number(row.cached_input_tokens),
  reasoningTokens: Number(row.reasoning_tokens),
  costUsd: Number(row.cost_usd),
  at: String(row.at),
});

/** The column (or expression) behind each way of grouping usage. */
export const usageColumns = {
  user: 'user_id',
  provider: 'provider',
  model: 'model',
  tier: 'tier',
  platform: 'platform',
  day: 'substr(at, 1, 10)',
  deployment: 'deployment',
  branch: 'branch',
} as const;
