import { act } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fetchMock, reply } from '../test/fetchMock';
import { FakeEventSource } from '../test/eventSource';
import { BACKOFF_MAX_MS, backoffDelay, openStream, registry } from './sse';

describe('backoffDelay', () => {
  it('doubles from 1 s, caps at 30 s and jitters to 50–100 %', () => {
    expect(backoffDelay(0, () => 1)).toBe(1000);
    expect(backoffDelay(0, () => 0)).toBe(500);
    expect(backoffDelay(3, () => 1)).toBe(8000);
    expect(backoffDelay(20, () => 1)).toBe(BACKOFF_MAX_MS);
    expect(backoffDelay(20, () => 0)).toBe(BACKOFF_MAX_MS / 2);
  });
});

describe('openStream', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('mints a fresh ticket for every connect and resumes from the last event id', async () => {
    let n = 0;
    fetchMock.on('POST', '/auth/sse-ticket', () => ({ ticket: `t${++n}`, expires_in: 60 }));
    const states: string[] = [];
    const got: unknown[] = [];
    const s = openStream({ path: '/stream', params: { search: 'service:ssh' }, onMessage: (d) => got.push(d), onState: (st) => states.push(st) });
    await vi.waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    const first = FakeEventSource.latest();
    expect(first.url).toBe('/api/v1/stream?search=service%3Assh&ticket=t1');
    act(() => first.open());
    first.message({ type: 'logs', data: [] }, '42');
    expect(got).toEqual([{ type: 'logs', data: [] }]);
    expect(registry.aggregate()).toBe('live');

    first.fail();
    expect(first.readyState).toBe(2); // closed: the browser must not retry with the used ticket
    expect(registry.aggregate()).toBe('offline');
    await vi.advanceTimersByTimeAsync(1000);
    await vi.waitFor(() => expect(FakeEventSource.instances).toHaveLength(2));
    expect(FakeEventSource.latest().url).toBe('/api/v1/stream?search=service%3Assh&ticket=t2&lastEventId=42');
    expect(fetchMock.calls('POST', '/auth/sse-ticket')).toHaveLength(2);
    expect(states).toEqual(['connecting', 'live', 'offline', 'connecting']);
    s.close();
    expect(registry.aggregate()).toBe('idle');
  });

  it('retries a failed ticket mint with backoff, and stops on 401', async () => {
    // Later routes win: the 500 answers once, then the 401.
    fetchMock.on('POST', '/auth/sse-ticket', reply(401, { detail: 'expired' }));
    fetchMock.on('POST', '/auth/sse-ticket', reply(500, { detail: 'boom' }), 1);
    const states: string[] = [];
    const s = openStream({ path: '/stream', onState: (st) => states.push(st) });
    await vi.waitFor(() => expect(states).toContain('offline'));
    await vi.advanceTimersByTimeAsync(1000);
    await vi.waitFor(() => expect(fetchMock.calls('POST', '/auth/sse-ticket')).toHaveLength(2));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fetchMock.calls('POST', '/auth/sse-ticket')).toHaveLength(2);
    expect(FakeEventSource.instances).toHaveLength(0);
    s.close();
  });

  it('dispatches named events', async () => {
    fetchMock.on('POST', '/auth/sse-ticket', { ticket: 'x', expires_in: 60 });
    const tagged = vi.fn();
    const s = openStream({ path: '/attackers/u1/events', events: { 'ttp.tagged': tagged } });
    await vi.waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    FakeEventSource.latest().emit('ttp.tagged', { topic: 'ttp.tagged' });
    expect(tagged).toHaveBeenCalledWith({ topic: 'ttp.tagged' });
    s.close();
  });
});
