import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { PlatformProcess } from '../helpers/platform.ts';
import { childPids, isAlive } from '../helpers/processes.ts';

/**
 * Shared pieces of the fuzz tests (test/fuzz/*.fuzz.test.ts): arbitraries for hostile values, a
 * mutator for recorded payloads, what a clear refusal looks like, and the platform process's health.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A string of `length` characters, for bodies near and over the server's 1 MiB limit. */
export const huge = (length: number, char = 'x') => char.repeat(length);

/** Values a fuzzed field may take: wrong types, boundaries, unicode oddities, markup, long strings. */
export const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    arbitrary: fc.constantFrom<unknown>(
      null,
      true,
      false,
      0,
      -1,
      1.5,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
      2 ** 53 + 2,
      2 ** 31,
      8.64e12 + 1,
      1e308,
      -1e308,
      '',
      ' ',
      '0',
      '-1',
      'NaN',
      'null',
      'undefined',
      '[object Object]',
      '__proto__',
      'constructor',
      [],
      {},
      [null],
      { __proto__: null },
      '\u0000',
      '\ud800',
      '\u202e\u200b\ufeff',
      '🦄👩‍👩‍👧‍👦',
      '<b>bold</b> & <script>',
      '&amp; &lt; &#0; &#x110000;',
      '/start',
      '/docs add',
      '@gateway_test_bot',
      '"\'`\\',
      '1700000000.000001',
      '2026-11-23T10:00:00.000000+00:00',
    ),
    weight: 4,
  },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.double(), weight: 1 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 },
  { arbitrary: fc.integer({ min: 1000, max: 20_000 }).map((n) => huge(n, 'é')), weight: 1 },
);

/** One edit of a payload: a field set to a weird value, deleted, or a new field added beside it. */
export interface Mutation {
  pick: number;
  kind: 'set' | 'delete' | 'add';
  key: string;
  value: unknown;
}

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  kind: fc.constantFrom('set', 'set', 'delete', 'add'),
  key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'edited_message', 'channel_post', 'my_chat_member', 'caption', 'entities', 'document', 'files', 'subtype')),
  value: weirdValue,
});

type Path = (string | number)[];

/** Every path into a value's containers and leaves (the root excluded). */
function pathsOf(value: unknown, prefix: Path = [], into: Path[] = []): Path[] {
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((item, index) => [index, item]) : isObject(value) ? Object.entries(value) : [];
  for (const [key, child] of entries) {
    const path = [...prefix, key];
    into.push(path);
    pathsOf(child, path, into);
  }
  return into;
}

function parentOf(root: unknown, path: Path): Record<string | number, unknown> | undefined {
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  return node;
}

/** `base` (a recorded payload) with `mutations` applied, in order, to a deep copy. */
export function mutate<T>(base: T, mutations: readonly Mutation[]): T {
  const copy = structuredClone(base) as unknown;
  for (const { pick, kind, key, value } of mutations) {
    const paths = pathsOf(copy);
    if (paths.length === 0) continue;
    const path = paths[pick % paths.length]!;
    const parent = parentOf(copy, path);
    if (!parent || typeof parent !== 'object') continue;
    const last = path.at(-1)!;
    if (kind === 'set') parent[last] = structuredClone(value);
    else if (kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (isObject(parent)) Object.defineProperty(parent, key, { value: structuredClone(value), enumerable: true, writable: true, configurable: true });
  }
  return copy as T;
}

/** Replaces every http(s) URL in a payload that is not on loopback by `local`: a fuzz run never reaches the internet. */
export function localize<T>(value: T, local: string): T {
  if (typeof value === 'string') return (/^https?:\/\//i.test(value) && !/^https?:\/\/127\.0\.0\.1[:/]/i.test(value) ? local : value) as T;
  if (Array.isArray(value)) return value.map((item) => localize(item, local)) as T;
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) Object.defineProperty(out, key, { value: localize(item, local), enumerable: true, writable: true, configurable: true });
    return out as T;
  }
  return value;
}

export interface Posted {
  /** 0 when the connection was reset with no answer (only with `resetIsAnswer`). */
  status: number;
  text: string;
  contentType: string;
}

/** A chunked HTTP body, decoded. */
function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; ) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(body.subarray(at, lineEnd).toString(), 16);
    if (!(size > 0)) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** An answer's body as text (decoded if it came chunked) and its content type, from its header block. */
export function bodyOf(headerText: string, raw: Buffer): { text: string; contentType: string } {
  const text = (/^transfer-encoding:\s*chunked/im.test(headerText) ? dechunk(raw) : raw).toString();
  return { text, contentType: /^content-type:\s*(.*)$/im.exec(headerText)?.[1]?.trim() ?? '' };
}

/**
 * One POST with a deadline, over a plain socket: exactly the given headers are sent (fetch would add a
 * content type), and the body goes in pieces while the answer is read, as curl does, so that a server
 * refusing an oversized body (413) before reading it all is heard, not lost to a reset (Node's own
 * client reports EPIPE then). No answer in time fails the property (a hang); so does a connection
 * closed with no answer.
 */
