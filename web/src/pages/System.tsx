import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { ArmButton } from '../components/ArmButton';
import { DataTable, type Column } from '../components/DataTable';
import { KV } from '../components/Drawer';
import { EmptyState, ErrorBox } from '../components/EmptyState';
import { Modal } from '../components/Modal';
import { PageHeader, Section } from '../components/PageHeader';
import { useToast } from '../components/Toast';
import { api, errorText } from '../lib/api';
import { MAX_BYTES, MIN_LEN, checkPassword, passwordOk } from '../lib/passwordPolicy';
import type { ConfigUser, HealthReport, SystemConfig, WorkerRow, WorkersResponse } from '../lib/types';

export const LIMIT_MIN = 1;
export const LIMIT_MAX = 500;
export const LIMIT_PRESETS = [10, 50, 100, 200];
/** INTERVAL_RE mirrors the server's check (internal/fleet/settings.go). */
export const INTERVAL_RE = /^[1-9][0-9]*[mdMyY]$/;
/** POLL_MS is how often the workers and health refresh while the tab is visible. */
export const POLL_MS = 10_000;
const ROLES = ['viewer', 'admin'];

export function limitError(v: string): string {
  if (!/^\d+$/.test(v.trim())) return 'A WHOLE NUMBER FROM 1 TO 500';
  const n = Number(v);
  if (n < LIMIT_MIN || n > LIMIT_MAX) return 'A WHOLE NUMBER FROM 1 TO 500';
  return '';
}

export function intervalError(v: string): string {
  return INTERVAL_RE.test(v.trim()) ? '' : 'A POSITIVE NUMBER AND A UNIT: m (MINUTES), d (DAYS), M (MONTHS), y (YEARS) — E.G. 30m, 2d';
}

/** fmtAge renders a worker's seconds since its last heartbeat. */
export function fmtAge(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return 'NEVER';
  const n = Math.max(0, Math.round(s));
  if (n < 60) return `${n}s ago`;
  if (n < 3600) return `${Math.floor(n / 60)}m ago`;
  if (n < 86400) return `${Math.floor(n / 3600)}h ago`;
  return `${Math.floor(n / 86400)}d ago`;
}

function statusClass(s: string): string {
  if (s === 'ok' || s === 'healthy') return 'active';
  if (s === 'stale' || s === 'degraded') return 'warn';
  if (s === 'unhealthy' || s === 'error' || s === 'down') return 'hot';
  return '';
}

function toneClass(s: string): string {
  const c = statusClass(s);
  return c === 'active' ? 'matrix' : c === 'warn' ? 'amber' : c === 'hot' ? 'alert' : 'dim';
}

/**
 * usePoll runs fn now and every ms while the document is visible; a hidden
 * tab stops polling and becoming visible again refreshes at once.
 */
export function usePoll(fn: () => void, ms: number): void {
  const cb = useRef(fn);
  useEffect(() => {
    cb.current = fn;
  });
  useEffect(() => {
    let timer: ReturnType<typeof setInterval> | undefined;
    const start = () => {
      if (timer !== undefined) return;
      cb.current();
      timer = setInterval(() => cb.current(), ms);
    };
    const stop = () => {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    };
    const onVis = () => (document.visibilityState === 'hidden' ? stop() : start());
    if (document.visibilityState !== 'hidden') start();
    document.addEventListener('visibilitychange', onVis);
    return () => {
      document.removeEventListener('visibilitychange', onVis);
      stop();
    };
  }, [ms]);
}

function FieldError({ id, text }: { id: string; text: string }) {
  return text ? (
    <div id={id} className="field-error">
      {text}
    </div>
  ) : null;
}

