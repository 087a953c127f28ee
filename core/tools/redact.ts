/** Keys whose values are credentials whatever they hold. */
const secretKey = /pass(word|phrase)?|secret|token|api[-_]?key|authori[sz]ation|cookie|credential|private[-_]?key/i;

/** Credentials recognisable by their shape: provider keys, platform tokens, JWTs, bearer headers. */
const secretShapes = [
  /\bsk-[\w-]{16,}/g,
  /\bxox[abpre]-[\w-]{10,}/g,
  /\bxapp-[\w-]{10,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g,
  /\bAIza[\w-]{30,}/g,
  /\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/g,
  /\bgw_[\w-]{20,}/g,
  /\b\d{6,12}:[\w-]{30,}/g, // a Telegram bot token
  /(Bearer|Basic)\s+[\w.~+/=-]{8,}/gi,
  /(?<=\/\/)[^/\s:@]+:[^/\s@]+(?=@)/g, // a URL's user:password
];

const mask = '[redacted]';

/** `text` with every configured secret and every credential-shaped string masked. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join(mask);
  for (const shape of secretShapes) out = out.replace(shape, mask);
  return out;
}

/**
 * A copy of `value` safe to store in an audit record or a log: values under credential-like keys masked,
 * and secrets masked inside every string.
 */
export function redactSecrets(value: unknown, secrets: readonly string[] = []): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, secrets));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, secretKey.test(key) && item !== null && item !== '' ? mask : redactSecrets(item, secrets)]),
    );
  }
  return value;
}
