import { describe, expect, it } from 'vitest';
import type { InboundJobInput } from '../../core/contracts/job.ts';
import { inboundJobSchema } from '../../core/contracts/job.ts';
import { maxMessageChars } from '../../core/contracts/message.ts';
import { oversizedNote } from './gateway-note.ts';

const jobWith = (content: string) => ({ input: { messages: [{ role: 'user', content }] } }) as unknown as InboundJobInput;

describe('a message longer than a job may carry', () => {
  it('is answered with a note that names its length and the limit, instead of a job the queue would refuse', () => {
    expect(oversizedNote(jobWith('x'.repeat(maxMessageChars)))).toBeUndefined();
    expect(oversizedNote(jobWith('x'.repeat(maxMessageChars + 1)))).toBe(
      'That message is too long for me: 200,001 characters, and I read at most 200,000. Please send it in shorter parts.',
    );
  });

  it('is exactly what the job contract refuses', () => {
    const refused = inboundJobSchema.shape.input.shape.messages.safeParse([{ role: 'user', content: 'x'.repeat(maxMessageChars + 1) }]);
    expect(refused.success).toBe(false);
    expect(inboundJobSchema.shape.input.shape.messages.safeParse([{ role: 'user', content: 'x'.repeat(maxMessageChars) }]).success).toBe(true);
  });
});
