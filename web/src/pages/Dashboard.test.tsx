import { act, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { FakeEventSource } from '../test/eventSource';
import { fetchMock } from '../test/fetchMock';
import { renderAt } from '../test/render';
import { Dashboard } from './Dashboard';

const now = new Date().toISOString();

function mockAPI() {
  fetchMock.on('GET', '/stats', { total_logs: 10, unique_attackers: 2, active_deckies: 5, deployed_deckies: 5 });
  fetchMock.on('GET', '/logs', { data: [], total: 0, limit: 50, offset: 0 });
  fetchMock.on('GET', '/deckies', [
    { name: 'linux-server-01', ip: '127.77.0.2', services: ['ssh'], state: 'running', serving: true, hostname: 'h', distro: 'debian' },
    { name: 'web-server-01', ip: '127.77.0.3', services: ['ssh'], state: 'running', serving: true, hostname: 'h', distro: 'debian' },
  ]);
  fetchMock.on('GET', '/attackers', (c) => {
    expect(c.query.get('sort_by')).toBe('active');
    return { data: [{ uuid: 'a1', ip: '203.0.113.7', event_count: 9, last_seen: now }], total: 1, limit: 5, offset: 0 };
  });
  fetchMock.on('POST', '/auth/sse-ticket', { ticket: 'tk', expires_in: 60 });
}

describe('Dashboard', () => {
  it('shows server KPIs, then live stats, feed rows and the deckies they hit', async () => {
    mockAPI();
    renderAt(<Dashboard />);
    expect(await screen.findByTestId('kpi-total')).toHaveTextContent('10');
    expect(screen.getByTestId('kpi-deckies')).toHaveTextContent('5 / 5');
    expect(await screen.findByText('203.0.113.7')).toBeInTheDocument();
    expect(screen.getByText('NO INTERACTION DETECTED')).toBeInTheDocument();

    await vi.waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    const es = FakeEventSource.latest();
    expect(es.url).toBe('/api/v1/stream?ticket=tk');
    act(() => {
      es.open();
      es.message({ type: 'stats', data: { total_logs: 11, unique_attackers: 3, active_deckies: 5, deployed_deckies: 5 } });
      es.message({
        type: 'logs',
        data: [{ id: 0, event_id: 'e1', timestamp: now, decky: 'web-server-01', service: 'ssh', event_type: 'login_success', attacker_ip: '198.51.100.9', fields: { username: 'root' } }],
      });
    });
    expect(screen.getByTestId('kpi-total')).toHaveTextContent('11');
    expect(screen.getByTestId('kpi-attackers')).toHaveTextContent('3');
    const feed = screen.getByTestId('live-feed');
    expect(within(feed).getByText('198.51.100.9')).toBeInTheDocument();
    expect(within(feed).getByText('username: root')).toBeInTheDocument();
    // web-server-01 has the hit, so it leads the siege list.
    const siege = screen.getByRole('region', { name: 'DECKIES UNDER SIEGE' });
    expect(within(siege).getAllByRole('link')[0]).toHaveTextContent('web-server-01');
    expect(within(siege).getAllByRole('link')[0]).toHaveAttribute('href', '/live-logs?q=decky%3Aweb-server-01');
  });
});
