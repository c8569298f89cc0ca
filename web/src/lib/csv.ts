import type { LogEntry } from './types';

function cell(v: string): string {
  // Quote every cell; a leading =, +, - or @ is prefixed with ' so a
  // spreadsheet never evaluates attacker-supplied text as a formula.
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return `"${safe.replace(/"/g, '""')}"`;
}

export const LOG_CSV_COLUMNS = ['timestamp', 'decky', 'service', 'attacker_ip', 'event_type', 'msg'] as const;

export function logsToCSV(rows: LogEntry[]): string {
  const lines = [LOG_CSV_COLUMNS.join(',')];
  for (const r of rows) lines.push(LOG_CSV_COLUMNS.map((c) => cell(String(r[c] ?? ''))).join(','));
  return lines.join('\r\n') + '\r\n';
}

export function csvFilename(now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `decnet-logs-${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}-${p(now.getHours())}-${p(
    now.getMinutes(),
  )}-${p(now.getSeconds())}.csv`;
}
