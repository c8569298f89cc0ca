import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { fetchMock } from '../test/fetchMock';
import { renderAt } from '../test/render';
import Bounty, { summarize } from './Bounty';

const fp = {
  id: 11, timestamp: '2026-11-26T10:00:00Z', decky: 'web-01', service: 'https', attacker_ip: '203.0.113.7', bounty_type: 'fingerprint',
  payload: { fingerprint_type: 'ja3', ja3: '771,4865-4866', sni: 'example.test', nested: { a: [1, 2] } },
};

describe('Bounty', () => {
  it('lists bounties with type segments, search and paging in the URL', async () => {
    const user = userEvent.setup();
    fetchMock.on('GET', '/bounty', { data: [fp], total: 75, limit: 50, offset: 0 });
    renderAt(<Bounty />, '/bounty?type=fingerprint');
    const row = await screen.findByRole('row', { name: 'Inspect bounty #11' });
    expect(row).toHaveTextContent('fingerprint_type: ja3 · ja3: 771,4865-4866');
    expect(screen.getByText('75 BOUNTIES · FINGERPRINTS')).toBeInTheDocument();
    expect(Object.fromEntries(fetchMock.calls('GET', '/bounty')[0]!.query)).toEqual({ limit: '50', offset: '0', bounty_type: 'fingerprint' });
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() => expect(fetchMock.calls('GET', '/bounty').at(-1)!.query.get('offset')).toBe('50'));
    await user.click(screen.getByRole('button', { name: 'IP LEAKS' }));
    await waitFor(() => expect(Object.fromEntries(fetchMock.calls('GET', '/bounty').at(-1)!.query)).toEqual({ limit: '50', offset: '0', bounty_type: 'ip_leak' }));
    await user.type(screen.getByRole('textbox', { name: 'Search bounties' }), 'web-01{Enter}');
    await waitFor(() => expect(fetchMock.calls('GET', '/bounty').at(-1)!.query.get('search')).toBe('web-01'));
    await user.click(screen.getByRole('button', { name: 'ALL' }));
    await waitFor(() => expect(fetchMock.calls('GET', '/bounty').at(-1)!.query.get('bounty_type')).toBeNull());
    await waitFor(() => expect(screen.getByRole('table', { name: 'Bounties' })).not.toHaveAttribute('aria-busy'));
  });

  it('opens the inspector with the payload pretty-printed on click and Enter, restoring focus on Escape', async () => {
    const user = userEvent.setup();
    fetchMock.on('GET', '/bounty', { data: [fp], total: 1, limit: 50, offset: 0 });
    renderAt(<Bounty />, '/bounty');
    const row = await screen.findByRole('row', { name: 'Inspect bounty #11' });
    await user.click(row);
    const dialog = screen.getByRole('dialog', { name: 'FINGERPRINT #11' });
    expect(within(dialog).getByTestId('bounty-payload').textContent).toBe(JSON.stringify(fp.payload, null, 2));
    expect(within(dialog).getByText('web-01')).toBeInTheDocument();
    expect(within(dialog).getByRole('link', { name: '203.0.113.7' })).toHaveAttribute('href', '/attackers?q=203.0.113.7');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(row).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(screen.getByRole('dialog', { name: 'FINGERPRINT #11' })).toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(row).toHaveFocus();
  });

  it('shows the empty state', async () => {
    fetchMock.on('GET', '/bounty', { data: [], total: 0, limit: 50, offset: 0 });
    renderAt(<Bounty />, '/bounty');
    expect(await screen.findByText('NO BOUNTIES YET')).toBeInTheDocument();
  });

  it('summarizes unknown payloads by their first fields', () => {
    expect(summarize({ zeta: 1, alpha: 'x', beta: null })).toBe('zeta: 1 · alpha: x');
    expect(summarize(null)).toBe('');
  });
});
