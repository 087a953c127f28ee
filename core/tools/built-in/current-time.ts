import { z } from 'zod';
import type { BackendTool } from '../tool.ts';
import { ToolError } from '../tool-error.ts';

const input = z.object({
  timezone: z.string().max(100).optional().describe('An IANA time zone such as Europe/Paris; default UTC'),
});

/** The date and time now, since a model's own sense of "now" is its training cut-off. */
export const currentTime: BackendTool<z.infer<typeof input>> = {
  name: 'current_time',
  description: 'The current date and time, in UTC or a given IANA time zone.',
  input,
  roles: ['admin', 'user'],
  timeoutMs: 1000,
  async run({ timezone = 'UTC' }) {
    const now = new Date();
    let local: string;
    try {
      local = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, dateStyle: 'full', timeStyle: 'long' }).format(now);
    } catch {
      throw new ToolError(`"${timezone}" is not a time zone; use an IANA name such as Europe/Paris or America/New_York.`);
    }
    return { text: JSON.stringify({ iso: now.toISOString(), timezone, local }) };
  },
};
