import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ArmButton } from '../components/ArmButton';
import { DataTable, type Column } from '../components/DataTable';
import { Drawer, KV } from '../components/Drawer';
import { ErrorBox } from '../components/EmptyState';
import { Modal } from '../components/Modal';
import { PageHeader, Section } from '../components/PageHeader';
import { useToast } from '../components/Toast';
import { api, errorText } from '../lib/api';
import { fmtNum, fmtTime } from '../lib/format';
import { useServerConfig } from '../lib/role';
import type { Decky, LifecycleRow, ServiceStatus } from '../lib/types';

/** POLL_MS is the fleet refresh while the tab is visible (GET /deckies has no stream). */
export const POLL_MS = 5000;
/** LIFECYCLE_POLL_MS is the deploy progress refresh. */
export const LIFECYCLE_POLL_MS = 2000;

/** stateClass colours a decky or lifecycle state. */
export function stateClass(state: string): string {
  switch (state) {
    case 'running':
    case 'succeeded':
      return 'matrix';
    case 'failed':
      return 'alert';
    case 'degraded':
      return 'amber';
    default:
      return 'violet'; // pending, starting, stopping
  }
}

function ports(s: ServiceStatus | undefined): string {
  return (s?.ports ?? []).map((p) => (p.port === p.declared ? String(p.port) : `${p.port}←${p.declared}`)).join(',');
}

function statusOf(d: Decky, svc: string): ServiceStatus | undefined {
  return (d.service_status ?? []).find((s) => s.name === svc);
}

function ServiceChips({ d }: { d: Decky }) {
  return (
    <span className="chips">
      {(d.services ?? []).map((svc) => {
        const st = statusOf(d, svc);
        const p = ports(st);
        return (
          <span key={svc} className={`chip${st?.error ? ' alert-chip' : ''}`} title={st?.error}>
            {svc}
            {p && `:${p}`}
          </span>
        );
      })}
    </span>
  );
}

/** KVRows edits a service config as key/value rows (there is no schema route to drive a form). */
export type Row = { k: string; v: string };
export function rowsOf(cfg: Record<string, string> | undefined | null): Row[] {
  const rows = Object.entries(cfg ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => ({ k, v }));
  return rows.length ? rows : [{ k: '', v: '' }];
}
function cfgOf(rows: Row[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) if (r.k.trim()) out[r.k.trim()] = r.v;
  return out;
}

function KVRows({ rows, onChange, label }: { rows: Row[]; onChange: (r: Row[]) => void; label: string }) {
  return (
    <div className="kv-rows" role="group" aria-label={label}>
      {rows.map((r, i) => (
        <div className="kv-row" key={i}>
          <input className="input" aria-label={`${label} key ${i + 1}`} placeholder="key" value={r.k} onChange={(e) => onChange(rows.map((x, j) => (j === i ? { ...x, k: e.target.value } : x)))} />
          <input className="input grow" aria-label={`${label} value ${i + 1}`} placeholder="value" value={r.v} onChange={(e) => onChange(rows.map((x, j) => (j === i ? { ...x, v: e.target.value } : x)))} />
          <button type="button" className="icon-btn" aria-label={`Remove ${label} row ${i + 1}`} onClick={() => onChange(rows.length > 1 ? rows.filter((_, j) => j !== i) : [{ k: '', v: '' }])}>
            −
          </button>
        </div>
      ))}
      <button type="button" className="btn small ghost" onClick={() => onChange([...rows, { k: '', v: '' }])}>
        + ROW
      </button>
    </div>
  );
}

interface Actions {
  run: (what: Promise<unknown>, ok: string) => Promise<boolean>;
  busy: boolean;
}

