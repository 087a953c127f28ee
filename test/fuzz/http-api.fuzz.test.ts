import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { root, type PlatformProcess } from '../helpers/platform.ts';
import { expectStopsWithin, runs, startFuzzedPlatform, Tally, type Credential } from './api-fuzz-helpers.ts';
import { encode, exchange, type Answer } from './raw-http.ts';
import { crashLines, expectClearRefusal, expectHealthy, isObject, mutate, mutation, ownCrashes, post, rssMb, short, weirdValue, type Json, type Posted } from './fuzz-kit.ts';

/**
 * The HTTP API, fuzzed against the whole platform (`npm start`'s process, its built-in offline model):
 * every route and method that GET /openapi.json lists (so a new route is fuzzed as soon as it exists;
 * the chat platforms' webhooks and GET /v1/ws have fuzzers of their own) gets bodies built from its
 * request schema and examples, then mutated, besides wrong content types, garbage, random queries,
 * hostile path segments and every kind of credential, forged ones included. Then hostile HTTP itself
 * over raw sockets (Expect, no Host, duplicate Content-Length, broken chunks, upgrades on plain routes,
 * huge headers), and bodies at the 1 MiB limit. Whatever arrives: never a 5xx (503 and 504 included:
 * the offline model always answers), a clear JSON refusal for each 4xx, an answer within 10 s, no
 * forged credential let through; and afterwards the process is healthy, bounded in memory, free of
 * crashes, and SIGTERM stops it within 10 s.
 */

let platform: PlatformProcess;
let pid: number;
let startMb: number;
let port: number;
let tokens: { admin: string; user: string };
let credential: fc.Arbitrary<Credential>;
let operations: Operation[] = [];
/** Real ids to aim path parameters at: a key, a document. */
const known = { key: 'key_missing', document: 'doc_missing' };
const started = Date.now();
const limit = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// What a refusal must be, once what the client itself sent is allowed to be said back.

const internals = /\[object \w+\]|\bundefined\b|\bNaN\b|TypeError|ReferenceError|RangeError|SyntaxError/g;
/** Each run of %-escapes decoded on its own, so one broken escape (`%zz`) leaves the others readable. */
const decoded = (text: string) =>
  text.replace(/\+/g, ' ').replace(/(%[0-9A-Fa-f]{2})+/g, (escapes) => {
    try {
      return decodeURIComponent(escapes);
    } catch {
      return escapes;
    }
  });

/**
 * expectClearRefusal, except that words the request itself carried ("undefined" as a user, say) may be
 * echoed back: those are taken out of the message before it is judged.
 */
function expectRefusal(answer: Posted, what: string, sent: string) {
  const echoed = new Set([...`${sent}\n${decoded(sent)}`.matchAll(internals)].map(([word]) => word));
  let text = answer.text;
  if (echoed.size > 0) {
    try {
      const body = JSON.parse(text) as { error?: { message?: unknown } };
      const { error } = body;
      if (error && typeof error.message === 'string') {
        for (const word of echoed) error.message = (error.message as string).replaceAll(word, '');
        text = JSON.stringify(body);
      }
    } catch {
      // Not JSON: expectClearRefusal says so.
    }
  }
  expectClearRefusal({ ...answer, text }, what);
}

// ---------------------------------------------------------------------------------------------
// The routes, from /openapi.json.

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  pattern?: string;
  format?: string;
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: JsonSchema;
}
interface Operation {
  method: string;
  /** `/v1/users/{user}`, as the document names it. */
  path: string;
  pathParams: Parameter[];
  query: Parameter[];
  body?: { schema: JsonSchema; examples: Json[]; required: boolean };
  /** A bearer credential is required (the document lists `security`). */
  secured: boolean;
}
const label = (op: Pick<Operation, 'method' | 'path'>) => `${op.method} ${op.path}`;

/** Routes fuzzed elsewhere: the chat platforms' webhooks (webhooks.fuzz.test.ts) and the WebSocket (websocket.fuzz.test.ts). */
const fuzzedElsewhere = (method: string, path: string) => /^\/(telegram|slack|discord)(\/|$)/.test(path) || (method === 'GET' && path === '/v1/ws');

function operationsOf(document: { paths: Record<string, Record<string, Record<string, unknown>>> }): Operation[] {
  const found: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [lower, operation] of Object.entries(methods)) {
      const method = lower.toUpperCase();
      if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method) || fuzzedElsewhere(method, path)) continue;
      const parameters = (operation.parameters ?? []) as Parameter[];
      const requestBody = operation.requestBody as { required?: boolean; content?: Record<string, { schema: JsonSchema; example?: Json; examples?: Record<string, { value: Json }> }> } | undefined;
      const media = requestBody?.content?.['application/json'];
      found.push({
        method,
        path,
        pathParams: parameters.filter((parameter) => parameter.in === 'path'),
        query: parameters.filter((parameter) => parameter.in === 'query'),
        ...(media
          ? { body: { schema: media.schema, examples: [...(media.example === undefined ? [] : [media.example]), ...Object.values(media.examples ?? {}).map(({ value }) => value)], required: requestBody?.required !== false } }
          : {}),
        secured: Array.isArray(operation.security) && operation.security.length > 0,
      });
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries: values from a schema, path segments, queries, bodies, whole requests.

