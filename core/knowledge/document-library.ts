import { GatewayError } from '../errors/gateway-error.ts';
import { auditAction, requireAdmin, type Actor } from '../identity/actor.ts';
import type { KnowledgeDocument } from '../store/knowledge-store.ts';
import type { Store } from '../store/store.ts';
import { FetchRefusedError, safeFetch, type SafeFetchOptions } from '../tools/safe-fetch.ts';
import type { KnowledgeBase } from './knowledge-base.ts';

export type DocumentSource =
  | { workspace: string; name: string; data: Uint8Array; mediaType?: string }
  | { workspace: string; url: string; name?: string };

export interface DocumentLibraryOptions {
  /** Audit records and admin checks. */
  store: Store;
  knowledge: KnowledgeBase;
  /** FETCH_ALLOWED_HOSTS: where a document may be fetched from by URL. */
  fetchAllowedHosts: readonly string[];
  /** For tests, which can only serve on loopback. */
  fetchOptions?: Omit<SafeFetchOptions, 'allowedHosts' | 'abortSignal'>;
}

/** Documents as admins manage them, from the HTTP API or a chat: checked, audited, fetched safely. */
export class DocumentLibrary {
  readonly #options: DocumentLibraryOptions;

  constructor(options: DocumentLibraryOptions) {
    this.#options = options;
  }

  async add(actor: Actor, source: DocumentSource, abortSignal?: AbortSignal): Promise<KnowledgeDocument> {
    const { store, knowledge } = this.#options;
    await requireAdmin(store, actor, 'document.add');
    const file = 'url' in source ? await this.#fetch(source.url, abortSignal) : source;
    const document = await knowledge.add({ ...file, workspace: source.workspace, name: source.name ?? file.name, createdBy: actor.user.id }, abortSignal);
    await auditAction(store, actor, 'document.add', { documentId: document.id, workspace: document.workspace, name: document.name, chunks: document.chunks });
    return document;
  }

  async list(actor: Actor, workspace?: string): Promise<KnowledgeDocument[]> {
    await requireAdmin(this.#options.store, actor, 'document.list');
    return this.#options.knowledge.list(workspace, 1000);
  }

  async get(actor: Actor, id: string): Promise<KnowledgeDocument> {
    await requireAdmin(this.#options.store, actor, 'document.get');
    const document = await this.#options.knowledge.get(id);
    if (!document) throw new GatewayError('not_found', `There is no document ${id}.`, { param: 'id' });
    return document;
  }

  async remove(actor: Actor, id: string): Promise<KnowledgeDocument> {
    const { store, knowledge } = this.#options;
    await requireAdmin(store, actor, 'document.remove');
    const document = await knowledge.get(id);
    if (!document || !(await knowledge.remove(id))) throw new GatewayError('not_found', `There is no document ${id}.`, { param: 'id' });
    await auditAction(store, actor, 'document.remove', { documentId: id, workspace: document.workspace, name: document.name });
    return document;
  }

  async #fetch(url: string, abortSignal?: AbortSignal) {
    const { fetchAllowedHosts, fetchOptions } = this.#options;
    if (fetchAllowedHosts.length === 0) {
      throw new GatewayError('forbidden', 'Adding documents by URL is off: set FETCH_ALLOWED_HOSTS to the hosts they may come from.', { param: 'url' });
    }
    try {
      const page = await safeFetch(url, { ...fetchOptions, allowedHosts: fetchAllowedHosts, abortSignal, maxBytes: 20 * 1024 * 1024 });
      return { name: page.url, data: new Uint8Array(page.body), mediaType: page.contentType };
    } catch (error) {
      if (error instanceof FetchRefusedError) throw new GatewayError('invalid_request', error.message, { param: 'url', cause: error });
      throw error;
    }
  }
}
