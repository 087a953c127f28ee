import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient, MongoServerError, ObjectId, type Collection, type Db, type Document, type IndexDescription } from 'mongodb';
import { chainAudit } from '../../audit/audit-chain.ts';
import type {
  ApiKey, AuditQuery, Conversation, ConversationSettings, ExternalIdentity, GatewaySettings, IdentityView, LimitOverrides, ListOptions, NewAuditRecord,
  OneTimeCode, RequestLogEntry, Store, StoredMessage, UsageQuery, UsageRow, UsageTotals, User, UserRole,
} from '../store.ts';
import {
  apiKeyDoc, auditDoc, cleanLimits, codeDoc, messageDoc, requestDoc, toApiKey, toAudit, toCode, toConversation, toMessage,
  duplicateOn, isDuplicateKey, retryOnDuplicate, toRequest, toUsageRow, toUser, usagePipeline,
  type ApiKeyDoc, type AuditDoc, type CodeDoc, type ConversationDoc, type IdentityDoc, type MessageDoc, type RequestDoc, type SettingsDoc,
  type UsageGroupDoc, type UserDoc,
} from './mongo-documents.ts';

const defaultDbName = 'chat_gateway';
const defaultRequestLogTtlDays = 90;
const lastSeenResolutionMs = 60_000;
/** Appends that lost the race for the next audit number this many times in a row give up. */
const maxAuditAttempts = 50;

export interface MongoStoreOptions {
  /** Used when the URL names no database. Default: chat_gateway. */
  dbName?: string;
  /** Request log entries are deleted this many days after their `at`. Default: 90. */
  requestLogTtlDays?: number;
}

