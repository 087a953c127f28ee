import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxAttachmentBytes } from '../../core/contracts/job.ts';
import { AttachmentError, checkAttachmentSize, readAttachment } from './attachments.ts';

/** A file server answering each path's status: /ok serves the file, /<status> answers that status. */
let server: Server;
let origin: string;
beforeAll(async () => {
  server = createServer((request, response) => {
    const status = request.url === '/ok' ? 200 : Number(request.url!.slice(1));
    response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'the notes' : 'no');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('reading a file a chat message carries', () => {
  it('reads it, as base64 with its media type', async () => {
    expect(await readAttachment(`${origin}/ok`, { name: 'notes.txt' })).toEqual({ name: 'notes.txt', mediaType: 'text/plain', data: Buffer.from('the notes').toString('base64') });
  });

  it('refuses a file the platform says is too large before fetching anything', async () => {
    expect(() => checkAttachmentSize({ name: 'big.pdf', size: maxAttachmentBytes + 1 })).toThrow(AttachmentError);
    expect(() => checkAttachmentSize({ name: 'fits.pdf', size: maxAttachmentBytes })).not.toThrow();
    expect(() => checkAttachmentSize({ name: 'unsaid.pdf' })).not.toThrow();
    await expect(readAttachment('http://127.0.0.1:1/never-fetched', { name: 'big.pdf', size: maxAttachmentBytes + 1 })).rejects.toThrow(/big\.pdf is larger than 10 MB/);
  });

  it('tells the sender about a 4xx, which a retry would not change, and leaves a 429 or a 5xx to be retried', async () => {
    for (const status of [403, 404, 410]) {
      const refused = await readAttachment(`${origin}/${status}`, { name: 'gone.md' }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(AttachmentError);
      expect((refused as Error).message).toBe(`I could not download gone.md: the platform answered ${status}. Please send it again.`);
    }
    for (const status of [429, 500, 503]) {
      const failed = await readAttachment(`${origin}/${status}`, { name: 'later.md' }).catch((error: unknown) => error);
      expect(failed).not.toBeInstanceOf(AttachmentError);
      expect((failed as Error).message).toBe(`the platform answered ${status} for later.md`);
    }
  });
});
