import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { ArmButton } from '../components/ArmButton';
import { DataTable, type Column } from '../components/DataTable';
import { Drawer, KV } from '../components/Drawer';
import { ErrorBox } from '../components/EmptyState';
import { PageHeader, Section } from '../components/PageHeader';
import { useToast } from '../components/Toast';
import { api, errorText } from '../lib/api';
import { fmtTime } from '../lib/format';
import { useRole } from '../lib/role';
import type { TTPRule } from '../lib/types';
import { useUrlState } from '../lib/urlState';

export const STATES = ['all', 'enabled', 'disabled', 'clipped', 'error'] as const;
const REASON_MAX = 512;

/** ruleKey is unique per row: a broken file may repeat a rule id, or have none. */
export const ruleKey = (r: TTPRule) => `${r.rule_id}|${r.source ?? ''}|${r.error ?? ''}`;

export function stateOf(r: TTPRule): string {
  return r.error ? 'error' : r.state || 'enabled';
}

function StateChip({ r }: { r: TTPRule }) {
  const s = stateOf(r);
  const cls = s === 'error' || s === 'disabled' ? 'alert-chip' : s === 'clipped' ? 'amber-chip' : '';
  return <span className={`chip ${cls}`.trim()}>{s.toUpperCase()}</span>;
}

export function matches(r: TTPRule, q: string): boolean {
  if (!q) return true;
  const hay = [r.rule_id, r.name, r.description, r.reason, r.set_by, r.source, r.error, ...(r.techniques ?? []), ...(r.applies_to ?? [])]
    .filter(Boolean)
    .join('\n')
    .toLowerCase();
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => hay.includes(w));
}

const fmtCap = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toFixed(2));

export function capError(v: string): string {
  if (v.trim() === '') return 'REQUIRED: A NUMBER FROM 0 TO 1';
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 && n <= 1 ? '' : 'A NUMBER FROM 0 TO 1';
}

export function expiryError(v: string, now = Date.now()): string {
  if (!v) return '';
  const t = new Date(v).getTime();
  if (Number.isNaN(t)) return 'NOT A DATE';
  return t <= now ? 'MUST BE IN THE FUTURE' : '';
}

