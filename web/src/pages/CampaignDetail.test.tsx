import { act, screen, within } from '@testing-library/react';
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

  it('refetches when a campaign notification names it', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    mockAPI();
    renderAt(routes(), `/campaigns/${C}`);
    await screen.findByRole('heading', { level: 1, name: /CAMPAIGN/ });
    await vi.waitFor(() => expect(FakeEventSource.latest().url).toBe('/api/v1/campaigns/events?ticket=tk'));
    const before = fetchMock.calls('GET', `/ttp/by-campaign/${C}`).length;
    act(() => FakeEventSource.latest().emit('identity.assigned', { payload: { campaign_uuid: C, identity_uuid: 'new' } }));
    await act(() => vi.advanceTimersByTimeAsync(2000));
    await vi.waitFor(() => expect(fetchMock.calls('GET', `/ttp/by-campaign/${C}`).length).toBeGreaterThan(before));
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
