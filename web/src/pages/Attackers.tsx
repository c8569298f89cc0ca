import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { DataTable, Pager, type Column } from '../components/DataTable';
import { ErrorBox } from '../components/EmptyState';
import { PageHeader, Section } from '../components/PageHeader';
import { api, errorText, type Page } from '../lib/api';
import { fmtAgo, fmtNum, fmtTime } from '../lib/format';
import type { Attacker, Decky } from '../lib/types';
import { intParam, useUrlState } from '../lib/urlState';

const PAGE = 50;
export const SORTS = { recent: 'RECENT', active: 'MOST ACTIVE', traversals: 'TRAVERSALS' } as const;
type Sort = keyof typeof SORTS;

export default function Attackers() {
  const url = useUrlState({ q: '', sort_by: 'recent', service: '', offset: '0' });
  const navigate = useNavigate();
  const q = url.get('q');
  const sort: Sort = url.get('sort_by') in SORTS ? (url.get('sort_by') as Sort) : 'recent';
  const service = url.get('service');
  const offset = intParam(url.get('offset'), 0, 0, 1e9);
  const [draft, setDraft] = useState(q);
  const [page, setPage] = useState<Page<Attacker> | null>(null);
  const [services, setServices] = useState<string[]>([]);
  const [error, setError] = useState('');

  useEffect(() => setDraft(q), [q]);

  useEffect(() => {
    // The service filter offers what the fleet exposes, not only what the
    // current page happens to show (web.md §8.10).
    api<Decky[]>('/deckies')
      .then((ds) => setServices([...new Set(ds.flatMap((d) => d.services ?? []))].sort()))
      .catch(() => setServices([]));
  }, []);

  useEffect(() => {
    let stale = false;
    setError('');
    api<Page<Attacker>>('/attackers', { query: { limit: PAGE, offset, sort_by: sort, search: q, service } })
      .then((p) => !stale && setPage(p))
      .catch((e: unknown) => !stale && setError(errorText(e)));
    return () => {
      stale = true;
    };
  }, [q, sort, service, offset]);

  const columns: Column<Attacker>[] = [
    { key: 'ip', header: 'IP', className: 'matrix nowrap', render: (a) => a.ip },
    { key: 'last', header: 'LAST SEEN', className: 'nowrap', render: (a) => <span title={fmtTime(a.last_seen)}>{fmtAgo(a.last_seen)}</span> },
    { key: 'first', header: 'FIRST SEEN', className: 'nowrap dim', render: (a) => fmtTime(a.first_seen) },
    { key: 'events', header: 'EVENTS', className: 'num', render: (a) => fmtNum(a.event_count) },
    { key: 'creds', header: 'CREDS', className: 'num violet', render: (a) => fmtNum(a.credential_count) },
    { key: 'bounty', header: 'BOUNTIES', className: 'num violet', render: (a) => fmtNum(a.bounty_count) },
    {
      key: 'svc',
      header: 'SERVICES',
      render: (a) => (
        <span className="chips">
          {(a.services ?? []).map((s) => (
            <span key={s} className="chip">
              {s}
            </span>
          ))}
        </span>
      ),
    },
    {
      key: 'path',
      header: 'DECKIES / PATH',
      render: (a) => (a.is_traversal ? <span className="chip violet">TRAVERSAL {a.traversal_path}</span> : (a.deckies ?? []).join(', ')),
    },
  ];

  return (
    <div className="page">
      <PageHeader title="ATTACKERS" sub={page ? `${fmtNum(page.total)} UNIQUE SOURCES${service ? ` · SERVICE ${service.toUpperCase()}` : ''}` : 'SCANNING THREAT PROFILES…'} />
      <form
        className="toolbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          url.set({ q: draft.trim() });
        }}
      >
        <input className="input grow" data-page-search aria-label="Search attackers" placeholder="Search IP, decky, service, command…" value={draft} onChange={(e) => setDraft(e.target.value)} />
        <button className="btn" type="submit">
          SEARCH
        </button>
        <div className="seg-group" role="group" aria-label="Sort">
          {(Object.keys(SORTS) as Sort[]).map((s) => (
            <button key={s} type="button" className={`seg${s === sort ? ' active' : ''}`} aria-pressed={s === sort} onClick={() => url.set({ sort_by: s })}>
              {SORTS[s]}
            </button>
          ))}
        </div>
        <select className="input" aria-label="Service" value={service} onChange={(e) => url.set({ service: e.target.value })}>
          <option value="">ALL SERVICES</option>
          {[...new Set([...services, ...(service ? [service] : [])])].map((s) => (
            <option key={s} value={s}>
              {s.toUpperCase()}
            </option>
          ))}
        </select>
      </form>
      {error && <ErrorBox text={error} />}
      <Section
        title="SOURCE INTEL"
        actions={page && <Pager total={page.total} limit={PAGE} offset={offset} onOffset={(o) => url.set({ offset: String(o) })} />}
      >
        <DataTable
          columns={columns}
          rows={page?.data ?? []}
          rowKey={(a) => a.uuid}
          loading={page === null}
          caption="Attackers"
          onRowActivate={(a) => navigate(`/attackers/${a.uuid}`)}
          rowLabel={(a) => `Open attacker ${a.ip}`}
          empty={{ title: q || service ? 'NO MATCHING ATTACKERS' : 'NO ACTIVE THREATS PROFILED YET', hint: 'waiting on attacker traffic to correlate' }}
        />
      </Section>
    </div>
  );
}
