import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { describe, expect, it, vi } from 'vitest';
import { FakeEventSource } from '../test/eventSource';
import { fetchMock, reply } from '../test/fetchMock';
import { renderAt } from '../test/render';
import CampaignDetail from './CampaignDetail';

const C = 'camp-aaaabbbbcccc';
const detail = {
  uuid: C, first_seen_at: '2026-11-26T10:00:00Z', last_seen_at: '2026-11-26T12:00:00Z', identity_count: 1, identity_count_live: 2, confidence: 0.5,
  ja3_hashes: ['ja3x'], hassh_hashes: [], tls_cert_sha256: [], payload_simhashes: [], c2_endpoints: ['198.51.100.1:8080'], notes: 'handoff on d1',
};
const member = { uuid: 'id-0123456789abcdef', first_seen_at: '2026-11-26T10:00:00Z', last_seen_at: '2026-11-26T10:05:00Z', observation_count: 3, ja3_hashes: ['a'], hassh_hashes: [] };
const rows = [
  { technique_id: 'T1105', technique_name: 'Ingress Tool Transfer', tactic: 'TA0011', count: 2, identity_count: 2, first_seen: '2026-11-26T10:00:00Z', last_seen: '2026-11-26T10:00:00Z', confidence_max: 0.8 },
  { technique_id: 'T1110', technique_name: 'Brute Force', sub_technique_id: 'T1110.001', sub_technique_name: 'Password Guessing', tactic: 'TA0006', count: 9, identity_count: 1, first_seen: '2026-11-26T10:00:00Z', last_seen: '2026-11-26T10:01:00Z', confidence_max: 0.6 },
];

function mockAPI() {
  fetchMock.on('GET', `/campaigns/${C}`, detail);
  fetchMock.on('GET', `/campaigns/${C}/identities`, { data: [member], total: 1, limit: 50, offset: 0 });
  fetchMock.on('GET', `/ttp/by-campaign/${C}`, rows);
  fetchMock.on('POST', '/auth/sse-ticket', { ticket: 'tk', expires_in: 60 });
}

function routes() {
  return (
    <Routes>
      <Route path="/campaigns/:uuid" element={<CampaignDetail />} />
      <Route path="/identities/:uuid" element={<div>identity page</div>} />
    </Routes>
  );
}

