import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { DataTable, Pager, type Column } from '../components/DataTable';
import { ErrorBox } from '../components/EmptyState';
import { ExportButtons } from '../components/ExportButtons';
import { FingerprintGroups } from '../components/Fingerprints';
import { PageHeader, Section } from '../components/PageHeader';
import { useToast } from '../components/Toast';
import { mitreURL, tacticName, tacticRank } from '../components/ttp/tactics';
import { ApiError, api, errorText, type Page } from '../lib/api';
import { downloadJSON } from '../lib/download';
import { fmtAgo, fmtNum, fmtTime } from '../lib/format';
import type { CampaignDetail as Detail, CampaignTechniqueRow, Identity } from '../lib/types';
import { mentions, useCoalescedReload } from '../lib/useCoalescedReload';
import { intParam, useUrlState } from '../lib/urlState';
import { useStream } from '../lib/useStream';
import { CAMPAIGN_EVENTS } from './Campaigns';
import { len } from './Identities';

const ID_PAGE = 50;

const identityColumns: Column<Identity>[] = [
  { key: 'uuid', header: 'UUID', className: 'matrix nowrap', render: (i) => <span title={i.uuid}>{i.uuid.slice(0, 12)}…</span> },
  { key: 'first', header: 'FIRST SEEN', className: 'nowrap dim', render: (i) => fmtTime(i.first_seen_at) },
  { key: 'last', header: 'LAST SEEN', className: 'nowrap', render: (i) => <span title={fmtTime(i.last_seen_at)}>{fmtAgo(i.last_seen_at)}</span> },
  { key: 'fp', header: 'JA3 / HASSH', className: 'num', render: (i) => `${len(i.ja3_hashes)} / ${len(i.hassh_hashes)}` },
  { key: 'obs', header: 'OBS', className: 'num', render: (i) => fmtNum(i.observation_count) },
];

// Campaign TTP rows are read-only: tags are anchored on attackers and
// identities, not campaigns, so there is no tag detail to inspect here.
const ttpColumns: Column<CampaignTechniqueRow>[] = [
  { key: 'tactic', header: 'TACTIC', className: 'nowrap', render: (r) => tacticName(r.tactic) },
  {
    key: 'tech',
    header: 'TECHNIQUE',
    render: (r) => {
      const id = r.sub_technique_id || r.technique_id;
      return (
        <>
          <a href={r.mitre_url || mitreURL(id)} target="_blank" rel="noreferrer noopener">
            {id} ↗
          </a>{' '}
          — {r.sub_technique_name || r.technique_name}
        </>
      );
    },
  },
  { key: 'count', header: 'FIRES', className: 'num', render: (r) => fmtNum(r.count) },
  { key: 'ids', header: 'IDENTITIES', className: 'num violet', render: (r) => (r.identity_count !== undefined ? fmtNum(r.identity_count) : '—') },
  { key: 'conf', header: 'MAX CONF', className: 'num', render: (r) => r.confidence_max.toFixed(2) },
  { key: 'last', header: 'LAST SEEN', className: 'nowrap', render: (r) => fmtTime(r.last_seen) },
];

