/**
 * Sent with every response. The API answers JSON that nothing should render, frame, sniff or cache; a
 * page that needs more (the web chat, /docs) sets its own Content-Security-Policy and Cache-Control.
 * HSTS belongs to whatever terminates TLS in front of the gateway (SECURITY.md).
 */
export const securityHeaders = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cache-control': 'no-store',
} as const;

/**
 * The response headers a browser client of another origin may read (CORS_ORIGINS). What it may send is
 * whatever its preflight asks for: the OpenAI SDKs send their own (X-Stainless-*), and credentials are
 * bearer tokens, never cookies, so no header a page adds can borrow the user's session.
 */
export const exposedHeaders = ['X-Request-Id', 'X-Gateway-Conversation-Id', 'Retry-After', 'Retry-After-Ms', 'X-RateLimit-Limit-Requests', 'X-RateLimit-Remaining-Requests', 'X-RateLimit-Reset-Requests', 'X-RateLimit-Limit-Tokens', 'X-RateLimit-Remaining-Tokens', 'X-RateLimit-Reset-Tokens'];