export function post(url: string, body: string | Uint8Array, headers: Record<string, string>, { timeoutMs = 10_000, resetIsAnswer = false } = {}): Promise<Posted> {
  const bytes = Buffer.from(body);
  const { hostname, port, pathname, search } = new URL(url);
  for (const [name, value] of Object.entries(headers)) if (/[\r\n\0]/.test(name + value)) throw new Error(`header ${name} cannot be sent: ${JSON.stringify(value)}`);
  const head = [`POST ${pathname}${search} HTTP/1.1`, `host: ${hostname}:${port}`, 'connection: close', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`), `content-length: ${bytes.length}`, '', ''].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const received: Buffer[] = [];
    let settled = false;
    const finish = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const all = Buffer.concat(received);
      const split = all.indexOf('\r\n\r\n');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(all.subarray(0, 20).toString())?.[1];
      if ((split < 0 || !status) && resetIsAnswer && /EPIPE|ECONNRESET/.test(why)) return resolve({ status: 0, text: why, contentType: '' });
      if (split < 0 || !status) return reject(new Error(`POST ${url} (${bytes.length} bytes) got no answer: ${why}${all.length ? ` (${all.length} bytes of a partial answer)` : ''}`));
      const headerText = all.subarray(0, split).toString();
      resolve({ status: Number(status), ...bodyOf(headerText, all.subarray(split + 4)) });
    };
    const timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('end', () => finish('the server closed the connection'));
    socket.on('close', () => finish('the connection closed'));
    socket.on('error', (error: Error & { code?: string }) => finish(`${error.code ?? ''} ${error.message}`));
    socket.once('connect', async () => {
      socket.write(head);
      for (let at = 0; at < bytes.length && received.length === 0 && !socket.destroyed; at += 64 * 1024) {
        if (!socket.write(bytes.subarray(at, at + 64 * 1024))) await new Promise((resume) => socket.once('drain', resume).once('close', resume));
      }
    });
  });
}

/** What a clear refusal is: JSON `{ error: { message, code } }`, the message in words, no internals. */
export function expectClearRefusal(answer: Posted, what: string) {
  expect(answer.status, `${what}: ${answer.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(answer.status, `${what}: a 5xx: ${answer.text.slice(0, 300)}`).toBeLessThan(500);
  expect(answer.contentType, what).toMatch(/^application\/json/);
  let body: { error?: { message?: unknown; code?: unknown } };
  try {
    body = JSON.parse(answer.text) as typeof body;
  } catch {
    throw new Error(`${what}: a ${answer.status} whose body is not JSON: ${answer.text.slice(0, 300)}`);
  }
  const message = body.error?.message;
  expect(typeof message, `${what}: ${answer.text.slice(0, 300)}`).toBe('string');
  expect(typeof body.error?.code, `${what}: ${answer.text.slice(0, 300)}`).toBe('string');
  expectReadable(message as string, what);
}

/** Text a person reads: words, not a serialized object, an undefined, or a stack trace. */
export function expectReadable(text: string, what: string) {
  expect(text.trim().length, `${what}: empty`).toBeGreaterThan(5);
  expect(text, what).not.toMatch(/\[object \w+\]|\bundefined\b|\bNaN\b|\n\s+at .+:\d+:\d+|\bat (async )?[\w.<>]+ \(.*:\d+:\d+\)|TypeError|ReferenceError|RangeError|SyntaxError/);
}

/** The Node process that is the platform: the child of `npm start`'s bootstrap. */
export function serverPid(platform: PlatformProcess): number {
  const [pid] = childPids(platform.child.pid!);
  if (pid === undefined) throw new Error(`the platform has no server process:\n${platform.output().slice(-2000)}`);
  return pid;
}

/** Resident memory of a process, in MB (Linux: VmRSS). */
export function rssMb(pid: number): number {
  const line = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!line) throw new Error(`no VmRSS for ${pid}`);
  return Number(line[1]) / 1024;
}

/**
 * After a file's fuzzing: the server is alive, /health answers 200, and its memory grew less than
 * `boundMb` since `startMb`. Prints the figures.
 */
export async function expectHealthy(platform: PlatformProcess, pid: number, startMb: number, label: string, boundMb = 150) {
  expect(isAlive(pid), `${label}: the server process ${pid} died:\n${platform.output().slice(-3000)}`).toBe(true);
  expect(platform.child.exitCode, label).toBeNull();
  const health = await fetch(`${platform.url}/health`, { signal: AbortSignal.timeout(10_000) });
  const body = await health.text();
  expect(health.status, `${label}: /health ${body}`).toBe(200);
  const endMb = rssMb(pid);
  console.log(`[${label}] server ${pid}: VmRSS ${startMb.toFixed(1)} MB before, ${endMb.toFixed(1)} MB after (+${(endMb - startMb).toFixed(1)} MB, bound +${boundMb} MB)`);
  expect(endMb - startMb, `${label}: memory grew from ${startMb.toFixed(1)} to ${endMb.toFixed(1)} MB`).toBeLessThan(boundMb);
  return JSON.parse(body) as { checks: Record<string, { status: string; detail?: string }> };
}

/** Log lines of the platform that say it crashed or met an error it did not expect. */
export function crashLines(output: string): string[] {
  return output.split('\n').filter((line) => /unhandled rejection|uncaught exception|"level":(50|60)\b|FATAL|Segmentation/i.test(line));
}

/**
 * Crashes the project's own code is to blame for: an uncaught exception, or an unhandled rejection
 * thrown from one of its files (not only from inside a dependency).
 */
export function ownCrashes(output: string, root: string): string[] {
  const ownFrame = new RegExp(`${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(?!node_modules/)[^:]+:\\d+`);
  return crashLines(output).filter((line) => /uncaught exception/i.test(line) || (/unhandled rejection/i.test(line) && ownFrame.test(line)));
}

/** A log line, cut to a length a failure message can show. */
export const short = (line: string, length = 600) => (line.length > length ? `${line.slice(0, length)}…` : line);
