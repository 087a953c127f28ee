/**
 * What a chat adapter remembers about each reply it posts, per job and part, shared by every process of
 * the adapter: the memory that makes delivery exactly once across redelivered replies and restarts.
 *
 * A part's record: `sending:<claim>` (claimed; the call to the platform may or may not have landed), `draft:<id>`
 * (a live message being edited while the answer streams), `sent:<id>`, `stale`, `refused` (by the
 * platform, for good), or `failed` (certainly not posted: free to claim again).
 */
export interface DeliveryRecords {
  /** Claims a part for sending: undefined when this caller now holds it, else the record already there (never `failed`). */
  claim(jobId: string, part: string): Promise<string | undefined>;
  /** Replaces a part's record. */
  record(jobId: string, part: string, value: string): Promise<void>;
  /** Every part's record of a job. */
  read(jobId: string): Promise<Record<string, string>>;
}

/** The live message's id in a `draft:<id>` record; undefined for any other record. */
export const draftIdOf = (record: string | undefined): string | undefined => /^draft:(.+)$/.exec(record ?? '')?.[1];

/** Whether a record is a claim (`sending:<claim>`; plain `sending` before claims carried a token). */
export const isClaim = (record: string | undefined): boolean => record === 'sending' || (record?.startsWith('sending:') ?? false);
