import { join, resolve } from 'node:path';
import { SqliteStore } from './embedded/sqlite-store.ts';
import type { Store } from './store.ts';

export interface StoreLocation {
  /** The embedded store's directory (DATA_DIR). */
  dataDir: string;
  /** Set: the MongoDB store (MONGODB_URL) instead of the embedded one. */
  mongodbUrl?: string;
  /** How long MongoDB keeps request logs (REQUEST_LOG_TTL_DAYS). Default: 90. */
  requestLogTtlDays?: number;
}

/** The configured store: MongoDB when MONGODB_URL is set, else the SQLite file under DATA_DIR. */
export async function openStore({ dataDir, mongodbUrl, requestLogTtlDays }: StoreLocation): Promise<Store> {
  if (!mongodbUrl) return new SqliteStore(join(resolve(dataDir), 'gateway.db'));
  // Loaded only when asked for: the single-machine default never loads the driver.
  const { MongoStore } = await import('./mongodb/mongo-store.ts');
  return MongoStore.connect(mongodbUrl, { requestLogTtlDays });
}
