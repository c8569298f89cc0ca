import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { fetchMock } from '../test/fetchMock';
import { renderAt } from '../test/render';
import Credentials from './Credentials';

const cred = {
  id: 7, attacker_ip: '203.0.113.7', attacker_uuid: 'a1', decky_name: 'linux-server-01', service: 'ssh', principal: 'root', secret_kind: 'plaintext',
  secret_sha256: 'ab'.repeat(32), secret_b64: 'dG9vcg==', secret_printable: 'toor', outcome: 'failure', fields: { client_version: 'SSH-2.0-libssh' },
  first_seen: '2026-11-26T10:00:00Z', last_seen: '2026-11-26T10:05:00Z', attempt_count: 3,
};
const reuse = {
  id: 'reuse-1234567890', secret_sha256: 'cd'.repeat(32), secret_kind: 'plaintext', principal: 'admin', targets: ['d1:ssh', 'd2:telnet'], target_count: 2,
  deckies: ['d1', 'd2'], services: ['ssh', 'telnet'], attacker_ips: ['198.51.100.4'], attacker_uuids: ['att-0001-uuid'], attempt_count: 5, confidence: 0.9,
  first_seen: '2026-11-26T09:00:00Z', last_seen: '2026-11-26T10:00:00Z', secret_printable: 'admin123', secret_b64: 'YWRtaW4xMjM=',
};

function mockCreds(data = [cred], total = 120) {
  fetchMock.on('GET', '/deckies', [{ name: 'd1', services: ['ssh', 'ftp'] }]);
  fetchMock.on('GET', '/credentials', { data, total, limit: 50, offset: 0 });
}

describe('Credentials', () => {
  it('lists credentials with server-side search, service filter and paging in the URL', async () => {
    const user = userEvent.setup();
    mockCreds();
    renderAt(<Credentials />, '/credentials?service=ssh');
    expect(await screen.findByText('toor')).toBeInTheDocument();
    expect(screen.getByText('120 CREDENTIALS CAPTURED')).toBeInTheDocument();
    expect(Object.fromEntries(fetchMock.calls('GET', '/credentials')[0]!.query)).toEqual({ limit: '50', offset: '0', service: 'ssh' });
    expect(await screen.findByRole('option', { name: 'FTP' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() => expect(fetchMock.calls('GET', '/credentials').at(-1)!.query.get('offset')).toBe('50'));
    await user.type(screen.getByRole('textbox', { name: 'Search credentials' }), 'root{Enter}');
    await waitFor(() => expect(Object.fromEntries(fetchMock.calls('GET', '/credentials').at(-1)!.query)).toEqual({ limit: '50', offset: '0', service: 'ssh', search: 'root' }));
    await user.selectOptions(screen.getByRole('combobox', { name: 'Service' }), '');
    await waitFor(() => expect(fetchMock.calls('GET', '/credentials').at(-1)!.query.get('service')).toBeNull());
    await waitFor(() => expect(screen.getByRole('table', { name: 'Credentials' })).not.toHaveAttribute('aria-busy'));
  });

  it('opens the credential inspector with every field on click and on Enter, and restores focus on Escape', async () => {
    const user = userEvent.setup();
    mockCreds();
    renderAt(<Credentials />, '/credentials');
    const row = await screen.findByRole('row', { name: 'Inspect credential #7' });
    await user.click(row);
    let dialog = screen.getByRole('dialog', { name: 'CREDENTIAL #7' });
    expect(dialog).toHaveAttribute('aria-modal', 'true');
    for (const text of ['PLAINTEXT', 'failure', 'linux-server-01', 'root', '203.0.113.7', '2026-11-26 10:00:00', '2026-11-26 10:05:00', 'dG9vcg==', 'ab'.repeat(32), 'client_version', 'SSH-2.0-libssh']) {
      expect(within(dialog).getAllByText(new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).length).toBeGreaterThan(0);
    }
    expect(within(dialog).getByRole('link', { name: '203.0.113.7' })).toHaveAttribute('href', '/attackers/a1');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(row).toHaveFocus();
    await user.keyboard('{Enter}');
    dialog = screen.getByRole('dialog', { name: 'CREDENTIAL #7' });
    await user.click(screen.getByTestId('drawer-backdrop'));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(row).toHaveFocus();
  });

  it('shows the empty state', async () => {
    mockCreds([], 0);
    renderAt(<Credentials />, '/credentials');
    expect(await screen.findByText('NO CREDENTIALS YET')).toBeInTheDocument();
  });

  it('switches to reuse findings, filters by min_target_count and inspects the targets', async () => {
    const user = userEvent.setup();
    mockCreds();
    fetchMock.on('GET', '/credential-reuse', { data: [reuse], total: 1, limit: 25, offset: 0 });
    fetchMock.on('GET', '/credential-reuse/reuse-1234567890', reuse);
    renderAt(<Credentials />, '/credentials?service=ssh');
    await screen.findByText('toor');
    await user.click(screen.getByRole('button', { name: 'REUSE' }));
    const row = await screen.findByRole('row', { name: 'Inspect reuse admin on 2 targets' });
    expect(Object.fromEntries(fetchMock.calls('GET', '/credential-reuse')[0]!.query)).toEqual({ limit: '25', offset: '0', min_target_count: '2' });
    expect(row).toHaveTextContent('×2');
    await user.selectOptions(screen.getByRole('combobox', { name: 'MIN TARGETS' }), '3');
    await waitFor(() => expect(fetchMock.calls('GET', '/credential-reuse').at(-1)!.query.get('min_target_count')).toBe('3'));
    await waitFor(() => expect(screen.getByRole('table', { name: 'Credential reuse' })).not.toHaveAttribute('aria-busy'));

    const again = await screen.findByRole('row', { name: 'Inspect reuse admin on 2 targets' });
    again.focus();
    await user.keyboard('{Enter}');
    const dialog = screen.getByRole('dialog', { name: 'REUSE #reuse-12' });
    expect(within(dialog).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['d1:ssh', 'd2:telnet', 'att-0001']);
    expect(within(dialog).getByRole('link', { name: 'att-0001' })).toHaveAttribute('href', '/attackers/att-0001-uuid');
    expect(within(dialog).getByText(/admin123/)).toBeInTheDocument();
    await waitFor(() => expect(fetchMock.calls('GET', '/credential-reuse/reuse-1234567890')).toHaveLength(1));
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(again).toHaveFocus();
  });

  it('shows the reuse empty state', async () => {
    fetchMock.on('GET', '/credential-reuse', { data: [], total: 0, limit: 25, offset: 0 });
    renderAt(<Credentials />, '/credentials?tab=reuse&min_target_count=5');
    expect(await screen.findByText('NO REUSE FINDINGS YET')).toBeInTheDocument();
    expect(fetchMock.calls('GET', '/credential-reuse')[0]!.query.get('min_target_count')).toBe('5');
  });
});