const models = ['offline', 'default', 'instant', 'thinking'];
/** Values a field of this name is likely to need to get past the schema to the handler. */
const hints: Record<string, () => fc.Arbitrary<unknown>> = {
  model: () => fc.constantFrom(...models, 'openai/gpt-4o', 'gpt-9', 'offline/offline'),
  user: () => fc.constantFrom('me', 'http:fuzz-user', 'http:fuzz-admin', 'telegram:12345', 'usr_missing', 'slack:T0:U0', 'all'),
  identity: () => fc.constantFrom('http:fuzz-user', 'telegram:12345', 'discord:80351110224678912', 'slack:T0:U0', 'usr_missing'),
  code: () => fc.oneof(fc.stringMatching(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/), fc.constantFrom('K7QM-3XRP', 'ABCD-EFGH')),
  id: () => fc.constantFrom(known.key, known.document, 'key_missing', 'doc_missing', 'conv_missing', 'http:fuzz-admin'),
  groupBy: () => fc.subarray(['user', 'provider', 'model', 'tier', 'platform', 'day', 'week']).map((names) => names.join(',')),
  workspace: () => fc.constantFrom('default', 'slack:T0123', 'fuzz'),
  action: () => fc.constantFrom('user.role', 'chat.completion', 'key.create', 'nothing'),
  actor: () => fc.constantFrom('usr_missing', 'me'),
};

/** Values that satisfy `schema`, mostly: a base for mutations that gets past the first checks. */
function fromSchema(schema: JsonSchema, name = '', depth = 0): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((alternative) => fromSchema(alternative, name, depth)));
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length > 1) return fc.oneof(...types.map((type) => fromSchema({ ...schema, type }, name, depth)));
  const hint = hints[name];
  switch (types[0]) {
    case 'object': {
      if (depth > 4 || !schema.properties) return fc.constant({});
      const properties = Object.fromEntries(Object.entries(schema.properties).map(([key, property]) => [key, fromSchema(property, key, depth + 1)]));
      return fc.record(properties, { requiredKeys: (schema.required ?? []).filter((key) => key in properties) });
    }
    case 'array': {
      const minLength = Math.min(schema.minItems ?? 0, 3);
      return fc.array(fromSchema(schema.items ?? {}, name, depth + 1), { minLength, maxLength: Math.max(minLength, Math.min(schema.maxItems ?? 3, 3)) });
    }
    case 'string': {
      if (hint) return hint();
      if (schema.format === 'date-time') return fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((date) => date.toISOString());
      if (schema.format === 'uri') return fc.constantFrom('https://docs.fuzz.invalid/page.html', 'http://127.0.0.1:1/x', 'ftp://example.com/x', 'https://intranet.example.com/policies/travel.html');
      if (schema.pattern && schema.pattern.length < 120) {
        try {
          return fc.stringMatching(new RegExp(schema.pattern)).filter((text) => text.length <= (schema.maxLength ?? 200));
        } catch {
          // A pattern fast-check cannot generate from: any string.
        }
      }
      const minLength = schema.minLength ?? 0;
      return fc.string({ unit: 'grapheme', minLength, maxLength: Math.max(minLength, Math.min(schema.maxLength ?? 40, 40)) });
    }
    case 'integer': {
      const min = Math.max(schema.minimum ?? (schema.exclusiveMinimum === undefined ? -1e6 : schema.exclusiveMinimum + 1), Number.MIN_SAFE_INTEGER);
      const max = Math.min(schema.maximum ?? (schema.exclusiveMaximum === undefined ? 1e6 : schema.exclusiveMaximum - 1), Number.MAX_SAFE_INTEGER);
      return fc.oneof(fc.integer({ min, max: Math.min(max, min + 100) }), fc.integer({ min, max }));
    }
    case 'number': {
      const min = schema.minimum ?? schema.exclusiveMinimum ?? -1e6;
      const max = schema.maximum ?? schema.exclusiveMaximum ?? 1e6;
      return fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return hint?.() ?? fc.jsonValue({ maxDepth: 2 });
  }
}

