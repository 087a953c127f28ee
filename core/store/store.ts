import type { Platform } from '../contracts/job.ts';

/** `pending`: a new chat user awaiting an admin's approval (ACCESS_MODE=pairing). */
export type UserRole = 'admin' | 'user' | 'blocked' | 'pending';

/** Limits that replace the role's defaults: a number replaces it, 0 means none, absent keeps it. */
export interface LimitOverrides {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  /** US dollars the user may spend per budget period (USER_BUDGET_PERIOD). */
  budgetUsd?: number;
}

export interface User {
  /** Internal id, stable across every platform identity linked to the user. */
  id: string;
  role: UserRole;
  /** This user's own limits, set by an admin; `{}` when the role's apply. */
  limits: LimitOverrides;
  createdAt: string;
  lastSeenAt: string;
}

/**
 * A short-lived code that proves one person holds two identities (`link`), or awaits an admin: a new
 * user (`pairing`) or a high-risk tool call (`tool-approval`); or one admin's go-ahead for a destructive
 * command (`confirm`).
 */
export interface OneTimeCode {
  purpose: 'link' | 'pairing' | 'tool-approval' | 'confirm';
  /** Normalized: upper case, no separators. */
  code: string;
  userId: string;
  createdAt: string;
  expiresAt: string;
  /** What the code stands for, as JSON (the call awaiting approval). */
  payload?: string;
}

/** An API key as stored: never the key itself, only its SHA-256. */
export interface ApiKey {
  id: string;
  /** The user the key acts as: their role, history and limits apply, besides the key's own. */
  userId: string;
  name: string;
  /** The first characters of the key, to recognise it in a list. */
  prefix: string;
  hash: string;
  createdAt: string;
  /** The admin who minted it (`cli` when minted by `npm run keys`). */
  createdBy: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  limits: LimitOverrides;
  /** Tokens (input + output) the key may spend in all; null: no budget. */
  budgetTokens: number | null;
  spentTokens: number;
  /** US dollars the key may spend in all; null: no budget. */
  budgetUsd: number | null;
  spentUsd: number;
  /** Model names (as clients send them) the key may call; null: any. */
  models: string[] | null;
}

export interface ExternalIdentity {
  platform: Platform;
  externalId: string;
}

/** An identity as listed: with the @name it was last seen with, where the platform has one (lower case). */
export interface IdentityView extends ExternalIdentity {
  handle?: string;
}

export interface Conversation {
  id: string;
  userId: string;
  platform: Platform;
  createdAt: string;
  updatedAt: string;
}

/** Choices made in a chat, kept per conversation (`/model`, `/think`, `/new`). */
export interface ConversationSettings {
  /** The model this conversation asks for, as a client would name it; absent: the default. */
  model?: string;
  /** The tier this conversation uses when it names no model (`/tier`); absent: the gateway's default, else the heuristic. */
  tier?: 'instant' | 'thinking';
  /** The next message goes to the thinking tier; cleared once it has. */
  thinkNext?: boolean;
  /** Turns before this moment are no longer shown to the model (`/new`). */
  historyFrom?: string;
  /** Older turns folded into a few sentences (MEMORY_SUMMARY=on), through the message `throughId`, said at `through`. */
  summary?: { text: string; through: string; throughId: string };
}

/** Defaults for every conversation that chose none of its own (`/model global`, `/tier global`). */
export interface GatewaySettings {
  model?: string;
  tier?: 'instant' | 'thinking';
}

/** What a user spent over a period. */
export interface UsageTotals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/**
 * Ways to group usage: by user, provider, model, tier, platform, day (UTC, `YYYY-MM-DD`), or the routing
 * policy's deployment (arm) and branch that chose it, to compare the arms of a split side by side.
 */
export type UsageGroup = 'user' | 'provider' | 'model' | 'tier' | 'platform' | 'day' | 'deployment' | 'branch';

export interface UsageQuery {
  /** ISO time, inclusive. */
  since: string;
  /** ISO time, exclusive. Default: no end. */
  until?: string;
  /** Only this user's requests. Default: everyone's. */
  userId?: string;
  /** Default: none, one row of totals. */
  groupBy?: UsageGroup[];
}

/** One group's totals. The grouped-by fields are set (null where the request had none); the others absent. */
export interface UsageRow extends UsageFigures {
  user?: string | null;
  provider?: string | null;
  model?: string | null;
  tier?: string | null;
  platform?: string;
  day?: string;
  deployment?: string | null;
  branch?: string | null;
}

