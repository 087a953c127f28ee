import type { Route } from '../../core/contracts/reply.ts';

/** Which tier answered and why, for clients and proxies that want to know without parsing the body. */
export function routeHeaders(route: Route | undefined): Record<string, string> {
  return route ? { 'x-gateway-tier': route.tier, 'x-gateway-route-reason': route.reason } : {};
}

/**
 * The gateway's id for the conversation a request named with X-Conversation-Id (derived from the caller
 * and that header): the id GET /v1/conversations lists it under, for a client to find it again.
 */
export function conversationHeaders(requested: unknown, job: { conversationId: string }): Record<string, string> {
  return requested ? { 'x-gateway-conversation-id': job.conversationId } : {};
}
