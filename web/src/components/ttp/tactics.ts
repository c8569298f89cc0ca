// Kill-chain order of ATT&CK enterprise tactics (web.md §4.5); tags carry
// the tactic's TA id.
export const TACTICS: [string, string][] = [
  ['TA0043', 'RECONNAISSANCE'],
  ['TA0042', 'RESOURCE DEVELOPMENT'],
  ['TA0001', 'INITIAL ACCESS'],
  ['TA0002', 'EXECUTION'],
  ['TA0003', 'PERSISTENCE'],
  ['TA0004', 'PRIVILEGE ESCALATION'],
  ['TA0005', 'DEFENSE EVASION'],
  ['TA0006', 'CREDENTIAL ACCESS'],
  ['TA0007', 'DISCOVERY'],
  ['TA0008', 'LATERAL MOVEMENT'],
  ['TA0009', 'COLLECTION'],
  ['TA0011', 'COMMAND AND CONTROL'],
  ['TA0010', 'EXFILTRATION'],
  ['TA0040', 'IMPACT'],
];

export function tacticName(id: string): string {
  return TACTICS.find(([t]) => t === id)?.[1] ?? (id || 'UNKNOWN');
}

export function tacticRank(id: string): number {
  const i = TACTICS.findIndex(([t]) => t === id);
  return i < 0 ? TACTICS.length : i;
}

/** mitreURL is the technique's ATT&CK page: T1098.004 → /techniques/T1098/004. */
export function mitreURL(id: string): string {
  return `https://attack.mitre.org/techniques/${id.replace('.', '/')}/`;
}

export type Scope = 'attacker' | 'identity' | 'session';
