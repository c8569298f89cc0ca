import { useState, type FormEvent } from 'react';
import { api, errorText } from '../lib/api';
import { useAuth } from '../lib/auth';
import { checkPassword, passwordOk } from '../lib/passwordPolicy';
import type { TokenResponse } from '../lib/types';

/**
 * Login signs the operator in. When the server says the password must
 * change (first login with a generated password, or after an admin reset),
 * the temporary token stays in memory only, the new password is set with
 * it, and the operator is logged in again with the new password: the
 * server revokes every token issued before the change.
 */
export function Login() {
  const { signIn } = useAuth();
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [temp, setTemp] = useState<string | null>(null);
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  const login = async (user: string, pw: string): Promise<TokenResponse> =>
    api<TokenResponse>('/auth/login', { method: 'POST', body: { username: user, password: pw }, token: null });

  const onLogin = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const t = await login(username, password);
      if (t.must_change_password) setTemp(t.access_token);
      else signIn(t.access_token, username);
    } catch (err) {
      setError(errorText(err) || 'Authentication failed');
    } finally {
      setBusy(false);
    }
  };

  const onChange = async (e: FormEvent) => {
    e.preventDefault();
    if (!temp || !passwordOk(next, confirm)) return;
    setBusy(true);
    setError('');
    try {
      await api('/auth/change-password', { method: 'POST', body: { old_password: password, new_password: next }, token: temp });
      const t = await login(username, next);
      setTemp(null);
      signIn(t.access_token, username);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  if (temp) {
    const checks = checkPassword(next, confirm);
    return (
      <div className="login-screen">
        <form className="login-panel" onSubmit={onChange} aria-labelledby="chg-title">
          <h1 id="chg-title">MANDATORY SECURITY UPDATE</h1>
          <p className="dim">Please establish a new access key</p>
          <label>
            NEW ACCESS KEY
            <input className="input" type="password" autoComplete="new-password" autoFocus value={next} onChange={(e) => setNext(e.target.value)} />
          </label>
          <label>
            CONFIRM KEY
            <input className="input" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
          </label>
          <ul className="policy" aria-label="Password policy">
            {checks.map((c) => (
              <li key={c.label} className={c.ok ? 'ok' : 'bad'}>
                {c.ok ? '✓' : '✗'} {c.label}
              </li>
            ))}
          </ul>
          {error && (
            <div className="error-box" role="alert">
              {error}
            </div>
          )}
          <button className="btn" type="submit" disabled={busy || !passwordOk(next, confirm)}>
            {busy ? 'UPDATING…' : 'UPDATE SECURE KEY'}
          </button>
        </form>
      </div>
    );
  }

  return (
    <div className="login-screen">
      <form className="login-panel" onSubmit={onLogin} aria-labelledby="login-title">
        <div className="login-icon" aria-hidden="true">
          ⌁
        </div>
        <h1 id="login-title">DECNET</h1>
        <p className="dim">AUTHORIZED PERSONNEL ONLY</p>
        <label>
          IDENTIFIER
          <input className="input" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} />
        </label>
        <label>
          ACCESS KEY
          <input className="input" type="password" autoComplete="current-password" autoFocus value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {error && (
          <div className="error-box" role="alert">
            {error}
          </div>
        )}
        <button className="btn" type="submit" disabled={busy || !username || !password}>
          {busy ? 'VERIFYING…' : 'ESTABLISH CONNECTION'}
        </button>
      </form>
    </div>
  );
}
