import { useNavigate } from 'react-router-dom';
import type { Column } from '../components/DataTable';
import { ListSection, SearchToolbar, Segments, ServiceSelect } from '../components/ListPage';
import { PageHeader } from '../components/PageHeader';
import { fmtAgo, fmtNum, fmtTime } from '../lib/format';
import type { Attacker } from '../lib/types';
import { useFleetServices, useListPage } from '../lib/useListPage';

const PAGE = 50;
export const SORTS = { recent: 'RECENT', active: 'MOST ACTIVE', traversals: 'TRAVERSALS' } as const;
type Sort = keyof typeof SORTS;

const sortOf = (v: string): Sort => (v in SORTS ? (v as Sort) : 'recent');

export default function Attackers() {
  const services = useFleetServices();
  const list = useListPage<Attacker>({
    path: '/attackers',
    limit: PAGE,
    defaults: { q: '', sort_by: 'recent', service: '' },
    query: (url) => ({ sort_by: sortOf(url.get('sort_by')), search: url.get('q'), service: url.get('service') }),
  });
  const navigate = useNavigate();
  const q = list.get('q');
  const sort = sortOf(list.get('sort_by'));
  const service = list.get('service');
  const { page } = list;

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
      <SearchToolbar value={q} onSearch={(v) => list.set({ q: v })} label="Search attackers" placeholder="Search IP, decky, service, command…">
        <Segments label="Sort" options={SORTS} value={sort} onChange={(s) => list.set({ sort_by: s })} />
        <ServiceSelect services={services} value={service} onChange={(s) => list.set({ service: s })} />
      </SearchToolbar>
      <ListSection
        list={list}
        title="SOURCE INTEL"
        columns={columns}
        rowKey={(a) => a.uuid}
        caption="Attackers"
        onRowActivate={(a) => navigate(`/attackers/${a.uuid}`)}
        rowLabel={(a) => `Open attacker ${a.ip}`}
        empty={{ title: q || service ? 'NO MATCHING ATTACKERS' : 'NO ACTIVE THREATS PROFILED YET', hint: 'waiting on attacker traffic to correlate' }}
      />
    </div>
  );
}