function SettingsSection({ cfg, admin, onSaved }: { cfg: SystemConfig; admin: boolean; onSaved: () => void }) {
  const toast = useToast();
  const [limit, setLimit] = useState(String(cfg.deployment_limit));
  const [interval, setIntervalDraft] = useState(cfg.global_mutation_interval);
  const [busy, setBusy] = useState(false);
  useEffect(() => setLimit(String(cfg.deployment_limit)), [cfg.deployment_limit]);
  useEffect(() => setIntervalDraft(cfg.global_mutation_interval), [cfg.global_mutation_interval]);

  if (!admin) {
    return (
      <Section title="SETTINGS">
        <KV
          items={[
            ['MAXIMUM DECKIES PER DEPLOYMENT', String(cfg.deployment_limit)],
            ['GLOBAL MUTATION INTERVAL', cfg.global_mutation_interval],
          ]}
        />
        <div className="dim small-note">READ-ONLY: CHANGING SETTINGS NEEDS THE ADMIN ROLE.</div>
      </Section>
    );
  }

  const limitErr = limitError(limit);
  const intervalErr = intervalError(interval);
  const save = async (path: string, body: object, ok: string) => {
    setBusy(true);
    try {
      await api(path, { method: 'PUT', body });
      toast.push(ok);
      onSaved();
    } catch (e) {
      toast.push(`SAVE FAILED: ${errorText(e)}`, 'alert');
    } finally {
      setBusy(false);
    }
  };
  const onLimit = (e: FormEvent) => {
    e.preventDefault();
    if (limitErr) return;
    void save('/config/deployment-limit', { deployment_limit: Number(limit) }, 'DEPLOYMENT LIMIT SAVED');
  };
  const onInterval = (e: FormEvent) => {
    e.preventDefault();
    if (intervalErr) return;
    void save('/config/global-mutation-interval', { global_mutation_interval: interval.trim() }, 'MUTATION INTERVAL SAVED');
  };
  return (
    <Section title="SETTINGS">
      <div className="settings-grid">
        <form className="settings-form" onSubmit={onLimit} aria-label="Deployment limit" noValidate>
          <label htmlFor="cfg-limit" className="type-label">
            MAXIMUM DECKIES PER DEPLOYMENT (1–500)
          </label>
          <div className="toolbar">
            <input
              id="cfg-limit"
              className="input"
              type="number"
              min={LIMIT_MIN}
              max={LIMIT_MAX}
              step={1}
              value={limit}
              aria-invalid={limitErr ? true : undefined}
              aria-describedby={limitErr ? 'cfg-limit-err' : undefined}
              onChange={(e) => setLimit(e.target.value)}
            />
            {LIMIT_PRESETS.map((p) => (
              <button key={p} type="button" className={`seg${String(p) === limit ? ' active' : ''}`} aria-pressed={String(p) === limit} onClick={() => setLimit(String(p))}>
                {p}
              </button>
            ))}
            <button type="submit" className="btn small" disabled={busy || !!limitErr || Number(limit) === cfg.deployment_limit}>
              SAVE
            </button>
          </div>
          <FieldError id="cfg-limit-err" text={limitErr} />
        </form>
        <form className="settings-form" onSubmit={onInterval} aria-label="Global mutation interval" noValidate>
          <label htmlFor="cfg-interval" className="type-label">
            GLOBAL MUTATION INTERVAL
          </label>
          <div className="toolbar">
            <input
              id="cfg-interval"
              className="input"
              value={interval}
              placeholder="30m"
              aria-invalid={intervalErr ? true : undefined}
              aria-describedby={intervalErr ? 'cfg-interval-err' : undefined}
              onChange={(e) => setIntervalDraft(e.target.value)}
            />
            <button type="submit" className="btn small" disabled={busy || !!intervalErr || interval.trim() === cfg.global_mutation_interval}>
              SAVE
            </button>
          </div>
          <FieldError id="cfg-interval-err" text={intervalErr} />
        </form>
      </div>
    </Section>
  );
}

function PolicyList({ pw, confirm }: { pw: string; confirm: string }) {
  return (
    <ul className="policy" aria-label="Password policy">
      {checkPassword(pw, confirm).map((c) => (
        <li key={c.label} className={c.ok ? 'ok' : 'bad'}>
          {c.ok ? '✓' : '✗'} {c.label}
        </li>
      ))}
    </ul>
  );
}

function CreateUserForm({ onCreated }: { onCreated: () => void }) {
  const toast = useToast();
  const [username, setUsername] = useState('');
  const [pw, setPw] = useState('');
  const [confirm, setConfirm] = useState('');
  const [role, setRole] = useState('viewer');
  const [busy, setBusy] = useState(false);
  const nameOk = username.trim().length >= 1 && [...username.trim()].length <= 64;
  const ok = nameOk && passwordOk(pw, confirm);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!ok) return;
    setBusy(true);
    try {
      await api('/config/users', { method: 'POST', body: { username: username.trim(), password: pw, role } });
      toast.push(`USER ${username.trim()} CREATED`);
      setUsername('');
      setPw('');
      setConfirm('');
      setRole('viewer');
      onCreated();
    } catch (err) {
      toast.push(`CREATE FAILED: ${errorText(err)}`, 'alert');
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="user-form" aria-label="Add user" onSubmit={submit} noValidate>
      <div className="type-label">ADD USER</div>
      <div className="toolbar">
        <input className="input" aria-label="New username" placeholder="USERNAME" autoComplete="off" maxLength={64} value={username} onChange={(e) => setUsername(e.target.value)} />
        <input className="input" aria-label="New user password" placeholder={`PASSWORD (${MIN_LEN}–${MAX_BYTES})`} type="password" autoComplete="new-password" value={pw} onChange={(e) => setPw(e.target.value)} />
        <input className="input" aria-label="Confirm new user password" placeholder="CONFIRM" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
        <select className="input" aria-label="New user role" value={role} onChange={(e) => setRole(e.target.value)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r.toUpperCase()}
            </option>
          ))}
        </select>
        <button type="submit" className="btn small" disabled={busy || !ok}>
          ADD USER
        </button>
      </div>
      {(pw || confirm) && <PolicyList pw={pw} confirm={confirm} />}
    </form>
  );
}

