import { Link, useNavigate } from 'react-router-dom';
import type { Column } from '../components/DataTable';
import { ListSection } from '../components/ListPage';
import { PageHeader } from '../components/PageHeader';
import { fmtAgo, fmtNum, fmtTime } from '../lib/format';
import type { Identity } from '../lib/types';
import { useListPage } from '../lib/useListPage';

const PAGE = 50;
/** IDENTITY_EVENTS are the identity-stream notifications that change the list. */
export const IDENTITY_EVENTS = ['formed', 'observation.linked', 'merged', 'unmerged', 'campaign.assigned'] as const;

export const len = (xs: string[] | null | undefined): number => xs?.length ?? 0;

function CountChip({ n, label }: { n: number; label: string }) {
  return <span className={`chip${n > 0 ? ' violet' : ' scan-only'}`}>{`${n} ${label}`}</span>;
}

/** CountChips is a pair of CountChips: [count, label] each. */
function CountChips({ a, b }: { a: [number, string]; b: [number, string] }) {
  return (
    <span className="chips">
      <CountChip n={a[0]} label={a[1]} /> <CountChip n={b[0]} label={b[1]} />
    </span>
  );
}

/** Cluster is what identities and campaigns share: a UUID and a time span. */
type Cluster = { uuid: string; first_seen_at: string; last_seen_at: string };

/** clusterColumns lead the identity and campaign lists: the short UUID, first and last seen. */
export function clusterColumns<T extends Cluster>(): Column<T>[] {
  return [
    { key: 'uuid', header: 'UUID', className: 'matrix nowrap', render: (r) => <span title={r.uuid}>{r.uuid.slice(0, 12)}…</span> },
    { key: 'first', header: 'FIRST SEEN', className: 'nowrap dim', render: (r) => fmtTime(r.first_seen_at) },
    { key: 'last', header: 'LAST SEEN', className: 'nowrap', render: (r) => <span title={fmtTime(r.last_seen_at)}>{fmtAgo(r.last_seen_at)}</span> },
  ];
}

/**
 * ClusterList is the identity and campaign list page: the paged, live list of
 * one kind of cluster (/{plural}, refetched on /{plural}/events), each row
 * opening its page by UUID.
 */
export function ClusterList<T extends Cluster>(props: {
  noun: string;
  plural: string;
  title: string;
  loadingSub: string;
  events: readonly string[];
  columns: Column<T>[];
  empty: { title: string; hint?: string };
}) {
  const { noun, plural, events } = props;
  const PLURAL = plural.toUpperCase();
  // Any notification of the stream may reorder or change the page: refetch it.
  const list = useListPage<T>({ path: `/${plural}`, limit: PAGE, live: { path: `/${plural}/events`, events } });
  const navigate = useNavigate();
  return (
    <div className="page">
      <PageHeader title={props.title} sub={list.page ? `${fmtNum(list.page.total)} ${PLURAL}` : props.loadingSub} />
      <ListSection
        list={list}
        title={PLURAL}
        errorPrefix={`FAILED TO LOAD ${PLURAL}`}
        columns={props.columns}
        rowKey={(r) => r.uuid}
        caption={plural.charAt(0).toUpperCase() + plural.slice(1)}
        onRowActivate={(r) => navigate(`/${plural}/${r.uuid}`)}
        rowLabel={(r) => `Open ${noun} ${r.uuid.slice(0, 12)}`}
        empty={props.empty}
      />
    </div>
  );
}

const columns: Column<Identity>[] = [
  ...clusterColumns<Identity>(),
  { key: 'fp', header: 'JA3 / HASSH', render: (i) => <CountChips a={[len(i.ja3_hashes), 'JA3']} b={[len(i.hassh_hashes), 'HASSH']} /> },
  { key: 'infra', header: 'PAYLOADS / C2', render: (i) => <CountChips a={[len(i.payload_simhashes), 'PAYLOAD']} b={[len(i.c2_endpoints), 'C2']} /> },
  { key: 'obs', header: 'OBS', className: 'num', render: (i) => fmtNum(i.observation_count) },
  {
    key: 'campaign',
    header: 'CAMPAIGN',
    render: (i) =>
      i.campaign_uuid ? (
        <Link to={`/campaigns/${i.campaign_uuid}`} className="chip violet" onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.stopPropagation()}>
          CAMPAIGN · {i.campaign_uuid.slice(0, 8)}
        </Link>
      ) : (
        <span className="dim">—</span>
      ),
  },
];

export default function Identities() {
  return (
    <ClusterList<Identity>
      noun="identity"
      plural="identities"
      title="IDENTITY RESOLUTION"
      loadingSub="CORRELATING FINGERPRINTS…"
      events={IDENTITY_EVENTS}
      columns={columns}
      empty={{ title: 'NO IDENTITIES RESOLVED YET', hint: 'attackers sharing fingerprints are clustered into identities here' }}
    />
  );
}