/** The database named in a connection string's path (`mongodb://host/<db>?...`), if any. */
export function databaseInUrl(url: string): string | undefined {
  const afterScheme = url.replace(/^mongodb(\+srv)?:\/\//, '');
  // User info and host list cannot hold a raw '/' (the connection string spec requires it encoded).
  const slash = afterScheme.indexOf('/');
  if (slash === -1) return undefined;
  const path = afterScheme.slice(slash + 1).split('?')[0] ?? '';
  return path === '' ? undefined : decodeURIComponent(path);
}

const newUserId = () => `usr_${randomUUID().replaceAll('-', '')}`;

/**
 * The shared store: MongoDB, for gateways running on more than one machine. Without transactions (a
 * standalone server has none), each method is one atomic document operation, or a sequence that is
 * safe to repeat and never leaves a reference to a missing document.
 */
export class MongoStore implements Store {
  readonly #client: MongoClient;
  readonly #db: Db;
  readonly #users: Collection<UserDoc>;
  readonly #identities: Collection<IdentityDoc>;
  readonly #codes: Collection<CodeDoc>;
  readonly #apiKeys: Collection<ApiKeyDoc>;
  readonly #conversations: Collection<ConversationDoc>;
  readonly #messages: Collection<MessageDoc>;
  readonly #audit: Collection<AuditDoc>;
  readonly #requests: Collection<RequestDoc>;
  readonly #settings: Collection<SettingsDoc>;
  #open = true;
  /** This process's audit appends, one at a time: they would only race each other for the next number. */
  #auditQueue: Promise<unknown> = Promise.resolve();

  private constructor(client: MongoClient, db: Db) {
    this.#client = client;
    this.#db = db;
    this.#users = db.collection('users');
    this.#identities = db.collection('identities');
    this.#codes = db.collection('codes');
    this.#apiKeys = db.collection('api_keys');
    this.#conversations = db.collection('conversations');
    this.#messages = db.collection('messages');
    this.#audit = db.collection('audit');
    this.#requests = db.collection('requests');
    this.#settings = db.collection('settings');
  }

  static async connect(url: string, options: MongoStoreOptions = {}): Promise<MongoStore> {
    const ttlDays = options.requestLogTtlDays ?? defaultRequestLogTtlDays;
    if (!(ttlDays > 0)) throw new RangeError(`requestLogTtlDays must be a positive number of days, not ${ttlDays}`);
    // ignoreUndefined: an undefined field is left out rather than stored as null.
    const client = new MongoClient(url, { ignoreUndefined: true });
    await client.connect();
    const store = new MongoStore(client, client.db(databaseInUrl(url) ?? options.dbName ?? defaultDbName));
    try {
      await store.#createIndexes(Math.round(ttlDays * 86_400));
    } catch (error) {
      await client.close();
      throw error;
    }
    return store;
  }

  async #createIndexes(ttlSeconds: number) {
    // One createIndexes command per collection, collections in parallel: several commands creating
    // indexes on one collection that does not exist yet could race to create it.
    const indexes = <T extends Document>(collection: Collection<T>, specs: IndexDescription[]) => collection.createIndexes(specs);
    await Promise.all([
      indexes(this.#users, [{ key: { lastSeenAt: -1 } }]),
      indexes(this.#identities, [{ key: { platform: 1, externalId: 1 }, unique: true }, { key: { userId: 1 } }, { key: { platform: 1, handle: 1 } }]),
      indexes(this.#codes, [
        { key: { purpose: 1, code: 1 }, unique: true },
        { key: { purpose: 1, userId: 1 }, unique: true },
        { key: { expiresAtDate: 1 }, expireAfterSeconds: 0 },
      ]),
      indexes(this.#apiKeys, [{ key: { hash: 1 }, unique: true }, { key: { userId: 1, createdAt: -1 } }, { key: { createdAt: -1 } }]),
      indexes(this.#conversations, [{ key: { userId: 1, updatedAt: -1 } }]),
      // Only mergeUsers looks messages up by user, but it must not scan every message to do so.
      indexes(this.#messages, [{ key: { conversationId: 1, createdAt: 1, order: 1 } }, { key: { userId: 1 } }]),
      indexes(this.#audit, [{ key: { seq: 1 }, unique: true }, { key: { action: 1, seq: -1 } }, { key: { actorId: 1, seq: -1 } }]),
      indexes(this.#requests, [{ key: { at: 1, _id: 1 } }, { key: { userId: 1, at: 1 } }]).then(() => this.#createTtlIndex(ttlSeconds)),
    ]);
  }

  async #createTtlIndex(expireAfterSeconds: number) {
    const name = 'requests_ttl';
    try {
      await this.#requests.createIndex({ atDate: 1 }, { name, expireAfterSeconds });
    } catch (error) {
      // IndexOptionsConflict: made earlier with another retention; change it in place, no rebuild.
      if (!(error instanceof MongoServerError && error.code === 85)) throw error;
      await this.#db.command({ collMod: 'requests', index: { name, expireAfterSeconds } });
    }
  }

  async resolveUser(identity: ExternalIdentity, defaults: { role: UserRole; handle?: string }): Promise<User> {
    const now = new Date().toISOString();
    const handle = defaults.handle?.toLowerCase();
    const own = { platform: identity.platform, externalId: identity.externalId };
    let user = await this.findUser(identity);
    if (!user) {
      // The identity is claimed first, with a fresh id on insert only: of concurrent first sightings,
      // one inserts and every other reads its id, so all of them end up with the same user.
      const claimed = await retryOnDuplicate(() => this.#identities.findOneAndUpdate(
        own,
        { $setOnInsert: { userId: newUserId(), handle } },
        { upsert: true, returnDocument: 'after' },
      ));
      if (!claimed) throw new Error('the identity upsert returned no document');
      const created = await retryOnDuplicate(() => this.#users.findOneAndUpdate(
        { _id: claimed.userId },
        { $setOnInsert: { role: defaults.role, limits: {}, createdAt: now, lastSeenAt: now } },
        { upsert: true, returnDocument: 'after' },
      ));
      if (!created) throw new Error('the user upsert returned no document');
      user = toUser(created);
    }
    // Once a minute is exact enough for "last seen", and spares a write on every message.
    if (Date.parse(now) - Date.parse(user.lastSeenAt) < lastSeenResolutionMs) return user;
    await Promise.all([
      this.#users.updateOne({ _id: user.id, lastSeenAt: { $lt: now } }, { $set: { lastSeenAt: now } }),
      handle ? this.#identities.updateOne({ ...own, handle: { $ne: handle } }, { $set: { handle } }) : undefined,
    ]);
    return { ...user, lastSeenAt: now };
  }

  async findUserByHandle(platform: ExternalIdentity['platform'], handle: string) {
    const [found] = await this.#identities.aggregate<{ user: UserDoc }>([
      { $match: { platform, handle: handle.toLowerCase() } },
      { $lookup: { from: 'users', localField: 'userId', foreignField: '_id', as: 'user' } },
      { $unwind: '$user' },
      { $sort: { 'user.lastSeenAt': -1 } },
      { $limit: 1 },
    ]).toArray();
    return found ? toUser(found.user) : undefined;
  }

  async getUser(id: string) {
    const doc = await this.#users.findOne({ _id: id });
    return doc ? toUser(doc) : undefined;
  }

  async setRole(userId: string, role: UserRole) {
    await this.#users.updateOne({ _id: userId }, { $set: { role } });
  }

  async setLimits(userId: string, limits: LimitOverrides) {
    await this.#users.updateOne({ _id: userId }, { $set: { limits: cleanLimits(limits) } });
  }

  async listIdentities(userId: string): Promise<IdentityView[]> {
    const docs = await this.#identities.find({ userId }).sort({ platform: 1, externalId: 1 }).toArray();
    return docs.map((doc) => ({ platform: doc.platform, externalId: doc.externalId, ...(doc.handle ? { handle: doc.handle } : {}) }));
  }

  async findUser(identity: ExternalIdentity) {
    const [found] = await this.#identities.aggregate<{ user: UserDoc[] }>([
      { $match: { platform: identity.platform, externalId: identity.externalId } },
      { $lookup: { from: 'users', localField: 'userId', foreignField: '_id', as: 'user' } },
    ]).toArray();
    const user = found?.user[0];
    return user ? toUser(user) : undefined;
  }

  async listUsers({ limit = 100 }: ListOptions = {}) {
    if (limit <= 0) return [];
    return (await this.#users.find().sort({ lastSeenAt: -1, createdAt: -1, _id: -1 }).limit(limit).toArray()).map(toUser);
  }

  async mergeUsers(fromId: string, intoId: string) {
    if (fromId === intoId) return;
    // No transaction: every step is repeatable, and the user goes last, so a merge cut short can be
    // run again to finish it. Codes prove who the merged-in user was; after the merge they prove nothing.
    await this.#codes.deleteMany({ userId: fromId });
    const move = { $set: { userId: intoId } };
    await Promise.all([
      this.#identities.updateMany({ userId: fromId }, move),
      this.#conversations.updateMany({ userId: fromId }, move),
      this.#messages.updateMany({ userId: fromId }, move),
      this.#requests.updateMany({ userId: fromId }, move),
      this.#apiKeys.updateMany({ userId: fromId }, move),
    ]);
    await this.#users.deleteOne({ _id: fromId });
  }

  async detachIdentity(identity: ExternalIdentity, role: UserRole) {
    const now = new Date().toISOString();
    const user: User = { id: newUserId(), role, limits: {}, createdAt: now, lastSeenAt: now };
    // The user exists before the identity points at it, so no reader ever finds a dangling identity.
    await this.#users.insertOne({ _id: user.id, role, limits: {}, createdAt: now, lastSeenAt: now });
    await retryOnDuplicate(() => this.#identities.updateOne(
      { platform: identity.platform, externalId: identity.externalId },
      { $set: { userId: user.id } },
      { upsert: true },
    ));
    return user;
  }

  async putCode(code: OneTimeCode) {
    const doc = codeDoc(code);
    for (let attempt = 0; ; attempt++) {
      try {
        // Another user's code with the same value is replaced, as it would be in a table keyed by code.
        await this.#codes.deleteMany({ purpose: code.purpose, code: code.code, userId: { $ne: code.userId } });
        await this.#codes.replaceOne({ purpose: code.purpose, userId: code.userId }, doc, { upsert: true });
        return;
      } catch (error) {
        if (!isDuplicateKey(error) || attempt >= 3) throw error;
      }
    }
  }

  async findCode(purpose: OneTimeCode['purpose'], userId: string) {
    const doc = await this.#codes.findOne({ purpose, userId, expiresAt: { $gt: new Date().toISOString() } });
    return doc ? toCode(doc) : undefined;
  }

  async takeCode(purpose: OneTimeCode['purpose'], code: string) {
    // One atomic find-and-delete: of two concurrent takers, only one gets the document.
    const doc = await this.#codes.findOneAndDelete({ purpose, code, expiresAt: { $gt: new Date().toISOString() } });
    return doc ? toCode(doc) : undefined;
  }

  async listCodes(purpose: OneTimeCode['purpose']) {
    const docs = await this.#codes.find({ purpose, expiresAt: { $gt: new Date().toISOString() } }).sort({ createdAt: -1, _id: -1 }).toArray();
    return docs.map(toCode);
  }

  async createApiKey(key: ApiKey) {
    await this.#apiKeys.insertOne(apiKeyDoc(key));
  }

  async getApiKey(id: string) {
    const doc = await this.#apiKeys.findOne({ _id: id });
    return doc ? toApiKey(doc) : undefined;
  }

  async findApiKeyByHash(hash: string) {
    const doc = await this.#apiKeys.findOne({ hash });
    return doc ? toApiKey(doc) : undefined;
  }

  async listApiKeys({ limit = 100, userId }: ListOptions & { userId?: string } = {}) {
    if (limit <= 0) return [];
    const filter = userId === undefined ? {} : { userId };
    return (await this.#apiKeys.find(filter).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray()).map(toApiKey);
  }

  async revokeApiKey(id: string, at: string) {
    const { modifiedCount } = await this.#apiKeys.updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: at } });
    return modifiedCount > 0;
  }

  async ensureConversation({ id, userId, platform }: Pick<Conversation, 'id' | 'userId' | 'platform'>) {
    const now = new Date().toISOString();
    await retryOnDuplicate(() => this.#conversations.updateOne(
      { _id: id },
      { $setOnInsert: { userId, platform, createdAt: now }, $set: { updatedAt: now } },
      { upsert: true },
    ));
  }

  async listConversations(userId: string, { limit = 100 }: ListOptions = {}) {
    if (limit <= 0) return [];
    return (await this.#conversations.find({ userId }).sort({ updatedAt: -1, _id: -1 }).limit(limit).toArray()).map(toConversation);
  }

  async getConversation(id: string) {
    const doc = await this.#conversations.findOne({ _id: id });
    return doc ? toConversation(doc) : undefined;
  }

  async firstUserMessage(conversationId: string) {
    const [first] = await this.#messages.find({ conversationId, role: 'user' }).sort({ createdAt: 1, order: 1 }).limit(1).toArray();
    return first ? toMessage(first) : undefined;
  }

  async getGatewaySettings(): Promise<GatewaySettings> {
    return { ...(await this.#settings.findOne({ _id: 'gateway' }))?.value };
  }

  async updateGatewaySettings(patch: GatewaySettings) {
    const set: Document = {};
    const unset: Document = {};
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) unset[`value.${key}`] = '';
      else set[`value.${key}`] = value;
    }
    const update: Document = {};
    if (Object.keys(set).length > 0) update.$set = set;
    if (Object.keys(unset).length > 0) update.$unset = unset;
    if (Object.keys(update).length === 0) return;
    await retryOnDuplicate(() => this.#settings.updateOne({ _id: 'gateway' }, update, { upsert: true }));
  }

  async getConversationSettings(conversationId: string): Promise<ConversationSettings> {
    const doc = await this.#conversations.findOne({ _id: conversationId }, { projection: { settings: 1 } });
    return { ...doc?.settings };
  }

  async updateConversationSettings({ id, userId, platform }: Pick<Conversation, 'id' | 'userId' | 'platform'>, patch: ConversationSettings) {
    // One update of the settings' own fields: concurrent patches of different keys both land.
    const set: Document = {};
    const unset: Document = {};
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) unset[`settings.${key}`] = '';
      else set[`settings.${key}`] = value;
    }
    const now = new Date().toISOString();
    const update: Document = { $setOnInsert: { userId, platform, createdAt: now, updatedAt: now } };
    if (Object.keys(set).length > 0) update.$set = set;
    if (Object.keys(unset).length > 0) update.$unset = unset;
    await retryOnDuplicate(() => this.#conversations.updateOne({ _id: id }, update, { upsert: true }));
  }

  async appendMessage(message: StoredMessage) {
    return this.#insertOnce(this.#messages, messageDoc(message, new ObjectId()));
  }

  async listMessages(conversationId: string, { limit = 100 }: ListOptions = {}) {
    if (limit <= 0) return [];
    const newest = await this.#messages.find({ conversationId }).sort({ createdAt: -1, order: -1 }).limit(limit).toArray();
    return newest.reverse().map(toMessage);
  }

  appendAudit(record: NewAuditRecord): Promise<boolean> {
    const append = this.#auditQueue.then(() => this.#appendAudit(record));
    this.#auditQueue = append.catch(() => undefined);
    return append;
  }

  /**
   * The unique index on `seq` makes the chain safe across processes: of two appends that read the same
   * last record, one inserts the next number and the other fails, reads the new last record and tries
   * again. Nothing is inserted except as the successor of the record actually last, so there are no gaps.
   */
  async #appendAudit(record: NewAuditRecord): Promise<boolean> {
    if (await this.#audit.findOne({ _id: record.id }, { projection: { _id: 1 } })) return false;
    for (let attempt = 1; ; attempt++) {
      const last = await this.#audit.findOne({}, { sort: { seq: -1 }, projection: { seq: 1, hash: 1 } });
      try {
        await this.#audit.insertOne(auditDoc(chainAudit(last ?? undefined, record)));
        return true;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        if (duplicateOn(error, '_id', '_id_')) return false;
        if (attempt >= maxAuditAttempts) throw new Error(`gave up appending audit record ${record.id}: the chain kept moving`, { cause: error });
        // Another process took the number; a random pause keeps several from colliding again in lockstep.
        await sleep(Math.random() * Math.min(2 ** attempt, 100));
      }
    }
  }

  async listAudit({ limit = 100, beforeSeq, action, actorId }: AuditQuery = {}) {
    if (limit <= 0) return [];
    const filter: Document = {};
    if (beforeSeq !== undefined) filter.seq = { $lt: beforeSeq };
    if (action !== undefined) filter.action = action;
    if (actorId !== undefined) filter.actorId = actorId;
    return (await this.#audit.find(filter).sort({ seq: -1 }).limit(limit).toArray()).map(toAudit);
  }

  async readAuditChain(afterSeq: number, limit: number) {
    if (limit <= 0) return [];
    return (await this.#audit.find({ seq: { $gt: afterSeq } }).sort({ seq: 1 }).limit(limit).toArray()).map(toAudit);
  }

  async logRequest(entry: RequestLogEntry) {
    const inserted = await this.#insertOnce(this.#requests, requestDoc(entry));
    // Only the write that inserted the entry counts its spend, so a retried request counts once. A crash
    // between the two writes leaves the spend uncounted (under-, never over-counted).
    if (inserted && entry.apiKeyId) {
      await this.#apiKeys.updateOne(
        { _id: entry.apiKeyId },
        { $inc: { spentTokens: entry.inputTokens + entry.outputTokens, spentUsd: entry.costUsd } },
      );
    }
    return inserted;
  }

  async listRequests({ limit = 100 }: ListOptions = {}) {
    if (limit <= 0) return [];
    return (await this.#requests.find().sort({ at: -1, _id: -1 }).limit(limit).toArray()).map(toRequest);
  }

  async usageSince(userId: string, since: string): Promise<UsageTotals> {
    const [totals] = await this.#requests.aggregate<UsageTotals>([
      { $match: { userId, at: { $gte: since } } },
      {
        $group: {
          _id: null,
          requests: { $sum: 1 },
          inputTokens: { $sum: '$inputTokens' },
          outputTokens: { $sum: '$outputTokens' },
          costUsd: { $sum: '$costUsd' },
        },
      },
      { $project: { _id: 0 } },
    ]).toArray();
    return totals ?? { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
  }

  async usageReport(query: UsageQuery): Promise<UsageRow[]> {
    const groups = [...new Set(query.groupBy ?? [])];
    const docs = await this.#requests.aggregate<UsageGroupDoc>(usagePipeline(query, groups)).toArray();
    return docs.map((doc) => toUsageRow(doc, groups));
  }

  async ping() {
    if (!this.#open) throw new Error('the store is closed');
    await this.#db.command({ ping: 1 });
  }

  async close() {
    if (!this.#open) return;
    this.#open = false;
    await this.#client.close();
  }

  /** Inserts a document keyed by a deterministic `_id`: false when it is there already. */
  async #insertOnce<T extends { _id: string }>(collection: Collection<T>, doc: T): Promise<boolean> {
    try {
      await collection.insertOne(doc as Parameters<Collection<T>['insertOne']>[0]);
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }
}
