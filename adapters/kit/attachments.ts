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

/** A file that cannot be taken, with what to tell the person who sent it. */
export class AttachmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AttachmentError';
  }
}

const tooLarge = (name: string) =>
  new AttachmentError(`${name} is larger than ${maxAttachmentBytes / (1024 * 1024)} MB, the most a chat can send to the knowledge base; add it with POST /v1/documents instead.`);

/** Refuses a file the platform says is larger than a job may carry, before anything is fetched. */
export function checkAttachmentSize(file: FileRef): void {
  if (file.size !== undefined && file.size > maxAttachmentBytes) throw tooLarge(file.name);
}

/**
 * Reads a file from the platform (with its credentials in `headers` where it needs them), up to the
 * size a job may carry; the credentials never reach the job.
 */
export async function readAttachment(url: string | URL, file: FileRef, headers: Record<string, string> = {}): Promise<Attachment> {
  checkAttachmentSize(file);
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
  // A 4xx will not change on a retry (the file is gone, or was never there): said to the sender, not retried.
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
    await response.body?.cancel();
    throw new AttachmentError(`I could not download ${file.name}: the platform answered ${response.status}. Please send it again.`);
  }
  if (!response.ok || !response.body) throw new Error(`the platform answered ${response.status} for ${file.name}`);
  // A sign-in page instead of the file: the bot may not read it (on Slack, the app lacks files:read).
  const served = response.headers.get('content-type') ?? '';
  if (served.startsWith('text/html') && file.mediaType && !file.mediaType.includes('html')) {
    await response.body.cancel();
    throw new AttachmentError(`I was not allowed to read ${file.name}; an administrator should check the bot's permissions (on Slack, the files:read scope).`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > maxAttachmentBytes) throw tooLarge(file.name);
    chunks.push(chunk);
  }
  const mediaType = file.mediaType ?? response.headers.get('content-type') ?? undefined;
  return { name: file.name, ...(mediaType ? { mediaType } : {}), data: Buffer.concat(chunks).toString('base64') };
}