function ServiceBlock({ d, svc, admin, act }: { d: Decky; svc: string; admin: boolean; act: Actions }) {
  const st = statusOf(d, svc);
  const cfg = d.service_config?.[svc];
  const [editing, setEditing] = useState<Row[] | null>(null);
  const base = `/deckies/${encodeURIComponent(d.name)}/services/${encodeURIComponent(svc)}`;
  return (
    <div className="svc-block" aria-label={`Service ${svc}`} role="group">
      <div className="svc-head">
        <span className="chip">{svc}</span>
        <span className="dim">{ports(st) ? `PORTS ${ports(st)}` : 'NOT BOUND'}</span>
        {st?.error && <span className="alert">⚠ {st.error}</span>}
        {admin && editing === null && (
          <span className="svc-actions">
            <button type="button" className="btn small ghost" onClick={() => setEditing(rowsOf(cfg))}>
              EDIT CONFIG
            </button>
            <ArmButton label="REMOVE" ariaLabel={`Remove ${svc}`} disabled={act.busy} onFire={() => void act.run(api(base, { method: 'DELETE' }), `SERVICE REMOVED · ${svc.toUpperCase()}`)} />
          </span>
        )}
      </div>
      {editing === null ? (
        Object.keys(cfg ?? {}).length > 0 ? (
          <KV items={Object.entries(cfg ?? {}).sort(([a], [b]) => a.localeCompare(b))} />
        ) : (
          <div className="dim">DEFAULT CONFIG</div>
        )
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void act.run(api(`${base}/config`, { method: 'PUT', body: { config: cfgOf(editing) } }), `CONFIG SAVED · ${svc.toUpperCase()}`).then((ok) => ok && setEditing(null));
          }}
        >
          <KVRows rows={editing} onChange={setEditing} label={`${svc} config`} />
          <div className="bd-actions">
            <button type="submit" className="btn small" disabled={act.busy}>
              SAVE CONFIG
            </button>
            <button type="button" className="btn small ghost" onClick={() => setEditing(null)}>
              CANCEL
            </button>
          </div>
        </form>
      )}
    </div>
  );
}

function AddService({ d, act }: { d: Decky; act: Actions }) {
  const [name, setName] = useState('');
  const [rows, setRows] = useState<Row[]>([{ k: '', v: '' }]);
  return (
    <form
      className="add-service"
      aria-label="Add service"
      onSubmit={(e) => {
        e.preventDefault();
        const svc = name.trim();
        if (!svc) return;
        void act
          .run(api(`/deckies/${encodeURIComponent(d.name)}/services`, { method: 'POST', body: { name: svc, config: cfgOf(rows) } }), `SERVICE ADDED · ${svc.toUpperCase()}`)
          .then((ok) => {
            if (!ok) return;
            setName('');
            setRows([{ k: '', v: '' }]);
          });
      }}
    >
      <div className="type-label">ADD SERVICE</div>
      <input className="input" aria-label="Service name" placeholder="service name, e.g. ssh" value={name} onChange={(e) => setName(e.target.value)} />
      <KVRows rows={rows} onChange={setRows} label="new service config" />
      <button type="submit" className="btn small" disabled={act.busy || !name.trim()}>
        ADD SERVICE
      </button>
    </form>
  );
}

function IntervalForm({ d, globalInterval, act }: { d: Decky; globalInterval: string; act: Actions }) {
  const [value, setValue] = useState(d.mutate_interval ? `${d.mutate_interval}m` : '');
  const valid = value === '' || /^[1-9]\d*[mdMyY]$/.test(value.trim());
  return (
    <form
      className="toolbar"
      onSubmit={(e) => {
        e.preventDefault();
        if (!valid) return;
        const v = value.trim() || null;
        void act.run(api(`/deckies/${encodeURIComponent(d.name)}/mutate-interval`, { method: 'PUT', body: { mutate_interval: v } }), `MUTATE INTERVAL · ${v ?? 'GLOBAL'}`);
      }}
    >
      <label className="dim" htmlFor="mutate-interval">
        MUTATE EVERY
      </label>
      <input
        id="mutate-interval"
        className="input"
        placeholder={`global (${globalInterval || '30m'})`}
        value={value}
        aria-invalid={!valid || undefined}
        onChange={(e) => setValue(e.target.value)}
      />
      <button type="submit" className="btn small" disabled={act.busy || !valid}>
        SET INTERVAL
      </button>
      {!valid && <span className="alert">e.g. 30m, 2d (m, d, M, y)</span>}
    </form>
  );
}

