/**
 * The short-lived credentials a platform gives for answering one interaction (Discord's interaction
 * token, valid 15 minutes), kept by the adapter beside its delivery records, so any of its processes
 * can answer, and out of the job: the queue, the store and the audit never see them.
 */
export interface InteractionTokens {
  /** Keeps `value` for `interactionId` until `ttlMs` passes. */
  save(interactionId: string, value: string, ttlMs: number): Promise<void>;
  /** The value, or undefined once it has expired. */
  load(interactionId: string): Promise<string | undefined>;
}
