// Keeps one WebSocket to /v1/ws open for a given time, asking a question at a steady interval, and
// fails if the connection ever drops or an answer does not come. Run for seconds in CI, for an hour by hand:
//
//   npm run soak:ws -- --duration 3600            # starts its own platform (offline provider)
//   npm run soak:ws -- --duration 3600 --url http://127.0.0.1:8080 --token "$(npm run -s token -- --user soak)"
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { z } from 'zod';
import { startPlatformProcess, type PlatformProcess } from './lib/platform-process.ts';

const number = (error: string) => z.coerce.number({ error }).positive({ error });
const args = z
  .object({
    duration: number('--duration must be a positive number of seconds').default(60),
    interval: number('--interval must be a positive number of seconds').default(10),
    'ping-interval': number('--ping-interval must be a positive number of milliseconds').default(30_000),
    url: z.string().url({ error: '--url must be the platform URL, e.g. http://127.0.0.1:8080' }).optional(),
    token: z.string().optional(),
  })
  .safeParse(
    parseArgs({
      options: { duration: { type: 'string' }, interval: { type: 'string' }, 'ping-interval': { type: 'string' }, url: { type: 'string' }, token: { type: 'string' } },
    }).values,
  );
if (!args.success) {
  process.stderr.write(`${args.error.issues.map((issue) => issue.message).join('\n')}\n`);
  process.exit(2);
}
const { duration, interval, url: givenUrl, token: givenToken } = args.data;

let platform: PlatformProcess | undefined;
let url = givenUrl;
let token = givenToken;
if (!url || !token) {
  platform = await startPlatformProcess({ LOG_LEVEL: 'warn', WS_PING_INTERVAL_MS: String(args.data['ping-interval']) });
  url = platform.url;
  token = platform.token('soak');
}

const started = Date.now();
const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/ws`, { headers: { authorization: `Bearer ${token}` } });
let pings = 0;
let answered = 0;
let failures = 0;
let slowest = 0;
let closed: string | undefined;
const pending = new Map<string, number>();
socket.on('ping', () => (pings += 1));
socket.on('close', (code, reason) => (closed = `closed with ${code} ${reason.toString()}`));
socket.on('message', (data) => {
  const frame = JSON.parse(data.toString()) as { type: string; id?: string; error?: unknown };
  if (!frame.id || !pending.has(frame.id)) return;
  if (frame.type === 'done') {
    slowest = Math.max(slowest, Date.now() - (pending.get(frame.id) ?? Date.now()));
    answered += 1;
    pending.delete(frame.id);
  } else if (frame.type === 'error') {
    failures += 1;
    process.stderr.write(`${frame.id}: ${JSON.stringify(frame)}\n`);
    pending.delete(frame.id);
  }
});
await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));

let sent = 0;
while (Date.now() - started < duration * 1000 && !closed) {
  const id = `soak-${(sent += 1)}`;
  pending.set(id, Date.now());
  socket.send(JSON.stringify({ type: 'request', id, body: { model: 'default', messages: [{ role: 'user', content: `question ${sent}` }] } }));
  await new Promise((resolve) => setTimeout(resolve, Math.min(interval * 1000, duration * 1000 - (Date.now() - started))));
}
// Answers still on their way get a moment; then whatever has not come counts as lost.
for (let waited = 0; pending.size > 0 && waited < 10_000 && !closed; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
const lost = pending.size;
const stayedOpen = !closed;
socket.close();
await platform?.stop();

const seconds = ((Date.now() - started) / 1000).toFixed(1);
const ok = stayedOpen && failures === 0 && lost === 0 && answered === sent;
process.stdout.write(
  `ws soak: ${seconds} s on one connection, ${answered}/${sent} answers (slowest ${slowest} ms), ${failures} errors, ${lost} lost, ` +
    `${pings} server pings, ${stayedOpen ? 'connection stayed open' : closed}: ${ok ? 'PASS' : 'FAIL'}\n`,
);
process.exit(ok ? 0 : 1);