/** `text` percent-encoded as UTF-8 (a lone surrogate as U+FFFD, where encodeURIComponent throws). */
const percent = (text: string) => [...Buffer.from(text)].map((byte) => (/[\w.~-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

/** Printable text for a header value or a path: no CR, LF or NUL (those cannot be sent as such). */
const sendable = (text: string) => text.replace(/[\r\n\0]/g, '_');
const asText = (value: unknown) => (typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined'));

/** One path segment as it goes on the wire: a likely value, a hostile one verbatim, or anything, encoded. */
function segment(parameter: Parameter): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: (hints[parameter.name]?.() ?? fromSchema(parameter.schema, parameter.name)).map((value) => percent(asText(value))), weight: 4 },
    {
      arbitrary: fc.constantFrom(
        '%',
        '%0',
        '%00',
        '%zz',
        '%E9',
        '%ff',
        '%C0%AF',
        '%25',
        '%2500',
        '..',
        '.',
        '%2e%2e',
        '..%2f..%2fetc%2fpasswd',
        '../../etc/passwd',
        '%2F',
        '',
        ';x=1',
        '*',
        '~',
        '$%7Bjndi:ldap://x%7D',
        'me',
        'ME',
        'usr_',
        'http:',
        ':',
        'a b',
        'x#frag',
        'x?y=1',
        'k'.repeat(220),
        'k'.repeat(256),
        'k'.repeat(257),
        'k'.repeat(2000),
        'k'.repeat(17_000),
        '%41'.repeat(300),
      ),
      weight: 4,
    },
    { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map(percent), weight: 2 },
    { arbitrary: weirdValue.map((value) => percent(asText(value))), weight: 2 },
    // Raw UTF-8 in the request line, unencoded: not HTTP, refused by the parser.
    { arbitrary: fc.constantFrom('é', '日本', '🦄', 'a\u00a0b'), weight: 1 },
  );
}

/** A query string (with its `?`), or none. */
function queryOf(op: Operation): fc.Arbitrary<string> {
  const values = (parameter: Parameter) =>
    fc.oneof({ arbitrary: fromSchema(parameter.schema, parameter.name).map(asText), weight: 4 }, { arbitrary: weirdValue.map(asText), weight: 2 }, { arbitrary: fc.constantFrom('', '0', '-1', '1e400', '0x10', '3661', '1000', '1001', 'NaN', '2026-02-30T00:00:00Z', '9999-12-31T23:59:59Z'), weight: 2 });
  const pairs = fc.array(fc.tuple(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'limit', 'user', 'days')), weirdValue.map(asText)), { maxLength: 3 });
  const fromParams = op.query.length
    ? fc.tuple(fc.tuple(...op.query.map((parameter) => fc.option(values(parameter).map((value): [string, string] => [parameter.name, value]), { nil: undefined }))), pairs, fc.boolean())
        .map(([chosen, extra, repeat]) => {
          const all = [...chosen.filter((pair) => pair !== undefined), ...extra];
          return all.length ? `?${new URLSearchParams(repeat && all[0] ? [...all, all[0]] : all).toString()}` : '';
        })
    : pairs.map((extra) => (extra.length ? `?${new URLSearchParams(extra).toString()}` : ''));
  return fc.oneof(
    { arbitrary: fc.constant(''), weight: 3 },
    { arbitrary: fromParams, weight: 5 },
    { arbitrary: fc.constantFrom('?', '?%', '?a=%zz', '?&&&', '?=', '?a[b]=1', '?__proto__[x]=1', '?constructor[prototype][x]=1', '?limit=1&limit=2', `?user=${'u'.repeat(5000)}`, '?%00=%00', '?days=%F0%9F%A6%84'), weight: 2 },
  );
}

const contentTypes = fc.constantFrom(
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----fuzz',
  'application/xml',
  'application/json; charset=utf-16',
  'application/json; charset=ebcdic',
  'application/jsonx',
  'application/vnd.api+json',
  'APPLICATION/JSON',
  'application/json;;;',
  '*/*',
  'application/',
  ';',
  'image/png',
);

interface Body {
  bytes?: Buffer;
  contentType?: string;
  what: string;
}
const jsonBody = (value: unknown, what: string): Body => ({ bytes: Buffer.from(JSON.stringify(value) ?? 'null'), contentType: 'application/json', what });

function bodyOf(op: Operation): fc.Arbitrary<Body> {
  const garbage = fc.uint8Array({ maxLength: 300 }).map((bytes): Body => ({ bytes: Buffer.from(bytes), contentType: 'application/json', what: 'garbage bytes' }));
  if (!op.body) {
    return fc.oneof(
      { arbitrary: fc.constant<Body>({ what: 'no body' }), weight: 8 },
      { arbitrary: fc.jsonValue({ maxDepth: 2 }).map((value) => jsonBody(value, 'a JSON body where none is expected')), weight: 1 },
      { arbitrary: garbage, weight: 1 },
    );
  }
  const generated = fromSchema(op.body.schema);
  const bases = op.body.examples.length ? fc.oneof(fc.constantFrom(...op.body.examples), generated) : generated;
  return fc.oneof(
    { arbitrary: generated.map((value) => jsonBody(value, 'a body from the schema')), weight: 3 },
    { arbitrary: fc.tuple(bases, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([base, mutations]) => jsonBody(mutate(base, mutations), 'a mutated body')), weight: 5 },
    { arbitrary: fc.json({ maxDepth: 3 }).map((text): Body => ({ bytes: Buffer.from(text), contentType: 'application/json', what: 'random JSON' })), weight: 1 },
    {
      arbitrary: fc.tuple(bases, fc.nat()).map(([base, cut]): Body => {
        const text = JSON.stringify(base) ?? '{}';
        return { bytes: Buffer.from(text.slice(0, cut % Math.max(1, text.length))), contentType: 'application/json', what: 'truncated JSON' };
      }),
      weight: 1,
    },
    { arbitrary: garbage, weight: 1 },
    { arbitrary: fc.constantFrom<Body>({ bytes: Buffer.alloc(0), contentType: 'application/json', what: 'an empty JSON body' }, { what: 'no body at all' }), weight: 1 },
    { arbitrary: fc.tuple(bases, fc.option(contentTypes, { nil: undefined })).map(([base, type]): Body => ({ bytes: Buffer.from(JSON.stringify(base) ?? 'null'), contentType: type, what: `a body as ${type ?? 'no content type'}` })), weight: 2 },
  );
}

