import { useCallback, useEffect, useState } from 'react';
import { ArmButton } from '../components/ArmButton';
import { DataTable, type Column } from '../components/DataTable';
import { EmptyState, ErrorBox } from '../components/EmptyState';
import { Modal } from '../components/Modal';
import { PageHeader, Section } from '../components/PageHeader';
import { useToast } from '../components/Toast';
import { api, errorText } from '../lib/api';
import { fmtNum, fmtTime } from '../lib/format';
import { useServerConfig } from '../lib/role';
import type { Webhook, WebhookTestResult } from '../lib/types';

/** SIMPLE_EVENTS are the server's shortcut names for common topic-pattern sets. */
export const SIMPLE_EVENTS: [string, string][] = [
  ['AttackerDetail', 'attacker.>'],
  ['DeckyStatus', 'decky.*.state, decky.*.traffic'],
  ['SystemStatus', 'system.>'],
];

function StatusCell({ w }: { w: Webhook }) {
  return (
    <span className="chips">
      {w.auto_disabled_at ? (
        <span className="chip alert-chip" title={`auto-disabled ${fmtTime(w.auto_disabled_at)}`}>
          TRIPPED · {fmtTime(w.auto_disabled_at)}
        </span>
      ) : w.enabled ? (
        <span className="chip">ENABLED</span>
      ) : (
        <span className="chip dim-chip">DISABLED</span>
      )}
      {w.consecutive_failures > 0 && <span className="chip alert-chip">FAIL · {fmtNum(w.consecutive_failures)}</span>}
    </span>
  );
}

function CreateForm({ onCreated }: { onCreated: (w: Webhook) => void }) {
  const toast = useToast();
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const [patterns, setPatterns] = useState('');
  const [busy, setBusy] = useState(false);
  const topics = patterns
    .split('\n')
    .map((p) => p.trim())
    .filter(Boolean);
  const ready = name.trim() && url.trim() && (events.length > 0 || topics.length > 0);
  return (
    <form
      className="webhook-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!ready) return;
        setBusy(true);
        api<Webhook>('/webhooks', { method: 'POST', body: { name: name.trim(), url: url.trim(), simple_events: events, topic_patterns: topics, enabled: true } })
          .then((w) => onCreated(w))
          .catch((err: unknown) => toast.push(`CREATE FAILED · ${errorText(err)}`, 'alert'))
          .finally(() => setBusy(false));
      }}
    >
      <label className="type-label" htmlFor="wh-name">
        NAME
      </label>
      <input id="wh-name" className="input" data-autofocus value={name} onChange={(e) => setName(e.target.value)} />
      <label className="type-label" htmlFor="wh-url">
        URL
      </label>
      <input id="wh-url" className="input" type="url" placeholder="https://siem.example/hook" value={url} onChange={(e) => setUrl(e.target.value)} />
      <fieldset className="check-group">
        <legend className="type-label">SIMPLE EVENTS</legend>
        {SIMPLE_EVENTS.map(([ev, hint]) => (
          <label key={ev} className="check">
            <input type="checkbox" checked={events.includes(ev)} onChange={(e) => setEvents((xs) => (e.target.checked ? [...xs, ev] : xs.filter((x) => x !== ev)))} /> {ev}{' '}
            <span className="dim">({hint})</span>
          </label>
        ))}
      </fieldset>
      <label className="type-label" htmlFor="wh-patterns">
        TOPIC PATTERNS (ONE PER LINE)
      </label>
      <textarea id="wh-patterns" className="input" rows={3} spellCheck={false} placeholder="attacker.>" value={patterns} onChange={(e) => setPatterns(e.target.value)} />
      <div className="bd-actions">
        <button type="submit" className="btn violet" disabled={busy || !ready}>
          CREATE
        </button>
      </div>
    </form>
  );
}

function SecretView({ w, onDone }: { w: Webhook; onDone: () => void }) {
  const toast = useToast();
  return (
    <div className="secret-view">
      <div className="info-banner">THE SIGNING SECRET IS SHOWN ONCE. STORE IT NOW: IT CANNOT BE READ BACK.</div>
      <div className="hash-row">
        <code className="mono-wrap" aria-label="Webhook secret">
          {w.secret}
        </code>
        <button
          type="button"
          className="btn small"
          data-autofocus
          onClick={() => {
            navigator.clipboard
              .writeText(w.secret ?? '')
              .then(() => toast.push('SECRET COPIED'))
              .catch(() => toast.push('CLIPBOARD BLOCKED', 'alert'));
          }}
        >
          COPY
        </button>
      </div>
      <div className="bd-actions">
        <button type="button" className="btn small ghost" onClick={onDone}>
          DONE
        </button>
      </div>
    </div>
  );
}

