import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { blockedAddressReason } from './blocked-address.ts';

export interface SafeFetchOptions {
  /** Host names (exact, case-insensitive) or `*.example.com` suffix patterns that may be fetched. Empty: nothing may be fetched. */
  allowedHosts: readonly string[];
  /** Default 10_000 ms for the whole fetch including redirects. */
  timeoutMs?: number;
  /** Default 1_000_000 bytes; a longer body is cut there and `truncated: true` (not an error). */
  maxBytes?: number;
  /** Default 5. */
  maxRedirects?: number;
  /** DNS lookup, default node:dns lookup with {all:true}. Tests pass their own to simulate names resolving to loopback or rebinding. Same shape as dns.promises.lookup(host, {all: true}). */
  lookup?: (hostname: string) => Promise<{ address: string; family: number }[]>;
  /** Addresses exempt from the private-address block. Default none. Only tests (which can only serve on 127.0.0.1) set it. */
  allowAddress?: (ip: string) => boolean;
  abortSignal?: AbortSignal;
  /** Sent as User-Agent. Default 'chat-gateway-fetch/1'. */
  userAgent?: string;
}

export interface FetchedPage {
  url: string /* final URL after redirects */;
  status: number;
  contentType: string;
  body: Buffer;
  truncated: boolean;
}

export type FetchRefusal = 'scheme' | 'host_not_allowed' | 'blocked_address' | 'dns' | 'too_many_redirects' | 'timeout' | 'http_error' | 'network' | 'credentials';

