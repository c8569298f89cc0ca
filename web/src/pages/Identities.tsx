import { useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { DataTable, Pager, type Column } from '../components/DataTable';
import { ErrorBox } from '../components/EmptyState';
import { PageHeader, Section } from '../components/PageHeader';
import { api, errorText, type Page } from '../lib/api';
import { fmtAgo, fmtNum, fmtTime } from '../lib/format';
import type { Identity } from '../lib/types';
import { useCoalescedReload } from '../lib/useCoalescedReload';
import { intParam, useUrlState } from '../lib/urlState';
import { useStream } from '../lib/useStream';

const PAGE = 50;
/** IDENTITY_EVENTS are the identity-stream notifications that change the list. */
export const IDENTITY_EVENTS = ['formed', 'observation.linked', 'merged', 'unmerged', 'campaign.assigned'] as const;

export const len = (xs: string[] | null | undefined): number => xs?.length ?? 0;

function CountChip({ n, label }: { n: number; label: string }) {
  return <span className={`chip${n > 0 ? ' violet' : ' scan-only'}`}>{`${n} ${label}`}</span>;
}

export default function Identities() {
  const url = useUrlState({ offset: '0' });
  const navigate = useNavigate();
  const offset = intParam(url.get('offset'), 0, 0, 1e9);
  const [page, setPage] = useState<Page<Identity> | null>(null);
  const [error, setError] = useState('');
  const [reload, bump] = useCoalescedReload();

  useEffect(() => {
    let stale = false;
    api<Page<Identity>>('/identities', { query: { limit: PAGE, offset } })
      .then((p) => {
        if (stale) return;
        setPage(p);
        setError('');
      })
      .catch((e: unknown) => !stale && setError(errorText(e)));
    return () => {
      stale = true;
    };
  }, [offset, reload]);

  // Any clustering notification may reorder or change the page: refetch it.
  useStream({ path: '/identities/events', events: Object.fromEntries(IDENTITY_EVENTS.map((e) => [e, bump])) });

  const columns: Column<Identity>[] = [
    { key: 'uuid', header: 'UUID', className: 'matrix nowrap', render: (i) => <span title={i.uuid}>{i.uuid.slice(0, 12)}…</span> },
    { key: 'first', header: 'FIRST SEEN', className: 'nowrap dim', render: (i) => fmtTime(i.first_seen_at) },
    { key: 'last', header: 'LAST SEEN', className: 'nowrap', render: (i) => <span title={fmtTime(i.last_seen_at)}>{fmtAgo(i.last_seen_at)}</span> },
    {
      key: 'fp',
      header: 'JA3 / HASSH',
      render: (i) => (
        <span className="chips">
          <CountChip n={len(i.ja3_hashes)} label="JA3" /> <CountChip n={len(i.hassh_hashes)} label="HASSH" />
        </span>
      ),
    },
    {
      key: 'infra',
      header: 'PAYLOADS / C2',
      render: (i) => (
        <span className="chips">
          <CountChip n={len(i.payload_simhashes)} label="PAYLOAD" /> <CountChip n={len(i.c2_endpoints)} label="C2" />
        </span>
      ),
    },
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

  return (
    <div className="page">
      <PageHeader title="IDENTITY RESOLUTION" sub={page ? `${fmtNum(page.total)} IDENTITIES` : 'CORRELATING FINGERPRINTS…'} />
      {error && <ErrorBox text={`FAILED TO LOAD IDENTITIES: ${error}`} />}
      <Section title="IDENTITIES" actions={page && <Pager total={page.total} limit={PAGE} offset={offset} onOffset={(o) => url.set({ offset: String(o) })} />}>
        <DataTable
          columns={columns}
          rows={page?.data ?? []}
          rowKey={(i) => i.uuid}
          loading={page === null}
          caption="Identities"
          onRowActivate={(i) => navigate(`/identities/${i.uuid}`)}
          rowLabel={(i) => `Open identity ${i.uuid.slice(0, 12)}`}
          empty={{ title: 'NO IDENTITIES RESOLVED YET', hint: 'attackers sharing fingerprints are clustered into identities here' }}
        />
      </Section>
    </div>
  );
}