/** Headers the API reads, with any value. */
const extraHeaders = fc.array(
  fc.tuple(
    fc.constantFrom('x-request-id', 'idempotency-key', 'x-conversation-id', 'accept', 'origin', 'x-forwarded-for', 'accept-encoding'),
    fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 250 }), weirdValue.map(asText), fc.constantFrom('application/x-ndjson', 'text/event-stream', '*/*', 'gzip, br', 'conv-1', 'idem-1', 'https://evil.example')),
  ).map(([name, value]): [string, string] => [name, sendable(value).slice(0, 4000)]),
  { maxLength: 3 },
);

interface FuzzRequest {
  op: Operation;
  method: string;
  path: string;
  credential: Credential;
  body: Body;
  headers: [string, string][];
}

function requestFor(op: Operation): fc.Arbitrary<FuzzRequest> {
  const otherMethod = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE', 'FOO', 'get', 'M-SEARCH');
  return fc
    .record({
      method: fc.oneof({ arbitrary: fc.constant(op.method), weight: 12 }, { arbitrary: otherMethod, weight: 1 }),
      segments: fc.tuple(...op.pathParams.map(segment)),
      query: queryOf(op),
      credential,
      body: bodyOf(op),
      headers: extraHeaders,
    })
    .map(({ method, segments, query, credential, body, headers }) => {
      let index = 0;
      const path = op.path.replace(/\{\w+\}/g, () => sendable(segments[index++] ?? ''));
      return { op, method, path: `${path}${query}`, credential, body, headers };
    });
}

/** Paths open to anyone: what a forged credential may get a 2xx from. */
const publicPath = (path: string) => /^\/(health|metrics|openapi\.json|docs(\/.*)?|chat(\/.*)?)?(\?.*)?$/.test(path);

const statuses = new Tally();
const perRoute = new Tally();

let headerResets = 0;

async function send(request: FuzzRequest): Promise<Answer> {
  const { method, path, credential, body, headers } = request;
  const lines: [string, string][] = [['connection', 'close'], ...(credential.header === undefined ? [] : [['authorization', sendable(credential.header)] as [string, string]]), ...(body.contentType === undefined ? [] : [['content-type', body.contentType] as [string, string]]), ...headers];
  const bytes = encode(port, { method, target: path, headers: lines, ...(body.bytes ? { body: body.bytes } : {}) });
  const answer = await exchange(port, bytes, { head: method === 'HEAD' });
  const headBytes = bytes.indexOf('\r\n\r\n');
  if (answer.status === 0 && headBytes > 16 * 1024 && /EPIPE|ECONNRESET/.test(answer.why)) {
    // A request line and headers over 16 KiB are refused (431) before they are all read; the reset can
    // beat the answer. Counted, and answered as the 431 it is.
    headerResets += 1;
    return { ...answer, status: 431, text: JSON.stringify({ error: { message: 'The request headers are too large (reset before the answer was read).', code: 'headers_too_large' } }), contentType: 'application/json' };
  }
  return answer;
}

