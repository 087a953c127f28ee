import { describe, expect, it } from 'vitest';
import { mintResumeToken, readResumeToken } from './resume-token.ts';

const key = new TextEncoder().encode('k'.repeat(32));

describe('resume tokens', () => {
  it('carry the job and its kind back to the user they were minted for', () => {
    const token = mintResumeToken(key, 'alice', { jobId: 'http-1234', kind: 'text' });
    expect(readResumeToken(key, 'alice', token)).toEqual({ jobId: 'http-1234', kind: 'text' });
  });

  it('mean nothing to another user, under another key, or altered', () => {
    const token = mintResumeToken(key, 'alice', { jobId: 'http-1234', kind: 'chat' });
    expect(readResumeToken(key, 'bob', token)).toBeUndefined();
    expect(readResumeToken(new TextEncoder().encode('o'.repeat(32)), 'alice', token)).toBeUndefined();
    expect(readResumeToken(key, 'alice', token.replace('http-1234', 'http-9999'))).toBeUndefined();
    expect(readResumeToken(key, 'alice', 'no-signature')).toBeUndefined();
  });
});
