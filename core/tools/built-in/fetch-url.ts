import { z } from 'zod';
import { extractText, UnsupportedDocumentError } from '../../knowledge/extract-text.ts';
import { FetchRefusedError, safeFetch, type SafeFetchOptions } from '../safe-fetch.ts';
import type { BackendTool } from '../tool.ts';
import { ToolError } from '../tool-error.ts';

const input = z.object({ url: z.url({ protocol: /^https?$/ }).max(2000).describe('An http(s) URL on one of the allowed hosts') });

/** Text the model reads at most from one page; the rest is cut, and it is told so. */
const maxChars = 20_000;

export interface FetchUrlOptions {
  /** FETCH_ALLOWED_HOSTS: names or `*.example.com` patterns. */
  allowedHosts: readonly string[];
  /** For tests, which can only serve on loopback. Default: the safe-fetch defaults. */
  fetchOptions?: Omit<SafeFetchOptions, 'allowedHosts' | 'abortSignal'>;
}

/**
 * Reads a web page as text, only from allowlisted hosts, never from a private, loopback or link-local
 * address, nor through a redirect to one. High-risk: a URL can carry what the context holds to its host.
 */
export function fetchUrl({ allowedHosts, fetchOptions = {} }: FetchUrlOptions): BackendTool<z.infer<typeof input>> {
  return {
    name: 'fetch_url',
    description: `Fetches a web page and returns its text. Only these hosts may be fetched: ${allowedHosts.join(', ')}.`,
    input,
    roles: ['admin', 'user'],
    timeoutMs: 15_000,
    highRisk: true,
    readsOutside: true,
    async run({ url }, { abortSignal }) {
      try {
        const page = await safeFetch(url, { ...fetchOptions, allowedHosts, abortSignal });
        const { text } = await extractText({ data: page.body, mediaType: page.contentType, name: new URL(page.url).pathname });
        const cut = text.length > maxChars || page.truncated;
        return { text: `${text.slice(0, maxChars)}${cut ? '\n[… the page is longer; the rest was cut]' : ''}`, untrusted: true };
      } catch (error) {
        if (error instanceof FetchRefusedError || error instanceof UnsupportedDocumentError) throw new ToolError(error.message);
        throw error;
      }
    },
  };
}