export default function Webhooks() {
  const { config, loaded } = useServerConfig();
  const admin = config?.role === 'admin';
  const toast = useToast();
  const [hooks, setHooks] = useState<Webhook[] | null>(null);
  const [error, setError] = useState('');
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<Webhook | null>(null);
  const [busy, setBusy] = useState('');

  const load = useCallback(() => {
    api<Webhook[]>('/webhooks')
      .then((ws) => {
        setHooks(ws ?? []);
        setError('');
      })
      .catch((e: unknown) => setError(errorText(e)));
  }, []);
  useEffect(() => {
    if (admin) load();
  }, [admin, load]);

  const act = async (w: Webhook, what: Promise<unknown>, ok: string) => {
    setBusy(w.uuid);
    try {
      await what;
      toast.push(ok);
      load();
    } catch (e) {
      toast.push(`FAILED · ${errorText(e)}`, 'alert');
    } finally {
      setBusy('');
    }
  };
  const fire = async (w: Webhook) => {
    setBusy(w.uuid);
    try {
      const r = await api<WebhookTestResult>(`/webhooks/${encodeURIComponent(w.uuid)}/test`, { method: 'POST' });
      if (r.delivered) toast.push(`TEST DELIVERED · ${w.name}${r.status_code ? ` · HTTP ${r.status_code}` : ''}`);
      else toast.push(`TEST FAILED · ${w.name} · ${r.blocked ? 'BLOCKED' : (r.error ?? (r.status_code ? `HTTP ${r.status_code}` : 'no response'))}`, 'alert');
      load();
    } catch (e) {
      toast.push(`FAILED · ${errorText(e)}`, 'alert');
    } finally {
      setBusy('');
    }
  };

  if (loaded && !admin) {
    return (
      <div className="page">
        <PageHeader title="WEBHOOKS" sub="SIGNED EVENT DELIVERY" />
        <EmptyState title="ADMIN ROLE REQUIRED" hint="webhook subscriptions are managed by admins" />
      </div>
    );
  }

  const list = hooks ?? [];
  const enabled = list.filter((w) => w.enabled).length;
  const failing = list.filter((w) => w.consecutive_failures > 0 || w.auto_disabled_at).length;
  const plaintext = list.some((w) => w.url.startsWith('http://'));
  const columns: Column<Webhook>[] = [
    { key: 'name', header: 'NAME', className: 'violet', render: (w) => w.name },
    { key: 'url', header: 'URL', render: (w) => <span className={w.url.startsWith('http://') ? 'amber' : undefined}>{w.url}</span> },
    {
      key: 'patterns',
      header: 'PATTERNS',
      render: (w) => (
        <span className="chips">
          {(w.topic_patterns ?? []).map((p) => (
            <span key={p} className="chip violet">
              {p}
            </span>
          ))}
        </span>
      ),
    },
    { key: 'status', header: 'STATUS', render: (w) => <StatusCell w={w} /> },
    { key: 'ok', header: 'LAST OK', className: 'nowrap', render: (w) => fmtTime(w.last_success_at) },
    { key: 'err', header: 'LAST ERROR', render: (w) => (w.last_error ? <span className="alert" title={fmtTime(w.last_failure_at)}>{w.last_error}</span> : <span className="dim">—</span>) },
    {
      key: 'actions',
      header: 'ACTIONS',
      className: 'nowrap',
      render: (w) => (
        <span className="row-actions">
          <button
            type="button"
            className="btn small ghost"
            aria-label={`${w.enabled ? 'Disable' : 'Enable'} ${w.name}`}
            disabled={busy === w.uuid}
            onClick={() => void act(w, api(`/webhooks/${encodeURIComponent(w.uuid)}`, { method: 'PATCH', body: { enabled: !w.enabled } }), `${w.enabled ? 'DISABLED' : 'ENABLED'} · ${w.name}`)}
          >
            {w.enabled ? 'DISABLE' : 'ENABLE'}
          </button>
          <button type="button" className="btn small violet" aria-label={`Test ${w.name}`} disabled={busy === w.uuid} onClick={() => void fire(w)}>
            ⚡ TEST
          </button>
          <ArmButton
            label="DELETE"
            ariaLabel={`Delete ${w.name}`}
            disabled={busy === w.uuid}
            onFire={() => void act(w, api(`/webhooks/${encodeURIComponent(w.uuid)}`, { method: 'DELETE' }), `DELETED · ${w.name}`)}
          />
        </span>
      ),
    },
  ];

  return (
    <div className="page">
      <PageHeader
        title="WEBHOOKS"
        sub={`${fmtNum(list.length)} CONFIGURED · ${fmtNum(enabled)} ENABLED · ${fmtNum(failing)} FAILING`}
        actions={
          admin && (
            <button type="button" className="btn violet" onClick={() => setCreating(true)}>
              + NEW WEBHOOK
            </button>
          )
        }
      />
      {plaintext && <div className="warn-banner">SOME URLS USE HTTP://: EVENT BODIES TRAVEL PLAINTEXT. HMAC STILL DETECTS TAMPERING.</div>}
      {error && <ErrorBox text={`FAILED TO LOAD WEBHOOKS: ${error}`} />}
      <Section title="SUBSCRIPTIONS">
        <DataTable
          columns={columns}
          rows={list}
          rowKey={(w) => w.uuid}
          loading={hooks === null}
          caption="Webhook subscriptions"
          empty={{ title: 'NO WEBHOOKS YET', hint: 'create one to push signed events to a SIEM or chat' }}
        />
      </Section>
      <Modal
        open={creating}
        onClose={() => {
          setCreating(false);
          setCreated(null);
        }}
        title={created ? `WEBHOOK SECRET · ${created.name}` : 'NEW WEBHOOK'}
        className="webhook-modal"
      >
        {created ? (
          <SecretView
            w={created}
            onDone={() => {
              setCreating(false);
              setCreated(null);
            }}
          />
        ) : (
          <CreateForm
            onCreated={(w) => {
              setCreated(w);
              toast.push(`CREATED · ${w.name}`);
              load();
            }}
          />
        )}
      </Modal>
    </div>
  );
}
