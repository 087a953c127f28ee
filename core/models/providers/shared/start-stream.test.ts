import { describe, expect, it } from 'vitest';
import { startStream } from './start-stream.ts';

async function collect<T>(source: AsyncIterable<T>) {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}

describe('startStream', () => {
  it('replays the first item and continues', async () => {
    async function* source() {
      yield 1;
      yield 2;
      yield 3;
    }
    expect(await collect(await startStream(source()))).toEqual([1, 2, 3]);
  });

  it('rejects when the source fails before its first item', async () => {
    async function* source(): AsyncGenerator<number> {
      throw new Error('refused');
    }
    await expect(startStream(source())).rejects.toThrow('refused');
  });

  it('lets a later failure reach the consumer, and closes the source when the consumer stops', async () => {
    let closed = false;
    async function* failing() {
      yield 1;
      throw new Error('cut');
    }
    const stream = await startStream(failing());
    await expect(collect(stream)).rejects.toThrow('cut');
    async function* endless() {
      try {
        for (let i = 0; ; i += 1) yield i;
      } finally {
        closed = true;
      }
    }
    for await (const item of await startStream(endless())) if (item === 2) break;
    expect(closed).toBe(true);
  });
});