/** DeckyInspector is the decky drawer: facts, services with their config, and the admin actions. */
export function DeckyInspector({ d, admin, globalInterval, onClose, reload }: { d: Decky | null; admin: boolean; globalInterval: string; onClose: () => void; reload: () => void }) {
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const run = useCallback(
    async (what: Promise<unknown>, ok: string) => {
      setBusy(true);
      try {
        await what;
        toast.push(ok);
        reload();
        return true;
      } catch (e) {
        toast.push(`FAILED · ${errorText(e)}`, 'alert');
        return false;
      } finally {
        setBusy(false);
      }
    },
    [toast, reload],
  );
  const act: Actions = { run, busy };
  return (
    <Drawer open={d !== null} onClose={onClose} title={d ? `DECKY · ${d.name}` : ''} className="fleet-drawer">
      {d && (
        <>
          <KV
            items={[
              ['STATE', <span className={stateClass(d.state)}>{d.state.toUpperCase()}</span>],
              ['SERVING', d.serving ? <span className="matrix">YES</span> : <span className="dim">NO</span>],
              ['IP', d.ip],
              ['HOSTNAME', d.hostname],
              ['DISTRO', d.distro || '—'],
              ['ARCHETYPE', <span className="violet">{d.archetype || '—'}</span>],
              ['NMAP OS', d.nmap_os || '—'],
              ['NET MODE', d.net_mode || '—'],
              ['MUTATE INTERVAL', d.mutate_interval ? `EVERY ${d.mutate_interval}m` : `GLOBAL (${globalInterval || '—'})`],
              ['LAST MUTATED', fmtTime(d.last_mutated)],
              ['CREATED', fmtTime(d.created_at)],
              ...(d.last_error ? ([['LAST ERROR', <span className="alert">{d.last_error}</span>]] as [string, ReactNode][]) : []),
            ]}
          />
          {admin && (
            <div className="bd-actions" role="group" aria-label="Decky actions">
              <button
                type="button"
                className="btn small violet"
                disabled={busy}
                onClick={() => void run(api(`/deckies/${encodeURIComponent(d.name)}/mutate`, { method: 'POST' }), `MUTATION QUEUED · ${d.name.toUpperCase()}`)}
              >
                MUTATE NOW
              </button>
              <ArmButton
                label="TEAR DOWN"
                disabled={busy}
                onFire={() =>
                  void run(api(`/deckies/${encodeURIComponent(d.name)}`, { method: 'DELETE' }), `TORN DOWN · ${d.name.toUpperCase()}`).then((ok) => ok && onClose())
                }
              />
            </div>
          )}
          {admin && <IntervalForm key={`interval/${d.name}`} d={d} globalInterval={globalInterval} act={act} />}
          <div>
            <div className="type-label">SERVICES ({(d.services ?? []).length})</div>
            {(d.services ?? []).map((svc) => (
              <ServiceBlock key={`${d.name}/${svc}`} d={d} svc={svc} admin={admin} act={act} />
            ))}
          </div>
          {admin && <AddService key={`add/${d.name}`} d={d} act={act} />}
        </>
      )}
    </Drawer>
  );
}

