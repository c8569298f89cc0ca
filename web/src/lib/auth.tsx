import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { LOGOUT_EVENT, api, getToken, setToken } from './api';

interface AuthApi {
  token: string | null;
  username: string;
  signIn(token: string, username: string): void;
  signOut(): void;
}

const Ctx = createContext<AuthApi | null>(null);

// The token's subject is the user's UUID; the name the operator typed is
// kept beside it, for display only.
const USER_KEY = 'decnet_user';
function storedUser(): string {
  try {
    return sessionStorage.getItem(USER_KEY) ?? '';
  } catch {
    return '';
  }
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [token, setTok] = useState<string | null>(() => getToken());
  const [username, setUsername] = useState(storedUser);
  const signIn = useCallback((t: string, user: string) => {
    setToken(t);
    sessionStorage.setItem(USER_KEY, user);
    setUsername(user);
    setTok(t);
  }, []);
  const signOut = useCallback(() => {
    const t = getToken();
    setToken(null);
    sessionStorage.removeItem(USER_KEY);
    setTok(null);
    // Revoke server-side too; a failure (already expired) changes nothing.
    if (t) void api('/auth/logout', { method: 'POST', token: t }).catch(() => undefined);
  }, []);
  useEffect(() => {
    const onLogout = () => setTok(null);
    window.addEventListener(LOGOUT_EVENT, onLogout);
    return () => window.removeEventListener(LOGOUT_EVENT, onLogout);
  }, []);
  const value = useMemo(() => ({ token, username, signIn, signOut }), [token, username, signIn, signOut]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useAuth(): AuthApi {
  const v = useContext(Ctx);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}
