/**
 * Token buckets shared by every process (queue/token-buckets.ts keeps them in Redis). A bucket holds
 * up to `capacity` tokens and refills continuously at `capacity` per `periodMs`; a request costs
 * `cost` tokens of each bucket it names, taken from all of them or from none.
 */
export interface BucketSpec {
  key: string;
  capacity: number;
  /** Default: one minute. */
  periodMs?: number;
  cost: number;
}

export interface BucketLevel {
  key: string;
  limit: number;
  /** Whole tokens left after this take (never below zero). */
  remaining: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
}

export type TakeResult =
  | { allowed: true; buckets: BucketLevel[] }
  /** `retryAfterMs` is null when a cost exceeds its bucket's capacity: waiting will never help. */
  | { allowed: false; retryAfterMs: number | null; buckets: BucketLevel[] };

export interface TokenBuckets {
  /** Takes `cost` from every bucket, atomically, or from none. */
  take(buckets: BucketSpec[]): Promise<TakeResult>;
  /**
   * Corrects a take once the real cost is known: a positive `delta` takes more (the bucket may go into
   * debt, which later requests wait out), a negative one gives back.
   */
  adjust(bucket: Omit<BucketSpec, 'cost'>, delta: number): Promise<void>;
}

/** Remembers that something was said, for a while: only the first `claim` of a key within `ttlMs` wins. */
export interface OnceWithin {
  claim(key: string, ttlMs: number): Promise<boolean>;
}
