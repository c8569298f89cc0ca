import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { AuthProvider, useAuth } from '../lib/auth';
import { getToken } from '../lib/api';
import { fetchMock, reply } from '../test/fetchMock';
import { Login } from './Login';

function Probe() {
  const { token, username } = useAuth();
  return token ? <div>signed in as {username} with {token}</div> : <Login />;
}

const renderLogin = () =>
  render(
    <AuthProvider>
      <Probe />
    </AuthProvider>,
  );

describe('Login', () => {
  it('signs in and keeps the token in sessionStorage', async () => {
    const user = userEvent.setup();
    fetchMock.on('POST', '/auth/login', { access_token: 'jwt-1', token_type: 'bearer', must_change_password: false });
    renderLogin();
    await user.type(screen.getByLabelText('ACCESS KEY'), 'correct-horse-battery');
    await user.click(screen.getByRole('button', { name: 'ESTABLISH CONNECTION' }));
    expect(await screen.findByText('signed in as admin with jwt-1')).toBeInTheDocument();
    expect(getToken()).toBe('jwt-1');
    expect(fetchMock.calls('POST', '/auth/login')[0]!.body).toEqual({ username: 'admin', password: 'correct-horse-battery' });
  });

  it('shows the server detail on a failed login', async () => {
    const user = userEvent.setup();
    fetchMock.on('POST', '/auth/login', reply(401, { detail: 'Incorrect username or password' }));
    renderLogin();
    await user.type(screen.getByLabelText('ACCESS KEY'), 'nope');
    await user.click(screen.getByRole('button', { name: 'ESTABLISH CONNECTION' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Incorrect username or password');
    expect(getToken()).toBeNull();
  });

  it('forces a password change with the temporary token, then logs in again with the new password', async () => {
    const user = userEvent.setup();
    fetchMock.on('POST', '/auth/login', (c) =>
      (c.body as { password: string }).password === 'generated-once'
        ? { access_token: 'temp', token_type: 'bearer', must_change_password: true }
        : { access_token: 'fresh', token_type: 'bearer', must_change_password: false },
    );
    fetchMock.on('POST', '/auth/change-password', { message: 'ok' });
    renderLogin();
    await user.type(screen.getByLabelText('ACCESS KEY'), 'generated-once');
    await user.click(screen.getByRole('button', { name: 'ESTABLISH CONNECTION' }));
    expect(await screen.findByText('MANDATORY SECURITY UPDATE')).toBeInTheDocument();
    expect(getToken()).toBeNull(); // the temporary token is never stored
    const submit = screen.getByRole('button', { name: 'UPDATE SECURE KEY' });
    await user.type(screen.getByLabelText('NEW ACCESS KEY'), 'short');
    expect(submit).toBeDisabled();
    await user.clear(screen.getByLabelText('NEW ACCESS KEY'));
    await user.type(screen.getByLabelText('NEW ACCESS KEY'), 'a-new-long-passphrase');
    await user.type(screen.getByLabelText('CONFIRM KEY'), 'a-new-long-passphrase');
    expect(submit).toBeEnabled();
    await user.click(submit);
    expect(await screen.findByText('signed in as admin with fresh')).toBeInTheDocument();
    const change = fetchMock.calls('POST', '/auth/change-password')[0]!;
    expect(change.headers.Authorization).toBe('Bearer temp');
    expect(change.body).toEqual({ old_password: 'generated-once', new_password: 'a-new-long-passphrase' });
    expect(fetchMock.calls('POST', '/auth/login')[1]!.body).toEqual({ username: 'admin', password: 'a-new-long-passphrase' });
    expect(getToken()).toBe('fresh');
  });
});