/** RuleActions are the admin controls: disable (armed), clip, re-enable. */
function RuleActions({ rule, onChanged }: { rule: TTPRule; onChanged: () => void }) {
  const toast = useToast();
  const [cap, setCap] = useState(rule.confidence_max !== null && rule.confidence_max !== undefined ? String(rule.confidence_max) : '0.5');
  const [expiry, setExpiry] = useState('');
  const [reason, setReason] = useState(rule.reason ?? '');
  const [busy, setBusy] = useState(false);
  const id = encodeURIComponent(rule.rule_id);
  const s = stateOf(rule);
  const capErr = capError(cap);
  const expErr = expiryError(expiry);
  const reasonErr = reason.length > REASON_MAX ? `AT MOST ${REASON_MAX} CHARACTERS` : '';
  const extras = () => ({
    ...(expiry ? { expires_at: new Date(expiry).toISOString() } : {}),
    ...(reason.trim() ? { reason: reason.trim() } : {}),
  });
  const run = async (p: Promise<unknown>, ok: string) => {
    setBusy(true);
    try {
      await p;
      toast.push(ok);
      onChanged();
    } catch (e) {
      toast.push(`${rule.rule_id}: ${errorText(e)}`, 'alert');
    } finally {
      setBusy(false);
    }
  };
  const clip = (e: FormEvent) => {
    e.preventDefault();
    if (capErr || expErr || reasonErr) return;
    void run(api(`/ttp/rules/${id}/state`, { method: 'POST', body: { state: 'clipped', confidence_max: Number(cap), ...extras() } }), `${rule.rule_id} CLIPPED TO ${Number(cap).toFixed(2)}`);
  };
  return (
    <div className="rule-actions">
      <div className="type-label">ACTIONS</div>
      <form className="rule-form" aria-label="Rule state" onSubmit={clip} noValidate>
        <label>
          <span className="type-label">CONFIDENCE CAP (0–1)</span>
          <input className="input" type="number" min={0} max={1} step={0.05} value={cap} aria-invalid={capErr ? true : undefined} onChange={(e) => setCap(e.target.value)} />
          {capErr && <span className="field-error">{capErr}</span>}
        </label>
        <label>
          <span className="type-label">EXPIRES (OPTIONAL, LOCAL TIME)</span>
          <input className="input" type="datetime-local" value={expiry} aria-invalid={expErr ? true : undefined} onChange={(e) => setExpiry(e.target.value)} />
          {expErr && <span className="field-error">{expErr}</span>}
        </label>
        <label>
          <span className="type-label">REASON (OPTIONAL)</span>
          <input className="input" value={reason} maxLength={REASON_MAX + 1} aria-invalid={reasonErr ? true : undefined} onChange={(e) => setReason(e.target.value)} />
          {reasonErr && <span className="field-error">{reasonErr}</span>}
        </label>
        <div className="bd-actions">
          <button type="submit" className="btn small" disabled={busy || !!capErr || !!expErr || !!reasonErr}>
            {s === 'clipped' ? 'UPDATE CLIP' : 'CLIP'}
          </button>
          {s !== 'disabled' && (
            <ArmButton
              label="DISABLE"
              ariaLabel={`Disable rule ${rule.rule_id}`}
              disabled={busy || !!expErr || !!reasonErr}
              onFire={() => void run(api(`/ttp/rules/${id}/state`, { method: 'POST', body: { state: 'disabled', ...extras() } }), `${rule.rule_id} DISABLED`)}
            />
          )}
          {s !== 'enabled' && (
            <button type="button" className="btn small violet" disabled={busy} onClick={() => void run(api(`/ttp/rules/${id}/state`, { method: 'DELETE' }), `${rule.rule_id} RE-ENABLED`)}>
              RE-ENABLE
            </button>
          )}
        </div>
      </form>
    </div>
  );
}

