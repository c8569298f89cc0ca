import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { DataTable, Pager, type Column } from '../components/DataTable';
import { ErrorBox } from '../components/EmptyState';
import { PageHeader, Section } from '../components/PageHeader';
import { api, errorText, type Page } from '../lib/api';
import { fmtAgo, fmtNum, fmtTime } from '../lib/format';
import type { Campaign } from '../lib/types';
import { useCoalescedReload } from '../lib/useCoalescedReload';
import { intParam, useUrlState } from '../lib/urlState';
import { useStream } from '../lib/useStream';
import { len } from './Identities';

const PAGE = 50;
/** CAMPAIGN_EVENTS are the campaign-stream notifications that change the list. */
export const CAMPAIGN_EVENTS = ['formed', 'identity.assigned', 'merged', 'unmerged'] as const;

export const fingerprintCount = (c: Campaign) => len(c.ja3_hashes) + len(c.hassh_hashes) + len(c.tls_cert_sha256);
export const infraCount = (c: Campaign) => len(c.payload_simhashes) + len(c.c2_endpoints);

export default function Campaigns() {
  const url = useUrlState({ offset: '0' });
  const navigate = useNavigate();
  const offset = intParam(url.get('offset'), 0, 0, 1e9);
  const [page, setPage] = useState<Page<Campaign> | null>(null);
  const [error, setError] = useState('');
  const [reload, bump] = useCoalescedReload();

  useEffect(() => {
    let stale = false;
    api<Page<Campaign>>('/campaigns', { query: { limit: PAGE, offset } })
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

  useStream({ path: '/campaigns/events', events: Object.fromEntries(CAMPAIGN_EVENTS.map((e) => [e, bump])) });

  const columns: Column<Campaign>[] = [
    { key: 'uuid', header: 'UUID', className: 'matrix nowrap', render: (c) => <span title={c.uuid}>{c.uuid.slice(0, 12)}…</span> },
    { key: 'first', header: 'FIRST SEEN', className: 'nowrap dim', render: (c) => fmtTime(c.first_seen_at) },
    { key: 'last', header: 'LAST SEEN', className: 'nowrap', render: (c) => <span title={fmtTime(c.last_seen_at)}>{fmtAgo(c.last_seen_at)}</span> },
    { key: 'fp', header: 'FINGERPRINTS', className: 'num', render: (c) => fmtNum(fingerprintCount(c)) },
    { key: 'infra', header: 'INFRA', className: 'num', render: (c) => fmtNum(infraCount(c)) },
    { key: 'ids', header: 'IDENTITIES', className: 'num violet', render: (c) => fmtNum(c.identity_count) },
    { key: 'conf', header: 'CONFIDENCE', className: 'num violet', render: (c) => (c.confidence !== undefined ? c.confidence.toFixed(2) : '—') },
  ];

  return (
    <div className="page">
      <PageHeader title="CAMPAIGN CLUSTERING" sub={page ? `${fmtNum(page.total)} CAMPAIGNS` : 'CLUSTERING IDENTITIES…'} />
      {error && <ErrorBox text={`FAILED TO LOAD CAMPAIGNS: ${error}`} />}
      <Section title="CAMPAIGNS" actions={page && <Pager total={page.total} limit={PAGE} offset={offset} onOffset={(o) => url.set({ offset: String(o) })} />}>
        <DataTable
          columns={columns}
          rows={page?.data ?? []}
          rowKey={(c) => c.uuid}
          loading={page === null}
          caption="Campaigns"
          onRowActivate={(c) => navigate(`/campaigns/${c.uuid}`)}
          rowLabel={(c) => `Open campaign ${c.uuid.slice(0, 12)}`}
          empty={{ title: 'NO CAMPAIGNS YET', hint: 'identities linked by hand-offs, payloads or C2 are grouped here' }}
        />
      </Section>
    </div>
  );
}