function ResetPasswordModal({ user, onClose }: { user: ConfigUser | null; onClose: () => void }) {
  const toast = useToast();
  const [pw, setPw] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setPw('');
    setConfirm('');
  }, [user]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!user || !passwordOk(pw, confirm)) return;
    setBusy(true);
    try {
      await api(`/config/users/${encodeURIComponent(user.uuid)}/reset-password`, { method: 'PUT', body: { new_password: pw } });
      toast.push(`PASSWORD RESET — ${user.username} MUST CHANGE IT AT NEXT LOGIN`);
      onClose();
    } catch (err) {
      toast.push(`RESET FAILED: ${errorText(err)}`, 'alert');
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={user !== null} onClose={onClose} title={user ? `RESET PASSWORD — ${user.username}` : ''}>
      <form className="user-form" onSubmit={submit} noValidate>
        <div className="dim small-note">THE USER MUST CHANGE THIS PASSWORD AT NEXT LOGIN.</div>
        <input data-autofocus className="input" aria-label="New password" type="password" autoComplete="new-password" value={pw} onChange={(e) => setPw(e.target.value)} />
        <input className="input" aria-label="Confirm new password" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
        <PolicyList pw={pw} confirm={confirm} />
        <div className="toolbar">
          <button type="submit" className="btn small" disabled={busy || !passwordOk(pw, confirm)}>
            RESET PASSWORD
          </button>
          <button type="button" className="btn small ghost" onClick={onClose}>
            CANCEL
          </button>
        </div>
      </form>
    </Modal>
  );
}

function UsersSection({ users, onChanged }: { users: ConfigUser[]; onChanged: () => void }) {
  const toast = useToast();
  const [resetting, setResetting] = useState<ConfigUser | null>(null);
  const setRole = async (u: ConfigUser, role: string) => {
    try {
      await api(`/config/users/${encodeURIComponent(u.uuid)}/role`, { method: 'PUT', body: { role } });
      toast.push(`${u.username} IS NOW ${role.toUpperCase()}`);
    } catch (err) {
      toast.push(`ROLE CHANGE FAILED: ${errorText(err)}`, 'alert');
    }
    // Reload either way: a refused change snaps the select back.
    onChanged();
  };
  const remove = async (u: ConfigUser) => {
    try {
      await api(`/config/users/${encodeURIComponent(u.uuid)}`, { method: 'DELETE' });
      toast.push(`USER ${u.username} DELETED`);
      onChanged();
    } catch (err) {
      toast.push(`DELETE FAILED: ${errorText(err)}`, 'alert');
    }
  };
  const columns: Column<ConfigUser>[] = [
    { key: 'name', header: 'USERNAME', className: 'violet', render: (u) => u.username },
    {
      key: 'role',
      header: 'ROLE',
      render: (u) => (
        <select className="input" aria-label={`Role of ${u.username}`} value={u.role} onChange={(e) => void setRole(u, e.target.value)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r.toUpperCase()}
            </option>
          ))}
        </select>
      ),
    },
    { key: 'status', header: 'STATUS', render: (u) => (u.must_change_password ? <span className="amber">MUST CHANGE PASSWORD</span> : <span className="matrix">ACTIVE</span>) },
    {
      key: 'actions',
      header: 'ACTIONS',
      className: 'nowrap',
      render: (u) => (
        <span className="row-actions">
          <button type="button" className="btn small ghost" aria-label={`Reset password of ${u.username}`} onClick={() => setResetting(u)}>
            RESET PASSWORD
          </button>
          <ArmButton label="DELETE" ariaLabel={`Delete user ${u.username}`} onFire={() => void remove(u)} />
        </span>
      ),
    },
  ];
  return (
    <Section title="USERS" actions={`${users.length} ACCOUNT${users.length === 1 ? '' : 'S'}`}>
      <DataTable columns={columns} rows={users} rowKey={(u) => u.uuid} caption="Users" empty={{ title: 'NO USERS' }} />
      <CreateUserForm onCreated={onChanged} />
      <ResetPasswordModal user={resetting} onClose={() => setResetting(null)} />
    </Section>
  );
}