/** Why a fetch was refused or failed. Messages name the host at most, never the path, query or headers. */
export class FetchRefusedError extends Error {
  readonly reason: FetchRefusal;
  constructor(reason: FetchRefusal, message: string) {
    super(message);
    this.name = 'FetchRefusedError';
    this.reason = reason;
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * GET a URL the gateway does not control (a model's tool call, an admin's "add document from URL")
 * without letting it reach anything but the allowed public hosts. Every hop, redirects included,
 * is checked from scratch: scheme, no credentials, allowlist, then every address the name resolves
 * to. The connection is then pinned to the address that was checked, so a DNS answer that changes
 * between the check and the connect (rebinding) cannot redirect it to the inside.
 */
export async function safeFetch(url: string, options: SafeFetchOptions): Promise<FetchedPage> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const userSignal = options.abortSignal;
  userSignal?.throwIfAborted();

  // One signal for the whole operation: the caller's abort or our deadline, whichever comes first.
  const controller = new AbortController();
  let currentHost = hostForMessage(url);
  const timer = setTimeout(
    () => controller.abort(new FetchRefusedError('timeout', `Fetching from ${currentHost} took longer than ${timeoutMs} ms`)),
    timeoutMs,
  );
  const forwardAbort = () => controller.abort(userSignal?.reason);
  userSignal?.addEventListener('abort', forwardAbort, { once: true });
  const signal = controller.signal;

  try {
    let target = url;
    let base: URL | undefined;
    for (let redirects = 0; ; redirects += 1) {
      const hop = await checkTarget(target, base, options, signal);
      currentHost = hop.url.host;
      const { request, response } = await send(hop, options.userAgent ?? 'chat-gateway-fetch/1', signal);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (REDIRECTS.has(status) && location) {
        request.destroy();
        const maxRedirects = options.maxRedirects ?? 5;
        if (redirects >= maxRedirects) {
          throw new FetchRefusedError('too_many_redirects', `Gave up at ${currentHost}: more than ${maxRedirects} redirects`);
        }
        target = location;
        base = hop.url;
        continue;
      }
      if (status < 200 || status > 299) {
        request.destroy();
        throw new FetchRefusedError('http_error', `${currentHost} answered with HTTP ${status}`);
      }
      const { body, truncated } = await readBody(response, options.maxBytes ?? 1_000_000);
      request.destroy();
      return { url: hop.url.href, status, contentType: response.headers['content-type'] ?? '', body, truncated };
    }
  } catch (err) {
    // Once aborted, whatever broke is a consequence; report the cause (our timeout or the caller's reason).
    if (signal.aborted) throw signal.reason;
    if (err instanceof FetchRefusedError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new FetchRefusedError('network', `Could not fetch from ${currentHost}: ${code}`);
  } finally {
    clearTimeout(timer);
    userSignal?.removeEventListener('abort', forwardAbort);
  }
}

interface CheckedHop {
  url: URL;
  /** Host name as sockets want it: IPv6 literals without brackets. */
  hostname: string;
  address: string;
  family: number;
}

/** Everything that decides whether a URL may be fetched, ending in the one address to connect to. */
async function checkTarget(target: string, base: URL | undefined, options: SafeFetchOptions, signal: AbortSignal): Promise<CheckedHop> {
  let url: URL;
  try {
    url = new URL(target, base);
  } catch {
    throw new FetchRefusedError('scheme', 'That is not a valid http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchRefusedError('scheme', `Only http and https URLs can be fetched, not ${url.protocol.slice(0, -1) || 'this one'}`);
  }
  if (url.username || url.password) {
    throw new FetchRefusedError('credentials', 'URLs with a user name or password are never fetched');
  }
  // WHATWG URL has already lowercased the host, turned IDNs into punycode and every IPv4 spelling
  // (2130706433, 0x7f.1, 0177.0.0.1) into a dotted quad, so the checks below see one canonical form.
  const hostname = stripBrackets(url.hostname);
  if (!hostAllowed(hostname, options.allowedHosts)) {
    throw new FetchRefusedError('host_not_allowed', `${url.host} is not on the list of hosts that may be fetched`);
  }
  const allowAddress = options.allowAddress ?? (() => false);

  const family = isIP(hostname);
  if (family !== 0) {
    const reason = blockedAddressReason(hostname);
    if (reason !== undefined && !allowAddress(hostname)) {
      throw new FetchRefusedError('blocked_address', `${hostname} is a ${reason} address, which is never fetched`);
    }
    return { url, hostname, address: hostname, family };
  }

  let addresses: { address: string; family: number }[];
  try {
    addresses = await untilAborted((options.lookup ?? defaultLookup)(hostname), signal);
  } catch (err) {
    if (signal.aborted) throw err;
    throw new FetchRefusedError('dns', `Could not resolve ${hostname}`);
  }
  // All of them, not just the one we will use: an attacker controls the order of the answers.
  for (const { address } of addresses) {
    const reason = blockedAddressReason(address);
    if (reason !== undefined && !allowAddress(address)) {
      throw new FetchRefusedError('blocked_address', `${hostname} resolves to ${address} (${reason}), which is never fetched`);
    }
  }
  const first = addresses[0];
  if (!first) throw new FetchRefusedError('dns', `${hostname} has no addresses`);
  return { url, hostname, address: first.address, family: isIP(first.address) };
}

function defaultLookup(hostname: string): Promise<{ address: string; family: number }[]> {
  return dnsLookup(hostname, { all: true });
}

/** Exact names, or `*.example.com` for any name below example.com (not example.com itself). */
function hostAllowed(hostname: string, allowedHosts: readonly string[]): boolean {
  const host = withoutTrailingDot(hostname);
  return allowedHosts.some((entry) => {
    if (entry.startsWith('*.')) {
      const suffix = canonicalHost(entry.slice(2));
      return suffix !== undefined && host.endsWith(`.${suffix}`);
    }
    return canonicalHost(entry) === host;
  });
}

/** An allowlist entry in the same canonical form the URL parser gives the host being fetched. */
function canonicalHost(entry: string): string | undefined {
  const bracketed = isIP(entry) === 6 ? `[${entry}]` : entry;
  try {
    return withoutTrailingDot(stripBrackets(new URL(`http://${bracketed}/`).hostname));
  } catch {
    return undefined;
  }
}

/**
 * The request itself. The socket's `lookup` answers with the address checkTarget validated instead
 * of resolving the name again, while Host and TLS SNI keep the name so virtual hosts and
 * certificates work. No shared agent: a pooled socket must never carry one fetch into another.
 */
function send(hop: CheckedHop, userAgent: string, signal: AbortSignal) {
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, [{ address: hop.address, family: hop.family }]);
    else callback(null, hop.address, hop.family);
  };
  const client = hop.url.protocol === 'https:' ? https : http;
  const request = client.request({
    protocol: hop.url.protocol,
    hostname: hop.hostname,
    port: hop.url.port || undefined,
    path: `${hop.url.pathname}${hop.url.search}`,
    method: 'GET',
    // Deliberately no Cookie or Authorization, and no compression so maxBytes counts what we keep.
    headers: { 'user-agent': userAgent, accept: '*/*', 'accept-encoding': 'identity' },
    lookup: pinned,
    servername: isIP(hop.hostname) ? undefined : hop.hostname,
    agent: false,
    signal,
  });
  return new Promise<{ request: http.ClientRequest; response: http.IncomingMessage }>((resolve, reject) => {
    request.once('response', (response) => resolve({ request, response }));
    request.once('error', reject);
    request.end();
  });
}

/** Up to maxBytes of the body; stopping early destroys the stream so the rest is never downloaded. */
async function readBody(response: http.IncomingMessage, maxBytes: number): Promise<{ body: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    const room = maxBytes - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      return { body: Buffer.concat(chunks), truncated: true };
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return { body: Buffer.concat(chunks), truncated: false };
}

/** Custom lookups cannot be cancelled, so stop waiting for them instead. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function withoutTrailingDot(host: string): string {
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/** Only the host, for messages: paths and queries can carry tokens. */
function hostForMessage(url: string): string {
  return (URL.canParse(url) && new URL(url).host) || 'the URL';
}
