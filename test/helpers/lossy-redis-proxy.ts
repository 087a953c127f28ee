import { connect, createServer, type Server, type Socket } from 'node:net';

export interface LossyRedisProxy {
  /** Connect here instead of Redis. */
  url: string;
  /** The next command whose bytes match `pattern` reaches Redis, and its answer is lost with the connection. */
  loseAnswerTo(pattern: RegExp): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy to the test Redis that, once armed, lets the next command matching `pattern` reach Redis
 * and then cuts the client's connection before Redis's answer gets back: what a Redis restart does to a
 * command caught in flight. ioredis reconnects and sends the command again.
 */
export async function startLossyRedisProxy(port: number): Promise<LossyRedisProxy> {
  let armed: RegExp | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    let cutting = false;
    client.on('data', (chunk) => {
      if (armed?.test(chunk.toString('latin1'))) {
        armed = undefined;
        cutting = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (cutting) client.destroy();
      else client.write(chunk);
    });
    const close = () => (client.destroy(), upstream.destroy());
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as { port: number }).port}`,
    loseAnswerTo(pattern: RegExp) {
      armed = pattern;
    },
    close: () => new Promise<void>((resolve) => (sockets.forEach((socket) => socket.destroy()), server.close(() => resolve()))),
  };
}
