import { describe, expect, it } from 'vitest';
import { csvFilename, logsToCSV } from './csv';
import type { LogEntry } from './types';

describe('logsToCSV', () => {
  it('quotes cells and defuses spreadsheet formulas from attacker text', () => {
    const row = { timestamp: '2026-11-26T10:00:00Z', decky: 'd1', service: 'ssh', attacker_ip: '203.0.113.7', event_type: 'command', msg: '=HYPERLINK("x") "quoted"' } as LogEntry;
    expect(logsToCSV([row])).toBe(
      'timestamp,decky,service,attacker_ip,event_type,msg\r\n"2026-11-26T10:00:00Z","d1","ssh","203.0.113.7","command","\'=HYPERLINK(""x"") ""quoted"""\r\n',
    );
  });
  it('names the file after the local time', () => {
    expect(csvFilename(new Date(2026, 10, 26, 9, 5, 3))).toBe('decnet-logs-2026-11-26-09-05-03.csv');
  });
});
