import { act, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { FakeEventSource } from '../test/eventSource';
import { fetchMock, reply } from '../test/fetchMock';
import { renderAt } from '../test/render';
import AttackerDetail from './AttackerDetail';

const detail = {
  uuid: 'a1', ip: '203.0.113.7', first_seen: '2026-11-26T10:00:00Z', last_seen: '2026-11-26T10:05:00Z', event_count: 42, service_count: 2,
  decky_count: 1, services: ['ssh', 'telnet'], deckies: ['linux-server-01'], is_traversal: false, bounty_count: 1, credential_count: 1,
  fingerprints: [{ type: 'hassh', value: 'abc123', service: 'ssh' }, { type: 'ja3', value: 'def456', service: 'https' }],
  service_activity: { interacted: ['ssh'], scanned: ['telnet'] },
  behavior: { os_guess: 'linux', behavior_class: 'interactive', tool_guesses: ['hydra'], timing_stats: { mean_iat_s: 1.5 } },
};

function mockAPI() {
  fetchMock.on('GET', '/attackers/a1', detail);
  fetchMock.on('GET', '/attackers/a1/commands', { data: [{ service: 'ssh', decky: 'linux-server-01', command: 'cat /etc/passwd', timestamp: '2026-11-26T10:01:00Z' }], total: 1, limit: 50, offset: 0 });
  fetchMock.on('GET', '/attackers/a1/credentials', {
    data: [{ id: 7, attacker_ip: '203.0.113.7', decky_name: 'linux-server-01', service: 'ssh', principal: 'root', secret_kind: 'plaintext', secret_sha256: 'ff', secret_printable: 'toor', outcome: 'success', first_seen: '2026-11-26T10:00:00Z', last_seen: '2026-11-26T10:00:00Z', attempt_count: 2 }],
    total: 1, limit: 25, offset: 0,
  });
  fetchMock.on('GET', '/ttp/by-attacker/a1', [{ technique_id: 'T1083', technique_name: 'File and Directory Discovery', tactic: 'TA0007', count: 1, first_seen: '2026-11-26T10:01:00Z', last_seen: '2026-11-26T10:01:00Z', confidence_max: 0.6 }]);
  fetchMock.on('POST', '/auth/sse-ticket', { ticket: 'tk', expires_in: 60 });
}

describe('AttackerDetail', () => {
  it('shows stats, TTPs, services, behaviour, commands, credentials and fingerprints', async () => {
    mockAPI();
    renderAt(<AttackerDetail />, '/attackers/a1', '/attackers/:uuid');
    expect(await screen.findByRole('heading', { name: /203.0.113.7/ })).toBeInTheDocument();
    expect(await screen.findByRole('button', { name: /Inspect T1083/ })).toBeInTheDocument();
    expect(await screen.findByText('cat /etc/passwd')).toBeInTheDocument();
    expect(await screen.findByText('toor')).toBeInTheDocument();
    expect(screen.getByText('INTERACTIVE')).toBeInTheDocument();
    expect(screen.getByText('hydra')).toBeInTheDocument();
    expect(screen.getByText('abc123')).toBeInTheDocument();
    expect(screen.getByText('def456')).toBeInTheDocument();
    await vi.waitFor(() => expect(FakeEventSource.latest().url).toBe('/api/v1/attackers/a1/events?ticket=tk'));
  });

  it('filters commands and fingerprints by a service chip, in the URL', async () => {
    const user = userEvent.setup();
    mockAPI();
    renderAt(<AttackerDetail />, '/attackers/a1', '/attackers/:uuid');
    await user.click(await screen.findByRole('button', { name: '· ssh' }));
    await vi.waitFor(() => expect(fetchMock.calls('GET', '/attackers/a1/commands').at(-1)!.query.get('service')).toBe('ssh'));
    expect(screen.queryByText('def456')).toBeNull();
    expect(screen.getByText('FINGERPRINTS (1/2)')).toBeInTheDocument();
  });

  it('refetches when the attacker stream reports a new TTP tag', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    mockAPI();
    renderAt(<AttackerDetail />, '/attackers/a1', '/attackers/:uuid');
    await screen.findByRole('heading', { name: /203.0.113.7/ });
    await vi.waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    const before = fetchMock.calls('GET', '/ttp/by-attacker/a1').length;
    act(() => FakeEventSource.latest().emit('ttp.tagged', { topic: 'ttp.tagged' }));
    await act(() => vi.advanceTimersByTimeAsync(2000));
    await vi.waitFor(() => expect(fetchMock.calls('GET', '/ttp/by-attacker/a1').length).toBeGreaterThan(before));
    vi.useRealTimers();
  });

  it('says ATTACKER NOT FOUND on a 404', async () => {
    fetchMock.on('GET', '/attackers/zz', reply(404, { detail: 'Not Found' }));
    fetchMock.on('GET', '/attackers/zz/commands', reply(404, { detail: 'Not Found' }));
    fetchMock.on('GET', '/attackers/zz/credentials', reply(404, { detail: 'Not Found' }));
    renderAt(<AttackerDetail />, '/attackers/zz', '/attackers/:uuid');
    expect(await screen.findByRole('alert')).toHaveTextContent('ATTACKER NOT FOUND');
  });
});
