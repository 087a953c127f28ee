import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A token that lets the same user re-attach to a job from a new connection: the job id, signed with
 * the gateway's key and bound to the user, so nobody can attach to another's answer by guessing ids.
 */
export function mintResumeToken(key: Uint8Array, subject: string, jobId: string): string {
  return `${jobId}.${signature(key, subject, jobId)}`;
}

/** The job id a token names, if it was minted for this user; undefined otherwise. */
export function readResumeToken(key: Uint8Array, subject: string, token: string): string | undefined {
  const dot = token.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const jobId = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(signature(key, subject, jobId));
  return given.length === expected.length && timingSafeEqual(given, expected) ? jobId : undefined;
}

function signature(key: Uint8Array, subject: string, jobId: string) {
  return createHmac('sha256', key).update(subject).update('\0').update(jobId).digest('base64url').slice(0, 32);
}
