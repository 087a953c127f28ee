import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { findChainBreak } from '../../audit/audit-chain.ts';
import { describeStoreContract } from '../store.contract-test.ts';
import type { RequestLogEntry } from '../store.ts';
import { requestDoc, toRequest, toUsageRow, usagePipeline } from './mongo-documents.ts';
import { databaseInUrl, MongoStore } from './mongo-store.ts';

// Runs against the MongoDB server at MONGODB_URL. No server can be started from here: mongodb-memory-server
// downloads a mongod binary at run time, and the wire-compatible @push.rocks/smartmongo depends on a
// package (@lossless.org/nosqldb) that is not on the npm registry.
const serverUrl = process.env.MONGODB_URL;

/** The server URL with a database of its own in the path, so no test can touch a database it did not make. */
function urlWithDatabase(url: string, db: string) {
  const [, scheme = '', rest = ''] = /^(mongodb(?:\+srv)?:\/\/)(.*)$/.exec(url) ?? [];
  const [beforeQuery = '', query] = rest.split(/\?(.*)/s);
  const hosts = beforeQuery.split('/')[0];
  return `${scheme}${hosts}/${db}${query === undefined ? '' : `?${query}`}`;
}

const freshDatabase = () => `gw_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;

async function dropDatabase(url: string) {
  const client = new MongoClient(url);
  try {
    await client.db().dropDatabase();
  } finally {
    await client.close();
  }
}

describe('databaseInUrl', () => {
  it('reads the database from the path, if any', () => {
    expect(databaseInUrl('mongodb://localhost:27017')).toBeUndefined();
    expect(databaseInUrl('mongodb://localhost:27017/')).toBeUndefined();
    expect(databaseInUrl('mongodb://localhost:27017/?replicaSet=rs0')).toBeUndefined();
    expect(databaseInUrl('mongodb://u:p%2Fq@h1:1,h2:2/gateway?replicaSet=rs0')).toBe('gateway');
    expect(databaseInUrl('mongodb+srv://cluster.example.net/my%20db')).toBe('my db');
  });

  it('is what the test URLs are built around', () => {
    expect(urlWithDatabase('mongodb://h1:1,h2:2/other?w=majority', 'x')).toBe('mongodb://h1:1,h2:2/x?w=majority');
    expect(databaseInUrl(urlWithDatabase('mongodb://localhost', 'fresh'))).toBe('fresh');
  });
});

// Without a server, the documents: the store contract (run below when MONGODB_URL is set) covers the queries.
describe('request documents and the usage pipeline', () => {
  const entry: RequestLogEntry = {
    requestId: 'r1', jobId: 'job-r1', userId: 'u1', apiKeyId: null, platform: 'http', externalId: 'alice', provider: 'openai',
    model: 'openai/gpt-4o-mini', tier: 'instant', deployment: 'a', branch: 'weighted', status: 'ok', errorCode: null, latencyMs: 12,
    inputTokens: 3, outputTokens: 7, cachedInputTokens: 1, reasoningTokens: 2, costUsd: 0.25, at: '2026-04-01T10:00:00.000Z',
  };

  it('stores the routing policy\'s deployment and branch, null when absent, and reads them back', () => {
    expect(requestDoc(entry)).toMatchObject({ _id: 'r1', deployment: 'a', branch: 'weighted' });
    expect(toRequest(requestDoc(entry))).toEqual(entry);
    const { deployment: _deployment, branch: _branch, ...plain } = entry;
    expect(requestDoc(plain)).toMatchObject({ deployment: null, branch: null });
    // A document written before the fields existed has neither.
    const { deployment: _d, branch: _b, ...older } = requestDoc(entry);
    expect(toRequest(older)).toMatchObject({ deployment: null, branch: null });
  });

  it('groups usage by deployment and branch, a missing field with null, and returns them in the rows', () => {
    const pipeline = usagePipeline({ since: '2026-04-01T00:00:00.000Z', groupBy: ['deployment', 'branch'] }, ['deployment', 'branch']);
    expect(pipeline[1]).toMatchObject({ $group: { _id: { deployment: { $ifNull: ['$deployment', null] }, branch: { $ifNull: ['$branch', null] } } } });
    expect(pipeline[2]).toEqual({ $sort: { '_id.deployment': 1, '_id.branch': 1 } });
    const figures = { requests: 3, errors: 1, inputTokens: 40, outputTokens: 60, cachedInputTokens: 2, reasoningTokens: 4, costUsd: 0.75 };
    expect(toUsageRow({ _id: { deployment: 'a', branch: 'weighted' }, ...figures, latencyMs: 150 }, ['deployment', 'branch']))
      .toEqual({ deployment: 'a', branch: 'weighted', ...figures, latencyMs: 150 });
    expect(toUsageRow({ _id: { deployment: null }, ...figures, latencyMs: 150 }, ['deployment'])).toEqual({ deployment: null, ...figures, latencyMs: 150 });
  });
});

describe.skipIf(!serverUrl)(`MongoStore against MONGODB_URL${serverUrl ? '' : ' (skipped: MONGODB_URL is not set)'}`, () => {
  const url = serverUrl ?? '';

  describeStoreContract('MongoDB', async () => {
    const dbUrl = urlWithDatabase(url, freshDatabase());
    // The contract logs requests dated early 2026: a retention of 90 days could let the server's TTL
    // monitor delete them in the middle of a test.
    const store = await MongoStore.connect(dbUrl, { requestLogTtlDays: 100 * 365 });
    return { store, dispose: async () => (await store.close(), await dropDatabase(dbUrl)) };
  });

  it('uses the dbName option when the URL names no database, and rejects ping once closed', async () => {
    const dbName = freshDatabase();
    const store = await MongoStore.connect(urlWithDatabase(url, ''), { dbName });
    await store.resolveUser({ platform: 'http', externalId: 'alice' }, { role: 'user' });
    const client = new MongoClient(url);
    try {
      expect(await client.db(dbName).collection('users').countDocuments()).toBe(1);
      await store.close();
      await expect(store.ping()).rejects.toThrow('closed');
    } finally {
      await client.db(dbName).dropDatabase();
      await client.close();
    }
  });

  it('expires request log entries after requestLogTtlDays, and changes that on reconnecting', async () => {
    const dbUrl = urlWithDatabase(url, freshDatabase());
    const ttl = async () => {
      const client = new MongoClient(dbUrl);
      try {
        const indexes = await client.db().collection('requests').indexes();
        return indexes.find((index) => index.name === 'requests_ttl')?.expireAfterSeconds;
      } finally {
        await client.close();
      }
    };
    try {
      await (await MongoStore.connect(dbUrl)).close();
      expect(await ttl()).toBe(90 * 86_400);
      await (await MongoStore.connect(dbUrl, { requestLogTtlDays: 7 })).close();
      expect(await ttl()).toBe(7 * 86_400);
    } finally {
      await dropDatabase(dbUrl);
    }
  });

  it('keeps one audit chain without gaps when two processes append at once', async () => {
    const dbUrl = urlWithDatabase(url, freshDatabase());
    const [a, b] = await Promise.all([MongoStore.connect(dbUrl), MongoStore.connect(dbUrl)]);
    try {
      const record = (id: string) => ({ id, requestId: `req-${id}`, at: new Date().toISOString(), actorId: null, action: 'test', outcome: 'ok' as const, detail: { id } });
      const written = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).appendAudit(record(`r${i % 15}`))));
      // Each id was appended once by each store: one of the two wrote it.
      expect(written.filter(Boolean)).toHaveLength(15);
      const chain = await a.readAuditChain(0, 100);
      expect(chain.map((r) => r.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      expect(findChainBreak(undefined, chain)).toBeUndefined();
    } finally {
      await Promise.all([a.close(), b.close()]);
      await dropDatabase(dbUrl);
    }
  });
});
