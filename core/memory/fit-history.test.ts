import { describe, expect, it } from 'vitest';
import type { Message } from '../contracts/message.ts';
import { fitHistory, turnTokens } from './fit-history.ts';

const user = (content: string): Message => ({ role: 'user', content });
const assistant = (content: string): Message => ({ role: 'assistant', content });

describe('fitHistory', () => {
  const history = [user('one'), assistant('two'), user('three'), assistant('four')];
  const each = turnTokens(user('one'));

  it('keeps everything within the budget', () => {
    expect(fitHistory(history, 1000)).toEqual({ kept: history, dropped: [] });
  });

  it('drops the oldest turns first, and never starts on an answer', () => {
    // Room for three turns; the oldest of them is an answer, so it goes too.
    expect(fitHistory(history, each * 3)).toEqual({ kept: history.slice(2), dropped: history.slice(0, 2) });
  });

  it('keeps nothing when not even the newest turn fits', () => {
    expect(fitHistory(history, each - 1)).toEqual({ kept: [], dropped: history });
    expect(fitHistory([], 0)).toEqual({ kept: [], dropped: [] });
  });

  it('counts the calls an answer made', () => {
    const calling: Message = { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'calculator', arguments: '{"expression":"1+1"}' }] };
    expect(turnTokens(calling)).toBeGreaterThan(turnTokens(assistant('')));
  });
});