/** RuleInspector shows one catalogue row and, for admins, its state controls. */
export function RuleInspector({ rule, admin, onClose, onChanged }: { rule: TTPRule | null; admin: boolean; onClose: () => void; onChanged: () => void }) {
  return (
    <Drawer open={rule !== null} onClose={onClose} title={rule ? `RULE ${rule.rule_id || '?'}${rule.rule_version ? ` v${rule.rule_version}` : ''}` : ''} className="ttp-drawer">
      {rule && (
        <>
          {rule.error && <ErrorBox text={`FAILED TO LOAD: ${rule.error}`} />}
          <KV
            items={[
              ['NAME', rule.name || '—'],
              ['STATE', <StateChip r={rule} />],
              ['CONFIDENCE CAP', fmtCap(rule.confidence_max)],
              ['EXPIRES', fmtTime(rule.expires_at)],
              ['REASON', rule.reason || '—'],
              ['SET BY', rule.set_by || '—'],
              ['SET AT', fmtTime(rule.set_at)],
              ['TECHNIQUES', (rule.techniques ?? []).length ? <span className="chips">{(rule.techniques ?? []).map((t) => <span key={t} className="chip violet">{t}</span>)}</span> : '—'],
              ['APPLIES TO', (rule.applies_to ?? []).join(', ') || '—'],
              ['SOURCE', rule.source || '—'],
            ]}
          />
          {rule.description && (
            <div>
              <div className="type-label">DESCRIPTION</div>
              <p className="notes">{rule.description}</p>
            </div>
          )}
          {admin && !rule.error && <RuleActions key={`${ruleKey(rule)}|${rule.state}|${rule.set_at ?? ''}`} rule={rule} onChanged={onChanged} />}
          {!admin && !rule.error && <div className="dim">CHANGING A RULE'S STATE NEEDS THE ADMIN ROLE.</div>}
        </>
      )}
    </Drawer>
  );
}

export default function TTPRules() {
  const url = useUrlState({ q: '', state: 'all' });
  const q = url.get('q');
  const state = (STATES as readonly string[]).includes(url.get('state')) ? url.get('state') : 'all';
  const role = useRole();
  const [rules, setRules] = useState<TTPRule[] | null>(null);
  const [error, setError] = useState('');
  const [openKey, setOpenKey] = useState<string | null>(null);
  const load = useCallback(() => {
    api<TTPRule[]>('/ttp/rules')
      .then((rs) => {
        setRules(rs ?? []);
        setError('');
      })
      .catch((e: unknown) => setError(errorText(e)));
  }, []);
  useEffect(load, [load]);
  const all = useMemo(() => rules ?? [], [rules]);
  const counts = useMemo(() => {
    const c: Record<string, number> = { all: all.length };
    for (const r of all) c[stateOf(r)] = (c[stateOf(r)] ?? 0) + 1;
    return c;
  }, [all]);
  const rows = all.filter((r) => (state === 'all' || stateOf(r) === state) && matches(r, q));
  // The drawer follows the row by key, so a reload shows the new state.
  const open = openKey === null ? null : (all.find((r) => ruleKey(r) === openKey) ?? null);

  const columns: Column<TTPRule>[] = [
    { key: 'id', header: 'RULE', className: 'nowrap violet', render: (r) => `${r.rule_id || '?'}${r.rule_version ? ` v${r.rule_version}` : ''}` },
    {
      key: 'name',
      header: 'NAME',
      render: (r) =>
        r.error ? (
          <span className="alert">{r.error}</span>
        ) : (
          <>
            <div>{r.name}</div>
            {r.description && <div className="dim rule-desc">{r.description}</div>}
          </>
        ),
    },
    { key: 'state', header: 'STATE', render: (r) => <StateChip r={r} /> },
    { key: 'cap', header: 'CAP', className: 'num', render: (r) => fmtCap(r.confidence_max) },
    { key: 'exp', header: 'EXPIRES', className: 'nowrap', render: (r) => fmtTime(r.expires_at) },
    { key: 'reason', header: 'REASON', render: (r) => r.reason || '—' },
    { key: 'by', header: 'SET BY', render: (r) => r.set_by || '—' },
    { key: 'at', header: 'SET AT', className: 'nowrap', render: (r) => fmtTime(r.set_at) },
  ];

  return (
    <div className="page">
      <PageHeader title="TTP RULES" sub={rules ? `${all.length} RULES · ${counts.error ?? 0} BROKEN FILE${counts.error === 1 ? '' : 'S'}` : 'RULE CATALOGUE'} />
      <div className="toolbar">
        <input className="input grow" data-page-search role="searchbox" aria-label="Search rules" placeholder="Filter by id, name, technique, reason…" value={q} onChange={(e) => url.set({ q: e.target.value })} />
        <div className="seg-group" role="group" aria-label="State">
          {STATES.map((s) => (
            <button key={s} type="button" className={`seg${s === state ? ' active' : ''}`} aria-pressed={s === state} onClick={() => url.set({ state: s })}>
              {s.toUpperCase()} {counts[s] ?? 0}
            </button>
          ))}
        </div>
      </div>
      {error && <ErrorBox text={`FAILED TO LOAD RULES: ${error}`} />}
      <Section title="CATALOGUE" actions={rules ? `${rows.length} SHOWN` : undefined}>
        <DataTable
          columns={columns}
          rows={rows}
          rowKey={ruleKey}
          loading={rules === null && !error}
          caption="TTP rules"
          onRowActivate={(r) => setOpenKey(ruleKey(r))}
          rowLabel={(r) => `Inspect rule ${r.rule_id || r.source || '?'}`}
          rowClassName={(r) => (r.error ? 'error-row' : undefined)}
          empty={all.length ? { title: 'NO RULES MATCH', hint: 'Clear the search or the state filter.' } : { title: 'NO RULES LOADED' }}
        />
      </Section>
      <RuleInspector rule={open} admin={role === 'admin'} onClose={() => setOpenKey(null)} onChanged={load} />
    </div>
  );
}
