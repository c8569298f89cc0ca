import { useEffect, useId, useState, type ReactNode } from 'react';
import { ApiError, api, errorText } from '../../lib/api';
import { fmtTime } from '../../lib/format';
import type { AttackGroup, TagRow, TechniqueRow } from '../../lib/types';
import { Drawer, KV } from '../Drawer';
import { mitreURL, tacticName, type Scope } from './tactics';

// Evidence keys shown first, in this order; the rest follow alphabetically.
const FIRST_KEYS = ['uid', 'user', 'src', 'pwd', 'cmd', 'command', 'command_text'];

function evidenceRows(ev: Record<string, unknown> | null): [string, string][] {
  const entries = Object.entries(ev ?? {});
  entries.sort(([a], [b]) => {
    const ia = FIRST_KEYS.indexOf(a);
    const ib = FIRST_KEYS.indexOf(b);
    if (ia >= 0 || ib >= 0) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
    return a.localeCompare(b);
  });
  return entries.map(([k, v]) => [k.toUpperCase(), typeof v === 'string' ? v : JSON.stringify(v)]);
}

// Groups shown before "SHOW ALL": common techniques (T1059, T1105) are
// used by a hundred groups or more, which would bury the evidence.
const GROUPS_SHOWN = 12;

/** groupURL is the group's ATT&CK page, or '' when the id is not a G-number. */
export function groupURL(id: string): string {
  return /^G\d{4,}$/.test(id) ? `https://attack.mitre.org/groups/${id}/` : '';
}

type GroupsState = { state: 'loading' } | { state: 'ok'; groups: AttackGroup[] } | { state: 'error'; text: string };

/**
 * KnownGroups lists the ATT&CK intrusion sets documented as using the
 * technique (sub-technique when there is one), each linked to its MITRE
 * page. Mounted per technique (keyed by id), so it starts out loading.
 */
