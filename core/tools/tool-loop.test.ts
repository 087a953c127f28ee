import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { scriptedModel, sentText, type ScriptedTurn, type SentMessages } from '../../test/fakes/fake-openai.ts';
import { answerOf, usePipeline } from '../../test/helpers/pipeline-harness.ts';
import type { StreamPart } from '../contracts/stream-part.ts';
import type { BackendTool } from './tool.ts';
import { ToolRegistry } from './tool-registry.ts';

const pipeline = usePipeline();
let bodies: Record<string, unknown>[];

/** The model answers from `script`, one turn per request; `bodies` keeps what the gateway sent. */
function model(script: (messages: SentMessages, round: number) => ScriptedTurn) {
  pipeline.upstream.handle(
    scriptedModel((messages, body) => {
      bodies.push(body);
      return script(messages, bodies.length);
    }),
  );
}
beforeEach(() => {
  bodies = [];
});

const call = (name: string, args: unknown, id = 'call_1') => ({ toolCalls: [{ id, name, arguments: typeof args === 'string' ? args : JSON.stringify(args) }] });
const toolResults = (body: Record<string, unknown> | undefined) =>
  ((body?.messages ?? []) as SentMessages).filter((message) => message.role === 'tool').map((message) => sentText(message));
const offered = (body: Record<string, unknown> | undefined) => ((body?.tools ?? []) as { function: { name: string } }[]).map((tool) => tool.function.name);
const toolAudits = async (store: ReturnType<typeof pipeline.start>['store']) => (await store.listAudit()).filter((record) => record.action === 'tool.call');

