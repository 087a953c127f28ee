// Starts a private redis-server in the directory given as argv[2], prints its pid, and waits to be killed.
import { startRedisServer } from '../../queue/redis-server.ts';

const server = await startRedisServer({ dir: process.argv[2] ?? '.' });
process.stdout.write(`${JSON.stringify({ pid: server.pid, url: server.url })}\n`);
setInterval(() => {}, 60_000);