/** What a group of requests used and cost. */
export interface UsageFigures {
  requests: number;
  /** Requests that ended in an error (refusals and failures), of `requests`. */
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
  costUsd: number;
  /** Mean latency of the group's requests. */
  latencyMs: number;
}

export interface StoredMessage {
  /** Deterministic (`<jobId>:in`, `<jobId>:out`), so storing it again on a retry is a no-op. */
  id: string;
  conversationId: string;
  userId: string;
  jobId: string;
  role: 'system' | 'user' | 'assistant';
  content: string;
  createdAt: string;
}

/** An audit event as written by the gateway; the store chains it (`seq`, `prevHash`, `hash`). */
export interface NewAuditRecord {
  /** Deterministic per event, so a retried job is audited once. */
  id: string;
  requestId: string;
  at: string;
  /** The internal user who acted, or null when the actor could not be authenticated. */
  actorId: string | null;
  action: string;
  outcome: 'ok' | 'refused' | 'error' | 'cancelled';
  /** JSON only: what JSON.stringify keeps is what is hashed. */
  detail: Record<string, unknown>;
}

/**
 * An audit record as stored: append-only, numbered from 1 without gaps, each hashed together with the
 * previous record's hash (core/audit/audit-chain.ts), so an edited, removed or reordered record breaks
 * the chain and `npm run audit:verify` finds it.
 */
export interface AuditRecord extends NewAuditRecord {
  seq: number;
  /** The previous record's hash; 64 zeros for the first. */
  prevHash: string;
  hash: string;
}

export interface AuditQuery extends ListOptions {
  /** Only records numbered below this (the next page). */
  beforeSeq?: number;
  action?: string;
  actorId?: string;
}

/** One completion: who asked, what served it, what it used and cost. */
export interface RequestLogEntry {
  requestId: string;
  jobId: string;
  userId: string | null;
  /** The API key that made the request; its tokens and cost count against the key's budget. */
  apiKeyId?: string | null;
  platform: Platform;
  /** The sender as the platform names them (a chat user id, or the token's subject). */
  externalId: string | null;
  /** The provider that served (or was asked, when the call failed); null when no model was reached. */
  provider: string | null;
  /** `provider/model` (or `offline`) as a client would name it. */
  model: string | null;
  tier: 'instant' | 'thinking' | null;
  /**
   * The routing policy's deployment (arm) id that served, or was tried last when the call failed; null
   * when no routing policy chose (a plain failover chain). Absent reads as null.
   */
  deployment?: string | null;
  /**
   * Which branch of the routing policy chose the deployment: `priority`, `cheapest`, `fastest`,
   * `explore`, `weighted` or `failover`; null without a policy. Absent reads as null.
   */
  branch?: string | null;
  status: 'ok' | 'error' | 'cancelled';
  errorCode: string | null;
  latencyMs: number;
  /** Every prompt token, cached ones included. */
  inputTokens: number;
  /** Every answer token, reasoning ones included. */
  outputTokens: number;
  /** Of `inputTokens`, those read from the provider's prompt cache. */
  cachedInputTokens: number;
  /** Of `outputTokens`, those spent on hidden reasoning. */
  reasoningTokens: number;
  /** From the price table (PRICES); 0 for an unpriced model. */
  costUsd: number;
  at: string;
}

export interface ListOptions {
  /** Default: 100. */
  limit?: number;
}

/**
 * Everything the gateway remembers. Implementations (embedded SQLite, MongoDB) must pass
 * `store.contract-test.ts` unchanged. Writes keyed by a deterministic id are idempotent and report
 * whether they wrote, because a retried job repeats them.
 */
export interface Store {
  /**
   * The internal user behind an external identity, created on first sight with `defaults.role`. A
   * `handle` (the platform @name, any case) is kept with the identity, refreshed with "last seen".
   */
  resolveUser(identity: ExternalIdentity, defaults: { role: UserRole; handle?: string }): Promise<User>;
  getUser(id: string): Promise<User | undefined>;
  /** Makes the user an admin, a user, or blocked. */
  setRole(userId: string, role: UserRole): Promise<void>;
  /** Replaces the user's limit overrides. */
  setLimits(userId: string, limits: LimitOverrides): Promise<void>;
  listIdentities(userId: string): Promise<IdentityView[]>;
  /** The user behind an identity, if it has been seen. */
  findUser(identity: ExternalIdentity): Promise<User | undefined>;
  /** The user last seen with this @name on the platform (any case), if any. */
  findUserByHandle(platform: Platform, handle: string): Promise<User | undefined>;
  /** Most recently seen first. */
  listUsers(options?: ListOptions): Promise<User[]>;
  /**
   * One person, one user: `fromId`'s identities, conversations, messages, request log and API keys
   * become `intoId`'s, and `fromId` is deleted. `intoId` keeps its role and limits.
   */
  mergeUsers(fromId: string, intoId: string): Promise<void>;
  /** Gives one identity a new user of its own (with `role`); its history stays with the old user. */
  detachIdentity(identity: ExternalIdentity, role: UserRole): Promise<User>;

