import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { describe, expect, it } from 'vitest';
import { fetchMock } from '../test/fetchMock';
import { renderAt } from '../test/render';
import Attackers from './Attackers';

const attacker = {
  uuid: 'a1', ip: '203.0.113.7', first_seen: '2026-11-26T10:00:00Z', last_seen: '2026-11-26T10:05:00Z', event_count: 42, service_count: 1,
  decky_count: 2, services: ['ssh'], deckies: ['d1', 'd2'], is_traversal: true, traversal_path: 'd1 → d2', bounty_count: 1, credential_count: 3,
};

describe('Attackers', () => {
  it('lists attackers with server-side search, sort, service filter and paging, and opens one by keyboard', async () => {
    const user = userEvent.setup();
    fetchMock.on('GET', '/deckies', [{ name: 'd1', services: ['ssh', 'telnet'] }]);
    fetchMock.on('GET', '/attackers', { data: [attacker], total: 120, limit: 50, offset: 0 });
    renderAt(
      <Routes>
        <Route path="/attackers" element={<Attackers />} />
        <Route path="/attackers/:uuid" element={<div>detail page</div>} />
      </Routes>,
      '/attackers?sort_by=active&service=ssh',
    );
    expect(await screen.findByText('203.0.113.7')).toBeInTheDocument();
    expect(screen.getByText('TRAVERSAL d1 → d2')).toBeInTheDocument();
    const q = fetchMock.calls('GET', '/attackers')[0]!.query;
    expect(Object.fromEntries(q)).toEqual({ limit: '50', offset: '0', sort_by: 'active', service: 'ssh' });
    expect(screen.getByRole('option', { name: 'TELNET' })).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'TRAVERSALS' }));
    await waitFor(() => expect(fetchMock.calls('GET', '/attackers').at(-1)!.query.get('sort_by')).toBe('traversals'));
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() => expect(fetchMock.calls('GET', '/attackers').at(-1)!.query.get('offset')).toBe('50'));
    await waitFor(() => expect(screen.getByRole('table', { name: 'Attackers' })).not.toHaveAttribute('aria-busy'));

    screen.getByRole('row', { name: 'Open attacker 203.0.113.7' }).focus();
    await user.keyboard('{Enter}');
    expect(await screen.findByText('detail page')).toBeInTheDocument();
  });

  it('says so when nothing matches', async () => {
    fetchMock.on('GET', '/deckies', []);
    fetchMock.on('GET', '/attackers', { data: [], total: 0, limit: 50, offset: 0 });
    renderAt(<Attackers />, '/attackers?q=nobody');
    expect(await screen.findByText('NO MATCHING ATTACKERS')).toBeInTheDocument();
  });
});
