import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idSchema } from '../../../core/contracts/job.ts';
import type { DocumentLibrary } from '../../../core/knowledge/document-library.ts';
import type { AccountRoutesOptions } from './accounts.ts';

export const documentSchema = z.object({
  object: z.literal('document'),
  id: z.string(),
  workspace: z.string(),
  name: z.string(),
  media_type: z.string().nullable(),
  format: z.enum(['text', 'markdown', 'pdf', 'html']),
  chars: z.number().int(),
  chunks: z.number().int(),
  embedding_model: z.string(),
  created_at: z.string(),
  created_by: z.string().nullable(),
});
const canteen = {
  object: 'document',
  id: 'doc_3c9e7a1f20b44d0e9a5b6c7d8e9f0a1b',
  workspace: 'default',
  name: 'canteen.md',
  media_type: 'text/markdown',
  format: 'markdown',
  chars: 1840,
  chunks: 3,
  embedding_model: 'openai/text-embedding-3-small',
  created_at: '2026-11-20T10:00:00.000Z',
  created_by: 'usr_7d3e0f1a2b4c45d6e7f8091a2b3c4d5e',
} as const;
const documentView = documentSchema.meta({ examples: [canteen] });
const documentList = z.object({ object: z.literal('list'), data: z.array(documentSchema) }).meta({ examples: [{ object: 'list', data: [canteen] }] });

const addDocumentSchema = z
  .object({
    /** `default` is searched from every chat; a chat workspace (`slack:T0123`, `discord:123`) only from its own. */
    workspace: idSchema.default('default'),
    name: z.string().min(1).max(300).optional(),
    /** The document as text (plain, Markdown or HTML). */
    content: z.string().min(1).max(20 * 1024 * 1024).optional(),
    /** The document's bytes, base64 (a PDF). */
    content_base64: z.base64().max(28 * 1024 * 1024).optional(),
    /** `text/markdown`, `application/pdf`…; default: from the name, else sniffed. */
    media_type: z.string().max(200).optional(),
    /** Fetched from a host on FETCH_ALLOWED_HOSTS. */
    url: z.url({ protocol: /^https?$/ }).max(2000).optional(),
  })
  .refine((body) => [body.content, body.content_base64, body.url].filter((given) => given !== undefined).length === 1, {
    error: 'expected exactly one of content, content_base64 or url',
  })
  .refine((body) => body.url !== undefined || body.name !== undefined, { error: 'expected a name (how answers cite the document)', path: ['name'] })
  .meta({
    description: 'Exactly one of `content`, `content_base64` or `url`; a `name` unless it comes from the URL.',
    examples: [
      { name: 'canteen.md', content: '# Canteen\n\nThe canteen serves lentil soup every Tuesday at noon.' },
      { workspace: 'slack:T0123', name: 'handbook.pdf', content_base64: 'JVBERi0xLjcKJeLjz9MK', media_type: 'application/pdf' },
      { url: 'https://intranet.example.com/policies/travel.html' },
    ],
  });

type Document = Awaited<ReturnType<DocumentLibrary['get']>>;
const view = (document: Document): z.infer<typeof documentSchema> => ({
  object: 'document',
  id: document.id,
  workspace: document.workspace,
  name: document.name,
  media_type: document.mediaType,
  format: document.format,
  chars: document.chars,
  chunks: document.chunks,
  embedding_model: document.embeddingModel,
  created_at: document.createdAt,
  created_by: document.createdBy,
});

/**
 * The knowledge base, for admins: POST /v1/documents adds a document (text, base64 bytes, or a URL on
 * the allowlist), GET /v1/documents lists them (`?workspace=`), GET and DELETE /v1/documents/{id}.
 */
export const documents: FastifyPluginAsyncZod<Pick<AccountRoutesOptions, 'actorOf'> & { library: DocumentLibrary }> = async (app, { actorOf, library }) => {
  app.post(
    '/v1/documents',
    {
      bodyLimit: 30 * 1024 * 1024,
      schema: {
        summary: 'Add a document',
        description:
          'Admins. Text (plain, Markdown, HTML), a PDF as base64, or a URL on FETCH_ALLOWED_HOSTS; split into chunks and embedded, then cited by answers ' +
          'in its workspace (`default`: every chat). Bodies up to 30 MiB.',
        body: addDocumentSchema,
        response: { 201: documentView },
      },
    },
    async (request, reply) => {
      const actor = await actorOf(request);
      const { workspace, name, content, content_base64: base64, media_type: mediaType, url } = request.body;
      const source =
        url !== undefined
          ? { workspace, url, name }
          : { workspace, name: name!, data: content !== undefined ? new TextEncoder().encode(content) : Buffer.from(base64!, 'base64'), mediaType };
      return reply.code(201).send(view(await library.add(actor, source)));
    },
  );

  const list = {
    summary: 'List documents',
    description: "Admins. Every document, or one workspace's with `?workspace=`.",
    querystring: z.object({ workspace: idSchema.optional().meta({ description: "Only this workspace's documents." }) }),
    response: { 200: documentList },
  };
  app.get('/v1/documents', { schema: list }, async (request) => {
    const data = await library.list(await actorOf(request), request.query.workspace);
    return { object: 'list' as const, data: data.map(view) };
  });

  const byId = { params: z.object({ id: z.string().max(100).meta({ description: "The document's id (`doc_…`)." }) }), response: { 200: documentView } };
  app.get('/v1/documents/:id', { schema: { ...byId, summary: 'Get a document', description: "Admins. The document's record (not its text)." } }, async (request) =>
    view(await library.get(await actorOf(request), request.params.id)),
  );
  app.delete('/v1/documents/:id', { schema: { ...byId, summary: 'Remove a document', description: 'Admins. Removes it and its chunks; answers stop citing it. Returns what was removed.' } }, async (request) =>
    view(await library.remove(await actorOf(request), request.params.id)),
  );
};
