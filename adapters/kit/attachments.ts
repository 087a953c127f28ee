import { maxAttachmentBytes, type Attachment } from '../../core/contracts/job.ts';

/** The one command that reads the files sent with it: an admin's `/docs add`. Other messages' files are not opened. */
export const readsAttachments = (text: string) => /^\/docs(@\w+)?\s+add\b/i.test(text.trim());

/** A file a chat message carries, as the platform describes it, before it is read. */
export interface FileRef {
  name: string;
  mediaType?: string;
  /** Bytes, when the platform says. */
  size?: number;
}

export class AttachmentTooLargeError extends Error {
  constructor(name: string) {
    super(`${name} is larger than ${maxAttachmentBytes / (1024 * 1024)} MB, the most a chat can send to the knowledge base; add it with POST /v1/documents instead.`);
    this.name = 'AttachmentTooLargeError';
  }
}

/**
 * Reads a file from the platform (with its credentials in `headers` where it needs them), up to the
 * size a job may carry; the credentials never reach the job.
 */
export async function readAttachment(url: string | URL, file: FileRef, headers: Record<string, string> = {}): Promise<Attachment> {
  if (file.size !== undefined && file.size > maxAttachmentBytes) throw new AttachmentTooLargeError(file.name);
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
  if (!response.ok || !response.body) throw new Error(`the platform answered ${response.status} for ${file.name}`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > maxAttachmentBytes) throw new AttachmentTooLargeError(file.name);
    chunks.push(chunk);
  }
  const mediaType = file.mediaType ?? response.headers.get('content-type') ?? undefined;
  return { name: file.name, ...(mediaType ? { mediaType } : {}), data: Buffer.concat(chunks).toString('base64') };
}
