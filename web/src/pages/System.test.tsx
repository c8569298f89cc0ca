import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchMock, reply } from '../test/fetchMock';
import { renderAt } from '../test/render';
import System, { POLL_MS, fmtAge, intervalError, limitError } from './System';

const users = [
  { uuid: 'u-admin', username: 'admin', role: 'admin', must_change_password: false },
  { uuid: 'u-bob', username: 'bob', role: 'viewer', must_change_password: true },
];
const adminCfg = { role: 'admin', deployment_limit: 10, global_mutation_interval: '30m', users };
const viewerCfg = { role: 'viewer', deployment_limit: 10, global_mutation_interval: '30m' };
const workers = {
  bus_connected: true,
  workers: [
    { name: 'collector', status: 'ok', last_heartbeat_ts: 1, seconds_since: 4, extra: null },
    { name: 'profiler', status: 'stale', last_heartbeat_ts: 1, seconds_since: 400, extra: null },
    { name: 'mutator', status: 'unknown', last_heartbeat_ts: null, seconds_since: null, extra: null },
  ],
};
const health = { status: 'degraded', components: { database: { status: 'ok' }, collector_worker: { status: 'failing', detail: 'no heartbeat' } } };

function mock(cfg: object = adminCfg) {
  fetchMock.on('GET', '/config', cfg);
  fetchMock.on('GET', '/workers', workers);
  fetchMock.on('GET', '/health', health);
}

describe('System helpers', () => {
  it('validates the limit and the interval like the server', () => {
    expect(limitError('1')).toBe('');
    expect(limitError('500')).toBe('');
    for (const bad of ['0', '501', '', '2.5', 'x', '-3']) expect(limitError(bad)).not.toBe('');
    for (const ok of ['30m', '2d', '1M', '10y', '3Y']) expect(intervalError(ok)).toBe('');
    for (const bad of ['0m', '30', 'm', '30s', '1h', '05d', '']) expect(intervalError(bad)).not.toBe('');
    expect(fmtAge(4)).toBe('4s ago');
    expect(fmtAge(400)).toBe('6m ago');
    expect(fmtAge(null)).toBe('NEVER');
  });
});

