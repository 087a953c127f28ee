/** Opens the system message holding retrieved passages (the offline model looks for it too). */
export const sourcesHeading = 'Sources from the knowledge base. Cite the ones you use by their number in brackets, like [1]:';

/**
 * The sources an answer cites by number (`[2]`), as a line to add under it: "Sources: [2] handbook.md".
 * Numbers that name no passage are ignored; an answer citing nothing gets no line.
 */
export function citedSourcesLine(sources: readonly { source: string }[], answer: string): string {
  const cited = new Set<number>();
  for (const match of answer.matchAll(/\[(\d{1,2})\]/g)) {
    const n = Number(match[1]);
    if (n >= 1 && n <= sources.length) cited.add(n);
  }
  if (cited.size === 0) return '';
  return `Sources: ${[...cited].sort((a, b) => a - b).map((n) => `[${n}] ${sources[n - 1]!.source}`).join(' · ')}`;
}
