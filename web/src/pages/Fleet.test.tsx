import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchMock, reply } from '../test/fetchMock';
import { renderAt } from '../test/render';
import Fleet, { POLL_MS } from './Fleet';

const d1 = {
  name: 'decky-01', host_uuid: 'local', hostname: 'web01', distro: 'debian', archetype: 'linux-server', nmap_os: 'linux', ip: '10.0.0.11', net_mode: 'loopback',
  services: ['ssh', 'http'], service_config: { ssh: { banner: 'SSH-2.0-OpenSSH_9.2' } }, mutate_interval: null, last_mutated: null, state: 'running',
  created_at: '2026-11-26T10:00:00Z', updated_at: '2026-11-26T10:00:00Z', serving: true,
  service_status: [{ name: 'ssh', ports: [{ declared: 22, port: 2222, proto: 'tcp' }] }, { name: 'http', ports: [{ declared: 80, port: 80, proto: 'tcp' }] }],
};
const d2 = { ...d1, name: 'decky-02', ip: '10.0.0.12', hostname: 'db01', services: ['mysql'], service_config: {}, state: 'failed', serving: false, last_error: 'bind: address in use', service_status: [] };

function mock(role = 'admin', deckies: unknown[] = [d1, d2]) {
  fetchMock.on('GET', '/config', { role, deployment_limit: 10, global_mutation_interval: '30m' });
  fetchMock.on('GET', '/deckies', deckies);
}

afterEach(() => vi.useRealTimers());