/** DeployModal posts an INI and follows the lifecycle rows it returns until each finishes. */
export function DeployModal({ open, onClose, onDeployed }: { open: boolean; onClose: () => void; onDeployed: () => void }) {
  const toast = useToast();
  const [ini, setIni] = useState('');
  const [replace, setReplace] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [ids, setIds] = useState<string[]>([]);
  const [rows, setRows] = useState<LifecycleRow[]>([]);
  const done = ids.length > 0 && rows.length >= ids.length && rows.every((r) => r.status === 'succeeded' || r.status === 'failed');

  useEffect(() => {
    if (ids.length === 0) return;
    let stale = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = () => {
      api<{ rows: LifecycleRow[] | null }>(`/deckies/lifecycle?${ids.map((id) => `ids=${encodeURIComponent(id)}`).join('&')}`)
        .then((r) => {
          if (stale) return;
          const got = r.rows ?? [];
          setRows(got);
          const finished = got.length >= ids.length && got.every((x) => x.status === 'succeeded' || x.status === 'failed');
          if (finished) {
            const failed = got.filter((x) => x.status === 'failed').length;
            toast.push(failed ? `DEPLOY · ${failed} FAILED` : `DEPLOYED · ${got.length} OK`, failed ? 'alert' : 'matrix');
            onDeployed();
          } else timer = setTimeout(poll, LIFECYCLE_POLL_MS);
        })
        .catch((e: unknown) => {
          if (stale) return;
          setError(errorText(e));
          timer = setTimeout(poll, LIFECYCLE_POLL_MS);
        });
    };
    poll();
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [ids, toast, onDeployed]);

  const reset = () => {
    setIds([]);
    setRows([]);
    setError('');
  };
  const submit = async () => {
    setBusy(true);
    setError('');
    try {
      const r = await api<{ lifecycle_ids: string[] | null }>('/deckies/deploy', { method: 'POST', body: { ini_content: ini, replace_fleet: replace } });
      setRows([]);
      setIds(r.lifecycle_ids ?? []);
      if (!r.lifecycle_ids?.length) {
        toast.push('DEPLOY ACCEPTED');
        onDeployed();
      }
    } catch (e) {
      toast.push(`DEPLOY FAILED · ${errorText(e)}`, 'alert');
    } finally {
      setBusy(false);
    }
  };
  const close = () => {
    reset();
    onClose();
  };
  return (
    <Modal open={open} onClose={close} title="DEPLOY DECKIES" className="deploy-modal">
      {ids.length === 0 ? (
        <form
          className="deploy-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!replace) void submit();
          }}
        >
          <label className="type-label" htmlFor="deploy-ini">
            DEPLOYMENT INI
          </label>
          <textarea
            id="deploy-ini"
            className="input ini-input"
            data-autofocus
            rows={12}
            spellCheck={false}
            placeholder={'[decky-01]\narchetype=linux-server\n\n[decky-02]\nservices=ssh,http'}
            value={ini}
            onChange={(e) => setIni(e.target.value)}
          />
          <label className="check">
            <input type="checkbox" checked={replace} onChange={(e) => setReplace(e.target.checked)} /> REPLACE FLEET (tears down deckies not in this INI)
          </label>
          <div className="bd-actions">
            {replace ? (
              <ArmButton label="DEPLOY · REPLACE FLEET" disabled={busy || !ini.trim()} onFire={() => void submit()} />
            ) : (
              <button type="submit" className="btn violet" disabled={busy || !ini.trim()}>
                DEPLOY
              </button>
            )}
          </div>
        </form>
      ) : (
        <div className="deploy-progress">
          {error && <ErrorBox text={`LIFECYCLE POLL FAILED: ${error}`} />}
          <ul className="target-list" aria-label="Deploy progress">
            {rows.length === 0 && <li className="dim">WAITING FOR {fmtNum(ids.length)} OPERATIONS…</li>}
            {rows.map((r) => (
              <li key={r.id}>
                <span className="violet">{r.decky_name}</span> {r.operation} · <span className={stateClass(r.status)}>{r.status.toUpperCase()}</span>
                {r.error && <span className="alert"> · {r.error}</span>}
              </li>
            ))}
          </ul>
          <div className="bd-actions">
            <span className="dim">{done ? 'FINISHED' : 'IN PROGRESS…'}</span>
            <button type="button" className="btn small ghost" onClick={close}>
              {done ? 'DONE' : 'CLOSE'}
            </button>
          </div>
        </div>
      )}
    </Modal>
  );
}

