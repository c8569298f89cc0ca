import type { LogEntry } from '../lib/types';

// Fields that are transport detail, not what the operator reads.
const HIDDEN = new Set(['meta_json_b64', 'stored_as', 'secret_b64']);

/** LogEvent renders a row's event type and its fields as k: v chips. */
export function LogEvent({ row }: { row: LogEntry }) {
  const fields = Object.entries(row.fields ?? {}).filter(([k, v]) => !HIDDEN.has(k) && v !== '');
  return (
    <span className="log-event">
      <strong>{row.event_type}</strong>
      {fields.slice(0, 6).map(([k, v]) => (
        <span key={k} className="chip chip-kv">
          {k}: {v.length > 80 ? `${v.slice(0, 80)}…` : v}
        </span>
      ))}
      {fields.length === 0 && row.msg && <span className="dim"> {row.msg}</span>}
    </span>
  );
}
