import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FetchRefusedError, safeFetch, type SafeFetchOptions } from './safe-fetch.ts';

// One local server plays every remote site. It can only listen on 127.0.0.1, so the "allowed"
// tests exempt exactly that address and map test names onto it with a fake DNS.
let server: Server;
let port = 0;
let hits: { path: string; headers: IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.push({ path, headers: req.headers });
    const redirect = (location: string, status = 302) => res.writeHead(status, { location }).end();
    if (path === '/page') res.writeHead(200, { 'content-type': 'text/html' }).end('<p>hello</p>');
    else if (path === '/big') res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(50_000));
    else if (path === '/missing') res.writeHead(404).end('no');
    else if (path === '/slow') setTimeout(() => res.writeHead(200).end('late'), 5_000).unref();
    else if (path === '/relative') redirect('/page', 301);
    else if (path === '/to-secret') redirect(`http://127.0.0.1:${port}/secret`);
    else if (path === '/to-mapped') redirect(`http://[::ffff:127.0.0.1]:${port}/secret`, 307);
    else if (path === '/to-evil') redirect(`http://evil.test:${port}/secret`);
    else if (path === '/to-internal') redirect(`http://internal.test:${port}/secret`, 308);
    else if (path === '/to-file') redirect('file:///etc/passwd');
    else if (path === '/loop') redirect('/loop');
    else res.writeHead(500).end('unexpected');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  hits = [];
});

/** A fake DNS that counts its calls: names map to a fixed answer or to one answer per call. */
function fakeDns(table: Record<string, string | string[]>) {
  const calls: string[] = [];
  const lookup = async (hostname: string) => {
    const entry = table[hostname];
    if (entry === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    const answers = Array.isArray(entry) ? entry : [entry];
    const calledBefore = calls.filter((name) => name === hostname).length;
    calls.push(hostname);
    const address = answers[Math.min(calledBefore, answers.length - 1)] ?? '';
    return [{ address, family: address.includes(':') ? 6 : 4 }];
  };
  return { lookup, calls };
}

const localOnly = (ip: string) => ip === '127.0.0.1';
/** The usual set-up: docs.test is allowed and lives on the local server. */
function allowed(extra: Partial<SafeFetchOptions> = {}): SafeFetchOptions {
  return { allowedHosts: ['docs.test'], lookup: fakeDns({ 'docs.test': '127.0.0.1' }).lookup, allowAddress: localOnly, ...extra };
}

async function refusal(promise: Promise<unknown>): Promise<FetchRefusedError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FetchRefusedError);
  return err as FetchRefusedError;
}

describe('safeFetch: allowed fetches', () => {
  it('fetches an allowed host through the checked address, with the name as Host and no credentials', async () => {
    const page = await safeFetch(`http://docs.test:${port}/page`, allowed());
    expect(page).toMatchObject({ url: `http://docs.test:${port}/page`, status: 200, contentType: 'text/html', truncated: false });
    expect(page.body.toString()).toBe('<p>hello</p>');
    const headers = hits[0]?.headers ?? {};
    expect(headers.host).toBe(`docs.test:${port}`);
    expect(headers['user-agent']).toBe('chat-gateway-fetch/1');
    expect(headers.cookie).toBeUndefined();
    expect(headers.authorization).toBeUndefined();
  });

  it('matches allowlist names case-insensitively and *.suffix patterns below the suffix only', async () => {
    const dns = fakeDns({ 'a.example.test': '127.0.0.1', 'b.c.example.test': '127.0.0.1', 'example.test': '127.0.0.1' });
    const options = { allowedHosts: ['*.Example.TEST'], lookup: dns.lookup, allowAddress: localOnly };
    await expect(safeFetch(`http://A.example.test:${port}/page`, options)).resolves.toMatchObject({ status: 200 });
    await expect(safeFetch(`http://b.c.example.test:${port}/page`, options)).resolves.toMatchObject({ status: 200 });
    expect((await refusal(safeFetch(`http://example.test:${port}/page`, options))).reason).toBe('host_not_allowed');
    expect((await refusal(safeFetch(`http://badexample.test:${port}/page`, options))).reason).toBe('host_not_allowed');
  });

  it('follows a relative redirect and reports the final URL', async () => {
    const page = await safeFetch(`http://docs.test:${port}/relative`, allowed());
    expect(page.url).toBe(`http://docs.test:${port}/page`);
    expect(hits.map((h) => h.path)).toEqual(['/relative', '/page']);
  });

  it('cuts a body longer than maxBytes and says so', async () => {
    const page = await safeFetch(`http://docs.test:${port}/big`, allowed({ maxBytes: 1000 }));
    expect(page.truncated).toBe(true);
    expect(page.body.length).toBe(1000);
  });
});