/** What every answer to a fuzzed request must be. */
function judge(request: FuzzRequest, answer: Answer) {
  const { method, path, credential, body, op } = request;
  const sent = `${method} ${path} [${credential.kind}] ${body.what}${request.headers.length ? ` ${JSON.stringify(request.headers)}` : ''}: ${body.bytes?.toString().slice(0, 300) ?? ''}`;
  const what = `${short(sent, 700)} → ${answer.status} ${short(answer.text, 300)}`;
  statuses.add(String(answer.status));
  perRoute.add(label(op));
  expect(answer.status, `no answer (${answer.why}) to ${what}`).toBeGreaterThan(0);
  expect(answer.status, `a 5xx: ${what}`).toBeLessThan(500);
  expect(answer.ms, what).toBeLessThan(10_000);
  if (answer.status >= 400 && method !== 'HEAD') expectRefusal(answer, what, `${path}\n${credential.header ?? ''}\n${JSON.stringify(request.headers)}\n${body.bytes?.toString() ?? ''}`);
  if (answer.status < 400 && !credential.valid) expect(publicPath(path.split('?')[0]!) || path === '/', `a forged credential was let through: ${what}`).toBe(true);
  if (answer.status >= 200 && answer.status < 300 && /^application\/json/.test(answer.contentType) && method !== 'HEAD') expect(() => JSON.parse(answer.text), what).not.toThrow();
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  ({ platform, pid, tokens, credential } = await startFuzzedPlatform());
  port = Number(new URL(platform.url).port);
  const document = (await (await fetch(`${platform.url}/openapi.json`)).json()) as Parameters<typeof operationsOf>[0];
  operations = operationsOf(document);
  const auth = { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' };
  const key = (await (await fetch(`${platform.url}/v1/keys`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'fuzz' }) })).json()) as { id?: string };
  known.key = key.id ?? known.key;
  const doc = (await (await fetch(`${platform.url}/v1/documents`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'fuzz.md', content: '# Fuzz\n\nThe canteen opens at noon.' }) })).json()) as { id?: string };
  known.document = doc.id ?? known.document;
  // Every route once, with its first example, before memory is measured: the fuzzing is what is bounded.
  for (const op of operations) {
    const example = op.body?.examples[0];
    const path = op.path.replace('{user}', 'me').replace('{id}', known.key).replace(/\{\w+\}/g, 'warm');
    // Read to the end: an unread answer keeps its connection busy, and SIGTERM would wait for it.
    await (await fetch(`${platform.url}${path}`, { method: op.method, headers: auth, ...(example === undefined ? {} : { body: JSON.stringify(example) }) })).arrayBuffer();
  }
  // And bodies at the limit, whose buffers the process keeps for reuse (a plateau, not a leak).
  for (const [size, char] of [[limit - 4096, 'x'], [limit + 1, 'é'], [2 * limit, '日'], [limit, '日'], [3 * limit, 'x'], [limit - 100, 'é']] as const) {
    const body = JSON.stringify({ model: 'offline', messages: [{ role: 'user', content: 'warm' }], padding: char.repeat(Math.floor((size - 80) / Buffer.byteLength(char))) });
    await post(`${platform.url}/v1/chat/completions`, body, auth, { resetIsAnswer: true });
  }
  startMb = rssMb(pid);
  console.log(`[http-api] platform up and warmed in ${Date.now() - started} ms, server ${pid} at ${startMb.toFixed(1)} MB; ${operations.length} operations: ${operations.map(label).join(', ')}`);
}, runs(60_000));

afterAll(async () => {
  await platform?.stop();
  console.log(`[http-api] whole file: ${Date.now() - started} ms`);
});

describe('every route in /openapi.json', () => {
  it('is discovered from the document, with the request schemas to build bodies from', () => {
    // The document is what drives the fuzzing: if it listed nothing, nothing would be fuzzed.
    expect(operations.length).toBeGreaterThanOrEqual(20);
    for (const route of ['POST /v1/chat/completions', 'POST /v1/completions', 'POST /v1/embeddings', 'GET /v1/models', 'PATCH /v1/users/{user}', 'DELETE /v1/keys/{id}']) expect(operations.map(label)).toContain(route);
    expect(operations.find((op) => op.path === '/v1/chat/completions')?.body?.examples.length).toBeGreaterThan(0);
  });

  it('answers random and mutated requests with a 2xx or a clear 4xx, never a 5xx or a hang, and lets no forged credential through', async () => {
    const request = fc.constantFrom(...operations).chain(requestFor);
    const began = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 3 }), async (batch) => {
        const answers = await Promise.all(batch.map(send));
        batch.forEach((sent, index) => judge(sent, answers[index]!));
      }),
      { numRuns: runs(700) },
    );
    console.log(`[http-api] routes: ${Date.now() - began} ms, server at ${rssMb(pid).toFixed(1)} MB; statuses: ${statuses}; ${headerResets} requests with headers over 16 KiB met a reset instead of their 431`);
    console.log(`[http-api] requests per route: ${perRoute}`);
    // Every route was reached, and some requests got through to their handlers.
    expect(operations.filter((op) => perRoute.get(label(op)) === 0).map(label)).toEqual([]);
    expect(statuses.get('200') + statuses.get('201')).toBeGreaterThan(0);
  }, runs(60_000));
});

