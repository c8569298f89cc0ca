import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { describe, expect, it, vi } from 'vitest';
import { FakeEventSource } from '../test/eventSource';
import { fetchMock } from '../test/fetchMock';
import { renderAt } from '../test/render';
import Identities from './Identities';

export const identity = {
  uuid: 'id-0123456789abcdef', first_seen_at: '2026-11-26T10:00:00Z', last_seen_at: '2026-11-26T10:05:00Z', observation_count: 3,
  ja3_hashes: ['ja3a', 'ja3b'], hassh_hashes: ['hs1'], payload_simhashes: [], c2_endpoints: ['203.0.113.9:4444'], campaign_uuid: 'camp-aaaabbbbcccc',
};

function routes() {
  return (
    <Routes>
      <Route path="/identities" element={<Identities />} />
      <Route path="/identities/:uuid" element={<div>identity page</div>} />
      <Route path="/campaigns/:uuid" element={<div>campaign page</div>} />
    </Routes>
  );
}

describe('Identities', () => {
  it('lists identities with rollup chips, pages through the URL and opens one by keyboard', async () => {
    const user = userEvent.setup();
    fetchMock.on('GET', '/identities', { data: [identity], total: 120, limit: 50, offset: 50 });
    fetchMock.on('POST', '/auth/sse-ticket', { ticket: 'tk', expires_in: 60 });
    renderAt(routes(), '/identities?offset=50');
    expect(await screen.findByText('id-012345678…')).toBeInTheDocument();
    expect(screen.getByText('2 JA3')).toBeInTheDocument();
    expect(screen.getByText('1 HASSH')).toBeInTheDocument();
    expect(screen.getByText('0 PAYLOAD')).toBeInTheDocument();
    expect(screen.getByText('1 C2')).toBeInTheDocument();
    expect(screen.getByText('120 IDENTITIES')).toBeInTheDocument();
    expect(Object.fromEntries(fetchMock.calls('GET', '/identities')[0]!.query)).toEqual({ limit: '50', offset: '50' });
    expect(screen.getByText('PAGE 2 OF 3')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() => expect(fetchMock.calls('GET', '/identities').at(-1)!.query.get('offset')).toBe('100'));
    await waitFor(() => expect(screen.getByRole('table', { name: 'Identities' })).not.toHaveAttribute('aria-busy'));

    screen.getByRole('row', { name: 'Open identity id-012345678' }).focus();
    await user.keyboard('{Enter}');
    expect(await screen.findByText('identity page')).toBeInTheDocument();
  });

  it('links the campaign chip without opening the identity', async () => {
    const user = userEvent.setup();
    fetchMock.on('GET', '/identities', { data: [identity], total: 1, limit: 50, offset: 0 });
    fetchMock.on('POST', '/auth/sse-ticket', { ticket: 'tk', expires_in: 60 });
    renderAt(routes(), '/identities');
    await user.click(await screen.findByRole('link', { name: 'CAMPAIGN · camp-aaa' }));
    expect(await screen.findByText('campaign page')).toBeInTheDocument();
  });

  it('refetches the list when the identity stream reports a change', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    fetchMock.on('GET', '/identities', { data: [identity], total: 1, limit: 50, offset: 0 });
    fetchMock.on('POST', '/auth/sse-ticket', { ticket: 'tk', expires_in: 60 });
    renderAt(<Identities />, '/identities');
    await screen.findByText('id-012345678…');
    await waitFor(() => expect(FakeEventSource.latest().url).toBe('/api/v1/identities/events?ticket=tk'));
    const before = fetchMock.calls('GET', '/identities').length;
    act(() => FakeEventSource.latest().emit('merged', { topic: 'identity.merged', payload: { winner_uuid: 'x', loser_uuid: 'y' } }));
    await act(() => vi.advanceTimersByTimeAsync(2000));
    await waitFor(() => expect(fetchMock.calls('GET', '/identities').length).toBeGreaterThan(before));
    await waitFor(() => expect(screen.getByRole('table', { name: 'Identities' })).not.toHaveAttribute('aria-busy'));
    vi.useRealTimers();
  });

  it('shows the empty state', async () => {
    fetchMock.on('GET', '/identities', { data: [], total: 0, limit: 50, offset: 0 });
    fetchMock.on('POST', '/auth/sse-ticket', { ticket: 'tk', expires_in: 60 });
    renderAt(<Identities />, '/identities');
    expect(await screen.findByText('NO IDENTITIES RESOLVED YET')).toBeInTheDocument();
  });
});
