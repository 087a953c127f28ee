import { describe, expect, it } from 'vitest';
import { counter, histogram, secondsBuckets } from './metric.ts';
import { exemplarOf, exposition } from './exposition.ts';

const answers = counter({ name: 'test_exposition_answers_total', help: 'Answers, for the exposition test.', labelNames: ['kind'] as const });
const seconds = histogram({ name: 'test_exposition_seconds', help: 'Durations, for the exposition test.', buckets: secondsBuckets, enableExemplars: true });

describe('exposition', () => {
  it('gives OpenMetrics with the request id as exemplar when asked, and the plain format unchanged before and after', async () => {
    answers.inc({ kind: 'ok' });
    seconds.observe({ value: 0.003, exemplarLabels: exemplarOf('req_exemplar_1') });

    const before = await exposition({ openMetrics: false });
    const open = await exposition({ openMetrics: true });
    const after = await exposition({ openMetrics: false });

    expect(open.contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(open.body).toMatch(/^test_exposition_seconds_bucket\{le="0\.005"\} 1 # \{request_id="req_exemplar_1"\} 0\.003 \d+(\.\d+)?$/m);
    expect(open.body).toMatch(/^# TYPE test_exposition_answers counter$/m);
    expect(open.body).toMatch(/^test_exposition_answers_total\{kind="ok"\} 1$/m);
    expect(open.body.endsWith('# EOF\n')).toBe(true);
    for (const plain of [before, after]) {
      expect(plain.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(plain.body).toMatch(/^# TYPE test_exposition_answers_total counter$/m);
      expect(plain.body).toMatch(/^test_exposition_seconds_bucket\{le="0\.005"\} 1$/m);
      expect(plain.body).not.toContain('request_id');
    }
  });

  it('keeps counter names whole in a plain render asked for while an OpenMetrics one is under way', async () => {
    const renders = await Promise.all([exposition({ openMetrics: true }), exposition({ openMetrics: false }), exposition({ openMetrics: true }), exposition({ openMetrics: false })]);
    for (const plain of [renders[1]!, renders[3]!]) expect(plain.body).toMatch(/^test_exposition_answers_total\{kind="ok"\} \d+$/m);
    for (const open of [renders[0]!, renders[2]!]) expect(open.body).toMatch(/^# TYPE test_exposition_answers counter$/m);
  });

  it('cuts a long request id so its exemplar stays within OpenMetrics’ 128 characters', () => {
    const longest = `req_${'x'.repeat(124)}`; // as long as the HTTP adapter accepts in X-Request-Id
    expect(() => seconds.observe({ value: 0.2, exemplarLabels: exemplarOf(longest) })).not.toThrow();
    const { request_id: id } = exemplarOf(longest) as { request_id: string };
    expect('request_id'.length + id.length).toBe(128);
  });
});
