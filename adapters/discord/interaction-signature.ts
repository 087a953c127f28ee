import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { withinReplayWindow } from '../kit/replay-window.ts';

/** What Discord sends with each interaction it posts: the two headers, and the body exactly as sent. */
export interface SignedInteraction {
  /** X-Signature-Ed25519: the Ed25519 signature, 64 bytes in hex. */
  signature: string | string[] | undefined;
  /** X-Signature-Timestamp: Unix seconds, signed together with the body. */
  timestamp: string | string[] | undefined;
  body: Buffer;
}

/** The application's Public Key (64 hex characters, from the Developer Portal) as a key node:crypto verifies with. */
function publicKeyOf(hex: string): KeyObject {
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new Error('a Discord public key is 32 bytes in hex (64 characters)');
  // node:crypto imports a raw Ed25519 key only as a JWK (or inside DER): its 32 bytes are `x`.
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(hex, 'hex').toString('base64url') }, format: 'jwk' });
}

/**
 * Checks an interaction Discord posted to the Interactions Endpoint URL: Ed25519 over the timestamp
 * followed by the raw body, against the application's public key, and a timestamp within 5 minutes of
 * now (Discord only signs; the window is ours, so a captured request cannot be replayed for ever).
 * Malformed headers fail like wrong ones: the caller answers each with the same 401.
 */
export function interactionSignature(publicKeyHex: string): (request: SignedInteraction, nowMs?: number) => boolean {
  const key = publicKeyOf(publicKeyHex);
  return ({ signature, timestamp, body }, nowMs = Date.now()) => {
    // Buffer.from(…, 'hex') stops silently at the first non-hex character: the shape is checked first.
    if (typeof signature !== 'string' || !/^[0-9a-f]{128}$/i.test(signature)) return false;
    if (typeof timestamp !== 'string' || !/^\d{1,12}$/.test(timestamp)) return false;
    if (!withinReplayWindow(Number(timestamp), nowMs)) return false;
    return verify(null, Buffer.concat([Buffer.from(timestamp, 'utf8'), body]), key, Buffer.from(signature, 'hex'));
  };
}
