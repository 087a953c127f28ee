/**
 * The `data` of each Server-Sent Event in a response body. Google ends lines with \r\n; any of \r\n,
 * \n or \r is accepted, as the SSE specification requires. Comments, `event:`, `id:` and `retry:`
 * lines are ignored: Gemini puts everything in `data`. Events may be split across network reads.
 */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += value;
      // A trailing \r may be the first half of \r\n: keep it until the next read tells.
      const lines = buffer.split(/\r\n|\n|\r(?=[^\n])/);
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '') {
          if (data.length > 0) yield data.join('\n');
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
        }
      }
    }
    // A clean end without the final blank line still delivers the last event.
    const last = buffer.replace(/\r$/, '');
    if (last.startsWith('data:')) data.push(last.slice(last.startsWith('data: ') ? 6 : 5));
    if (data.length > 0) yield data.join('\n');
  } finally {
    // Stopping early (or failing) releases the connection instead of leaving it to drain.
    await reader.cancel().catch(() => {});
  }
}