  /** Stores a code, replacing the user's earlier code for the same purpose. */
  putCode(code: OneTimeCode): Promise<void>;
  /** The user's unexpired code for `purpose`, if any. */
  findCode(purpose: OneTimeCode['purpose'], userId: string): Promise<OneTimeCode | undefined>;
  /** Deletes and returns an unexpired code; undefined if unknown, expired or already taken. */
  takeCode(purpose: OneTimeCode['purpose'], code: string): Promise<OneTimeCode | undefined>;
  /** Unexpired codes for `purpose`, newest first. */
  listCodes(purpose: OneTimeCode['purpose']): Promise<OneTimeCode[]>;

  createApiKey(key: ApiKey): Promise<void>;
  getApiKey(id: string): Promise<ApiKey | undefined>;
  findApiKeyByHash(hash: string): Promise<ApiKey | undefined>;
  /** Newest first; only `userId`'s when given. */
  listApiKeys(options?: ListOptions & { userId?: string }): Promise<ApiKey[]>;
  /** Marks the key revoked; false when it does not exist or was revoked already. */
  revokeApiKey(id: string, at: string): Promise<boolean>;

  ensureConversation(conversation: Pick<Conversation, 'id' | 'userId' | 'platform'>): Promise<void>;
  listConversations(userId: string, options?: ListOptions): Promise<Conversation[]>;
  getConversation(id: string): Promise<Conversation | undefined>;
  /** The conversation's first user message, its title in a list; undefined when it has none. */
  firstUserMessage(conversationId: string): Promise<StoredMessage | undefined>;

  /** The conversation's settings; `{}` when it has none (or does not exist yet). */
  getConversationSettings(conversationId: string): Promise<ConversationSettings>;
  /**
   * Merges `patch` into the conversation's settings (a key set to undefined is removed), creating the
   * conversation if needed.
   */
  updateConversationSettings(conversation: Pick<Conversation, 'id' | 'userId' | 'platform'>, patch: ConversationSettings): Promise<void>;

  /** The gateway-wide defaults; `{}` when none are set. */
  getGatewaySettings(): Promise<GatewaySettings>;
  /** Merges `patch` into the gateway-wide defaults (a key set to undefined is removed). */
  updateGatewaySettings(patch: GatewaySettings): Promise<void>;

  appendMessage(message: StoredMessage): Promise<boolean>;
  /** The newest `limit` messages, oldest first. */
  listMessages(conversationId: string, options?: ListOptions): Promise<StoredMessage[]>;

  /**
   * Appends the record to the chain: the next `seq`, the last record's hash as `prevHash`, and its own
   * `hash` (core/audit/audit-chain.ts), atomically across processes. A second record with the same id is
   * ignored (false).
   */
  appendAudit(record: NewAuditRecord): Promise<boolean>;
  /** Newest first. */
  listAudit(options?: AuditQuery): Promise<AuditRecord[]>;
  /** Oldest first, the records numbered above `afterSeq`: for verifying the chain page by page. */
  readAuditChain(afterSeq: number, limit: number): Promise<AuditRecord[]>;

  /**
   * One entry per request id; a second write for the same request is ignored. An entry with an
   * `apiKeyId` adds its tokens to that key's `spentTokens` and its cost to `spentUsd`, once.
   */
  logRequest(entry: RequestLogEntry): Promise<boolean>;
  /** Newest first. */
  listRequests(options?: ListOptions): Promise<RequestLogEntry[]>;
  /** The user's requests, tokens and cost logged at or after `since` (ISO time). */
  usageSince(userId: string, since: string): Promise<UsageTotals>;
  /** Totals per group, ordered by the grouped-by fields (day ascending). */
  usageReport(query: UsageQuery): Promise<UsageRow[]>;

  /** Resolves when the store can serve; rejects otherwise. Used by /health. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
