import { describe, expect, it } from 'vitest';
import { commandSpecs } from '../../core/contracts/commands.ts';
import { commandRegistrations } from './commands.ts';

describe('Discord application commands', () => {
  it("registers /ask and every one of core's commands, options typed as Discord's user picker or strings", () => {
    const registered = commandRegistrations();
    expect(registered.map((command) => command.name)).toEqual(['ask', ...commandSpecs.map((spec) => spec.name)]);
    expect(registered[0]).toEqual({ type: 1, name: 'ask', description: 'Ask the assistant', options: [{ type: 3, name: 'question', description: 'What you want to ask', required: true, max_length: 4000 }] });
    for (const spec of commandSpecs) {
      const command = registered.find((candidate) => candidate.name === spec.name)!;
      expect(command).toMatchObject({ type: 1, description: spec.description });
      expect(command.options.map((option) => [option.name, option.type, option.required])).toEqual(
        spec.options.map((option) => [option.name, option.type === 'user' ? 6 : 3, option.required ?? false]),
      );
    }
    expect(registered.find((command) => command.name === 'role')!.options).toEqual([
      { type: 6, name: 'user', description: expect.any(String), required: true },
      { type: 3, name: 'role', description: 'admin or user', required: true, choices: [{ name: 'admin', value: 'admin' }, { name: 'user', value: 'user' }] },
    ]);
  });

  it("keeps to Discord's rules: names, descriptions, required options first, at most 25 options and 100 commands", () => {
    const registered = commandRegistrations();
    expect(registered.length).toBeLessThanOrEqual(100);
    expect(new Set(registered.map((command) => command.name)).size).toBe(registered.length);
    for (const command of registered) {
      expect(command.name).toMatch(/^[a-z0-9_-]{1,32}$/);
      expect(command.description.length).toBeGreaterThan(0);
      expect(command.description.length).toBeLessThanOrEqual(100);
      expect(command.options.length).toBeLessThanOrEqual(25);
      const required = command.options.map((option) => option.required);
      expect(required).toEqual([...required].sort((a, b) => Number(b) - Number(a)));
      for (const option of command.options) {
        expect(option.name).toMatch(/^[a-z0-9_-]{1,32}$/);
        expect(option.description.length).toBeLessThanOrEqual(100);
      }
    }
  });
});
