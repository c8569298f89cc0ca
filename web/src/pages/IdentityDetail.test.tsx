import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { describe, expect, it, vi } from 'vitest';
import { FakeEventSource } from '../test/eventSource';
import { fetchMock, reply } from '../test/fetchMock';
import { renderAt } from '../test/render';
import IdentityDetail from './IdentityDetail';

const U = 'id-0123456789abcdef';
const detail = {
  uuid: U, first_seen_at: '2026-11-26T10:00:00Z', last_seen_at: '2026-11-26T12:00:00Z', observation_count: 2, observation_count_live: 3,
  ja3_hashes: ['ja3aaaa'], hassh_hashes: ['hassh111'], payload_simhashes: [], c2_endpoints: ['203.0.113.9:4444'], campaign_uuid: 'camp-aaaabbbbcccc',
  confidence: 0.875, schema_version: 2, notes: 'same keyboard cadence',
};
const member = {
  uuid: 'a1', ip: '198.51.100.4', first_seen: '2026-11-26T10:00:00Z', last_seen: '2026-11-26T10:05:00Z', event_count: 17, service_count: 1,
  decky_count: 1, services: ['ssh'], deckies: ['d1'], is_traversal: false, bounty_count: 0, credential_count: 0,
};
const technique = { technique_id: 'T1110', technique_name: 'Brute Force', tactic: 'TA0006', count: 4, first_seen: '2026-11-26T10:00:00Z', last_seen: '2026-11-26T10:01:00Z', confidence_max: 0.7 };

function mockAPI() {
  fetchMock.on('GET', `/identities/${U}`, detail);
  fetchMock.on('GET', `/identities/${U}/observations`, { data: [member], total: 1, limit: 50, offset: 0 });
  fetchMock.on('GET', `/ttp/by-identity/${U}`, [technique]);
  fetchMock.on('POST', '/auth/sse-ticket', { ticket: 'tk', expires_in: 60 });
}

function routes() {
  return (
    <Routes>
      <Route path="/identities/:uuid" element={<IdentityDetail />} />
      <Route path="/attackers/:uuid" element={<div>attacker page</div>} />
    </Routes>
  );
}

