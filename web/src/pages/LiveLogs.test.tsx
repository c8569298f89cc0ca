import { act, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { FakeEventSource } from '../test/eventSource';
import { fetchMock } from '../test/fetchMock';
import { renderAt } from '../test/render';
import LiveLogs from './LiveLogs';

const row = (id: string, ip: string) => ({ id: 1, event_id: id, timestamp: '2026-11-26T10:00:00Z', decky: 'd1', service: 'ssh', event_type: 'command', attacker_ip: ip, msg: 'm' });

function mockAPI() {
  fetchMock.on('GET', '/logs', { data: [row('e1', '203.0.113.7')], total: 120, limit: 50, offset: 0 });
  const hour = (h: number) => new Date(Math.floor(Date.now() / 3600e3) * 3600e3 - h * 3600e3).toISOString();
  fetchMock.on('GET', '/logs/histogram', [
    { time: hour(2), count: 3 },
    { time: hour(1), count: 7 },
  ]);
  fetchMock.on('POST', '/auth/sse-ticket', { ticket: 'tk', expires_in: 60 });
}

describe('LiveLogs', () => {
  it('queries with the URL state, draws the server histogram and prepends live rows', async () => {
    mockAPI();
    renderAt(<LiveLogs />, '/live-logs?q=service:ssh&time=24h');
    expect(await screen.findByText('203.0.113.7')).toBeInTheDocument();
    const logs = fetchMock.calls('GET', '/logs')[0]!;
    expect(logs.query.get('search')).toBe('service:ssh');
    expect(logs.query.get('limit')).toBe('50');
    const start = Date.parse(logs.query.get('start_time')!);
    expect(Date.now() - start).toBeGreaterThan(23.9 * 3600e3);
    expect(fetchMock.calls('GET', '/logs/histogram')[0]!.query.get('interval_minutes')).toBe('60');
    // 24 hourly bars (25 when the window straddles an hour boundary), two of them non-empty.
    const bars = [...screen.getByTestId('histogram').children] as HTMLElement[];
    expect(bars.length).toBeGreaterThanOrEqual(24);
    expect(bars.length).toBeLessThanOrEqual(25);
    expect(screen.getByText(/PEAK 7/)).toBeInTheDocument();

    await vi.waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    const es = FakeEventSource.latest();
    expect(es.url).toContain('search=service%3Assh');
    expect(es.url).toContain('interval_minutes=60');
    act(() => {
      es.open();
      es.message({ type: 'logs', data: [row('e2', '198.51.100.9')] }, '7');
      es.message({ type: 'histogram', data: [{ time: '2026-11-26T10:00:00Z', count: 8 }] });
    });
    expect(screen.getByText('198.51.100.9')).toBeInTheDocument();
    expect(screen.getByText(/PEAK 8/)).toBeInTheDocument();
  });

  it('pauses the stream, exports the page as CSV and searches from the box', async () => {
    const user = userEvent.setup();
    mockAPI();
    const created: Blob[] = [];
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: (b: Blob) => (created.push(b), 'blob:x'), revokeObjectURL: () => undefined }));
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    renderAt(<LiveLogs />, '/live-logs');
    await screen.findByText('203.0.113.7');
    await vi.waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    await user.click(screen.getByRole('button', { name: /PAUSE/ }));
    expect(FakeEventSource.latest().readyState).toBe(2);
    expect(screen.getByRole('button', { name: /GO LIVE/ })).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: /EXPORT CSV/ }));
    expect(click).toHaveBeenCalledOnce();
    const text = await created[0]!.text();
    expect(text.split('\r\n')[0]).toBe('timestamp,decky,service,attacker_ip,event_type,msg');
    expect(text).toContain('"203.0.113.7"');

    await user.type(screen.getByLabelText('Log query'), 'attacker:203.0.113.7{Enter}');
    await vi.waitFor(() => expect(fetchMock.calls('GET', '/logs').some((c) => c.query.get('search') === 'attacker:203.0.113.7')).toBe(true));
  });

  it('pages with offset and stops the live stream off the first page', async () => {
    const user = userEvent.setup();
    mockAPI();
    renderAt(<LiveLogs />, '/live-logs');
    await screen.findByText('203.0.113.7');
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await vi.waitFor(() => expect(fetchMock.calls('GET', '/logs').some((c) => c.query.get('offset') === '50')).toBe(true));
    expect(screen.getByText(/STREAM PAUSED/)).toBeInTheDocument();
  });
});

describe('fillBuckets', () => {
  it('fills the range with empty buckets aligned to the interval', async () => {
    const { fillBuckets } = await import('./LiveLogs');
    const now = Date.parse('2026-11-26T10:07:00Z');
    const out = fillBuckets([{ time: '2026-11-26T10:00:00Z', count: 4 }], '2026-11-26T09:52:00Z', 5, now);
    expect(out.map((b) => [b.time.slice(11, 16), b.count])).toEqual([
      ['09:50', 0],
      ['09:55', 0],
      ['10:00', 4],
      ['10:05', 0],
    ]);
    expect(fillBuckets([{ time: 'x', count: 1 }], undefined, 5, now)).toHaveLength(1);
  });
});