describe('safeFetch: refusals before any request', () => {
  it.each(['file:///etc/passwd', 'ftp://docs.test/file', 'gopher://docs.test:70/1', 'javascript:alert(1)', 'not a url'])(
    'refuses %s as a scheme problem',
    async (url) => {
      expect((await refusal(safeFetch(url, allowed()))).reason).toBe('scheme');
      expect(hits).toEqual([]);
    },
  );

  it('refuses user:password@ URLs without echoing them', async () => {
    const err = await refusal(safeFetch(`http://user:hunter2@docs.test:${port}/page`, allowed()));
    expect(err.reason).toBe('credentials');
    expect(err.message).not.toContain('hunter2');
    expect(hits).toEqual([]);
  });

  it('refuses a host not on the allowlist without resolving or connecting', async () => {
    const dns = fakeDns({ 'other.test': '127.0.0.1' });
    const err = await refusal(safeFetch(`http://other.test:${port}/page`, { ...allowed(), lookup: dns.lookup }));
    expect(err.reason).toBe('host_not_allowed');
    expect(dns.calls).toEqual([]);
    expect(hits).toEqual([]);
  });

  it('allows nothing with an empty allowlist', async () => {
    expect((await refusal(safeFetch(`http://docs.test:${port}/page`, allowed({ allowedHosts: [] })))).reason).toBe('host_not_allowed');
  });

  it('refuses a name that resolves to loopback, naming host, address and reason', async () => {
    const err = await refusal(safeFetch(`http://localhost:${port}/page`, { allowedHosts: ['localhost'], lookup: fakeDns({ localhost: '127.0.0.1' }).lookup }));
    expect(err.reason).toBe('blocked_address');
    expect(err.message).toBe('localhost resolves to 127.0.0.1 (loopback), which is never fetched');
    expect(hits).toEqual([]);
  });

  it('refuses when any one of several answers is private', async () => {
    const lookup = async () => [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.5', family: 4 }];
    const err = await refusal(safeFetch('http://docs.test/', { allowedHosts: ['docs.test'], lookup }));
    expect(err.reason).toBe('blocked_address');
    expect(err.message).toContain('10.0.0.5 (private)');
  });

  it('reports names that do not resolve as dns', async () => {
    const err = await refusal(safeFetch('http://docs.test/', { allowedHosts: ['docs.test'], lookup: fakeDns({}).lookup }));
    expect(err.reason).toBe('dns');
  });

  it.each([
    ['http://127.0.0.1:PORT/secret', '127.0.0.1'],
    ['http://2130706433:PORT/secret', '127.0.0.1'],
    ['http://0x7f.1:PORT/secret', '127.0.0.1'],
    ['http://0177.0.0.1:PORT/secret', '127.0.0.1'],
    ['http://[::1]:PORT/secret', '::1'],
    ['http://[::ffff:127.0.0.1]:PORT/secret', '::ffff:7f00:1'],
    ['http://[0:0:0:0:0:0:0:1]:PORT/secret', '::1'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254'],
  ])('refuses the IP literal %s even when it is on the allowlist', async (template, canonical) => {
    const url = template.replace('PORT', String(port));
    const err = await refusal(safeFetch(url, { allowedHosts: [canonical] }));
    expect(err.reason).toBe('blocked_address');
    // And off the allowlist it never gets as far as the address check.
    expect((await refusal(safeFetch(url, { allowedHosts: ['docs.test'] }))).reason).toBe('host_not_allowed');
    expect(hits).toEqual([]);
  });
});

describe('safeFetch: DNS rebinding', () => {
  it('connects to the address it checked and never resolves the name a second time', async () => {
    // Checked answer: the (exempted) local server. Any later answer would be a blocked private address.
    const dns = fakeDns({ 'docs.test': ['127.0.0.1', '10.0.0.1'] });
    const page = await safeFetch(`http://docs.test:${port}/page`, allowed({ lookup: dns.lookup }));
    expect(page.status).toBe(200);
    expect(dns.calls).toEqual(['docs.test']);
  });

  it('a name that rebinds to loopback after the check never reaches loopback', async () => {
    // 192.0.2.1 (documentation, unroutable) stands in for the attacker's public first answer, so the
    // test sends nothing to the real internet; the second answer points at the local server.
    const dns = fakeDns({ 'docs.test': ['192.0.2.1', '127.0.0.1'] });
    const options = { allowedHosts: ['docs.test'], lookup: dns.lookup, allowAddress: (ip: string) => ip === '192.0.2.1', timeoutMs: 300 };
    const err = await refusal(safeFetch(`http://docs.test:${port}/secret`, options));
    expect(['network', 'timeout']).toContain(err.reason);
    expect(dns.calls).toEqual(['docs.test']);
    expect(hits).toEqual([]);
  });
});

describe('safeFetch: redirects', () => {
  it.each([
    ['/to-secret', 'blocked_address'],
    ['/to-mapped', 'blocked_address'],
    ['/to-internal', 'blocked_address'],
    ['/to-evil', 'host_not_allowed'],
    ['/to-file', 'scheme'],
  ])('re-checks every hop: %s is refused (%s) and the target never hit', async (path, reason) => {
    // The exemption is only for docs.test's checked answer; the redirect targets are judged as usual.
    const dns = fakeDns({ 'docs.test': '127.0.0.1', 'internal.test': '127.0.0.2', 'evil.test': '127.0.0.1' });
    const options = allowed({ allowedHosts: ['docs.test', 'internal.test', '127.0.0.1', '::ffff:7f00:1'], lookup: dns.lookup, allowAddress: (ip) => ip === '127.0.0.1' && hits.length === 0 });
    expect((await refusal(safeFetch(`http://docs.test:${port}${path}`, options))).reason).toBe(reason);
    expect(hits.map((h) => h.path)).toEqual([path]);
  });

  it('gives up on a redirect loop', async () => {
    const err = await refusal(safeFetch(`http://docs.test:${port}/loop`, allowed({ maxRedirects: 3 })));
    expect(err.reason).toBe('too_many_redirects');
    expect(hits).toHaveLength(4);
  });
});

describe('safeFetch: failures', () => {
  it('turns a non-2xx status into http_error', async () => {
    const err = await refusal(safeFetch(`http://docs.test:${port}/missing`, allowed()));
    expect(err.reason).toBe('http_error');
    expect(err.message).toContain('404');
  });

  it('times out over the whole fetch', async () => {
    const started = Date.now();
    const err = await refusal(safeFetch(`http://docs.test:${port}/slow`, allowed({ timeoutMs: 200 })));
    expect(err.reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('times out a DNS lookup that never answers', async () => {
    const lookup = () => new Promise<{ address: string; family: number }[]>(() => {});
    expect((await refusal(safeFetch('http://docs.test/', { allowedHosts: ['docs.test'], lookup, timeoutMs: 100 }))).reason).toBe('timeout');
  });

  it('honours the abort signal with its reason', async () => {
    const controller = new AbortController();
    const stop = new Error('stopped by the caller');
    setTimeout(() => controller.abort(stop), 100);
    await expect(safeFetch(`http://docs.test:${port}/slow`, allowed({ abortSignal: controller.signal }))).rejects.toBe(stop);
    await expect(safeFetch(`http://docs.test:${port}/page`, allowed({ abortSignal: AbortSignal.abort(stop) }))).rejects.toBe(stop);
  });

  it('reports a refused connection as network', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await refusal(safeFetch(`http://docs.test:${closedPort}/page`, allowed()));
    expect(err.reason).toBe('network');
    expect(err.message).toContain('ECONNREFUSED');
  });
});
