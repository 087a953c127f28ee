import { z } from 'zod';

/**
 * Zod's words for a missing field are "Invalid input: expected string, received undefined": a person
 * reading a refusal needs "is required". Process-wide on purpose, so every schema (jobs, HTTP bodies,
 * WebSocket frames, config) says it the same way; imported by the contracts every schema builds on.
 */
z.config({
  customError: (issue) => {
    if (issue.code !== 'invalid_type') return undefined;
    if (issue.input === undefined) return 'is required';
    // A coerced number (a query's `?limit=abc`) arrives as NaN: "received NaN" means nothing to its sender.
    if (issue.expected === 'number' && Number.isNaN(issue.input)) return 'expected a number';
    return undefined;
  },
});

/** A schema issue's path as refusals name a field: `/messages/0/role` or `['messages', 0, 'role']` → `messages[0].role`, as OpenAI names parameters. */
export function toParam(path: string | readonly PropertyKey[]): string | null {
  const parts = typeof path === 'string' ? path.split('/').filter(Boolean) : path.map(String);
  if (parts.length === 0) return null;
  return parts.reduce((param, part) => (/^\d+$/.test(part) ? `${param}[${part}]` : param ? `${param}.${part}` : part), '');
}

/**
 * A schema's own words for a wrong value, and "is required" for a missing one (a schema's own words
 * otherwise win over the process-wide ones above, even for a field left out).
 */
export const unlessMissing = (expected: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : expected) });
