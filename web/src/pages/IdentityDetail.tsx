import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { DataTable, Pager, type Column } from '../components/DataTable';
import { ErrorBox } from '../components/EmptyState';
import { ExportButtons } from '../components/ExportButtons';
import { FingerprintGroups } from '../components/Fingerprints';
import { PageHeader, Section } from '../components/PageHeader';
import { TTPsObservedSection } from '../components/ttp/TTPsObservedSection';
import { ApiError, api, errorText, type Page } from '../lib/api';
import { fmtNum, fmtTime } from '../lib/format';
import type { Attacker, IdentityDetail as Detail } from '../lib/types';
import { mentions, useCoalescedReload } from '../lib/useCoalescedReload';
import { intParam, useUrlState } from '../lib/urlState';
import { useStream } from '../lib/useStream';
import { IDENTITY_EVENTS, len } from './Identities';

const OBS_PAGE = 50;

const obsColumns: Column<Attacker>[] = [
  { key: 'ip', header: 'IP', className: 'matrix nowrap', render: (a) => a.ip },
  { key: 'first', header: 'FIRST', className: 'nowrap dim', render: (a) => fmtTime(a.first_seen) },
  { key: 'last', header: 'LAST', className: 'nowrap', render: (a) => fmtTime(a.last_seen) },
  { key: 'events', header: 'EVENTS', className: 'num', render: (a) => fmtNum(a.event_count) },
  { key: 'svc', header: 'SERVICES', render: (a) => (a.services ?? []).join(', ') },
];

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="stat-card">
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
    </div>
  );
}

export default function IdentityDetail() {
  const { uuid = '' } = useParams();
  const navigate = useNavigate();
  const url = useUrlState({ obs_offset: '0' });
  const obsOffset = intParam(url.get('obs_offset'), 0, 0, 1e9);
  const [d, setD] = useState<Detail | null>(null);
  const [error, setError] = useState('');
  const [obs, setObs] = useState<Page<Attacker> | null>(null);
  const [reload, bump] = useCoalescedReload();

  useEffect(() => {
    let stale = false;
    api<Detail>(`/identities/${encodeURIComponent(uuid)}`)
      .then((x) => {
        if (stale) return;
        setD(x);
        setError('');
      })
      .catch((e: unknown) => !stale && setError(e instanceof ApiError && e.status === 404 ? 'IDENTITY NOT FOUND' : `FAILED TO LOAD IDENTITY: ${errorText(e)}`));
    return () => {
      stale = true;
    };
  }, [uuid, reload]);

  useEffect(() => {
    let stale = false;
    api<Page<Attacker>>(`/identities/${encodeURIComponent(uuid)}/observations`, { query: { limit: OBS_PAGE, offset: obsOffset } })
      .then((p) => !stale && setObs(p))
      .catch(() => !stale && setObs({ data: [], total: 0, limit: OBS_PAGE, offset: 0 }));
    return () => {
      stale = true;
    };
  }, [uuid, obsOffset, reload]);

  // Refetch when a notification names this identity (as itself, a merge
  // winner or loser, or a resurrected former winner).
  const onEvent = (data: unknown) => {
    if (mentions(data, uuid)) bump();
  };
  useStream({
    path: '/identities/events',
    enabled: d !== null,
    events: Object.fromEntries(IDENTITY_EVENTS.map((e) => [e, onEvent])),
  });

  if (error)
    return (
      <div className="page">
        <Link to="/identities" className="btn ghost small back">
          ← BACK TO IDENTITIES
        </Link>
        <ErrorBox text={error} />
      </div>
    );
  if (!d) return <div className="loading">LOADING IDENTITY…</div>;

  const count = d.observation_count_live ?? d.observation_count;
  return (
    <div className="page identity-detail">
      <Link to="/identities" className="btn ghost small back">
        ← BACK TO IDENTITIES
      </Link>
      <PageHeader
        title={`IDENTITY · ${d.uuid.slice(0, 12)}…`}
        sub={
          <>
            {d.campaign_uuid && (
              <Link to={`/campaigns/${d.campaign_uuid}`} className="chip violet">
                CAMPAIGN · {d.campaign_uuid.slice(0, 8)}…
              </Link>
            )}{' '}
            {d.merged_into_uuid && (
              <Link to={`/identities/${d.merged_into_uuid}`} className="chip scan-only">
                MERGED → {d.merged_into_uuid.slice(0, 8)}…
              </Link>
            )}{' '}
            {fmtNum(count)} OBSERVATIONS · {len(d.ja3_hashes)} JA3 · {len(d.hassh_hashes)} HASSH · {len(d.payload_simhashes)} PAYLOAD · {len(d.c2_endpoints)} C2
            {d.confidence !== undefined && ` · CONFIDENCE ${d.confidence.toFixed(3)}`}
            {d.schema_version !== undefined && ` · SCHEMA v${d.schema_version}`}
          </>
        }
        actions={<ExportButtons base={`/identities/${encodeURIComponent(d.uuid)}`} filePrefix={`decnet-identity-${d.uuid.slice(0, 8)}`} noun="identity" />}
      />
      <div className="stat-grid">
        <Stat label="OBSERVATIONS" value={fmtNum(count)} />
        <Stat label="FIRST SEEN" value={fmtTime(d.first_seen_at)} />
        <Stat label="LAST SEEN" value={fmtTime(d.last_seen_at)} />
      </div>

      <TTPsObservedSection scope="identity" uuid={d.uuid} reload={reload} />

      <Section title="FINGERPRINTS">
        <FingerprintGroups
          groups={[
            ['JA3', d.ja3_hashes],
            ['HASSH', d.hassh_hashes],
            ['JA4H', d.ja4h_hashes],
            ['JA4 QUIC', d.ja4_quic_hashes],
            ['TLS CERT SHA-256', d.tls_cert_sha256],
            ['HTTP VERSIONS', d.http_versions_seen],
            ['IPv6 LINK-LOCAL IIDs', d.ipv6_link_local_iids],
            ['PAYLOAD SIMHASHES', d.payload_simhashes],
            ['C2 ENDPOINTS', d.c2_endpoints],
          ]}
        />
      </Section>

      <Section
        title={`${fmtNum(obs?.total)} OBSERVATIONS LINKED`}
        actions={obs && obs.total > OBS_PAGE && <Pager total={obs.total} limit={OBS_PAGE} offset={obsOffset} onOffset={(o) => url.set({ obs_offset: String(o) })} />}
      >
        <DataTable
          columns={obsColumns}
          rows={obs?.data ?? []}
          rowKey={(a) => a.uuid}
          loading={obs === null}
          caption="Member attackers"
          onRowActivate={(a) => navigate(`/attackers/${a.uuid}`)}
          rowLabel={(a) => `Open attacker ${a.ip}`}
          empty={{ title: 'NO ATTACKERS LINKED' }}
        />
      </Section>

      {d.notes && (
        <Section title="ANALYST NOTES">
          <p className="notes">{d.notes}</p>
        </Section>
      )}
      <div className="uuid-foot">UUID: {d.uuid}</div>
    </div>
  );
}
