import type { Platform } from '../contracts/job.ts';
import type { UserRole } from '../store/store.ts';

/**
 * Who may talk to the assistant without an admin's say (ACCESS_MODE): `open`, anyone; `pairing`, a new
 * chat user gets a one-time code and waits for an admin to approve it. HTTP callers are never paired:
 * their token or key was already issued by an admin or a trusted identity provider.
 */
export type AccessMode = 'open' | 'pairing';

export function roleForNewIdentity(platform: Platform, accessMode: AccessMode): UserRole {
  return platform !== 'http' && accessMode === 'pairing' ? 'pending' : 'user';
}
