import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Platform } from '../../contracts/job.ts';
import { chainAudit } from '../../audit/audit-chain.ts';
import type {
  ApiKey,
  AuditQuery,
  NewAuditRecord,
  UsageQuery,
  UsageRow,
  LimitOverrides,
  OneTimeCode,
  Conversation,
  ConversationSettings,
  GatewaySettings,
  IdentityView,
  UsageTotals,
  ExternalIdentity,
  ListOptions,
  RequestLogEntry,
  Store,
  StoredMessage,
  User,
  UserRole,
} from '../store.ts';
import { statementCache } from './statement-cache.ts';
import { addedColumns, laterIndexes, schema, toApiKey, toAudit, toCode, toConversation, toMessage, toRequest, toUser, usageColumns } from './sqlite-rows.ts';

const lastSeenResolutionMs = 60_000;

/**
 * The embedded store: one SQLite file under DATA_DIR, no server. WAL mode and a busy timeout let
 * several processes on one machine share the file; beyond one machine, use the MongoDB store.
 */
export class SqliteStore implements Store {
  readonly #db: DatabaseSync;
  readonly #statement: (sql: string) => StatementSync;
  #open = true;
  /** A write transaction is open, to be committed at the end of this turn of the event loop. */
  #batching = false;
  /** A batch that failed to commit; ping() reports it once, so /health shows it. */
  #commitError: unknown;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.#db = new DatabaseSync(file);
    this.#statement = statementCache(this.#db);
    // WAL with synchronous=NORMAL: no fsync per commit (the pipeline writes several times a message), still
    // crash-safe; only a power loss can drop the last commits.
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
    this.#db.exec(schema);
    for (const [table, column, type] of addedColumns) {
      const columns = this.#db.prepare(`PRAGMA table_info(${table})`).all().map((row) => row.name);
      if (!columns.includes(column)) this.#db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
    }
    this.#db.exec(laterIndexes);
  }

  async resolveUser(identity: ExternalIdentity, defaults: { role: UserRole; handle?: string }): Promise<User> {
    const now = new Date().toISOString();
    const handle = defaults.handle?.toLowerCase() ?? null;
    return this.#transaction(() => {
      const found = this.#statement(
          'SELECT u.*, i.handle AS identity_handle FROM identities i JOIN users u ON u.id = i.user_id WHERE i.platform = ? AND i.external_id = ?',
        )
        .get(identity.platform, identity.externalId);
      if (found) {
        const user = toUser(found);
        // Once a minute is exact enough for "last seen", and spares a write on every message.
        if (Date.parse(now) - Date.parse(user.lastSeenAt) < lastSeenResolutionMs) return user;
        this.#statement('UPDATE users SET last_seen_at = ? WHERE id = ?').run(now, user.id);
        if (handle && handle !== found.identity_handle) {
          this.#statement('UPDATE identities SET handle = ? WHERE platform = ? AND external_id = ?').run(handle, identity.platform, identity.externalId);
        }
        return { ...user, lastSeenAt: now };
      }
      return this.#createUser(identity, defaults.role, now, handle);
    });
  }

  #createUser(identity: ExternalIdentity, role: UserRole, now: string, handle: string | null = null): User {
    const user: User = { id: `usr_${randomUUID().replaceAll('-', '')}`, role, limits: {}, createdAt: now, lastSeenAt: now };
    this.#statement('INSERT INTO users (id, role, created_at, last_seen_at) VALUES (?, ?, ?, ?)').run(user.id, user.role, now, now);
    this.#statement('INSERT INTO identities (platform, external_id, user_id, handle) VALUES (?, ?, ?, ?)')
      .run(identity.platform, identity.externalId, user.id, handle);
    return user;
  }

  async findUserByHandle(platform: Platform, handle: string) {
    const row = this.#statement(
        'SELECT u.* FROM identities i JOIN users u ON u.id = i.user_id WHERE i.platform = ? AND i.handle = ? ORDER BY u.last_seen_at DESC LIMIT 1',
      )
      .get(platform, handle.toLowerCase());
    return row ? toUser(row) : undefined;
  }

  async findUser(identity: ExternalIdentity) {
    const row = this.#statement('SELECT u.* FROM identities i JOIN users u ON u.id = i.user_id WHERE i.platform = ? AND i.external_id = ?')
      .get(identity.platform, identity.externalId);
    return row ? toUser(row) : undefined;
  }

  async listUsers({ limit = 100 }: ListOptions = {}) {
    return this.#statement('SELECT * FROM users ORDER BY last_seen_at DESC, rowid DESC LIMIT ?').all(limit).map(toUser);
  }

  async setLimits(userId: string, { requestsPerMinute, tokensPerMinute, budgetUsd }: LimitOverrides) {
    this.#batched(() => this.#statement('UPDATE users SET requests_per_minute = ?, tokens_per_minute = ?, budget_usd = ? WHERE id = ?')
      .run(requestsPerMinute ?? null, tokensPerMinute ?? null, budgetUsd ?? null, userId));
  }

  async mergeUsers(fromId: string, intoId: string) {
    if (fromId === intoId) return;
    this.#transaction(() => {
      // Codes prove who the merged-in user was; after the merge they prove nothing.
      this.#statement('DELETE FROM codes WHERE user_id = ?').run(fromId);
      for (const table of ['identities', 'conversations', 'messages', 'requests', 'api_keys']) {
        this.#statement(`UPDATE ${table} SET user_id = ? WHERE user_id = ?`).run(intoId, fromId);
      }
      this.#statement('DELETE FROM users WHERE id = ?').run(fromId);
    });
  }

  async detachIdentity(identity: ExternalIdentity, role: UserRole) {
    const now = new Date().toISOString();
    return this.#transaction(() => {
      this.#statement('DELETE FROM identities WHERE platform = ? AND external_id = ?').run(identity.platform, identity.externalId);
      return this.#createUser(identity, role, now);
    });
  }

  async putCode(code: OneTimeCode) {
    this.#transaction(() => {
      this.#statement('DELETE FROM codes WHERE purpose = ? AND (user_id = ? OR code = ?)').run(code.purpose, code.userId, code.code);
      this.#statement('INSERT INTO codes (purpose, code, user_id, created_at, expires_at, payload) VALUES (?, ?, ?, ?, ?, ?)')
        .run(code.purpose, code.code, code.userId, code.createdAt, code.expiresAt, code.payload ?? null);
    });
  }

  async findCode(purpose: OneTimeCode['purpose'], userId: string) {
    const row = this.#statement('SELECT * FROM codes WHERE purpose = ? AND user_id = ? AND expires_at > ?')
      .get(purpose, userId, new Date().toISOString());
    return row ? toCode(row) : undefined;
  }

  async takeCode(purpose: OneTimeCode['purpose'], code: string) {
    // RETURNING makes find-and-delete one statement: two processes cannot both take the code.
    const row = this.#batched(() => this.#statement('DELETE FROM codes WHERE purpose = ? AND code = ? RETURNING *').get(purpose, code));
    return row && String(row.expires_at) > new Date().toISOString() ? toCode(row) : undefined;
  }

  async listCodes(purpose: OneTimeCode['purpose']) {
    return this.#statement('SELECT * FROM codes WHERE purpose = ? AND expires_at > ? ORDER BY created_at DESC, rowid DESC')
      .all(purpose, new Date().toISOString())
      .map(toCode);
  }

  async createApiKey(key: ApiKey) {
    this.#batched(() => this.#statement(
        `INSERT INTO api_keys (id, user_id, name, prefix, hash, created_at, created_by, expires_at, revoked_at,
           requests_per_minute, tokens_per_minute, budget_tokens, spent_tokens, models, budget_usd, spent_usd)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        key.id,
        key.userId,
        key.name,
        key.prefix,
        key.hash,
        key.createdAt,
        key.createdBy,
        key.expiresAt,
        key.revokedAt,
        key.limits.requestsPerMinute ?? null,
        key.limits.tokensPerMinute ?? null,
        key.budgetTokens,
        key.spentTokens,
        key.models === null ? null : JSON.stringify(key.models),
        key.budgetUsd,
        key.spentUsd,
      ));
  }

  async getApiKey(id: string) {
    const row = this.#statement('SELECT * FROM api_keys WHERE id = ?').get(id);
    return row ? toApiKey(row) : undefined;
  }

  async findApiKeyByHash(hash: string) {
    const row = this.#statement('SELECT * FROM api_keys WHERE hash = ?').get(hash);
    return row ? toApiKey(row) : undefined;
  }

  async listApiKeys({ limit = 100, userId }: ListOptions & { userId?: string } = {}) {
    const rows = userId === undefined
      ? this.#statement('SELECT * FROM api_keys ORDER BY created_at DESC, rowid DESC LIMIT ?').all(limit)
      : this.#statement('SELECT * FROM api_keys WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?').all(userId, limit);
    return rows.map(toApiKey);
  }

  async revokeApiKey(id: string, at: string) {
    const { changes } = this.#batched(() => this.#statement('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id));
    return changes > 0;
  }

  async getUser(id: string) {
    const row = this.#statement('SELECT * FROM users WHERE id = ?').get(id);
    return row ? toUser(row) : undefined;
  }

  async setRole(userId: string, role: UserRole) {
    this.#batched(() => this.#statement('UPDATE users SET role = ? WHERE id = ?').run(role, userId));
  }

  async listIdentities(userId: string): Promise<IdentityView[]> {
    return this.#statement('SELECT platform, external_id, handle FROM identities WHERE user_id = ? ORDER BY platform, external_id')
      .all(userId)
      .map((row) => ({ platform: row.platform as Platform, externalId: String(row.external_id), ...(row.handle ? { handle: String(row.handle) } : {}) }));
  }

  async ensureConversation({ id, userId, platform }: Pick<Conversation, 'id' | 'userId' | 'platform'>) {
    const now = new Date().toISOString();
    this.#batched(() => this.#statement(
        `INSERT INTO conversations (id, user_id, platform, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at`,
      )
      .run(id, userId, platform, now, now));
  }

  async listConversations(userId: string, { limit = 100 }: ListOptions = {}) {
    return this.#statement('SELECT * FROM conversations WHERE user_id = ? ORDER BY updated_at DESC, rowid DESC LIMIT ?')
      .all(userId, limit)
      .map(toConversation);
  }

  async getConversation(id: string) {
    const row = this.#statement('SELECT * FROM conversations WHERE id = ?').get(id);
    return row ? toConversation(row) : undefined;
  }

  async firstUserMessage(conversationId: string) {
    const row = this.#statement("SELECT * FROM messages WHERE conversation_id = ? AND role = 'user' ORDER BY created_at, rowid LIMIT 1").get(conversationId);
    return row ? toMessage(row) : undefined;
  }

  async getGatewaySettings(): Promise<GatewaySettings> {
    const row = this.#statement("SELECT value FROM settings WHERE key = 'gateway'").get();
    return row ? (JSON.parse(String(row.value)) as GatewaySettings) : {};
  }

  async updateGatewaySettings(patch: GatewaySettings) {
    const merged = JSON.stringify({ ...(await this.getGatewaySettings()), ...patch });
    this.#batched(() => this.#statement("INSERT INTO settings (key, value) VALUES ('gateway', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(merged));
  }

  async getConversationSettings(conversationId: string): Promise<ConversationSettings> {
    const row = this.#statement('SELECT settings FROM conversations WHERE id = ?').get(conversationId);
    return row?.settings ? (JSON.parse(String(row.settings)) as ConversationSettings) : {};
  }

  async updateConversationSettings({ id, userId, platform }: Pick<Conversation, 'id' | 'userId' | 'platform'>, patch: ConversationSettings) {
    // Read and write in one synchronous stretch: nothing else runs in between in this process.
    const merged = JSON.stringify({ ...(await this.getConversationSettings(id)), ...patch });
    const now = new Date().toISOString();
    this.#batched(() => this.#statement(
        `INSERT INTO conversations (id, user_id, platform, created_at, updated_at, settings) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET settings = excluded.settings`,
      )
      .run(id, userId, platform, now, now, merged));
  }

  async appendMessage(message: StoredMessage) {
    const { changes } = this.#batched(() => this.#statement(
        `INSERT OR IGNORE INTO messages (id, conversation_id, user_id, job_id, role, content, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(message.id, message.conversationId, message.userId, message.jobId, message.role, message.content, message.createdAt));
    return changes > 0;
  }

  async listMessages(conversationId: string, { limit = 100 }: ListOptions = {}) {
    return this.#statement(
        `SELECT * FROM (SELECT *, rowid AS r FROM messages WHERE conversation_id = ? ORDER BY created_at DESC, r DESC LIMIT ?)
         ORDER BY created_at, r`,
      )
      .all(conversationId, limit)
      .map(toMessage);
  }

  async appendAudit(record: NewAuditRecord) {
    // BEGIN IMMEDIATE holds the write lock for the batch, so reading the head and appending after it is
    // one step even when several processes share the file.
    return this.#transaction(() => {
      if (this.#statement('SELECT 1 FROM audit WHERE id = ?').get(record.id)) return false;
      const head = this.#statement('SELECT seq, hash FROM audit WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1').get();
      const linked = chainAudit(head ? { seq: Number(head.seq), hash: String(head.hash) } : undefined, record);
      this.#statement(
        `INSERT INTO audit (id, request_id, at, actor_id, action, outcome, detail, seq, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(linked.id, linked.requestId, linked.at, linked.actorId, linked.action, linked.outcome, JSON.stringify(linked.detail), linked.seq, linked.prevHash, linked.hash);
      return true;
    });
  }

  async listAudit({ limit = 100, beforeSeq, action, actorId }: AuditQuery = {}) {
    const where = ['seq IS NOT NULL'];
    const values: (string | number)[] = [];
    if (beforeSeq !== undefined) (where.push('seq < ?'), values.push(beforeSeq));
    if (action !== undefined) (where.push('action = ?'), values.push(action));
    if (actorId !== undefined) (where.push('actor_id = ?'), values.push(actorId));
    return this.#statement(`SELECT * FROM audit WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`).all(...values, limit).map(toAudit);
  }

  async readAuditChain(afterSeq: number, limit: number) {
    return this.#statement('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?').all(afterSeq, limit).map(toAudit);
  }

  async logRequest(entry: RequestLogEntry) {
    const { changes } = this.#transaction(() => {
      const inserted = this.#statement(
        `INSERT OR IGNORE INTO requests (request_id, job_id, user_id, api_key_id, platform, external_id, provider, model, tier,
           deployment, branch, status, error_code, latency_ms, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens,
           cost_usd, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        entry.requestId,
        entry.jobId,
        entry.userId,
        entry.apiKeyId ?? null,
        entry.platform,
        entry.externalId,
        entry.provider,
        entry.model,
        entry.tier,
        entry.deployment ?? null,
        entry.branch ?? null,
        entry.status,
        entry.errorCode,
        Math.round(entry.latencyMs),
        entry.inputTokens,
        entry.outputTokens,
        entry.cachedInputTokens,
        entry.reasoningTokens,
        entry.costUsd,
        entry.at,
      );
      if (inserted.changes > 0 && entry.apiKeyId) {
        this.#statement('UPDATE api_keys SET spent_tokens = spent_tokens + ?, spent_usd = spent_usd + ? WHERE id = ?')
          .run(entry.inputTokens + entry.outputTokens, entry.costUsd, entry.apiKeyId);
      }
      return inserted;
    });
    return changes > 0;
  }

  async listRequests({ limit = 100 }: ListOptions = {}) {
    return this.#statement('SELECT * FROM requests ORDER BY at DESC, rowid DESC LIMIT ?').all(limit).map(toRequest);
  }

  async usageSince(userId: string, since: string): Promise<UsageTotals> {
    const row = this.#statement(
      `SELECT COUNT(*) AS requests, COALESCE(SUM(input_tokens), 0) AS input, COALESCE(SUM(output_tokens), 0) AS output,
         COALESCE(SUM(cost_usd), 0) AS cost
       FROM requests WHERE user_id = ? AND at >= ?`,
    ).get(userId, since);
    return {
      requests: Number(row?.requests ?? 0),
      inputTokens: Number(row?.input ?? 0),
      outputTokens: Number(row?.output ?? 0),
      costUsd: Number(row?.cost ?? 0),
    };
  }

  async usageReport({ since, until, userId, groupBy = [] }: UsageQuery): Promise<UsageRow[]> {
    const where = ['at >= ?'];
    const values: string[] = [since];
    if (until !== undefined) (where.push('at < ?'), values.push(until));
    if (userId !== undefined) (where.push('user_id = ?'), values.push(userId));
    const keys = groupBy.map((group) => `${usageColumns[group]} AS ${group}`);
    const grouped = groupBy.length > 0 ? `GROUP BY ${groupBy.join(', ')} ORDER BY ${groupBy.join(', ')}` : '';
    const rows = this.#statement(
      `SELECT ${[...keys, ''].join(', ')} COUNT(*) AS requests, SUM(status = 'error') AS errors, SUM(input_tokens) AS input,
         SUM(output_tokens) AS output, SUM(cached_input_tokens) AS cached, SUM(reasoning_tokens) AS reasoning,
         SUM(cost_usd) AS cost, AVG(latency_ms) AS latency
       FROM requests WHERE ${where.join(' AND ')} ${grouped}`,
    ).all(...values);
    return rows.filter((row) => Number(row.requests) > 0).map((row) => ({
      ...Object.fromEntries(groupBy.map((group) => [group, row[group] === null ? null : String(row[group])])),
      requests: Number(row.requests),
      errors: Number(row.errors),
      inputTokens: Number(row.input),
      outputTokens: Number(row.output),
      cachedInputTokens: Number(row.cached),
      reasoningTokens: Number(row.reasoning),
      costUsd: Number(row.cost),
      latencyMs: Number(row.latency),
    }));
  }

  async ping() {
    if (!this.#open) throw new Error('the store is closed');
    const failed = this.#commitError;
    this.#commitError = undefined;
    if (failed) throw new Error('the store failed to commit writes', { cause: failed });
    this.#statement('SELECT 1').get();
  }

  async close() {
    if (!this.#open) return;
    this.#commit();
    this.#open = false;
    this.#db.close();
  }

  /**
   * Group commit: every write in one turn of the event loop shares one transaction, committed when the
   * turn ends (setImmediate). Each job writes six times; under load, jobs' writes land in the same turns,
   * and a commit per write was the store's main cost. Writes run at once, so their results and later
   * reads are exact; only a process killed within the turn loses them, and then the job has not been
   * marked done either, so it is run again. BEGIN IMMEDIATE takes the write lock up front, so two
   * processes cannot both create the same user.
   */
  #batched<T>(work: () => T): T {
    if (!this.#batching) {
      this.#db.exec('BEGIN IMMEDIATE');
      this.#batching = true;
      setImmediate(() => this.#commit());
    }
    return work();
  }

  #commit() {
    if (!this.#batching) return;
    this.#batching = false;
    try {
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#commitError = error;
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
    }
  }

  /** All of `work` or none of it, inside the turn's batch. */
  #transaction<T>(work: () => T): T {
    return this.#batched(() => {
      this.#db.exec('SAVEPOINT work');
      try {
        const result = work();
        this.#db.exec('RELEASE work');
        return result;
      } catch (error) {
        this.#db.exec('ROLLBACK TO work');
        this.#db.exec('RELEASE work');
        throw error;
      }
    });
  }
}