describe('hostile HTTP, over raw sockets', () => {
  type Hostile =
    | { kind: 'expect'; value: string }
    | { kind: 'no host'; version: 'HTTP/1.1' | 'HTTP/1.0' }
    | { kind: 'content-length'; values: string[] }
    | { kind: 'chunked'; encoding: string; chunks: string; incomplete: boolean; withLength: boolean }
    | { kind: 'upgrade'; connection: string; upgrade: string }
    | { kind: 'long headers'; total: number; count: number }
    | { kind: 'content-type'; value: string };

  const hostile: fc.Arbitrary<Hostile> = fc.oneof(
    fc.oneof(fc.constantFrom('100-continue', '100-Continue', '200-ok', '', 'x', 'foo, 100-continue', '100-continue-x', '100', 'continue'), fc.string({ unit: 'grapheme-ascii', maxLength: 60 })).map((value): Hostile => ({ kind: 'expect', value: sendable(value) })),
    fc.constantFrom('HTTP/1.1' as const, 'HTTP/1.0' as const).map((version): Hostile => ({ kind: 'no host', version })),
    fc.oneof(
      fc.nat({ max: 50 }).map((n) => [String(n), String(n + 1)]),
      fc.constant<string[]>(['SAME', 'SAME']),
      fc.constantFrom<string[]>(['SAME, SAME'], ['-1'], ['+SAME'], ['0xSAME'], [' SAME '], ['99999999999999999999'], ['1e3'], ['SAME', '']),
    ).map((values): Hostile => ({ kind: 'content-length', values })),
    fc.record({
      encoding: fc.constantFrom('chunked', 'Chunked', 'chunked, chunked', 'gzip, chunked', 'chunked, gzip', 'identity', 'xchunked', ' chunked', 'chunked\t'),
      chunks: fc.constantFrom('zz\r\n{}\r\n0\r\n\r\n', '-1\r\n{}\r\n0\r\n\r\n', '2\r\n{}0\r\n\r\n', '2;\x01=x\r\n{}\r\n0\r\n\r\n', 'ffffffffffffffffffff\r\n{}\r\n0\r\n\r\n', '2\r\n{}\r\n', '10\r\n{}\r\n0\r\n\r\n', '2\r\n{}\r\n0\r\nx-trailer\r\n\r\n', '2\n{}\n0\n\n', '2\r\n{}\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n', '1\r\n{\r\n1\r\n}\r\n0\r\n\r\n'),
      withLength: fc.boolean(),
      // Well-formed but shorter than it says: the client then stops sending, as a broken one does.
    }).map(({ encoding, chunks, withLength }): Hostile => ({ kind: 'chunked', encoding, chunks, withLength, incomplete: chunks === '2\r\n{}\r\n' || chunks.startsWith('10\r\n') })),
    fc.record({
      connection: fc.constantFrom('Upgrade', 'upgrade', 'keep-alive, Upgrade', 'Upgrade, HTTP2-Settings'),
      upgrade: fc.oneof(fc.constantFrom('websocket', 'WebSocket', 'h2c', 'websocket, h2c', 'TLS/1.2', 'HTTP/2.0'), fc.stringMatching(/^[a-z0-9]{1,12}$/)),
    }).map(({ connection, upgrade }): Hostile => ({ kind: 'upgrade', connection, upgrade })),
    fc.record({ total: fc.oneof(fc.integer({ min: 1000, max: 14_000 }), fc.integer({ min: 18_000, max: 40_000 })), count: fc.integer({ min: 1, max: 20 }) }).map(({ total, count }): Hostile => ({ kind: 'long headers', total, count })),
    fc.oneof(contentTypes, fc.string({ unit: 'grapheme-ascii', maxLength: 80 }).map(sendable), fc.constantFrom('application/json; charset="utf-8"', 'application/json ; charset=UTF-8', 'application/json, text/plain', `application/json; ${'x=y; '.repeat(400)}`)).map((value): Hostile => ({ kind: 'content-type', value })),
  );

  interface Case {
    op: Operation;
    path: string;
    mods: Hostile[];
    example?: Json;
  }
  const cases = (): fc.Arbitrary<Case> =>
    fc
      .record({ op: fc.constantFrom(...operations), mods: fc.array(hostile, { minLength: 1, maxLength: 2 }), example: fc.nat() })
      .map(({ op, mods, example }) => {
        const path = op.path.replace('{user}', 'me').replace('{id}', known.key).replace(/\{\w+\}/g, 'fuzz');
        const examples = op.body?.examples ?? [];
        return { op, path, mods, ...(examples.length ? { example: examples[example % examples.length]! } : {}) };
      });

  const kinds = new Tally();
  let upgradesClosed = 0;
  let resets = 0;

  /** The raw request for a case: the route's own request (admin, an example body), made hostile. */
  function build({ op, path, mods, example }: Case): { bytes: Buffer; halfClose: boolean; upgrade: boolean; oversized: boolean } {
    const body = Buffer.from(example === undefined ? '' : JSON.stringify(example));
    let version = 'HTTP/1.1';
    let host = true;
    let halfClose = false;
    let upgrade = false;
    let oversized = false;
    let rawBody: Buffer | undefined;
    let lengths: string[] | undefined = body.length || op.body ? [String(body.length)] : [];
    let type: string | undefined = op.body ? 'application/json' : undefined;
    const headers: [string, string][] = [['authorization', `Bearer ${tokens.admin}`]];
    for (const mod of mods) {
      if (mod.kind === 'expect') headers.push(['expect', mod.value]);
      if (mod.kind === 'no host') [host, version] = [false, mod.version];
      if (mod.kind === 'content-length') {
        lengths = mod.values.map((value) => value.replaceAll('SAME', String(body.length)));
      }
      if (mod.kind === 'chunked') {
        headers.push(['transfer-encoding', mod.encoding]);
        if (!mod.withLength) lengths = undefined;
        rawBody = Buffer.from(mod.chunks);
        halfClose = mod.incomplete;
      }
      if (mod.kind === 'upgrade') {
        headers.push(['connection', mod.connection], ['upgrade', mod.upgrade]);
        if (/h2c/.test(mod.upgrade)) headers.push(['http2-settings', 'AAMAAABkAARAAAAAAAIAAAAA']);
        upgrade = true;
      }
      if (mod.kind === 'long headers') {
        const each = Math.ceil(mod.total / mod.count);
        for (let index = 0; index < mod.count; index += 1) headers.push([`x-fuzz-${index}`, 'v'.repeat(each)]);
        oversized ||= mod.total > 17_000;
      }
      if (mod.kind === 'content-type') type = mod.value;
    }
    // A declared length longer than the body: the client then stops sending, as a broken one does. Not
    // otherwise: Node ends a socket whose client half-closed it, whether it answered or not.
    if (rawBody === undefined) halfClose = (lengths ?? []).some((length) => Number(length) > body.length);
    if (!upgrade) headers.unshift(['connection', 'close']);
    if (type !== undefined) headers.push(['content-type', type]);
    for (const length of lengths ?? []) headers.push(['content-length', length]);
    return { bytes: encode(port, { method: op.method, target: path, version, headers, host, rawBody: rawBody ?? body }), halfClose, upgrade, oversized };
  }

  it('answers each with a parsable HTTP answer under 500, a clear JSON error for a 4xx, and closes upgraded sockets after answering', async () => {
    const began = Date.now();
    await fc.assert(
      fc.asyncProperty(cases(), async (fuzzCase) => {
        const { bytes, halfClose, upgrade, oversized } = build(fuzzCase);
        for (const mod of fuzzCase.mods) kinds.add(mod.kind);
        // Every one of these says `Connection: close` or `Upgrade`: either way, the server closes the socket once it has answered.
        const answer = await exchange(port, bytes, { halfClose, waitCloseMs: 3000 });
        const what = `${JSON.stringify(bytes.subarray(0, 600).toString())}${bytes.length > 600 ? `… (${bytes.length} bytes)` : ''} → ${answer.status} (${answer.why}) ${short(answer.text, 300)}`;
        if (answer.status === 0 && oversized && /EPIPE|ECONNRESET/.test(answer.why)) {
          // Headers over the limit: refused (431) before they are all read; the reset can beat the answer.
          resets += 1;
          return;
        }
        expect(answer.status, `no answer: ${what}`).toBeGreaterThan(0);
        expect(answer.status, `a 5xx: ${what}`).toBeLessThan(500);
        expect(answer.extra, `more than one answer to one request: ${what}`).toBe('');
        if (answer.status >= 400) expectRefusal(answer, what, bytes.toString());
        expect(answer.closedByServer, `${upgrade ? 'an upgrade to a plain route' : 'a "Connection: close" request'} left open after its answer: ${what}`).toBe(true);
        if (upgrade) upgradesClosed += 1;
        // Alone, each of these has one right answer.
        if (fuzzCase.mods.length === 1) {
          const [mod] = fuzzCase.mods as [Hostile];
          if (mod.kind === 'expect' && !/(^|\W)100-continue($|\W)/i.test(mod.value)) expect(answer.status, what).toBe(417);
          if (mod.kind === 'no host' && mod.version === 'HTTP/1.1') expect(JSON.parse(answer.text), what).toMatchObject({ error: { code: 'invalid_request', message: expect.stringContaining('no Host header') } });
          if (mod.kind === 'content-length' && new Set(mod.values).size > 1) expect(answer.status, what).toBe(400);
          if (mod.kind === 'long headers' && mod.total > 17_000) expect(JSON.parse(answer.text), what).toMatchObject({ error: { code: 'headers_too_large' } });
          if (mod.kind === 'long headers' && mod.total < 14_500) expect(answer.status, what).not.toBe(431);
          if (mod.kind === 'content-type' && answer.status === 415) expect(JSON.parse(answer.text), what).toMatchObject({ error: { code: 'unsupported_media_type' } });
        }
      }),
      { numRuns: runs(500) },
    );
    console.log(`[http-api] hostile HTTP: ${Date.now() - began} ms, server at ${rssMb(pid).toFixed(1)} MB; ${kinds}; ${upgradesClosed} upgraded sockets closed by the server; ${resets} oversized headers met a reset instead of their 431`);
    expect(kinds.keys().length).toBe(7);
  }, runs(60_000));
});

