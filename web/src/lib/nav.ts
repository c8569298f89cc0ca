// The single table of built pages: the sidebar, the G-chord shortcuts, the
// command palette and the shortcut help all read it, so nothing advertises
// a page or key that does not exist (web.md §8.5).
export interface NavItem {
  path: string;
  label: string;
  /** Second key of the G chord. */
  chord: string;
  /** Shown to admins only (the server refuses the page's API to viewers). */
  adminOnly?: boolean;
}

export const NAV: NavItem[] = [
  { path: '/', label: 'Dashboard', chord: 'd' },
  { path: '/live-logs', label: 'Live Logs', chord: 'l' },
  { path: '/attackers', label: 'Attackers', chord: 'a' },
  { path: '/identities', label: 'Identities', chord: 'i' },
  { path: '/campaigns', label: 'Campaigns', chord: 'c' },
  { path: '/credentials', label: 'Credentials', chord: 'k' },
  { path: '/bounty', label: 'Bounty', chord: 'b' },
  { path: '/fleet', label: 'Decoy Fleet', chord: 'f' },
  { path: '/webhooks', label: 'Webhooks', chord: 'w', adminOnly: true },
  { path: '/ttp/rules', label: 'TTP Rules', chord: 'r' },
  { path: '/config', label: 'System', chord: 's' },
];

/** navFor is the NAV a role sees: admin-only pages are left out until the role is known to be admin. */
export function navFor(role: string): NavItem[] {
  return NAV.filter((n) => !n.adminOnly || role === 'admin');
}

/** CHORD_MS is how long the G chord waits for its second key. */
export const CHORD_MS = 800;
