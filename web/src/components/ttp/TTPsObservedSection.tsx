import { useEffect, useState, type KeyboardEvent } from 'react';
import { api, errorText } from '../../lib/api';
import { downloadJSON } from '../../lib/download';
import type { TechniqueRow } from '../../lib/types';
import { EmptyState } from '../EmptyState';
import { useToast } from '../Toast';
import { Section } from '../PageHeader';
import { TTPInspector } from './TTPInspector';
import { mitreURL, tacticName, tacticRank, type Scope } from './tactics';

function TechniqueBar({ row, onOpen }: { row: TechniqueRow; onOpen: () => void }) {
  const id = row.sub_technique_id || row.technique_id;
  const name = row.sub_technique_name || row.technique_name;
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onOpen();
    }
  };
  return (
    <div
      className="technique-bar"
      role="button"
      tabIndex={0}
      data-technique={id}
      title="Click to inspect underlying tags + evidence"
      aria-label={`Inspect ${id} ${name}: ${row.count} tags`}
      onClick={onOpen}
      onKeyDown={onKey}
    >
      <span className="technique-label">
        <a href={row.mitre_url || mitreURL(id)} target="_blank" rel="noreferrer noopener" onClick={(e) => e.stopPropagation()} tabIndex={-1}>
          {id} ↗
        </a>{' '}
        — {name}
      </span>
      <span className="conf-track" aria-hidden="true">
        <span style={{ width: `${Math.round(row.confidence_max * 100)}%` }} />
      </span>
      <span className="dim">×{row.count}</span>
    </div>
  );
}

/**
 * TTPsObservedSection is the ATT&CK rollup of one scope, grouped by tactic
 * in kill-chain order; every technique row opens the TTPInspector. reload
 * changes when the page learns of new tags (the attacker's live stream).
 */
export function TTPsObservedSection({ scope, uuid, reload = 0 }: { scope: Scope; uuid: string; reload?: number }) {
  const [rows, setRows] = useState<TechniqueRow[] | null>(null);
  const [error, setError] = useState('');
  const [open, setOpen] = useState<TechniqueRow | null>(null);
  const toast = useToast();

  useEffect(() => {
    let stale = false;
    api<TechniqueRow[]>(`/ttp/by-${scope}/${encodeURIComponent(uuid)}`)
      .then((r) => {
        if (stale) return;
        setRows(r ?? []);
        setError('');
      })
      .catch((e: unknown) => !stale && setError(errorText(e)));
    return () => {
      stale = true;
    };
  }, [scope, uuid, reload]);

  const groups = new Map<string, TechniqueRow[]>();
  for (const r of [...(rows ?? [])].sort((a, b) => tacticRank(a.tactic) - tacticRank(b.tactic))) {
    groups.set(r.tactic, [...(groups.get(r.tactic) ?? []), r]);
  }
  // The ATT&CK Navigator layer is exported per identity (web.md §4.5).
  const navigator =
    scope === 'identity' && rows && rows.length > 0 ? (
      <button
        type="button"
        className="btn small ghost"
        onClick={() => {
          api<unknown>(`/ttp/export/navigator/identity/${encodeURIComponent(uuid)}`)
            .then((layer) => {
              downloadJSON(`navigator-identity-${uuid.slice(0, 8)}.json`, layer);
              toast.push('NAVIGATOR LAYER DOWNLOADED');
            })
            .catch((e: unknown) => toast.push(`NAVIGATOR EXPORT FAILED: ${errorText(e)}`, 'alert'));
        }}
      >
        NAVIGATOR ↓
      </button>
    ) : undefined;
  return (
    <Section title={`TTPs OBSERVED${rows ? ` (${rows.length})` : ''}`} id="ttps" actions={navigator}>
      {error ? (
        <div className="error-box" role="alert">
          FAILED TO LOAD TTPs: {error}
        </div>
      ) : rows === null ? null : rows.length === 0 ? (
        <EmptyState compact title="NO TECHNIQUES OBSERVED YET" />
      ) : (
        [...groups.entries()].map(([tactic, list]) => (
          <div key={tactic} className="tactic-group">
            <div className="type-label">
              {tacticName(tactic)} <span className="dim">{tactic}</span>
            </div>
            {list.map((r) => (
              <TechniqueBar key={`${r.technique_id}/${r.sub_technique_id ?? ''}`} row={r} onOpen={() => setOpen(r)} />
            ))}
          </div>
        ))
      )}
      <TTPInspector scope={scope} uuid={uuid} row={open} onClose={() => setOpen(null)} />
    </Section>
  );
}