function HealthSummary({ health, error }: { health: HealthReport | null; error: string }) {
  if (error) return <ErrorBox text={`HEALTH UNAVAILABLE: ${error}`} />;
  if (!health) return null;
  const comps = Object.entries(health.components ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return (
    <div className="health-summary" aria-label="Health">
      <span className="type-label">API HEALTH</span>{' '}
      <span className={`chip health-${health.status}`}>
        <span className={`status-dot ${statusClass(health.status)}`} aria-hidden="true" /> {health.status.toUpperCase()}
      </span>
      <ul className="health-list">
        {comps.map(([name, c]) => (
          <li key={name} title={c.detail}>
            <span className={`status-dot ${statusClass(c.status)}`} aria-hidden="true" /> <span>{name}</span> <span className={toneClass(c.status)}>{c.status.toUpperCase()}</span>
            {c.detail && <span className="dim"> — {c.detail}</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}

function WorkersSection({ admin }: { admin: boolean }) {
  const toast = useToast();
  const [data, setData] = useState<WorkersResponse | null>(null);
  const [error, setError] = useState('');
  const [health, setHealth] = useState<HealthReport | null>(null);
  const [healthError, setHealthError] = useState('');
  const load = useCallback(() => {
    api<WorkersResponse>('/workers')
      .then((d) => {
        setData(d);
        setError('');
      })
      .catch((e: unknown) => setError(errorText(e)));
    // /health answers 503 with its report when unhealthy.
    api<HealthReport>('/health', { accept: [503] })
      .then((h) => {
        setHealth(h);
        setHealthError('');
      })
      .catch((e: unknown) => setHealthError(errorText(e)));
  }, []);
  usePoll(load, POLL_MS);
  const act = async (w: WorkerRow, action: 'stop' | 'start') => {
    try {
      await api(`/workers/${encodeURIComponent(w.name)}/${action}`, { method: 'POST' });
      toast.push(`${action.toUpperCase()} SENT TO ${w.name}`);
      load();
    } catch (err) {
      toast.push(`${action.toUpperCase()} FAILED: ${errorText(err)}`, 'alert');
    }
  };
  const columns: Column<WorkerRow>[] = [
    { key: 'dot', header: '', render: (w) => <span className={`status-dot ${statusClass(w.status)}`} aria-hidden="true" /> },
    { key: 'name', header: 'NAME', className: 'violet', render: (w) => w.name },
    { key: 'status', header: 'STATUS', render: (w) => <span className={toneClass(w.status)}>{w.status.toUpperCase()}</span> },
    { key: 'age', header: 'LAST SEEN', className: 'nowrap', render: (w) => fmtAge(w.seconds_since) },
  ];
  if (admin) {
    columns.push({
      key: 'actions',
      header: 'ACTIONS',
      className: 'nowrap',
      render: (w) => (
        <span className="row-actions">
          <ArmButton label="STOP" ariaLabel={`Stop worker ${w.name}`} onFire={() => void act(w, 'stop')} />
          <button type="button" className="btn small" aria-label={`Start worker ${w.name}`} onClick={() => void act(w, 'start')}>
            START
          </button>
        </span>
      ),
    });
  }
  const workers = data?.workers ?? [];
  const stale = workers.filter((w) => w.status !== 'ok').length;
  return (
    <Section title="WORKERS" actions={data ? `${workers.length - stale}/${workers.length} OK · REFRESHES EVERY ${POLL_MS / 1000}S` : undefined}>
      <HealthSummary health={health} error={healthError} />
      {data && !data.bus_connected && <ErrorBox text="BUS OFFLINE — WORKER HEARTBEATS AND STOP/START ARE UNAVAILABLE" />}
      {error && <ErrorBox text={`FAILED TO LOAD WORKERS: ${error}`} />}
      {data ? (
        <DataTable columns={columns} rows={workers} rowKey={(w) => w.name} caption="Workers" empty={{ title: 'NO WORKERS REPORTING', hint: 'Workers appear here once they send a heartbeat on the bus.' }} />
      ) : (
        !error && <div className="loading">LOADING…</div>
      )}
    </Section>
  );
}

export default function System() {
  const [cfg, setCfg] = useState<SystemConfig | null>(null);
  const [error, setError] = useState('');
  const load = useCallback(() => {
    api<SystemConfig>('/config')
      .then((c) => {
        setCfg(c);
        setError('');
      })
      .catch((e: unknown) => setError(errorText(e)));
  }, []);
  useEffect(load, [load]);
  const admin = cfg?.role === 'admin';
  return (
    <div className="page">
      <PageHeader title="SYSTEM" sub={cfg ? `SETTINGS · ${admin ? 'USERS · ' : ''}WORKERS — SIGNED IN AS ${cfg.role.toUpperCase()}` : 'SETTINGS · WORKERS'} />
      {error && <ErrorBox text={`FAILED TO LOAD CONFIGURATION: ${error}`} />}
      {cfg ? <SettingsSection cfg={cfg} admin={admin} onSaved={load} /> : !error && <div className="loading">LOADING…</div>}
      {cfg && admin && (cfg.users ? <UsersSection users={cfg.users} onChanged={load} /> : <EmptyState title="NO USERS" compact />)}
      <WorkersSection admin={admin} />
    </div>
  );
}
