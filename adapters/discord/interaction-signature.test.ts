import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { maxSkewSeconds } from '../kit/replay-window.ts';
import { interactionSignature } from './interaction-signature.ts';

/** A key pair as the Developer Portal shows the public half: 32 raw bytes in hex. */
function keyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const hex = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
  return { hex, privateKey };
}

/** Signs as Discord does: Ed25519 over the timestamp followed by the body. */
const signed = (privateKey: KeyObject, body: string, timestamp: string) => sign(null, Buffer.from(timestamp + body), privateKey).toString('hex');

const now = 1_767_000_000_000;
const timestamp = String(now / 1000);
const body = '{"type":2,"id":"1300000000000000001","token":"aW50ZXJhY3Rpb24"}';
const discord = keyPair();
const verified = interactionSignature(discord.hex);
const genuine = { signature: signed(discord.privateKey, body, timestamp), timestamp, body: Buffer.from(body) };

describe('Discord interaction signatures', () => {
  it('accepts a request signed with the application key, within 5 minutes either way, the hex in either case', () => {
    expect(verified(genuine, now)).toBe(true);
    expect(verified({ ...genuine, signature: genuine.signature.toUpperCase() }, now)).toBe(true);
    expect(verified(genuine, now + maxSkewSeconds * 1000)).toBe(true);
    expect(verified(genuine, now - maxSkewSeconds * 1000)).toBe(true);
    expect(interactionSignature(discord.hex.toUpperCase())(genuine, now)).toBe(true);
  });

  it('refuses a signature with one bit flipped, wherever the bit is', () => {
    const bytes = Buffer.from(genuine.signature, 'hex');
    for (const at of [0, 31, 32, 63]) {
      const flipped = Buffer.from(bytes);
      flipped[at]! ^= 0x01;
      expect(verified({ ...genuine, signature: flipped.toString('hex') }, now)).toBe(false);
    }
  });

  it('refuses a request signed with another key', () => {
    const other = keyPair();
    expect(verified({ ...genuine, signature: signed(other.privateKey, body, timestamp) }, now)).toBe(false);
    expect(interactionSignature(other.hex)(genuine, now)).toBe(false);
  });

  it('refuses a changed body or a changed timestamp under the genuine signature', () => {
    expect(verified({ ...genuine, body: Buffer.from(body.replace('"type":2', '"type":3')) }, now)).toBe(false);
    expect(verified({ ...genuine, body: Buffer.from(`${body} `) }, now)).toBe(false);
    expect(verified({ ...genuine, body: Buffer.alloc(0) }, now)).toBe(false);
    expect(verified({ ...genuine, timestamp: String(Number(timestamp) + 1) }, now)).toBe(false);
    // The same bytes split differently between the two: the signature covers only the concatenation, so
    // this verifies cryptographically, and the timestamp no longer parses as one.
    expect(verified({ ...genuine, timestamp: `${timestamp}{`, body: Buffer.from(body.slice(1)) }, now)).toBe(false);
  });

  it('refuses a genuine signature whose timestamp is more than 5 minutes old or ahead (a replay window)', () => {
    expect(verified(genuine, now + maxSkewSeconds * 1000 + 1000)).toBe(false);
    expect(verified(genuine, now - maxSkewSeconds * 1000 - 1000)).toBe(false);
    const old = String(Number(timestamp) - 3600);
    expect(verified({ signature: signed(discord.privateKey, body, old), timestamp: old, body: Buffer.from(body) }, now)).toBe(false);
  });

  it('refuses missing, repeated or malformed headers', () => {
    expect(verified({ ...genuine, signature: undefined }, now)).toBe(false);
    expect(verified({ ...genuine, timestamp: undefined }, now)).toBe(false);
    expect(verified({ ...genuine, signature: [genuine.signature, genuine.signature] }, now)).toBe(false);
    expect(verified({ ...genuine, timestamp: [timestamp, timestamp] }, now)).toBe(false);
    expect(verified({ ...genuine, signature: '' }, now)).toBe(false);
    // Buffer.from(hex) would stop at the first bad character; a shape check refuses it first.
    expect(verified({ ...genuine, signature: `${genuine.signature}zz` }, now)).toBe(false);
    expect(verified({ ...genuine, signature: genuine.signature.slice(0, 126) }, now)).toBe(false);
    expect(verified({ ...genuine, timestamp: ` ${timestamp}` }, now)).toBe(false);
    expect(verified({ ...genuine, timestamp: `${timestamp}.0` }, now)).toBe(false);
  });

  it('will not start with a public key that is not 32 bytes of hex', () => {
    expect(() => interactionSignature(discord.hex.slice(2))).toThrow(/64 characters/);
    expect(() => interactionSignature(`${discord.hex.slice(1)}g`)).toThrow(/64 characters/);
  });
});
