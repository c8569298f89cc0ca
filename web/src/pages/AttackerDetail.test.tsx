import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
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

const transcriptRow = {
  id: 11, event_id: 'e11', timestamp: '2026-11-26T10:04:00Z', decky: 'linux-server-01', service: 'ssh', event_type: 'session_recorded', attacker_ip: '203.0.113.7',
  fields: { sid: 'sess-42', service: 'ssh', user: 'root', duration_s: '90.500', bytes: '2048', truncated: 'false', transcript: 'sess-42.cast' },
};
const artifactRow = {
  id: 12, event_id: 'e12', timestamp: '2026-11-26T10:03:00Z', decky: 'linux-server-01', service: 'ssh', event_type: 'file_captured', attacker_ip: '203.0.113.7',
  fields: { stored_as: '20261126-abc.bin', sha256: 'deadbeefcafe0123456789', size: '4096', orig_path: '/tmp/x.sh' },
};

function mockAPI(role = 'admin') {
  fetchMock.on('GET', '/config', { role });
  fetchMock.on('GET', '/attackers/a1/transcripts', { total: 1, data: [transcriptRow] });
  fetchMock.on('GET', '/attackers/a1/artifacts', { total: 1, data: [artifactRow] });
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
    await waitFor(() => expect(FakeEventSource.latest().url).toBe('/api/v1/attackers/a1/events?ticket=tk'));
  });

  it('filters commands and fingerprints by a service chip, in the URL', async () => {
    const user = userEvent.setup();
    mockAPI();
    renderAt(<AttackerDetail />, '/attackers/a1', '/attackers/:uuid');
    await user.click(await screen.findByRole('button', { name: '· ssh' }));
    await waitFor(() => expect(fetchMock.calls('GET', '/attackers/a1/commands').at(-1)!.query.get('service')).toBe('ssh'));
    expect(screen.queryByText('def456')).toBeNull();
    expect(screen.getByText('FINGERPRINTS (1/2)')).toBeInTheDocument();
  });

  it('refetches when the attacker stream reports a new TTP tag', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    mockAPI();
    renderAt(<AttackerDetail />, '/attackers/a1', '/attackers/:uuid');
    // The first load has settled in every section.
    await waitFor(() => {
      expect(screen.getByRole('button', { name: /Inspect T1083/ })).toBeInTheDocument();
      expect(screen.getByText('cat /etc/passwd')).toBeInTheDocument();
      expect(screen.getByText('toor')).toBeInTheDocument();
      expect(screen.getByText('sess-42')).toBeInTheDocument();
      expect(screen.getByText('/tmp/x.sh')).toBeInTheDocument();
    });
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    const before = fetchMock.calls('GET', '/ttp/by-attacker/a1').length;

    // What the server has after the tag (later routes win).
    fetchMock.on('GET', '/ttp/by-attacker/a1', [
      { technique_id: 'T1083', technique_name: 'File and Directory Discovery', tactic: 'TA0007', count: 1, first_seen: '2026-11-26T10:01:00Z', last_seen: '2026-11-26T10:01:00Z', confidence_max: 0.6 },
      { technique_id: 'T1059', technique_name: 'Command and Scripting Interpreter', tactic: 'TA0002', count: 1, first_seen: '2026-11-26T10:06:00Z', last_seen: '2026-11-26T10:06:00Z', confidence_max: 0.5 },
    ]);
    fetchMock.on('GET', '/attackers/a1', { ...detail, event_count: 43 });
    fetchMock.on('GET', '/attackers/a1/commands', {
      data: [
        { service: 'ssh', decky: 'linux-server-01', command: 'sh -c id', timestamp: '2026-11-26T10:06:00Z' },
        { service: 'ssh', decky: 'linux-server-01', command: 'cat /etc/passwd', timestamp: '2026-11-26T10:01:00Z' },
      ],
      total: 2, limit: 50, offset: 0,
    });
    fetchMock.on('GET', '/attackers/a1/credentials', {
      data: [
        { id: 8, attacker_ip: '203.0.113.7', decky_name: 'linux-server-01', service: 'ssh', principal: 'admin', secret_kind: 'plaintext', secret_sha256: 'ee', secret_printable: 'hunter2', outcome: 'failure', first_seen: '2026-11-26T10:06:00Z', last_seen: '2026-11-26T10:06:00Z', attempt_count: 1 },
        { id: 7, attacker_ip: '203.0.113.7', decky_name: 'linux-server-01', service: 'ssh', principal: 'root', secret_kind: 'plaintext', secret_sha256: 'ff', secret_printable: 'toor', outcome: 'success', first_seen: '2026-11-26T10:00:00Z', last_seen: '2026-11-26T10:00:00Z', attempt_count: 2 },
      ],
      total: 2, limit: 25, offset: 0,
    });
    fetchMock.on('GET', '/attackers/a1/transcripts', { total: 2, data: [{ ...transcriptRow, id: 13, fields: { ...transcriptRow.fields, sid: 'sess-43' } }, transcriptRow] });
    fetchMock.on('GET', '/attackers/a1/artifacts', { total: 2, data: [{ ...artifactRow, id: 14, fields: { ...artifactRow.fields, stored_as: '20261126-def.bin', orig_path: '/tmp/y.sh' } }, artifactRow] });

    act(() => FakeEventSource.latest().emit('ttp.tagged', { topic: 'ttp.tagged' }));
    await act(() => vi.advanceTimersByTimeAsync(2000));
    expect(fetchMock.calls('GET', '/ttp/by-attacker/a1').length).toBeGreaterThan(before);
    // The page shows the refetch in every section.
    await waitFor(() => {
      expect(screen.getByRole('button', { name: /Inspect T1059/ })).toBeInTheDocument();
      expect(within(screen.getByRole('region', { name: 'TTPs OBSERVED (2)' })).getByRole('button', { name: /Inspect T1083/ })).toBeInTheDocument();
      expect(screen.getByText('EVENTS').nextSibling).toHaveTextContent('43');
      expect(screen.getByText('sh -c id')).toBeInTheDocument();
      expect(screen.getByText('hunter2')).toBeInTheDocument();
      expect(screen.getByText('sess-43')).toBeInTheDocument();
      expect(screen.getByText('/tmp/y.sh')).toBeInTheDocument();
    });
    vi.useRealTimers();
  });

  it('says ATTACKER NOT FOUND on a 404', async () => {
    fetchMock.on('GET', '/attackers/zz', reply(404, { detail: 'Not Found' }));
    fetchMock.on('GET', '/attackers/zz/commands', reply(404, { detail: 'Not Found' }));
    fetchMock.on('GET', '/attackers/zz/credentials', reply(404, { detail: 'Not Found' }));
    fetchMock.on('GET', '/attackers/zz/transcripts', reply(404, { detail: 'Not Found' }));
    fetchMock.on('GET', '/attackers/zz/artifacts', reply(404, { detail: 'Not Found' }));
    fetchMock.on('GET', '/config', { role: 'viewer' });
    renderAt(<AttackerDetail />, '/attackers/zz', '/attackers/:uuid');
    expect(await screen.findByRole('alert')).toHaveTextContent('ATTACKER NOT FOUND');
  });

  it('lists recorded sessions and captured files with replay and download for admins', async () => {
    mockAPI();
    renderAt(<AttackerDetail />, '/attackers/a1', '/attackers/:uuid');
    const sessions = await screen.findByRole('table', { name: 'Session transcripts' });
    expect(within(sessions).getByText('sess-42')).toBeInTheDocument();
    expect(within(sessions).getByText('1m 31s')).toBeInTheDocument();
    expect(within(sessions).getByText('root')).toBeInTheDocument();
    expect(await screen.findByRole('button', { name: 'Replay session sess-42' })).toBeInTheDocument();
    const files = screen.getByRole('table', { name: 'Captured artifacts' });
    expect(within(files).getByText('/tmp/x.sh')).toBeInTheDocument();
    expect(within(files).getByText('deadbeefcafe…')).toBeInTheDocument();
    expect(within(files).getByText('4.0 KiB')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Download /tmp/x.sh' })).toBeInTheDocument();
    expect(screen.queryByText('REPLAY NEEDS THE ADMIN ROLE')).toBeNull();
  });

  it('replays a transcript: every page, ANSI stripped, Space toggles, Escape closes and restores focus', async () => {
    const user = userEvent.setup();
    mockAPI();
    fetchMock.on('GET', '/transcripts/linux-server-01/sess-42', (call) =>
      call.query.get('offset') === '0'
        ? { sid: 'sess-42', service: 'ssh', header: { version: 2, width: 80, height: 24 }, events: [[0.01, 'o', '\x1b]0;root@srv\x07\x1b[01;32mroot@srv\x1b[00m:~# '], [0.02, 'i', 'x']], offset: 0, limit: 5000, total: 3, has_more: true, truncated: false }
        : { sid: 'sess-42', service: 'ssh', header: {}, events: [[30, 'o', 'idd\b \b\r\nuid=0(root)\r\n']], offset: 2, limit: 5000, total: 3, has_more: false, truncated: false },
    );
    renderAt(<AttackerDetail />, '/attackers/a1', '/attackers/:uuid');
    const open = await screen.findByRole('button', { name: 'Replay session sess-42' });
    await user.click(open);
    const dialog = await screen.findByRole('dialog', { name: 'REPLAY · linux-server-01 · sess-42' });
    const screenEl = await within(dialog).findByTestId('replay-screen');
    await waitFor(() => expect(screenEl.textContent).toBe('root@srv:~# '));
    const pages = fetchMock.calls('GET', '/transcripts/linux-server-01/sess-42');
    expect(pages.map((c) => c.query.get('offset'))).toEqual(['0', '2']);

    // Autoplaying, focus on the play/pause button: Space there pauses.
    const toggle = within(dialog).getByRole('button', { name: 'Pause' });
    expect(toggle).toHaveFocus();
    await user.keyboard(' ');
    expect(within(dialog).getByRole('button', { name: 'Play' })).toBeInTheDocument();
    // Space anywhere else in the player (the output) plays again.
    screenEl.focus();
    await user.keyboard(' ');
    expect(within(dialog).getByRole('button', { name: 'Pause' })).toBeInTheDocument();
    await user.keyboard(' ');
    expect(within(dialog).getByRole('button', { name: 'Play' })).toBeInTheDocument();

    // The slider seeks; the idle gap is compressed to 2 s.
    const slider = within(dialog).getByRole('slider', { name: 'Position' });
    expect(Number(slider.getAttribute('max'))).toBeCloseTo(2.01, 2);
    fireEvent.change(slider, { target: { value: slider.getAttribute('max') } });
    expect(screenEl.textContent).toBe('root@srv:~# id\nuid=0(root)\n');
    expect(screenEl.textContent).not.toContain('\x1b');

    await user.click(within(dialog).getByRole('button', { name: '8×' }));
    expect(within(dialog).getByRole('button', { name: '8×' })).toHaveAttribute('aria-pressed', 'true');

    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(open).toHaveFocus();
  });

  it('shows viewers the lists without replay or download', async () => {
    mockAPI('viewer');
    renderAt(<AttackerDetail />, '/attackers/a1', '/attackers/:uuid');
    expect(await screen.findByText('sess-42')).toBeInTheDocument();
    expect(await screen.findByText('REPLAY NEEDS THE ADMIN ROLE')).toBeInTheDocument();
    expect(screen.getByText('/tmp/x.sh')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Replay session/ })).toBeNull();
    expect(screen.queryByRole('button', { name: /^Download/ })).toBeNull();
  });

  it('downloads STIX, MISP and artifacts with the bearer token', async () => {
    const user = userEvent.setup();
    const saved: string[] = [];
    const blobs: Blob[] = [];
    Object.assign(URL, { createObjectURL: (b: Blob) => (blobs.push(b), 'blob:x'), revokeObjectURL: () => undefined });
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      saved.push(this.download);
    });
    mockAPI();
    fetchMock.on('GET', '/attackers/a1/export/stix', { type: 'bundle', objects: [] });
    fetchMock.on('GET', '/attackers/a1/export/misp', { Event: {} });
    fetchMock.on('GET', '/artifacts/linux-server-01/20261126-abc.bin', { raw: true });
    renderAt(<AttackerDetail />, '/attackers/a1', '/attackers/:uuid');
    await user.click(await screen.findByRole('button', { name: 'STIX' }));
    await waitFor(() => expect(saved).toContain('decnet-attacker-a1.stix.json'));
    await user.click(screen.getByRole('button', { name: 'MISP' }));
    await waitFor(() => expect(saved).toContain('decnet-attacker-a1.misp.json'));
    expect(fetchMock.calls('GET', '/attackers/a1/export/stix')[0]!.headers.Authorization).toBe('Bearer test-token');
    expect(fetchMock.calls('GET', '/attackers/a1/export/misp')).toHaveLength(1);

    await user.click(await screen.findByRole('button', { name: 'Download /tmp/x.sh' }));
    await waitFor(() => expect(saved).toContain('20261126-abc.bin'));
    const dl = fetchMock.calls('GET', '/artifacts/linux-server-01/20261126-abc.bin')[0]!;
    expect(dl.query.get('service')).toBe('ssh');
    expect(dl.headers.Authorization).toBe('Bearer test-token');
    expect(blobs).toHaveLength(3);

    fetchMock.on('GET', '/artifacts/linux-server-01/20261126-abc.bin', reply(404, { detail: 'File not found' }));
    await user.click(screen.getByRole('button', { name: 'Download /tmp/x.sh' }));
    expect(await screen.findByText('Artifact not found on disk (may have been purged).')).toBeInTheDocument();
    click.mockRestore();
  });
});