describe('System', () => {
  afterEach(() => vi.useRealTimers());

  it('renders settings, users and workers with health for an admin', async () => {
    mock();
    renderAt(<System />, '/config');
    expect(await screen.findByRole('region', { name: 'SETTINGS' })).toBeInTheDocument();
    const usersRegion = screen.getByRole('region', { name: 'USERS' });
    expect(within(usersRegion).getByText('bob')).toBeInTheDocument();
    expect(within(usersRegion).getByText('MUST CHANGE PASSWORD')).toBeInTheDocument();
    expect(within(usersRegion).getByRole('combobox', { name: 'Role of bob' })).toHaveValue('viewer');
    const workersRegion = screen.getByRole('region', { name: 'WORKERS' });
    expect(await within(workersRegion).findByText('collector')).toBeInTheDocument();
    expect(within(workersRegion).getByText('4s ago')).toBeInTheDocument();
    expect(within(workersRegion).getByText('STALE')).toHaveClass('amber');
    expect(within(workersRegion).getByText('NEVER')).toBeInTheDocument();
    expect(await within(workersRegion).findByText('DEGRADED')).toBeInTheDocument();
    expect(within(workersRegion).getByText(/no heartbeat/)).toBeInTheDocument();
    expect(within(workersRegion).getByRole('button', { name: 'Stop worker collector' })).toBeInTheDocument();
  });

  it('shows a viewer the settings read-only and no admin actions', async () => {
    mock(viewerCfg);
    renderAt(<System />, '/config');
    const settings = await screen.findByRole('region', { name: 'SETTINGS' });
    expect(within(settings).getByText('30m')).toBeInTheDocument();
    expect(within(settings).queryByRole('textbox')).toBeNull();
    expect(within(settings).queryByRole('button')).toBeNull();
    expect(screen.queryByRole('region', { name: 'USERS' })).toBeNull();
    expect(await screen.findByText('collector')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /stop|start/i })).toBeNull();
  });

  it('validates and saves the deployment limit and the mutation interval', async () => {
    const user = userEvent.setup();
    mock();
    fetchMock.on('PUT', '/config/deployment-limit', { deployment_limit: 50 });
    fetchMock.on('PUT', '/config/global-mutation-interval', reply(400, { detail: 'bad interval' }));
    renderAt(<System />, '/config');
    const limit = await screen.findByRole('spinbutton');
    const limitForm = screen.getByRole('form', { name: 'Deployment limit' });
    await user.clear(limit);
    await user.type(limit, '501');
    expect(screen.getByText('A WHOLE NUMBER FROM 1 TO 500')).toBeInTheDocument();
    expect(limit).toHaveAttribute('aria-invalid', 'true');
    expect(within(limitForm).getByRole('button', { name: 'SAVE' })).toBeDisabled();
    await user.click(within(limitForm).getByRole('button', { name: '50' }));
    await user.click(within(limitForm).getByRole('button', { name: 'SAVE' }));
    await waitFor(() => expect(fetchMock.calls('PUT', '/config/deployment-limit')[0]?.body).toEqual({ deployment_limit: 50 }));
    expect(await screen.findByText('DEPLOYMENT LIMIT SAVED')).toBeInTheDocument();

    const intervalForm = screen.getByRole('form', { name: 'Global mutation interval' });
    const interval = within(intervalForm).getByRole('textbox');
    await user.clear(interval);
    await user.type(interval, '5h');
    expect(within(intervalForm).getByText(/A POSITIVE NUMBER AND A UNIT/)).toBeInTheDocument();
    expect(within(intervalForm).getByRole('button', { name: 'SAVE' })).toBeDisabled();
    await user.clear(interval);
    await user.type(interval, '2d');
    await user.click(within(intervalForm).getByRole('button', { name: 'SAVE' }));
    await waitFor(() => expect(fetchMock.calls('PUT', '/config/global-mutation-interval')[0]?.body).toEqual({ global_mutation_interval: '2d' }));
    expect(await screen.findByText('SAVE FAILED: bad interval')).toHaveClass('toast-alert');
  });

  it('creates a user only with a password that meets the policy', async () => {
    const user = userEvent.setup();
    mock();
    fetchMock.on('POST', '/config/users', reply(201, { uuid: 'u-carol', username: 'carol', role: 'admin', must_change_password: true }));
    renderAt(<System />, '/config');
    const form = await screen.findByRole('form', { name: 'Add user' });
    const add = within(form).getByRole('button', { name: 'ADD USER' });
    await user.type(within(form).getByRole('textbox', { name: 'New username' }), 'carol');
    await user.type(within(form).getByLabelText('New user password'), 'short');
    await user.type(within(form).getByLabelText('Confirm new user password'), 'short');
    expect(within(form).getByText(/AT LEAST 12 CHARACTERS/)).toHaveClass('bad');
    expect(add).toBeDisabled();
    await user.type(within(form).getByLabelText('New user password'), '-but-long-now');
    await user.type(within(form).getByLabelText('Confirm new user password'), '-but-long-now');
    await user.selectOptions(within(form).getByRole('combobox', { name: 'New user role' }), 'admin');
    expect(add).toBeEnabled();
    // The users list reloads with carol in it (later routes win).
    fetchMock.on('GET', '/config', { ...adminCfg, users: [...users, { uuid: 'u-carol', username: 'carol', role: 'admin', must_change_password: true }] });
    await user.click(add);
    await waitFor(() => expect(fetchMock.calls('POST', '/config/users')[0]?.body).toEqual({ username: 'carol', password: 'short-but-long-now', role: 'admin' }));
    expect(await screen.findByText('USER carol CREATED')).toBeInTheDocument();
    expect(await screen.findByRole('combobox', { name: 'Role of carol' })).toHaveValue('admin');
    expect(fetchMock.calls('GET', '/config')).toHaveLength(2);
  });

  it('changes a role, and shows the 403 when demoting yourself', async () => {
    const user = userEvent.setup();
    mock();
    fetchMock.on('PUT', '/config/users/u-bob/role', { uuid: 'u-bob', role: 'admin' });
    fetchMock.on('PUT', '/config/users/u-admin/role', reply(403, { detail: 'You cannot do this to your own account' }));
    renderAt(<System />, '/config');
    await user.selectOptions(await screen.findByRole('combobox', { name: 'Role of bob' }), 'admin');
    await waitFor(() => expect(fetchMock.calls('PUT', '/config/users/u-bob/role')[0]?.body).toEqual({ role: 'admin' }));
    expect(await screen.findByText('bob IS NOW ADMIN')).toBeInTheDocument();
    await user.selectOptions(screen.getByRole('combobox', { name: 'Role of admin' }), 'viewer');
    expect(await screen.findByText('ROLE CHANGE FAILED: You cannot do this to your own account')).toHaveClass('toast-alert');
    await waitFor(() => expect(screen.getByRole('combobox', { name: 'Role of admin' })).toHaveValue('admin'));
  });

  it('deletes a user only on the second click, and shows the 403 for yourself', async () => {
    const user = userEvent.setup();
    mock();
    fetchMock.on('DELETE', '/config/users/u-bob', reply(204));
    fetchMock.on('DELETE', '/config/users/u-admin', reply(403, { detail: 'You cannot do this to your own account' }));
    renderAt(<System />, '/config');
    const del = await screen.findByRole('button', { name: 'Delete user bob' });
    await user.click(del);
    expect(fetchMock.calls('DELETE')).toHaveLength(0);
    expect(del).toHaveTextContent('CONFIRM DELETE? 4s');
    await user.click(screen.getByRole('button', { name: 'Confirm Delete user bob' }));
    await waitFor(() => expect(fetchMock.calls('DELETE', '/config/users/u-bob')).toHaveLength(1));
    expect(await screen.findByText('USER bob DELETED')).toBeInTheDocument();

    const self = screen.getByRole('button', { name: 'Delete user admin' });
    await user.click(self);
    await user.click(self);
    expect(await screen.findByText('DELETE FAILED: You cannot do this to your own account')).toHaveClass('toast-alert');
  });

  it('resets a password in a dialog with the policy, and restores focus', async () => {
    const user = userEvent.setup();
    mock();
    fetchMock.on('PUT', '/config/users/u-bob/reset-password', { detail: 'ok' });
    renderAt(<System />, '/config');
    const open = await screen.findByRole('button', { name: 'Reset password of bob' });
    await user.click(open);
    const dialog = screen.getByRole('dialog', { name: 'RESET PASSWORD — bob' });
    expect(within(dialog).getByLabelText('New password')).toHaveFocus();
    const submit = within(dialog).getByRole('button', { name: 'RESET PASSWORD' });
    await user.type(within(dialog).getByLabelText('New password'), 'correct horse battery');
    await user.type(within(dialog).getByLabelText('Confirm new password'), 'correct horse batterY');
    expect(within(dialog).getByText(/KEYS MATCH/)).toHaveClass('bad');
    expect(submit).toBeDisabled();
    await user.clear(within(dialog).getByLabelText('Confirm new password'));
    await user.type(within(dialog).getByLabelText('Confirm new password'), 'correct horse battery');
    await user.click(submit);
    await waitFor(() => expect(fetchMock.calls('PUT', '/config/users/u-bob/reset-password')[0]?.body).toEqual({ new_password: 'correct horse battery' }));
    expect(await screen.findByText('PASSWORD RESET — bob MUST CHANGE IT AT NEXT LOGIN')).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(open).toHaveFocus();
  });

  it('stops a worker on the second click, starts one at once, and shows failures', async () => {
    const user = userEvent.setup();
    mock();
    fetchMock.on('POST', '/workers/collector/stop', reply(202, { accepted: true, worker: 'collector', action: 'stop' }));
    fetchMock.on('POST', '/workers/profiler/start', reply(503, { detail: 'bus is not connected' }));
    renderAt(<System />, '/config');
    const stop = await screen.findByRole('button', { name: 'Stop worker collector' });
    await user.click(stop);
    expect(fetchMock.calls('POST')).toHaveLength(0);
    await user.click(stop);
    await waitFor(() => expect(fetchMock.calls('POST', '/workers/collector/stop')).toHaveLength(1));
    expect(await screen.findByText('STOP SENT TO collector')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Start worker profiler' }));
    expect(await screen.findByText('START FAILED: bus is not connected')).toHaveClass('toast-alert');
  });

  it('shows the bus offline, an unhealthy 503 report, and polls only while visible', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const offline = () => {
      fetchMock.on('GET', '/workers', { ...workers, bus_connected: false });
      fetchMock.on('GET', '/health', reply(503, { status: 'unhealthy', components: { database: { status: 'failing', detail: 'connection refused' } } }));
    };
    fetchMock.on('GET', '/config', viewerCfg);
    offline();
    renderAt(<System />, '/config');
    expect(await screen.findByText(/BUS OFFLINE/)).toBeInTheDocument();
    expect(await screen.findByText('UNHEALTHY')).toBeInTheDocument();
    expect(screen.getByText(/connection refused/)).toBeInTheDocument();
    expect(await screen.findByText('collector')).toBeInTheDocument();
    expect(fetchMock.calls('GET', '/workers')).toHaveLength(1);

    // The next poll finds the bus back and the API only degraded (later routes win).
    mock(viewerCfg);
    act(() => vi.advanceTimersByTime(POLL_MS));
    expect(fetchMock.calls('GET', '/workers')).toHaveLength(2);
    expect(fetchMock.calls('GET', '/health')).toHaveLength(2);
    await waitFor(() => {
      expect(screen.queryByText(/BUS OFFLINE/)).toBeNull();
      expect(screen.getByText('DEGRADED')).toBeInTheDocument();
      expect(screen.getByText(/no heartbeat/)).toBeInTheDocument();
    });

    const vis = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    act(() => {
      document.dispatchEvent(new Event('visibilitychange'));
    });
    act(() => vi.advanceTimersByTime(POLL_MS * 3));
    expect(fetchMock.calls('GET', '/workers')).toHaveLength(2);
    // Visible again: it polls at once, and shows what that poll found.
    offline();
    vis.mockReturnValue('visible');
    act(() => {
      document.dispatchEvent(new Event('visibilitychange'));
    });
    expect(fetchMock.calls('GET', '/workers')).toHaveLength(3);
    vis.mockRestore();
    await waitFor(() => {
      expect(screen.getByText(/BUS OFFLINE/)).toBeInTheDocument();
      expect(screen.getByText('UNHEALTHY')).toBeInTheDocument();
      expect(screen.getByText(/connection refused/)).toBeInTheDocument();
    });
  });

  it('shows a configuration load failure', async () => {
    fetchMock.on('GET', '/config', reply(500, { detail: 'database is down' }));
    fetchMock.on('GET', '/workers', workers);
    fetchMock.on('GET', '/health', health);
    renderAt(<System />, '/config');
    expect(await screen.findByText('FAILED TO LOAD CONFIGURATION: database is down')).toBeInTheDocument();
  });
});