describe('bodies at the 1 MiB limit', () => {
  it('refuses a body over 1 MiB with a 413 that names the limit, and reads one at or under it', async () => {
    // /v1/documents takes up to 30 MiB, documented as such; every other route with a body takes 1 MiB.
    const posts = operations.filter((op) => op.method === 'POST' && op.body && !op.path.startsWith('/v1/documents'));
    expect(posts.length).toBeGreaterThanOrEqual(4);
    let resets = 0;
    let over = 0;
    let under = 0;
    const began = Date.now();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...posts),
        fc.oneof(fc.constantFrom(limit - 1, limit, limit + 1), fc.integer({ min: limit - 64 * 1024, max: limit }), fc.integer({ min: limit + 1, max: 3 * limit })),
        fc.constantFrom('x', 'é', '日'),
        fc.boolean(),
        fc.nat(),
        async (op, target, char, authorized, pick) => {
          const base = op.body!.examples.length ? op.body!.examples[pick % op.body!.examples.length]! : {};
          // Whole answers only: this is about the limit, and streams are the other properties' business.
          const { stream: _stream, stream_options: _options, ...rest } = isObject(base) ? base : {};
          const padded: Record<string, Json> = { ...(rest as Record<string, Json>), padding: '' };
          const overhead = Buffer.byteLength(JSON.stringify(padded));
          padded.padding = char.repeat(Math.max(0, Math.floor((target - overhead) / Buffer.byteLength(char))));
          const body = JSON.stringify(padded);
          const size = Buffer.byteLength(body);
          const path = op.path.replace('{user}', 'me').replace(/\{\w+\}/g, 'fuzz');
          const what = `POST ${path} with ${size} bytes (${char})${authorized ? '' : ', no credential'}`;
          const answer = await post(`${platform.url}${path}`, body, { 'content-type': 'application/json', ...(authorized ? { authorization: `Bearer ${tokens.admin}` } : {}) }, { resetIsAnswer: size > limit });
          if (size > limit) {
            over += 1;
            if (answer.status === 0) return void (resets += 1);
            expect(answer.status, `${what} → ${answer.text.slice(0, 300)}`).toBe(413);
            expectClearRefusal(answer, what);
            expect(JSON.parse(answer.text), what).toMatchObject({ error: { code: 'payload_too_large', message: expect.stringContaining('at most 1 MiB') } });
          } else {
            under += 1;
            expect(answer.status, `${what} → ${answer.text.slice(0, 300)}`).toBeLessThan(500);
            expect(answer.status, `${what} → ${answer.text.slice(0, 300)}`).not.toBe(413);
            if (answer.status >= 400) expectClearRefusal(answer, what);
          }
        },
      ),
      { numRuns: runs(60) },
    );
    console.log(`[http-api] 1 MiB limit: ${Date.now() - began} ms, server at ${rssMb(pid).toFixed(1)} MB; ${over} bodies over it (${resets} met a reset instead of their 413), ${under} at or under it`);
  }, runs(60_000));
});

