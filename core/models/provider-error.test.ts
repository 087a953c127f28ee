import { describe, expect, it } from 'vitest';
import { codeForStatus, isContextLengthMessage, networkErrorCode, parseRetryAfter, ProviderCallError, redactSecrets } from './provider-error.ts';

const headers = (entries: Record<string, string>) => new Headers(entries);

describe('ProviderCallError', () => {
  it('is retryable for 408, 409, 429, 5xx and unreachable; not for 400, 401, 403, 404, 422', () => {
    const retryable = (statusCode?: number) => new ProviderCallError({ provider: 'p', modelId: 'm', statusCode, message: 'x' }).retryable;
    expect([408, 409, 429, 500, 502, 503, 529, undefined].map(retryable)).toEqual(Array(8).fill(true));
    expect([400, 401, 403, 404, 422].map(retryable)).toEqual(Array(5).fill(false));
    expect(codeForStatus(401)).toBe('provider_auth_failed');
    expect(codeForStatus(429)).toBe('provider_rate_limited');
    expect(new ProviderCallError({ provider: 'openai', modelId: 'm', message: 'boom', statusCode: 500 }).message).toBe('openai: boom');
  });
});

describe('parseRetryAfter', () => {
  it('prefers retry-after-ms, then seconds, then an HTTP date', () => {
    expect(parseRetryAfter(headers({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
    expect(parseRetryAfter(headers({ 'retry-after': '2' }))).toBe(2000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), now)).toBe(3000);
    expect(parseRetryAfter(headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(parseRetryAfter(headers({}))).toBeUndefined();
  });
});

describe('redactSecrets', () => {
  it('removes configured keys and key-shaped strings', () => {
    expect(redactSecrets('Incorrect API key provided: sk-proj-abc123********xyz9.', [])).toBe('Incorrect API key provided: [redacted].');
    expect(redactSecrets('key my-custom-secret-value rejected', ['my-custom-secret-value'])).toBe('key [redacted] rejected');
    expect(redactSecrets('header Bearer abcdefghijkl was bad')).toBe('header Bearer [redacted] was bad');
    expect(redactSecrets('plain text stays')).toBe('plain text stays');
  });
});

describe('helpers', () => {
  it('recognise context-length messages and network failures', () => {
    expect(isContextLengthMessage("This model's maximum context length is 8192 tokens")).toBe(true);
    expect(isContextLengthMessage('prompt is too long: 210000 tokens > 200000 maximum')).toBe(true);
    expect(isContextLengthMessage('invalid temperature')).toBe(false);
    expect(networkErrorCode(new Error('x', { cause: Object.assign(new Error('y'), { code: 'ECONNREFUSED' }) }))).toBe('ECONNREFUSED');
    expect(networkErrorCode(new Error('plain'))).toBeUndefined();
  });
});
