import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { NavLink, useLocation, useNavigate } from 'react-router-dom';
import { api } from '../lib/api';
import { useAuth } from '../lib/auth';
import { FOCUS_SEARCH_SELECTOR, useGlobalHotkeys } from '../lib/hotkeys';
import { NAV, navFor } from '../lib/nav';
import { toggleTheme } from '../lib/theme';
import { CommandPalette, type Command } from './CommandPalette';
import { ConnectionIndicator } from './ConnectionIndicator';
import { ShortcutsHelp } from './ShortcutsHelp';
import { useToast } from './Toast';

export function Layout({ children }: { children: ReactNode }) {
  const { username, signOut } = useAuth();
  const navigate = useNavigate();
  const loc = useLocation();
  const toast = useToast();
  const [palette, setPalette] = useState(false);
  const [help, setHelp] = useState(false);
  const [role, setRole] = useState('');

  useEffect(() => {
    // The real role, not a hard-coded label (web.md §8.7).
    api<{ role: string }>('/config')
      .then((c) => setRole(c.role))
      .catch(() => setRole(''));
  }, []);

  const nav = useMemo(() => navFor(role), [role]);
  const commands = useMemo<Command[]>(
    () => [
      ...nav.map((n) => ({ id: `go-${n.chord}`, group: 'GO TO' as const, label: n.label, hint: `G ${n.chord.toUpperCase()}`, run: () => navigate(n.path) })),
      {
        id: 'theme',
        group: 'ACTIONS',
        label: 'Toggle dark / light theme',
        run: () => toast.push(`THEME · ${toggleTheme().toUpperCase()}`, 'violet'),
      },
      { id: 'help', group: 'ACTIONS', label: 'Show keyboard shortcuts', hint: '?', run: () => setHelp(true) },
      { id: 'logout', group: 'ACTIONS', label: 'Log out', run: signOut },
    ],
    [nav, navigate, signOut, toast],
  );

  useGlobalHotkeys({
    togglePalette: () => setPalette((p) => !p),
    openHelp: () => setHelp(true),
    navigate: (p) => nav.some((n) => n.path === p) && navigate(p),
    focusSearch: () => {
      const el = document.querySelector<HTMLInputElement>(FOCUS_SEARCH_SELECTOR);
      el?.focus();
      el?.select();
    },
    blocked: () => palette || help || document.querySelector('[aria-modal="true"]') !== null,
  });

  const current = NAV.find((n) => (n.path === '/' ? loc.pathname === '/' : loc.pathname.startsWith(n.path)));
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-icon" aria-hidden="true">
            ⌁
          </span>
          DECNET
        </div>
        <nav aria-label="Main">
          {nav.map((n) => (
            <NavLink key={n.path} to={n.path} end={n.path === '/'} className="nav-item">
              {n.label.toUpperCase()}
            </NavLink>
          ))}
        </nav>
        <div className="sidebar-foot">
          <div className="dim">
            OPERATOR · {username ? username.toUpperCase() : '—'}
            {role && ` · ${role.toUpperCase()}`}
          </div>
          <button type="button" className="btn small ghost" onClick={signOut}>
            LOG OUT
          </button>
        </div>
      </aside>
      <div className="main-col">
        <header className="topbar">
          <div className="crumb">
            <span className="violet">DECNET</span> / {current ? current.label.toUpperCase() : 'ATTACKER'}
          </div>
          <div className="topbar-right">
            <ConnectionIndicator />
            <button type="button" className="btn small ghost" onClick={() => setPalette(true)} aria-label="Open command palette">
              ⌘ ALT+K
            </button>
            <button
              type="button"
              className="btn small ghost"
              aria-label="Toggle theme"
              onClick={() => toast.push(`THEME · ${toggleTheme().toUpperCase()}`, 'violet')}
            >
              ◐
            </button>
          </div>
        </header>
        <main id="main" className="content" tabIndex={-1}>
          {children}
        </main>
      </div>
      <CommandPalette open={palette} onClose={() => setPalette(false)} commands={commands} />
      <ShortcutsHelp open={help} onClose={() => setHelp(false)} items={nav} />
    </div>
  );
}
