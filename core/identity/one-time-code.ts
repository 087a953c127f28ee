import { randomInt } from 'node:crypto';

/** No 0/O, 1/I/L: a code is read off one screen and typed into another. */
const alphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const length = 8;

/** 8 characters of 31: about 40 bits, with a short lifetime and per-user rate limits on guessing. */
export function newCode(): string {
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
}

/** What people type back: any case, with or without the dash or spaces. */
export function normalizeCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '');
}

/** `ABCD-EFGH`, as shown to people. */
export function formatCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}
