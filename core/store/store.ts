import type { Platform } from '../contracts/job.ts';

export type UserRole = 'admin' | 'user' | 'blocked';

export interface User {
  /** Internal id, stable across every platform identity linked to the user. */
  id: string;
  role: UserRole;
  createdAt: string;
  lastSeenAt: string;
}

export interface ExternalIdentity {
  platform: Platform;
  externalId: string;
}

export interface Conversation {
  id: string;
  userId: string;
  platform: Platform;
  createdAt: string;
  updatedAt: string;
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

export interface AuditRecord {
  /** Deterministic per event, so a retried job is audited once. */
  id: string;
  requestId: string;
  at: string;
  /** The internal user who acted, or null when the actor could not be authenticated. */
  actorId: string | null;
  action: string;
  outcome: 'ok' | 'refused' | 'error' | 'cancelled';
  detail: Record<string, unknown>;
}

export interface RequestLogEntry {
  requestId: string;
  jobId: string;
  userId: string | null;
  platform: Platform;
  model: string | null;
  status: 'ok' | 'error' | 'cancelled';
  errorCode: string | null;
  latencyMs: number;
  inputTokens: number;
  outputTokens: number;
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
  /** The internal user behind an external identity, created on first sight with `defaults.role`. */
  resolveUser(identity: ExternalIdentity, defaults: { role: UserRole }): Promise<User>;
  getUser(id: string): Promise<User | undefined>;
  /** Makes the user an admin, a user, or blocked. */
  setRole(userId: string, role: UserRole): Promise<void>;
  listIdentities(userId: string): Promise<ExternalIdentity[]>;

  ensureConversation(conversation: Pick<Conversation, 'id' | 'userId' | 'platform'>): Promise<void>;
  listConversations(userId: string, options?: ListOptions): Promise<Conversation[]>;

  appendMessage(message: StoredMessage): Promise<boolean>;
  /** The newest `limit` messages, oldest first. */
  listMessages(conversationId: string, options?: ListOptions): Promise<StoredMessage[]>;

  appendAudit(record: AuditRecord): Promise<boolean>;
  /** Newest first. */
  listAudit(options?: ListOptions): Promise<AuditRecord[]>;

  /** One entry per request id; a second write for the same request is ignored. */
  logRequest(entry: RequestLogEntry): Promise<boolean>;
  /** Newest first. */
  listRequests(options?: ListOptions): Promise<RequestLogEntry[]>;

  /** Resolves when the store can serve; rejects otherwise. Used by /health. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