function KnownGroups({ techniqueId }: { techniqueId: string }) {
  const [st, setSt] = useState<GroupsState>({ state: 'loading' });
  const [all, setAll] = useState(false);
  const titleId = useId();

  useEffect(() => {
    let stale = false;
    api<AttackGroup[]>(`/ttp/techniques/${encodeURIComponent(techniqueId)}/groups`)
      .then((g) => !stale && setSt({ state: 'ok', groups: g ?? [] }))
      .catch((e: unknown) => {
        if (stale) return;
        const text =
          e instanceof ApiError && e.status === 404
            ? 'Technique not found in the ATT&CK catalogue.'
            : e instanceof ApiError && e.status === 403
              ? 'Insufficient role for group lookup.'
              : errorText(e);
        setSt({ state: 'error', text });
      });
    return () => {
      stale = true;
    };
  }, [techniqueId]);

  const groups = st.state === 'ok' ? st.groups : [];
  const shown = all ? groups : groups.slice(0, GROUPS_SHOWN);
  return (
    <section className="ttp-groups" aria-labelledby={titleId} aria-busy={st.state === 'loading' || undefined}>
      <div className="type-label" id={titleId}>
        KNOWN GROUPS{st.state === 'ok' ? ` · ${groups.length}` : ''}
      </div>
      {st.state === 'loading' && <div className="dim">LOADING GROUPS…</div>}
      {st.state === 'error' && (
        <div className="error-box" role="alert">
          {st.text}
        </div>
      )}
      {st.state === 'ok' && groups.length === 0 && <div className="dim">No MITRE-tracked groups documented for this technique.</div>}
      {shown.length > 0 && (
        <ul className="ttp-group-list">
          {shown.map((g) => {
            const href = groupURL(g.group_id);
            const aliases = (g.aliases ?? []).filter((a) => a !== g.name).join(', ');
            return (
              <li key={g.group_id} data-testid="ttp-group">
                {href ? (
                  <a href={href} target="_blank" rel="noreferrer" className="ttp-group-id">
                    {g.group_id} ↗
                  </a>
                ) : (
                  <span className="ttp-group-id">{g.group_id}</span>
                )}
                <span className="ttp-group-name">{g.name}</span>
                {aliases && (
                  <span className="ttp-group-aliases dim" title={aliases}>
                    {aliases}
                  </span>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {groups.length > GROUPS_SHOWN && (
        <button type="button" className="btn small ghost" aria-expanded={all} onClick={() => setAll((v) => !v)}>
          {all ? 'SHOW FEWER' : `SHOW ALL ${groups.length}`}
        </button>
      )}
    </section>
  );
}

export interface TTPInspectorProps {
  scope: Scope;
  uuid: string;
  /** The technique row that was activated; null when closed. */
  row: TechniqueRow | null;
  onClose: () => void;
}

/**
 * TTPInspector lists every tag row behind one (technique, sub-technique)
 * pair in scope, with the evidence the rule matched, so an operator sees
 * why a technique was tagged, not only that it was.
 */
export function TTPInspector({ scope, uuid, row, onClose }: TTPInspectorProps) {
  const [tags, setTags] = useState<TagRow[] | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    if (!row) return;
    let stale = false;
    setTags(null);
    setError('');
    api<TagRow[]>(`/ttp/tags/by-${scope}/${encodeURIComponent(uuid)}/${encodeURIComponent(row.technique_id)}`, {
      query: { sub_technique_id: row.sub_technique_id || undefined },
    })
      .then((t) => !stale && setTags(t ?? []))
      .catch((e: unknown) => {
        if (stale) return;
        setError(e instanceof ApiError && e.status === 403 ? 'Insufficient role for tag detail.' : errorText(e));
      });
    return () => {
      stale = true;
    };
  }, [scope, uuid, row]);

  const id = row ? row.sub_technique_id || row.technique_id : '';
  const name = row ? row.sub_technique_name || row.technique_name : '';
  return (
    <Drawer open={row !== null} onClose={onClose} width={680} className="ttp-drawer" title={`${id} — ${name}`}>
      {row && (
        <>
          <KV
            items={[
              ['TACTIC', `${row.tactic} · ${tacticName(row.tactic)}`],
              [
                'TECHNIQUE',
                <a href={mitreURL(row.technique_id)} target="_blank" rel="noreferrer noopener">
                  {row.technique_id} ↗ {row.technique_name}
                </a>,
              ],
              ...(row.sub_technique_id
                ? ([
                    [
                      'SUB-TECHNIQUE',
                      <a href={mitreURL(row.sub_technique_id)} target="_blank" rel="noreferrer noopener">
                        ↳ {row.sub_technique_id} ↗ {row.sub_technique_name}
                      </a>,
                    ],
                  ] as [string, ReactNode][])
                : []),
              ['FIRES', String(row.count)],
              ['MAX CONF', row.confidence_max.toFixed(2)],
              ['FIRST SEEN', fmtTime(row.first_seen)],
              ['LAST SEEN', fmtTime(row.last_seen)],
            ]}
          />
          <div className="type-label">EVIDENCE{tags ? ` · ${tags.length} TAG${tags.length === 1 ? '' : 'S'}` : ''}</div>
          {error && (
            <div className="error-box" role="alert">
              {error}
            </div>
          )}
          {!error && tags === null && <div className="dim">LOADING TAGS…</div>}
          {tags?.length === 0 && <div className="dim">No tag rows in scope.</div>}
          {tags?.map((t) => (
            <article className="ttp-tag-card" key={t.uuid} data-testid="ttp-tag">
              <div className="ttp-tag-head">
                <span className="violet">
                  {t.rule_id} v{t.rule_version}
                </span>
                <span className="matrix">conf {t.confidence.toFixed(2)}</span>
              </div>
              <KV
                items={[
                  ['SOURCE', `${t.source_kind} · ${t.source_id}`],
                  ...(t.session_id ? ([['SESSION', t.session_id]] as [string, string][]) : []),
                  ['CREATED', fmtTime(t.created_at)],
                  ...(t.attack_release ? ([['ATT&CK', `release ${t.attack_release}`]] as [string, string][]) : []),
                ]}
              />
              <dl className="evidence">
                {evidenceRows(t.evidence).map(([k, v]) => (
                  <div key={k}>
                    <dt>{k}</dt>
                    <dd>{v}</dd>
                  </div>
                ))}
              </dl>
            </article>
          ))}
          <KnownGroups key={id} techniqueId={id} />
        </>
      )}
    </Drawer>
  );
}