export default function CampaignDetail() {
  const { uuid = '' } = useParams();
  const navigate = useNavigate();
  const url = useUrlState({ id_offset: '0' });
  const idOffset = intParam(url.get('id_offset'), 0, 0, 1e9);
  const [c, setC] = useState<Detail | null>(null);
  const [error, setError] = useState('');
  const [ids, setIds] = useState<Page<Identity> | null>(null);
  const [ttps, setTtps] = useState<CampaignTechniqueRow[] | null>(null);
  const [ttpError, setTtpError] = useState('');
  const [reload, bump] = useCoalescedReload();
  const toast = useToast();

  useEffect(() => {
    let stale = false;
    api<Detail>(`/campaigns/${encodeURIComponent(uuid)}`)
      .then((x) => {
        if (stale) return;
        setC(x);
        setError('');
      })
      .catch((e: unknown) => !stale && setError(e instanceof ApiError && e.status === 404 ? 'CAMPAIGN NOT FOUND' : `FAILED TO LOAD CAMPAIGN: ${errorText(e)}`));
    return () => {
      stale = true;
    };
  }, [uuid, reload]);

  useEffect(() => {
    let stale = false;
    api<Page<Identity>>(`/campaigns/${encodeURIComponent(uuid)}/identities`, { query: { limit: ID_PAGE, offset: idOffset } })
      .then((p) => !stale && setIds(p))
      .catch(() => !stale && setIds({ data: [], total: 0, limit: ID_PAGE, offset: 0 }));
    return () => {
      stale = true;
    };
  }, [uuid, idOffset, reload]);

  useEffect(() => {
    let stale = false;
    api<CampaignTechniqueRow[]>(`/ttp/by-campaign/${encodeURIComponent(uuid)}`)
      .then((r) => {
        if (stale) return;
        setTtps([...(r ?? [])].sort((a, b) => tacticRank(a.tactic) - tacticRank(b.tactic)));
        setTtpError('');
      })
      .catch((e: unknown) => !stale && setTtpError(errorText(e)));
    return () => {
      stale = true;
    };
  }, [uuid, reload]);

  const onEvent = (data: unknown) => {
    if (mentions(data, uuid)) bump();
  };
  useStream({
    path: '/campaigns/events',
    enabled: c !== null,
    events: Object.fromEntries(CAMPAIGN_EVENTS.map((e) => [e, onEvent])),
  });

  if (error)
    return (
      <div className="page">
        <Link to="/campaigns" className="btn ghost small back">
          ← BACK TO CAMPAIGNS
        </Link>
        <ErrorBox text={error} />
      </div>
    );
  if (!c) return <div className="loading">LOADING CAMPAIGN…</div>;

  const count = c.identity_count_live ?? c.identity_count;
  // The ATT&CK Navigator layer of the campaign, offered as the identity
  // page offers its own once there is something to colour.
  const navigator =
    ttps && ttps.length > 0 ? (
      <button
        type="button"
        className="btn small ghost"
        onClick={() => {
          api<unknown>(`/ttp/export/navigator/campaign/${encodeURIComponent(c.uuid)}`)
            .then((layer) => {
              downloadJSON(`navigator-campaign-${c.uuid.slice(0, 8)}.json`, layer);
              toast.push('NAVIGATOR LAYER DOWNLOADED');
            })
            .catch((e: unknown) => toast.push(`NAVIGATOR EXPORT FAILED: ${errorText(e)}`, 'alert'));
        }}
      >
        NAVIGATOR ↓
      </button>
    ) : undefined;
  return (
    <div className="page campaign-detail">
      <Link to="/campaigns" className="btn ghost small back">
        ← BACK TO CAMPAIGNS
      </Link>
      <PageHeader
        title={`CAMPAIGN · ${c.uuid.slice(0, 12)}…`}
        sub={
          <>
            {c.merged_into_uuid && (
              <Link to={`/campaigns/${c.merged_into_uuid}`} className="chip scan-only">
                MERGED → {c.merged_into_uuid.slice(0, 8)}…
              </Link>
            )}{' '}
            {fmtNum(count)} IDENTITIES · FIRST {fmtTime(c.first_seen_at)} · LAST {fmtTime(c.last_seen_at)}
            {c.confidence !== undefined && ` · CONFIDENCE ${c.confidence.toFixed(2)}`}
          </>
        }
        actions={<ExportButtons base={`/campaigns/${encodeURIComponent(c.uuid)}`} filePrefix={`decnet-campaign-${c.uuid.slice(0, 8)}`} noun="campaign" />}
      />

      <Section title={`TTPs OBSERVED${ttps ? ` (${ttps.length})` : ''}`} id="ttps" actions={navigator}>
        {ttpError ? (
          <ErrorBox text={`FAILED TO LOAD TTPs: ${ttpError}`} />
        ) : (
          ttps !== null && (
            <DataTable
              columns={ttpColumns}
              rows={ttps}
              rowKey={(r) => `${r.technique_id}/${r.sub_technique_id ?? ''}`}
              caption="Campaign techniques"
              empty={{ title: 'NO TECHNIQUES OBSERVED YET' }}
            />
          )
        )}
      </Section>

      <Section title="AGGREGATED FINGERPRINTS">
        <FingerprintGroups
          groups={[
            ['JA3', c.ja3_hashes],
            ['HASSH', c.hassh_hashes],
            ['TLS CERT SHA-256', c.tls_cert_sha256],
            ['PAYLOAD SIMHASHES', c.payload_simhashes],
            ['C2 ENDPOINTS', c.c2_endpoints],
          ]}
        />
      </Section>

      <Section
        title={`${fmtNum(ids?.total)} IDENTITIES IN THIS CAMPAIGN`}
        actions={ids && ids.total > ID_PAGE && <Pager total={ids.total} limit={ID_PAGE} offset={idOffset} onOffset={(o) => url.set({ id_offset: String(o) })} />}
      >
        <DataTable
          columns={identityColumns}
          rows={ids?.data ?? []}
          rowKey={(i) => i.uuid}
          loading={ids === null}
          caption="Member identities"
          onRowActivate={(i) => navigate(`/identities/${i.uuid}`)}
          rowLabel={(i) => `Open identity ${i.uuid.slice(0, 12)}`}
          empty={{ title: 'NO IDENTITIES IN THIS CAMPAIGN' }}
        />
      </Section>

      {c.notes && (
        <Section title="ANALYST NOTES">
          <p className="notes">{c.notes}</p>
        </Section>
      )}
      <div className="uuid-foot">UUID: {c.uuid}</div>
    </div>
  );
}