describe('the platform after all of it', () => {
  it('is alive, healthy, within its memory bound, and logged no crash', async () => {
    // Bound +200 MB: bodies at the 1 MiB limit leave buffers the process keeps for reuse (measured: 300
    // of them plateau at +80 MB), and the fuzzing stores users, keys, audit records and conversations.
    await expectHealthy(platform, pid, startMb, 'http-api', 200);
    // A plain request still gets its answer from the offline model.
    const answer = await fetch(`${platform.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${platform.token('fuzz-after')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'offline', messages: [{ role: 'user', content: 'Still there?' }] }),
    });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toContain('Still there?');
    console.log(`[http-api] ${crashLines(platform.output()).length} error lines in the platform's log`);
    expect(ownCrashes(platform.output(), root).map((line) => short(line))).toEqual([]);
  });

  it('stops on SIGTERM within 10 s, with sockets still held open by clients', async () => {
    const held: (Socket | WebSocket)[] = [];
    const hold = (bytes: string) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      socket.write(bytes);
      held.push(socket);
    };
    const host = `host: 127.0.0.1:${port}`;
    // Upgrades answered as plain HTTP (the earlier bug), idle kept-alive connections, an open WebSocket.
    for (const path of ['/health', '/v1/models', '/v1/nothing']) hold(`GET ${path} HTTP/1.1\r\n${host}\r\nauthorization: Bearer ${tokens.admin}\r\nconnection: Upgrade\r\nupgrade: h2c\r\n\r\n`);
    for (let index = 0; index < 3; index += 1) hold(`GET /health HTTP/1.1\r\n${host}\r\n\r\n`);
    const ws = new WebSocket(`${platform.url.replace('http', 'ws')}/v1/ws`, { headers: { authorization: `Bearer ${tokens.admin}` } });
    ws.on('error', () => {});
    held.push(ws);
    await new Promise((resolve) => ws.once('open', resolve));
    await new Promise((resolve) => setTimeout(resolve, 300));
    try {
      await expectStopsWithin(platform, pid, 'http-api');
    } finally {
      for (const socket of held) (socket instanceof WebSocket ? socket.terminate() : socket.destroy());
    }
  }, 30_000);
});
