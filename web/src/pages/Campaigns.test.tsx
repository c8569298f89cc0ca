import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { describe, expect, it, vi } from 'vitest';
import { FakeEventSource } from '../test/eventSource';
import { fetchMock } from '../test/fetchMock';
import { renderAt } from '../test/render';
import Campaigns from './Campaigns';

const campaign = {
  uuid: 'camp-aaaabbbbcccc', first_seen_at: '2026-11-26T10:00:00Z', last_seen_at: '2026-11-26T10:05:00Z', identity_count: 4, confidence: 0.8125,
  ja3_hashes: ['a', 'b'], hassh_hashes: ['c'], tls_cert_sha256: [], payload_simhashes: ['p'], c2_endpoints: ['c2:1', 'c2:2'],
};

describe('Campaigns', () => {
  it('lists campaigns, pages through the URL and opens one by keyboard', async () => {
    const user = userEvent.setup();
    fetchMock.on('GET', '/campaigns', { data: [campaign], total: 60, limit: 50, offset: 0 });
    fetchMock.on('POST', '/auth/sse-ticket', { ticket: 'tk', expires_in: 60 });
    renderAt(
      <Routes>
        <Route path="/campaigns" element={<Campaigns />} />
        <Route path="/campaigns/:uuid" element={<div>campaign page</div>} />
      </Routes>,
      '/campaigns',
    );
    const row = await screen.findByRole('row', { name: 'Open campaign camp-aaaabbb' });
    expect(row).toHaveTextContent('camp-aaaabbb…');
    expect(row).toHaveTextContent('0.81');
    const cells = [...row.querySelectorAll('td.num')].map((td) => td.textContent);
    expect(cells).toEqual(['3', '3', '4', '0.81']); // fingerprints, infra, identities, confidence
    expect(screen.getByText('60 CAMPAIGNS')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() => expect(fetchMock.calls('GET', '/campaigns').at(-1)!.query.get('offset')).toBe('50'));
    await waitFor(() => expect(screen.getByRole('table', { name: 'Campaigns' })).not.toHaveAttribute('aria-busy'));
    screen.getByRole('row', { name: 'Open campaign camp-aaaabbb' }).focus();
    await user.keyboard('{Enter}');
    expect(await screen.findByText('campaign page')).toBeInTheDocument();
  });

  it('refetches on a campaign-stream notification', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    fetchMock.on('GET', '/campaigns', { data: [campaign], total: 1, limit: 50, offset: 0 });
    fetchMock.on('POST', '/auth/sse-ticket', { ticket: 'tk', expires_in: 60 });
    renderAt(<Campaigns />, '/campaigns');
    await screen.findByText('camp-aaaabbb…');
    await waitFor(() => expect(FakeEventSource.latest().url).toBe('/api/v1/campaigns/events?ticket=tk'));
    const before = fetchMock.calls('GET', '/campaigns').length;
    act(() => FakeEventSource.latest().emit('identity.assigned', { payload: { campaign_uuid: 'x' } }));
    await act(() => vi.advanceTimersByTimeAsync(2000));
    await waitFor(() => expect(fetchMock.calls('GET', '/campaigns').length).toBeGreaterThan(before));
    await waitFor(() => expect(screen.getByRole('table', { name: 'Campaigns' })).not.toHaveAttribute('aria-busy'));
    vi.useRealTimers();
  });

  it('shows the empty state', async () => {
    fetchMock.on('GET', '/campaigns', { data: [], total: 0, limit: 50, offset: 0 });
    fetchMock.on('POST', '/auth/sse-ticket', { ticket: 'tk', expires_in: 60 });
    renderAt(<Campaigns />, '/campaigns');
    expect(await screen.findByText('NO CAMPAIGNS YET')).toBeInTheDocument();
  });
});
