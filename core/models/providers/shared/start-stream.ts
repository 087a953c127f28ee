/**
 * Waits for a source's first item, so that a failure before the first byte (refused, error status,
 * malformed first event) rejects the returned promise, where retry and failover are still safe;
 * then yields that item and the rest. Stopping early closes the source.
 */
export async function startStream<T>(source: AsyncIterable<T>): Promise<AsyncIterable<T>> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  return {
    async *[Symbol.asyncIterator]() {
      try {
        if (first.done) return;
        yield first.value;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      } finally {
        await iterator.return?.();
      }
    },
  };
}
