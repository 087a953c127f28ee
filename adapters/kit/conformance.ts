import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { inboundJobSchema, type InboundJob, type Platform } from '../../core/contracts/job.ts';
import type { OkReply, ReplyAction } from '../../core/contracts/reply.ts';
import type { ChatTarget } from './chat-transport.ts';

/**
 * The adapter conformance suite: recorded platform events replayed against a running adapter (its real
 * SDK, a fake of its platform, the real queue), asserting what every chat adapter must do alike.
 * Each adapter's test supplies its recordings and a harness; the assertions are shared.
 */

/** What one recorded event must become. */
export type ConformanceExpectation =
  | { kind: 'job'; externalId: string; text: string; direct: boolean; conversationId: string; chat: ChatTarget }
  /** Answered by the adapter itself with a message naming what it cannot read. */
  | { kind: 'unsupported'; chat: ChatTarget; reply: string }
  | { kind: 'ignore' };

export interface ConformanceCase {
  name: string;
  /** The platform's payload, as recorded. */
  event: unknown;
  expect: ConformanceExpectation;
}

export interface ConformanceDriver {
  /** Delivers a recorded event the way the platform does (poll, webhook, gateway dispatch); resolves once the adapter took it. */
  deliver(event: unknown): Promise<void>;
  /** Jobs the adapter put on the queue, in order, as the queue holds them. */
  jobs(): InboundJob[];
  /** Posts a reply the way replies reach the adapter (its outbound delivery). */
  deliverReply(reply: OkReply): Promise<void>;
  /** What the platform shows in a chat from the bot, oldest first, as a person reads it. */
  shown(chat: ChatTarget): string[];
  close(): Promise<void>;
}

export interface ConformanceHarness {
  platform: Platform;
  cases: ConformanceCase[];
  /** The platform's longest message. */
  maxMessageLength: number;
  start(): Promise<ConformanceDriver>;
}

/** A reply to `job` as a worker sends it, with buttons under it when `actions` are given (tests of every adapter use it). */
export function okReply(job: Pick<InboundJob, 'id' | 'requestId' | 'conversationId' | 'replyTo'>, content: string, actions?: ReplyAction[]): OkReply {
  return {
    v: 1,
    jobId: job.id,
    requestId: job.requestId,
    conversationId: job.conversationId,
    replyTo: job.replyTo,
    createdAt: new Date().toISOString(),
    status: 'ok',
    message: { role: 'assistant', content },
    model: 'conformance',
    finishReason: 'stop',
    usage: { inputTokens: 1, outputTokens: 1 },
    ...(actions ? { actions } : {}),
  };
}

export function describeAdapterConformance(harness: ConformanceHarness) {
  const { platform, cases } = harness;
  describe(`${platform} adapter conformance`, () => {
    const jobCase = cases.find((entry) => entry.expect.kind === 'job');
    /** A fresh adapter for one test, closed after it whatever happens. */
    const withAdapter = async (test: (driver: ConformanceDriver) => Promise<void>) => {
      const driver = await harness.start();
      try {
        await test(driver);
      } finally {
        await driver.close();
      }
    };

    it.each(cases.map((entry) => [entry.name, entry] as const))('maps %s', (_, entry) =>
      withAdapter(async (driver) => {
        await driver.deliver(entry.event);
        const jobs = driver.jobs();
        const expected = entry.expect;
        if (expected.kind !== 'job') {
          expect(jobs).toEqual([]);
          if (expected.kind === 'unsupported') expect(driver.shown(expected.chat).join('\n')).toContain(expected.reply);
          return;
        }
        expect(jobs).toHaveLength(1);
        const job = inboundJobSchema.parse(jobs[0]);
        // Identity: the job's token names the platform user, and nothing else does.
        const claims = decodeJwt(job.identityToken);
        expect({ platform: claims.platform, subject: claims.sub, jobId: claims.jti }).toEqual({ platform, subject: expected.externalId, jobId: job.id });
        expect(job.source).toMatchObject({ platform, direct: expected.direct });
        expect(job.id.startsWith(`${platform}-`)).toBe(true);
        expect(job.conversationId).toBe(expected.conversationId);
        expect(job.replyTo).toEqual({ adapter: platform, chat: expected.chat });
        expect(job.input.messages).toEqual([{ role: 'user', content: expected.text }]);
        expect(job.capabilities?.maxMessageLength).toBe(harness.maxMessageLength);
      }),
    );

    it.runIf(jobCase)('makes a redelivered event the same job, and posts its reply once however often it is delivered', () =>
      withAdapter(async (driver) => {
        await driver.deliver(jobCase!.event);
        await driver.deliver(jobCase!.event);
        const ids = new Set(driver.jobs().map((job) => job.id));
        expect(ids.size).toBe(1);
        const job = driver.jobs()[0]!;
        const reply = okReply(job, 'One answer, **once**.');
        await driver.deliverReply(reply);
        await driver.deliverReply(reply);
        expect(driver.shown(job.replyTo.chat!)).toEqual(['One answer, once.']);
      }),
    );

    it.runIf(jobCase)("splits a long reply within the platform's limit, losing nothing", () =>
      withAdapter(async (driver) => {
        await driver.deliver(jobCase!.event);
        const job = driver.jobs()[0]!;
        const lines = Array.from({ length: 400 }, (_, i) => `Line ${i}: the quick brown fox jumps over the lazy dog.`);
        await driver.deliverReply(okReply(job, lines.join('\n\n')));
        const shown = driver.shown(job.replyTo.chat!);
        expect(shown.length).toBeGreaterThan(1);
        for (const message of shown) expect(message.length).toBeLessThanOrEqual(harness.maxMessageLength);
        const all = shown.join('\n');
        for (const line of lines) expect(all).toContain(line);
      }),
    );
  });
}