describe('Fleet', () => {
  it('lists deckies with state, services and ports, serving and the last error', async () => {
    mock();
    renderAt(<Fleet />, '/fleet');
    const row = await screen.findByRole('row', { name: 'Inspect decky decky-01' });
    expect(row).toHaveTextContent('10.0.0.11');
    expect(row).toHaveTextContent('debian / linux-server');
    expect(within(row).getByText('RUNNING')).toHaveClass('matrix');
    expect(within(row).getByText('ssh:2222←22')).toBeInTheDocument();
    expect(within(row).getByText('http:80')).toBeInTheDocument();
    const r2 = screen.getByRole('row', { name: 'Inspect decky decky-02' });
    expect(within(r2).getByText('FAILED')).toHaveClass('alert');
    expect(r2).toHaveTextContent('bind: address in use');
    expect(r2).toHaveTextContent('NO');
    expect(screen.getByText(/2 DECKIES · 1 RUNNING · 1 FAILED/)).toBeInTheDocument();
    expect(await screen.findByRole('button', { name: '+ DEPLOY DECKIES' })).toBeInTheDocument();
  });

  it('polls GET /deckies every 5 s while visible', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    mock();
    renderAt(<Fleet />, '/fleet');
    await screen.findByRole('row', { name: 'Inspect decky decky-01' });
    expect(await screen.findByRole('button', { name: '+ DEPLOY DECKIES' })).toBeInTheDocument();
    expect(fetchMock.calls('GET', '/deckies')).toHaveLength(1);
    // The next poll finds decky-02 recovered (later routes win).
    fetchMock.on('GET', '/deckies', [d1, { ...d2, state: 'running', serving: true, last_error: undefined }]);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(POLL_MS);
    });
    expect(fetchMock.calls('GET', '/deckies')).toHaveLength(2);
    expect(await screen.findByText(/2 DECKIES · 2 RUNNING · 0 FAILED/)).toBeInTheDocument();
    expect(within(screen.getByRole('row', { name: 'Inspect decky decky-02' })).getByText('RUNNING')).toHaveClass('matrix');
  });

  it('opens the decky drawer with services and config, and restores focus on close', async () => {
    const user = userEvent.setup();
    mock();
    renderAt(<Fleet />, '/fleet');
    const row = await screen.findByRole('row', { name: 'Inspect decky decky-01' });
    await user.click(row);
    const dialog = screen.getByRole('dialog', { name: 'DECKY · decky-01' });
    expect(within(dialog).getByText('GLOBAL (30m)')).toBeInTheDocument();
    expect(within(dialog).getByText('SSH-2.0-OpenSSH_9.2')).toBeInTheDocument();
    expect(within(dialog).getByText('PORTS 2222←22')).toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(row).toHaveFocus();
  });

  it('runs the admin actions: mutate, interval, add/edit/remove service, two-click tear down', async () => {
    const user = userEvent.setup();
    mock();
    fetchMock.on('POST', '/deckies/decky-01/mutate', reply(202, { lifecycle_ids: ['l1'] }));
    fetchMock.on('PUT', '/deckies/decky-01/mutate-interval', { message: 'ok' });
    fetchMock.on('POST', '/deckies/decky-01/services', reply(201, { decky_name: 'decky-01', services: ['ssh', 'http', 'ftp'] }));
    fetchMock.on('PUT', '/deckies/decky-01/services/ssh/config', { decky_name: 'decky-01', service_name: 'ssh', config: {} });
    fetchMock.on('DELETE', '/deckies/decky-01/services/http', { decky_name: 'decky-01', services: ['ssh'] });
    fetchMock.on('DELETE', '/deckies/decky-01', reply(204));
    renderAt(<Fleet />, '/fleet');
    await user.click(await screen.findByRole('row', { name: 'Inspect decky decky-01' }));
    const dialog = screen.getByRole('dialog', { name: 'DECKY · decky-01' });

    await user.click(within(dialog).getByRole('button', { name: 'MUTATE NOW' }));
    expect(await screen.findByText('MUTATION QUEUED · DECKY-01')).toBeInTheDocument();
    expect(fetchMock.calls('POST', '/deckies/decky-01/mutate')).toHaveLength(1);

    await user.type(within(dialog).getByLabelText('MUTATE EVERY'), '45m');
    await user.click(within(dialog).getByRole('button', { name: 'SET INTERVAL' }));
    expect(await screen.findByText('MUTATE INTERVAL · 45m')).toBeInTheDocument();
    expect(fetchMock.calls('PUT', '/deckies/decky-01/mutate-interval')[0]?.body).toEqual({ mutate_interval: '45m' });

    await user.type(within(dialog).getByLabelText('Service name'), 'ftp');
    await user.type(within(dialog).getByLabelText('new service config key 1'), 'banner');
    await user.type(within(dialog).getByLabelText('new service config value 1'), 'vsftpd');
    await user.click(within(dialog).getByRole('button', { name: 'ADD SERVICE' }));
    expect(await screen.findByText('SERVICE ADDED · FTP')).toBeInTheDocument();
    expect(fetchMock.calls('POST', '/deckies/decky-01/services')[0]?.body).toEqual({ name: 'ftp', config: { banner: 'vsftpd' } });
    expect(within(dialog).getByLabelText('Service name')).toHaveValue('');

    const ssh = within(dialog).getByRole('group', { name: 'Service ssh' });
    await user.click(within(ssh).getByRole('button', { name: 'EDIT CONFIG' }));
    const val = within(ssh).getByLabelText('ssh config value 1');
    await user.clear(val);
    await user.type(val, 'SSH-2.0-x');
    await user.click(within(ssh).getByRole('button', { name: 'SAVE CONFIG' }));
    expect(await screen.findByText('CONFIG SAVED · SSH')).toBeInTheDocument();
    expect(fetchMock.calls('PUT', '/deckies/decky-01/services/ssh/config')[0]?.body).toEqual({ config: { banner: 'SSH-2.0-x' } });
    await waitFor(() => expect(within(ssh).queryByRole('button', { name: 'SAVE CONFIG' })).toBeNull());

    const remove = within(dialog).getByRole('button', { name: 'Remove http' });
    await user.click(remove);
    expect(fetchMock.calls('DELETE', '/deckies/decky-01/services/http')).toHaveLength(0);
    await user.click(within(dialog).getByRole('button', { name: 'Confirm Remove http' }));
    expect(await screen.findByText('SERVICE REMOVED · HTTP')).toBeInTheDocument();
    expect(fetchMock.calls('DELETE', '/deckies/decky-01/services/http')).toHaveLength(1);

    await user.click(within(dialog).getByRole('button', { name: 'TEAR DOWN' }));
    expect(fetchMock.calls('DELETE', '/deckies/decky-01')).toHaveLength(0);
    // After the tear down the fleet reloads without decky-01 (later routes win).
    fetchMock.on('GET', '/deckies', [d2]);
    await user.click(within(dialog).getByRole('button', { name: /CONFIRM TEAR DOWN\?/ }));
    expect(await screen.findByText('TORN DOWN · DECKY-01')).toBeInTheDocument();
    expect(fetchMock.calls('DELETE', '/deckies/decky-01')).toHaveLength(1);
    expect(screen.queryByRole('dialog')).toBeNull();
    await waitFor(() => expect(screen.queryByRole('row', { name: 'Inspect decky decky-01' })).toBeNull());
    expect(screen.getByText(/1 DECKIES · 0 RUNNING · 1 FAILED/)).toBeInTheDocument();
  });

  it('shows the API error detail in a toast', async () => {
    const user = userEvent.setup();
    mock();
    fetchMock.on('POST', '/deckies/decky-01/mutate', reply(404, { detail: 'no other service set to pick' }));
    renderAt(<Fleet />, '/fleet');
    await user.click(await screen.findByRole('row', { name: 'Inspect decky decky-01' }));
    await user.click(await screen.findByRole('button', { name: 'MUTATE NOW' }));
    expect(await screen.findByText('FAILED · no other service set to pick')).toBeInTheDocument();
  });

  it('deploys an INI and follows the lifecycle rows; replace-fleet needs the arm', async () => {
    const user = userEvent.setup();
    mock();
    fetchMock.on('POST', '/deckies/deploy', reply(202, { message: 'accepted', mode: 'unihost', lifecycle_ids: ['l1', 'l2'] }));
    fetchMock.on('GET', '/deckies/lifecycle', {
      rows: [
        { id: 'l1', decky_name: 'decky-03', operation: 'deploy', status: 'succeeded', error: null },
        { id: 'l2', decky_name: 'decky-04', operation: 'deploy', status: 'failed', error: 'address in use' },
      ],
    });
    renderAt(<Fleet />, '/fleet');
    const open = await screen.findByRole('button', { name: '+ DEPLOY DECKIES' });
    await user.click(open);
    let dialog = screen.getByRole('dialog', { name: 'DEPLOY DECKIES' });
    expect(within(dialog).getByLabelText('DEPLOYMENT INI')).toHaveFocus();
    await user.keyboard('{Escape}');
    expect(open).toHaveFocus();

    await user.click(open);
    dialog = screen.getByRole('dialog', { name: 'DEPLOY DECKIES' });
    await user.type(within(dialog).getByLabelText('DEPLOYMENT INI'), '[[decky-03]{Enter}services=ssh');
    await user.click(within(dialog).getByRole('checkbox'));
    await user.click(within(dialog).getByRole('button', { name: 'DEPLOY · REPLACE FLEET' }));
    expect(fetchMock.calls('POST', '/deckies/deploy')).toHaveLength(0);
    // Once deployed, the fleet reloads with the new decky (later routes win).
    fetchMock.on('GET', '/deckies', [d1, d2, { ...d1, name: 'decky-03', ip: '10.0.0.13', services: ['ssh'], service_status: [] }]);
    await user.click(within(dialog).getByRole('button', { name: /CONFIRM DEPLOY · REPLACE FLEET\?/ }));
    const progress = await within(dialog).findByRole('list', { name: 'Deploy progress' });
    expect(fetchMock.calls('POST', '/deckies/deploy')[0]?.body).toEqual({ ini_content: '[decky-03]\nservices=ssh', replace_fleet: true });
    expect(await within(progress).findByText('SUCCEEDED')).toHaveClass('matrix');
    expect(within(progress).getByText('FAILED')).toHaveClass('alert');
    expect(progress).toHaveTextContent('address in use');
    expect(fetchMock.calls('GET', '/deckies/lifecycle')[0]!.query.getAll('ids')).toEqual(['l1', 'l2']);
    expect(await screen.findByText('DEPLOY · 1 FAILED')).toBeInTheDocument();
    expect(await screen.findByRole('row', { name: 'Inspect decky decky-03' })).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'DONE' }));
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('a deploy error shows the API detail', async () => {
    const user = userEvent.setup();
    mock();
    fetchMock.on('POST', '/deckies/deploy', reply(409, { detail: 'deployment limit 10 reached' }));
    renderAt(<Fleet />, '/fleet');
    await user.click(await screen.findByRole('button', { name: '+ DEPLOY DECKIES' }));
    await user.type(screen.getByLabelText('DEPLOYMENT INI'), '[[x]');
    await user.click(screen.getByRole('button', { name: 'DEPLOY' }));
    expect(await screen.findByText('DEPLOY FAILED · deployment limit 10 reached')).toBeInTheDocument();
  });

  it('viewers see the fleet but no actions', async () => {
    const user = userEvent.setup();
    mock('viewer');
    renderAt(<Fleet />, '/fleet');
    await user.click(await screen.findByRole('row', { name: 'Inspect decky decky-01' }));
    const dialog = screen.getByRole('dialog', { name: 'DECKY · decky-01' });
    expect(await within(dialog).findByText('GLOBAL (30m)')).toBeInTheDocument();
    expect(fetchMock.calls('GET', '/config')).toHaveLength(1);
    expect(within(dialog).getByText('SSH-2.0-OpenSSH_9.2')).toBeInTheDocument();
    for (const name of ['MUTATE NOW', 'TEAR DOWN', 'EDIT CONFIG', 'ADD SERVICE', 'SET INTERVAL']) expect(within(dialog).queryByRole('button', { name })).toBeNull();
    expect(screen.queryByRole('button', { name: '+ DEPLOY DECKIES' })).toBeNull();
  });
});