describe('CampaignDetail', () => {
  it('shows the header, a read-only TTP rollup in kill-chain order, fingerprints and member identities', async () => {
    const user = userEvent.setup();
    mockAPI();
    renderAt(routes(), `/campaigns/${C}`);
    expect(await screen.findByRole('heading', { name: /CAMPAIGN · camp-aaaabbb…/ })).toBeInTheDocument();
    expect(screen.getByText(/2 IDENTITIES · FIRST/)).toBeInTheDocument();
    const ttp = await screen.findByRole('table', { name: 'Campaign techniques' });
    const body = within(ttp).getAllByRole('row').slice(1);
    expect(body.map((r) => (r as HTMLTableRowElement).cells[0]!.textContent)).toEqual(['CREDENTIAL ACCESS', 'COMMAND AND CONTROL']);
    expect(body[0]).toHaveTextContent('T1110.001 ↗ — Password Guessing');
    expect(body[0]).not.toHaveAttribute('tabindex'); // no inspector: tags are not anchored on campaigns
    expect(screen.queryByRole('button', { name: /Inspect/ })).toBeNull();
    expect(screen.getByText('ja3x')).toBeInTheDocument();
    expect(screen.getByText('198.51.100.1:8080')).toBeInTheDocument();
    expect(screen.getByText('handoff on d1')).toBeInTheDocument();
    expect(await screen.findByText('1 IDENTITIES IN THIS CAMPAIGN')).toBeInTheDocument();
    await user.click(screen.getByRole('row', { name: 'Open identity id-012345678' }));
    expect(await screen.findByText('identity page')).toBeInTheDocument();
  });

  it('downloads the STIX bundle, MISP event and Navigator layer of the campaign with the bearer token', async () => {
    const user = userEvent.setup();
    mockAPI();
    fetchMock.on('GET', `/campaigns/${C}/export/stix`, { type: 'bundle', objects: [{ type: 'campaign' }] });
    fetchMock.on('GET', `/campaigns/${C}/export/misp`, { Event: { info: 'campaign' } });
    fetchMock.on('GET', `/ttp/export/navigator/campaign/${C}`, { name: 'layer', techniques: [{ techniqueID: 'T1105' }] });
    const blobs: Blob[] = [];
    Object.assign(URL, { createObjectURL: (b: Blob) => (blobs.push(b), 'blob:x'), revokeObjectURL: () => undefined });
    const saved: string[] = [];
    const spy = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      saved.push(this.download);
    });
    renderAt(routes(), `/campaigns/${C}`);
    await user.click(await screen.findByRole('button', { name: 'STIX' }));
    await waitFor(() => expect(saved).toEqual(['decnet-campaign-camp-aaa.stix.json']));
    await waitFor(() => expect(screen.getByRole('button', { name: 'MISP' })).toBeEnabled());
    await user.click(screen.getByRole('button', { name: 'MISP' }));
    await waitFor(() => expect(saved).toHaveLength(2));
    await user.click(await screen.findByRole('button', { name: 'NAVIGATOR ↓' }));
    await waitFor(() => expect(saved).toEqual(['decnet-campaign-camp-aaa.stix.json', 'decnet-campaign-camp-aaa.misp.json', 'navigator-campaign-camp-aaa.json']));
    expect(JSON.parse(await blobs[0]!.text())).toEqual({ type: 'bundle', objects: [{ type: 'campaign' }] });
    expect(JSON.parse(await blobs[2]!.text())).toEqual({ name: 'layer', techniques: [{ techniqueID: 'T1105' }] });
    for (const path of [`/campaigns/${C}/export/stix`, `/campaigns/${C}/export/misp`, `/ttp/export/navigator/campaign/${C}`]) {
      expect(fetchMock.calls('GET', path)).toHaveLength(1);
      expect(fetchMock.calls('GET', path)[0]!.headers.Authorization).toBe('Bearer test-token');
    }
    spy.mockRestore();
  });

  it('offers no Navigator layer while the campaign has no techniques, and says when a download fails', async () => {
    const user = userEvent.setup();
    mockAPI();
    fetchMock.on('GET', `/ttp/by-campaign/${C}`, []);
    fetchMock.on('GET', `/campaigns/${C}/export/stix`, reply(503, { detail: 'ATT&CK tags are not available in this process' }));
    renderAt(routes(), `/campaigns/${C}`);
    expect(await screen.findByText('NO TECHNIQUES OBSERVED YET')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'NAVIGATOR ↓' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'STIX' }));
    expect(await screen.findByText('STIX EXPORT FAILED: ATT&CK tags are not available in this process')).toBeInTheDocument();
  });

  it('refetches when a campaign notification names it', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    mockAPI();
    renderAt(routes(), `/campaigns/${C}`);
    await screen.findByRole('heading', { level: 1, name: /CAMPAIGN/ });
    // The first load has settled: techniques and members are in.
    expect(await screen.findByRole('table', { name: 'Campaign techniques' })).toBeInTheDocument();
    expect(await screen.findByText('1 IDENTITIES IN THIS CAMPAIGN')).toBeInTheDocument();
    await waitFor(() => expect(FakeEventSource.latest().url).toBe('/api/v1/campaigns/events?ticket=tk'));
    const before = fetchMock.calls('GET', `/ttp/by-campaign/${C}`).length;

    // The server after a new identity joined (later routes win).
    const joined = { ...member, uuid: 'id-fedcba9876543210' };
    fetchMock.on('GET', `/campaigns/${C}`, { ...detail, identity_count: 2, identity_count_live: 3 });
    fetchMock.on('GET', `/campaigns/${C}/identities`, { data: [joined, member], total: 2, limit: 50, offset: 0 });
    fetchMock.on('GET', `/ttp/by-campaign/${C}`, [
      ...rows,
      { technique_id: 'T1059', technique_name: 'Command and Scripting Interpreter', tactic: 'TA0002', count: 1, identity_count: 1, first_seen: '2026-11-26T12:00:00Z', last_seen: '2026-11-26T12:00:00Z', confidence_max: 0.5 },
    ]);
    act(() => FakeEventSource.latest().emit('identity.assigned', { payload: { campaign_uuid: C, identity_uuid: joined.uuid } }));
    await act(() => vi.advanceTimersByTimeAsync(2000));
    expect(fetchMock.calls('GET', `/ttp/by-campaign/${C}`).length).toBeGreaterThan(before);
    // The page shows the refetched header, techniques and members.
    await waitFor(() => {
      expect(screen.getByText(/3 IDENTITIES · FIRST/)).toBeInTheDocument();
      expect(screen.getByRole('region', { name: 'TTPs OBSERVED (3)' })).toHaveTextContent('Command and Scripting Interpreter');
      expect(screen.getByText('2 IDENTITIES IN THIS CAMPAIGN')).toBeInTheDocument();
      expect(screen.getByRole('row', { name: 'Open identity id-fedcba987' })).toBeInTheDocument();
    });
    vi.useRealTimers();
  });

  it('says CAMPAIGN NOT FOUND on a 404', async () => {
    fetchMock.on('GET', '/campaigns/zz', reply(404, { detail: 'Campaign not found' }));
    fetchMock.on('GET', '/campaigns/zz/identities', reply(404, { detail: 'Campaign not found' }));
    fetchMock.on('GET', '/ttp/by-campaign/zz', []);
    renderAt(routes(), '/campaigns/zz');
    expect(await screen.findByRole('alert')).toHaveTextContent('CAMPAIGN NOT FOUND');
  });
});
