import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import { startPlatformProcess, type PlatformProcess } from '../helpers/platform.ts';
import { isAlive } from '../helpers/processes.ts';
import { serverPid } from './fuzz-kit.ts';

/**
 * What the HTTP API and WebSocket fuzzers (http-api.fuzz.test.ts, websocket.fuzz.test.ts) share: the
 * credentials a caller may present, forged ones included, and the platform's stop under SIGTERM.
 */

/**
 * The platform both fuzzers run against: `npm start`'s process in open access mode, with its built-in
 * offline model; an admin's and a user's token, and every credential a caller might present.
 */
export async function startFuzzedPlatform(env: Record<string, string> = {}) {
  const platform = await startPlatformProcess({ ACCESS_MODE: 'open', REPLY_TIMEOUT_SECONDS: '5', ...env });
  const tokens = { admin: platform.token('fuzz-admin', '--role', 'admin'), user: platform.token('fuzz-user') };
  return { platform, pid: serverPid(platform), tokens, credential: credentials(tokens, jwtKeyOf(platform)) };
}

/** `FUZZ_RUNS` scales every property's runs, and its test's time limit (1 = the defaults, sized to fit each file in ~20 s). */
export const runs = (base: number) => Math.max(1, Math.round(base * Number(process.env.FUZZ_RUNS ?? 1)));

/** A compact JWT with this header and claims, signed with HS256 under `key` (or unsigned for `alg: none`). */
export function jwt(header: Record<string, unknown>, claims: Record<string, unknown>, key?: Uint8Array | string): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${key === undefined ? '' : createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** The platform's own signing key, from its DATA_DIR: to forge tokens that are well signed but wrong. */
export const jwtKeyOf = (platform: PlatformProcess) => readFileSync(join(platform.dataDir, 'jwt-secret'), 'utf8').trim();

export interface Credential {
  /** What this is, for failure messages and tallies. */
  kind: string;
  /** The whole Authorization header; undefined: none is sent. */
  header?: string;
  /** The bearer credential alone (a WebSocket `auth` frame's token); undefined where there is none. */
  token?: string;
  /** Whether the gateway must accept it. */
  valid: boolean;
}

/**
 * Every kind of credential a caller might present: the admin's and the user's tokens, garbage, other
 * schemes, `alg: none`, another key's signature, and well-signed tokens whose claims must be refused
 * (expired, no expiry, another audience or issuer, issued in the future, an unknown role, a subject an
 * API key owns, a `crit` header), a tampered payload, and API-key lookalikes.
 */
export function credentials(tokens: { admin: string; user: string }, key: string): fc.Arbitrary<Credential> {
  const now = () => Math.floor(Date.now() / 1000);
  const claims = (extra: Record<string, unknown> = {}) => ({ iss: 'chat-gateway', aud: 'chat-gateway:api', sub: 'fuzz-admin', role: 'admin', iat: now(), exp: now() + 3600, ...extra });
  const hs256 = { alg: 'HS256', typ: 'JWT' };
  const bearer = (kind: string, token: string, valid = false): Credential => ({ kind, header: `Bearer ${token}`, token, valid });
  /** A header value as a client could send it: no CR, LF or NUL. */
  const printable = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 300 }).map((text) => text.replace(/[\r\n\0]/g, '_'));
  const [, userPayload] = tokens.user.split('.');
  const [adminHead, , adminSignature] = tokens.admin.split('.');
  return fc.oneof(
    { arbitrary: fc.constant<Credential>({ kind: 'none', valid: false }), weight: 2 },
    { arbitrary: fc.constant(bearer('admin', tokens.admin, true)), weight: 4 },
    { arbitrary: fc.constant(bearer('user', tokens.user, true)), weight: 3 },
    { arbitrary: fc.constant<Credential>({ kind: 'admin, lowercase scheme', header: `bearer   ${tokens.admin}`, token: tokens.admin, valid: true }), weight: 1 },
    { arbitrary: printable.map((text): Credential => ({ kind: 'garbage header', header: text, token: text.trim() || 'x', valid: false })), weight: 2 },
    { arbitrary: printable.map((text) => bearer('Bearer + random', text.trim().replace(/\s+/g, '') || 'x')), weight: 2 },
    { arbitrary: fc.constant(bearer('alg none', jwt({ alg: 'none', typ: 'JWT' }, claims()))), weight: 2 },
    { arbitrary: fc.constant(bearer('alg NONE, admin signature', jwt({ alg: 'NONE' }, claims()).replace(/\.$/, `.${adminSignature}`))), weight: 1 },
    { arbitrary: fc.constant(null).map(() => bearer('another key', jwt(hs256, claims(), randomBytes(32)))), weight: 2 },
    {
      arbitrary: fc
        .constantFrom<[string, Record<string, unknown>, Record<string, unknown>]>(
          ['expired', hs256, { exp: now() - 60 }],
          ['no expiry', hs256, { exp: undefined }],
          ['job audience', hs256, { aud: 'chat-gateway:job' }],
          ['another issuer', hs256, { iss: 'someone-else' }],
          ['issued in the future', hs256, { iat: now() + 3600 }],
          ['not yet valid', hs256, { nbf: now() + 3600 }],
          ['unknown role', hs256, { role: 'root' }],
          ['an API key subject', hs256, { sub: 'key:key_fuzz' }],
          ['empty subject', hs256, { sub: '' }],
          ['subject too long', hs256, { sub: 's'.repeat(201) }],
          ['exp as a string', hs256, { exp: String(now() + 3600) }],
          ['crit header', { ...hs256, crit: ['exp'] }, {}],
          ['HS512 header', { alg: 'HS512', typ: 'JWT' }, {}],
        )
        .map(([kind, header, extra]) => bearer(`well signed, ${kind}`, jwt(header, claims(extra), key))),
      weight: 3,
    },
    { arbitrary: fc.constant(bearer('user payload under the admin signature', `${adminHead}.${userPayload}.${adminSignature}`)), weight: 1 },
    { arbitrary: fc.constant(bearer('admin token, one character changed', `${tokens.admin.slice(0, -2)}${tokens.admin.at(-2) === 'A' ? 'B' : 'A'}${tokens.admin.at(-1)}`)), weight: 1 },
    { arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{20,60}$/).map((rest) => bearer('API key lookalike', `sk-gw-${rest}`)), weight: 2 },
    { arbitrary: fc.constant<Credential>({ kind: 'Basic', header: `Basic ${Buffer.from('fuzz-admin:secret').toString('base64')}`, token: 'fuzz-admin:secret', valid: false }), weight: 1 },
    { arbitrary: fc.constant<Credential>({ kind: 'two tokens', header: `Bearer ${tokens.admin} ${tokens.user}`, token: `${tokens.admin} ${tokens.user}`, valid: false }), weight: 1 },
    { arbitrary: fc.integer({ min: 4097, max: 9000 }).map((length) => bearer('a token over 4 KiB', 'a'.repeat(length))), weight: 1 },
  );
}

