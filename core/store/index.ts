export type {
  ApiKey,
  AuditRecord,
  LimitOverrides,
  OneTimeCode,
  Conversation,
  ExternalIdentity,
  ListOptions,
  RequestLogEntry,
  Store,
  StoredMessage,
  User,
  UserRole,
} from './store.ts';
export { SqliteStore } from './embedded/sqlite-store.ts';
