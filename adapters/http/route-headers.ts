import type { Route } from '../../core/contracts/reply.ts';

/** Which tier answered and why, for clients and proxies that want to know without parsing the body. */
export function routeHeaders(route: Route | undefined): Record<string, string> {
  return route ? { 'x-gateway-tier': route.tier, 'x-gateway-route-reason': route.reason } : {};
}