describe('the tools loop', () => {
  it('runs an allowed call, feeds the result back and answers; the call is audited', async () => {
    const { say, store } = pipeline.start();
    model((_messages, round) => (round === 1 ? call('calculator', { expression: '2^10 + 1' }) : 'It is 1025.'));
    expect(answerOf(await say('What is 2^10 + 1?'))).toBe('It is 1025.');
    // No document in the knowledge base: searching it is not offered.
    expect(offered(bodies[0]).sort()).toEqual(['calculator', 'current_time']);
    expect(toolResults(bodies[1])).toEqual(['1025']);
    const [audit] = await toolAudits(store);
    expect(audit).toMatchObject({ outcome: 'ok', detail: { tool: 'calculator', arguments: { expression: '2^10 + 1' }, resultChars: 4 } });
    expect(audit!.detail.durationMs).toEqual(expect.any(Number));
  });

  it('refuses a tool the role may not call, even when the model calls it unoffered', async () => {
    const { say, store } = pipeline.start({ TOOL_ROLES: '{"calculator":["admin"]}' });
    model((_messages, round) => (round === 1 ? call('calculator', { expression: '1+1' }) : 'I cannot calculate that here.'));
    expect(answerOf(await say('1+1?'))).toBe('I cannot calculate that here.');
    expect(offered(bodies[0])).not.toContain('calculator');
    expect(toolResults(bodies[1])[0]).toMatch(/^Not allowed: this user may not call calculator/);
    expect(await toolAudits(store)).toEqual([expect.objectContaining({ outcome: 'refused', detail: expect.objectContaining({ reason: 'not allowed for role user' }) })]);
  });

  it('tells the model what was wrong with bad arguments and unknown tools, so it can correct itself', async () => {
    const { say, store } = pipeline.start();
    model((_messages, round) =>
      round === 1
        ? { toolCalls: [
            { id: 'a', name: 'calculator', arguments: '{"expr": 1}' },
            { id: 'b', name: 'calculator', arguments: '{not json' },
            { id: 'c', name: 'delete_everything', arguments: '{}' },
          ] }
        : round === 2
          ? call('calculator', { expression: '6*7' }, 'd')
          : '42',
    );
    expect(answerOf(await say('six times seven'))).toBe('42');
    const [schema, json, unknown] = toolResults(bodies[1]);
    expect(schema).toMatch(/^The arguments do not match the tool's schema \(expression: .*\)/);
    expect(json).toBe('The arguments are not valid JSON. Call the tool again with a JSON object.');
    expect(unknown).toBe('There is no tool named "delete_everything".');
    expect(toolResults(bodies[2]).at(-1)).toBe('42');
    expect((await toolAudits(store)).map((record) => record.outcome).sort()).toEqual(['error', 'error', 'ok', 'refused']);
  });

  it('stops a tool that overruns its timeout', async () => {
    const slow: BackendTool<{ ms: number }> = {
      name: 'slow',
      description: 'waits',
      input: z.object({ ms: z.number() }),
      roles: ['user', 'admin'],
      timeoutMs: 100,
      run: ({ ms }, { abortSignal }) => new Promise((resolve) => setTimeout(resolve, ms, { text: 'done' })).then((value) => (abortSignal.throwIfAborted(), value as { text: string })),
    };
    const { say, store } = pipeline.start({}, () => ({ tools: new ToolRegistry([slow]) }));
    model((_messages, round) => (round === 1 ? call('slow', { ms: 5000 }) : 'It took too long.'));
    const started = Date.now();
    expect(answerOf(await say('go slow'))).toBe('It took too long.');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(toolResults(bodies[1])).toEqual(['slow did not finish within 0.1 s.']);
    expect(await toolAudits(store)).toEqual([expect.objectContaining({ outcome: 'error', detail: expect.objectContaining({ reason: 'timeout' }) })]);
  });

  it('makes the model answer without tools after TOOLS_MAX_ROUNDS, and fails clearly if it still will not', async () => {
    const { say } = pipeline.start({ TOOLS_MAX_ROUNDS: '2' });
    model(() => call('current_time', {}));
    expect(answerOf(await say('what time is it?'))).toMatch(/^error tool_rounds_exceeded: The model kept calling tools after 2 rounds \(TOOLS_MAX_ROUNDS\)/);
    expect(bodies).toHaveLength(3);
    expect(bodies[2]?.tool_choice).toBe('none');
    expect(bodies[1]?.tool_choice).toBeUndefined();
  });

  it('streams one answer across rounds: no tool parts, one finish with the usage of every round', async () => {
    const { say } = pipeline.start();
    model((_messages, round) => (round === 1 ? { ...call('calculator', { expression: '3*3' }), content: 'Let me work it out.' } : 'Nine.'));
    const published: StreamPart[] = [];
    const outcome = await say('3*3?', { stream: true, published });
    expect(answerOf(outcome)).toBe('Let me work it out.\n\nNine.');
    expect(published.map((part) => part.type)).toEqual(['start', 'text', 'text', 'text', 'finish']);
    expect(published.filter((part) => part.type === 'text').map((part) => part.delta).join('')).toBe('Let me work it out.\n\nNine.');
    expect(published.at(-1)).toEqual({ type: 'finish', finishReason: 'stop', usage: { inputTokens: 20, outputTokens: 10 } });
    expect(outcome.kind === 'reply' && outcome.reply.status === 'ok' && outcome.reply.usage).toEqual({ inputTokens: 20, outputTokens: 10 });
  });

  it('masks secrets in the arguments it audits', async () => {
    const { say, store } = pipeline.start();
    model((_messages, round) => (round === 1 ? call('calculator', { expression: '1+1', api_key: 'hunter2-hunter2', note: 'key sk-test-pipeline and sk-abcdefghijklmnopqrstuv' }) : 'Two.'));
    await say('1+1');
    const [audit] = await toolAudits(store);
    expect(audit?.detail.arguments).toEqual({ expression: '1+1', api_key: '[redacted]', note: 'key [redacted] and [redacted]' });
  });

  it('refuses to fetch a private address through fetch_url, whatever the allowlist says, and tells the model why', async () => {
    const { say } = pipeline.start({ FETCH_ALLOWED_HOSTS: 'localhost,127.0.0.1,169.254.169.254' });
    model((_messages, round) =>
      round === 1
        ? { toolCalls: [
            { id: 'a', name: 'fetch_url', arguments: JSON.stringify({ url: 'http://localhost:9/admin' }) },
            { id: 'b', name: 'fetch_url', arguments: JSON.stringify({ url: 'http://169.254.169.254/latest/meta-data/' }) },
            { id: 'c', name: 'fetch_url', arguments: JSON.stringify({ url: 'http://evil.example/' }) },
          ] }
        : 'I could not fetch those.',
    );
    expect(answerOf(await say('fetch the admin page'))).toBe('I could not fetch those.');
    const [loopback, metadata, elsewhere] = toolResults(bodies[1]);
    expect(loopback).toMatch(/^fetch_url failed: localhost resolves to (127\.0\.0\.1|::1) \(loopback\)/);
    expect(metadata).toMatch(/^fetch_url failed: .*169\.254\.169\.254.*link-local/);
    expect(elsewhere).toMatch(/^fetch_url failed: .*evil\.example.*not/);
  });

  it("offers a client that sends its own tools only those, and returns the model's calls to it", async () => {
    const { say, store } = pipeline.start();
    model(() => call('get_weather', { city: 'Oslo' }));
    const tools = [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
    const outcome = await say('Weather in Oslo?', { platform: 'http', request: { tools } });
    expect(offered(bodies[0])).toEqual(['get_weather']);
    expect(bodies).toHaveLength(1);
    expect(outcome.kind === 'reply' && outcome.reply.status === 'ok' && outcome.reply.message.toolCalls).toEqual([{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }]);
    expect(await toolAudits(store)).toEqual([]);
  });

  it('offers nothing with tool_choice none', async () => {
    const { say } = pipeline.start();
    model(() => 'No tools.');
    await say('hi', { platform: 'http', request: { toolChoice: 'none' } });
    expect(bodies[0]?.tools).toBeUndefined();
  });
});
