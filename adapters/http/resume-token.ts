import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a resume token carries: which job, and whether its chunks are chat or legacy text chunks. */
export interface Resumable {
  jobId: string;
  kind: 'chat' | 'text';
}

/**
 * A token that lets the same user re-attach to a job from a new connection: what to resume, signed
 * with the gateway's key and bound to the user, so nobody can attach to another's answer by guessing ids.
 */
export function mintResumeToken(key: Uint8Array, subject: string, { jobId, kind }: Resumable): string {
  const payload = `${kind}:${jobId}`;
  return `${payload}.${signature(key, subject, payload)}`;
}

/** What a token names, if it was minted for this user; undefined otherwise. */
export function readResumeToken(key: Uint8Array, subject: string, token: string): Resumable | undefined {
  const dot = token.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(signature(key, subject, payload));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const [kind, jobId] = [payload.slice(0, payload.indexOf(':')), payload.slice(payload.indexOf(':') + 1)];
  return (kind === 'chat' || kind === 'text') && jobId ? { jobId, kind } : undefined;
}

function signature(key: Uint8Array, subject: string, payload: string) {
  return createHmac('sha256', key).update(subject).update('\0').update(payload).digest('base64url').slice(0, 32);
}