export default function Fleet() {
  const { config } = useServerConfig();
  const isAdmin = config?.role === 'admin';
  const [deckies, setDeckies] = useState<Decky[] | null>(null);
  const [error, setError] = useState('');
  const [openName, setOpenName] = useState<string | null>(null);
  const [deploying, setDeploying] = useState(false);
  const seq = useRef(0);

  const load = useCallback(() => {
    const n = ++seq.current;
    api<Decky[]>('/deckies')
      .then((ds) => {
        if (n !== seq.current) return;
        setDeckies(ds ?? []);
        setError('');
      })
      .catch((e: unknown) => n === seq.current && setError(errorText(e)));
  }, []);

  useEffect(() => {
    // Poll while the tab is visible; refresh at once when it becomes visible.
    load();
    let timer: ReturnType<typeof setInterval> | undefined;
    const start = () => {
      clearInterval(timer);
      timer = setInterval(() => {
        if (document.visibilityState !== 'hidden') load();
      }, POLL_MS);
    };
    const onVis = () => {
      if (document.visibilityState !== 'hidden') load();
    };
    start();
    document.addEventListener('visibilitychange', onVis);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVis);
    };
  }, [load]);

  const list = deckies ?? [];
  const open = openName ? (list.find((d) => d.name === openName) ?? null) : null;
  const running = list.filter((d) => d.state === 'running').length;
  const failed = list.filter((d) => d.state === 'failed').length;

  const columns: Column<Decky>[] = [
    { key: 'name', header: 'NAME', className: 'violet nowrap', render: (d) => d.name },
    { key: 'ip', header: 'IP', className: 'nowrap', render: (d) => d.ip },
    { key: 'host', header: 'HOSTNAME', render: (d) => d.hostname },
    { key: 'distro', header: 'DISTRO / ARCHETYPE', render: (d) => (
        <>
          {d.distro || '—'}
          {d.archetype && <span className="violet"> / {d.archetype}</span>}
        </>
      ) },
    { key: 'state', header: 'STATE', render: (d) => <span className={stateClass(d.state)}>{d.state.toUpperCase()}</span> },
    { key: 'services', header: 'SERVICES', render: (d) => <ServiceChips d={d} /> },
    { key: 'serving', header: 'SERVING', render: (d) => (d.serving ? <span className="matrix">YES</span> : <span className="dim">NO</span>) },
    { key: 'err', header: 'LAST ERROR', render: (d) => (d.last_error ? <span className="alert clip" title={d.last_error}>{d.last_error}</span> : <span className="dim">—</span>) },
  ];

  return (
    <div className="page">
      <PageHeader
        title="DECOY FLEET"
        sub={`${fmtNum(list.length)} DECKIES · ${fmtNum(running)} RUNNING · ${fmtNum(failed)} FAILED · REFRESH ${POLL_MS / 1000}s`}
        actions={
          isAdmin && (
            <button type="button" className="btn violet" onClick={() => setDeploying(true)}>
              + DEPLOY DECKIES
            </button>
          )
        }
      />
      {error && <ErrorBox text={`FAILED TO LOAD DECKIES: ${error}`} />}
      <Section title="DECKIES">
        <DataTable
          columns={columns}
          rows={list}
          rowKey={(d) => d.name}
          loading={deckies === null}
          caption="Deckies"
          onRowActivate={(d) => setOpenName(d.name)}
          rowLabel={(d) => `Inspect decky ${d.name}`}
          empty={{ title: 'NO DECKIES DEPLOYED', hint: isAdmin ? 'deploy an INI to start a fleet' : 'an admin deploys the fleet' }}
        />
      </Section>
      <DeckyInspector d={open} admin={isAdmin} globalInterval={config?.global_mutation_interval ?? ''} onClose={() => setOpenName(null)} reload={load} />
      {isAdmin && <DeployModal open={deploying} onClose={() => setDeploying(false)} onDeployed={load} />}
    </div>
  );
}
