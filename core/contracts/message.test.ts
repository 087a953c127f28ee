import { describe, expect, it } from 'vitest';
import { maxToolParametersDepth, toolDefinitionSchema } from './message.ts';

/** A JSON object `depth` levels deep, as JSON.parse builds one from a request body. */
const nested = (depth: number) => JSON.parse(`${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`) as Record<string, unknown>;

describe('toolDefinitionSchema', () => {
  it(`accepts parameters nested ${maxToolParametersDepth} levels deep`, () => {
    expect(toolDefinitionSchema.safeParse({ name: 'f', parameters: nested(maxToolParametersDepth) }).success).toBe(true);
  });

  it('refuses parameters nested one level deeper, and thousands deeper, with words and without overflowing the stack', () => {
    for (const depth of [maxToolParametersDepth + 1, 50_000]) {
      const parsed = toolDefinitionSchema.safeParse({ name: 'f', parameters: nested(depth) });
      expect(parsed.success, `depth ${depth}`).toBe(false);
      expect(parsed.error?.issues[0]).toMatchObject({ path: ['parameters'], message: `expected a JSON schema nested at most ${maxToolParametersDepth} levels deep` });
    }
  });

  it('says a missing name is required, not "received undefined"', () => {
    expect(toolDefinitionSchema.safeParse({}).error?.issues[0]).toMatchObject({ path: ['name'], message: 'is required' });
  });
});