/**
 * SIGTERM, then the time the platform took to exit: it must not be held open by anything a client
 * left behind (an earlier bug: upgraded sockets kept SIGTERM from ever finishing). Prints the time.
 */
export async function expectStopsWithin(platform: PlatformProcess, pid: number, label: string, withinMs = 10_000) {
  const started = Date.now();
  const code = await Promise.race([platform.stop(), new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), withinMs + 5000).unref())]);
  const elapsed = Date.now() - started;
  console.log(`[${label}] SIGTERM → exit ${String(code)} in ${elapsed} ms`);
  expect(code, `${label}: the platform did not exit after SIGTERM within ${withinMs + 5000} ms:\n${platform.output().slice(-3000)}`).not.toBe('hung');
  expect(elapsed, `${label}: SIGTERM took ${elapsed} ms:\n${platform.output().slice(-3000)}`).toBeLessThan(withinMs);
  expect(code, `${label}: exit code after SIGTERM:\n${platform.output().slice(-3000)}`).toBe(0);
  expect(isAlive(pid), `${label}: the server process ${pid} outlived its parent`).toBe(false);
}

/** A tally, printed as `key n, key n` by count. */
export class Tally {
  readonly #counts = new Map<string, number>();
  add(key: string) {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }
  get(key: string) {
    return this.#counts.get(key) ?? 0;
  }
  keys() {
    return [...this.#counts.keys()];
  }
  toString() {
    return [...this.#counts].sort((a, b) => b[1] - a[1]).map(([key, count]) => `${key} ${count}`).join(', ');
  }
}
