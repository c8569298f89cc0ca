import { describe, expect, it, vi } from 'vitest';
import { fetchMock, reply } from '../test/fetchMock';
import { ApiError, LOGOUT_EVENT, api, getToken, setToken } from './api';

describe('api', () => {
  it('uses the relative base and the stored bearer token', async () => {
    setToken('tok');
    fetchMock.on('GET', '/stats', { total_logs: 1 });
    await expect(api('/stats', { query: { a: 1, empty: '', none: undefined } })).resolves.toEqual({ total_logs: 1 });
    const [call] = fetchMock.calls('GET', '/stats');
    expect(call!.headers.Authorization).toBe('Bearer tok');
    expect(call!.query.toString()).toBe('a=1');
  });

  it('on 401 drops the token and signals logout', async () => {
    setToken('old');
    const onLogout = vi.fn();
    window.addEventListener(LOGOUT_EVENT, onLogout);
    fetchMock.on('GET', '/stats', reply(401, { detail: 'Could not validate credentials' }));
    const err = await api('/stats').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).detail).toBe('Could not validate credentials');
    expect(getToken()).toBeNull();
    expect(onLogout).toHaveBeenCalledOnce();
    window.removeEventListener(LOGOUT_EVENT, onLogout);
  });

  it('a 401 from the login form is an error, not a logout', async () => {
    const onLogout = vi.fn();
    window.addEventListener(LOGOUT_EVENT, onLogout);
    fetchMock.on('POST', '/auth/login', reply(401, { detail: 'Incorrect username or password' }));
    await expect(api('/auth/login', { method: 'POST', body: {}, token: null })).rejects.toThrow('Incorrect');
    expect(onLogout).not.toHaveBeenCalled();
    window.removeEventListener(LOGOUT_EVENT, onLogout);
  });
});