describe('IdentityDetail', () => {
  it('shows the rollups, fingerprints, campaign link, notes and member attackers', async () => {
    const user = userEvent.setup();
    mockAPI();
    renderAt(routes(), `/identities/${U}`);
    expect(await screen.findByRole('heading', { name: /IDENTITY · id-012345678…/ })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'CAMPAIGN · camp-aaa…' })).toHaveAttribute('href', '/campaigns/camp-aaaabbbbcccc');
    expect(screen.getByText(/3 OBSERVATIONS · 1 JA3 · 1 HASSH · 0 PAYLOAD · 1 C2 · CONFIDENCE 0.875 · SCHEMA v2/)).toBeInTheDocument();
    expect(screen.getByText('2026-11-26 12:00:00')).toBeInTheDocument();
    expect(screen.getByText('ja3aaaa')).toBeInTheDocument();
    expect(screen.getByText('203.0.113.9:4444')).toBeInTheDocument();
    expect(screen.getByText('same keyboard cadence')).toBeInTheDocument();
    expect(await screen.findByText('1 OBSERVATIONS LINKED')).toBeInTheDocument();
    await user.click(await screen.findByRole('row', { name: 'Open attacker 198.51.100.4' }));
    expect(await screen.findByText('attacker page')).toBeInTheDocument();
  });

  it('opens the TTP inspector in identity scope and restores focus on Escape', async () => {
    const user = userEvent.setup();
    mockAPI();
    fetchMock.on('GET', `/ttp/tags/by-identity/${U}/T1110`, [
      { uuid: 't1', source_kind: 'credential', source_id: '9', identity_uuid: U, tactic: 'TA0006', technique_id: 'T1110', confidence: 0.7, rule_id: 'R0007', rule_version: 1, created_at: '2026-11-26T10:01:00Z', evidence: { user: 'root' } },
    ]);
    // The inspector also lists the ATT&CK groups known to use the technique.
    fetchMock.on('GET', '/ttp/techniques/T1110/groups', []);
    renderAt(routes(), `/identities/${U}`);
    const bar = await screen.findByRole('button', { name: /Inspect T1110/ });
    await user.click(bar);
    const dialog = screen.getByRole('dialog', { name: 'T1110 — Brute Force' });
    expect(await within(dialog).findByText('R0007 v1')).toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(bar).toHaveFocus();
  });

  it('downloads the ATT&CK Navigator layer of the identity', async () => {
    const user = userEvent.setup();
    mockAPI();
    fetchMock.on('GET', `/ttp/export/navigator/identity/${U}`, { name: 'layer', techniques: [{ techniqueID: 'T1110' }] });
    const blobs: Blob[] = [];
    // jsdom has no object URLs; stand in for them for this test only.
    Object.assign(URL, { createObjectURL: (b: Blob) => (blobs.push(b), 'blob:layer'), revokeObjectURL: () => undefined });
    const clicks: string[] = [];
    const spy = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push(this.download);
    });
    renderAt(routes(), `/identities/${U}`);
    await user.click(await screen.findByRole('button', { name: 'NAVIGATOR ↓' }));
    await waitFor(() => expect(clicks).toEqual(['navigator-identity-id-01234.json']));
    const blob = blobs[0]!;
    expect(JSON.parse(await blob.text())).toEqual({ name: 'layer', techniques: [{ techniqueID: 'T1110' }] });
    spy.mockRestore();
  });

  it('downloads the STIX bundle and MISP event of the identity with the bearer token', async () => {
    const user = userEvent.setup();
    mockAPI();
    fetchMock.on('GET', `/identities/${U}/export/stix`, { type: 'bundle', objects: [{ type: 'intrusion-set' }] });
    // Later routes win: the first MISP download fails, the next succeeds.
    fetchMock.on('GET', `/identities/${U}/export/misp`, { Event: { info: 'identity' } });
    fetchMock.on('GET', `/identities/${U}/export/misp`, reply(500, { detail: 'store unavailable' }), 1);
    const blobs: Blob[] = [];
    Object.assign(URL, { createObjectURL: (b: Blob) => (blobs.push(b), 'blob:x'), revokeObjectURL: () => undefined });
    const saved: string[] = [];
    const spy = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      saved.push(this.download);
    });
    renderAt(routes(), `/identities/${U}`);
    await user.click(await screen.findByRole('button', { name: 'STIX' }));
    await waitFor(() => expect(saved).toEqual(['decnet-identity-id-01234.stix.json']));
    expect(JSON.parse(await blobs[0]!.text())).toEqual({ type: 'bundle', objects: [{ type: 'intrusion-set' }] });
    expect(fetchMock.calls('GET', `/identities/${U}/export/stix`)[0]!.headers.Authorization).toBe('Bearer test-token');
    // A failed export says why and saves nothing; the next try works.
    await waitFor(() => expect(screen.getByRole('button', { name: 'MISP' })).toBeEnabled());
    await user.click(screen.getByRole('button', { name: 'MISP' }));
    expect(await screen.findByText('MISP EXPORT FAILED: store unavailable')).toBeInTheDocument();
    expect(saved).toHaveLength(1);
    await waitFor(() => expect(screen.getByRole('button', { name: 'MISP' })).toBeEnabled());
    await user.click(screen.getByRole('button', { name: 'MISP' }));
    await waitFor(() => expect(saved).toEqual(['decnet-identity-id-01234.stix.json', 'decnet-identity-id-01234.misp.json']));
    expect(fetchMock.calls('GET', `/identities/${U}/export/misp`)).toHaveLength(2);
    spy.mockRestore();
  });

  it('refetches when an identity notification names it, and not for others', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    mockAPI();
    renderAt(routes(), `/identities/${U}`);
    await screen.findByRole('heading', { name: /IDENTITY/ });
    // The first load has settled: techniques and members are in.
    expect(await screen.findByRole('button', { name: /Inspect T1110/ })).toBeInTheDocument();
    expect(await screen.findByText('1 OBSERVATIONS LINKED')).toBeInTheDocument();
    await waitFor(() => expect(FakeEventSource.latest().url).toBe('/api/v1/identities/events?ticket=tk'));
    const before = fetchMock.calls('GET', `/identities/${U}`).length;
    act(() => FakeEventSource.latest().emit('observation.linked', { payload: { identity_uuid: 'someone-else' } }));
    await act(() => vi.advanceTimersByTimeAsync(2000));
    expect(fetchMock.calls('GET', `/identities/${U}`)).toHaveLength(before);

    // The server after the merge (later routes win): the loser's attacker and technique are folded in.
    const loserIP = '198.51.100.5';
    fetchMock.on('GET', `/identities/${U}`, { ...detail, observation_count: 3, observation_count_live: 4 });
    fetchMock.on('GET', `/identities/${U}/observations`, { data: [{ ...member, uuid: 'a2', ip: loserIP }, member], total: 2, limit: 50, offset: 0 });
    fetchMock.on('GET', `/ttp/by-identity/${U}`, [technique, { ...technique, technique_id: 'T1059', technique_name: 'Command and Scripting Interpreter', tactic: 'TA0002', count: 1 }]);
    act(() => FakeEventSource.latest().emit('merged', { payload: { winner_uuid: U, loser_uuid: 'other' } }));
    await act(() => vi.advanceTimersByTimeAsync(2000));
    expect(fetchMock.calls('GET', `/identities/${U}`).length).toBeGreaterThan(before);
    // The page shows the refetched header, techniques and members.
    await waitFor(() => {
      expect(screen.getByText(/4 OBSERVATIONS · 1 JA3/)).toBeInTheDocument();
      expect(screen.getByRole('button', { name: /Inspect T1059/ })).toBeInTheDocument();
      expect(screen.getByText('2 OBSERVATIONS LINKED')).toBeInTheDocument();
      expect(screen.getByRole('row', { name: `Open attacker ${loserIP}` })).toBeInTheDocument();
    });
    vi.useRealTimers();
  });

  it('says IDENTITY NOT FOUND on a 404', async () => {
    fetchMock.on('GET', '/identities/zz', reply(404, { detail: 'Not Found' }));
    fetchMock.on('GET', '/identities/zz/observations', reply(404, { detail: 'Not Found' }));
    renderAt(routes(), '/identities/zz');
    expect(await screen.findByRole('alert')).toHaveTextContent('IDENTITY NOT FOUND');
  });
});
