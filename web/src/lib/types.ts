// Shapes of the API responses the pages read (docs/api/openapi.yaml).

export interface LogEntry {
  id: number;
  event_id: string;
  timestamp: string;
  decky: string;
  service: string;
  event_type: string;
  attacker_ip: string;
  session_id?: string;
  raw_line?: string;
  fields?: Record<string, string> | null;
  msg?: string;
}

export interface Stats {
  total_logs: number;
  unique_attackers: number;
  active_deckies: number;
  deployed_deckies: number;
}

export interface HistogramBucket {
  time: string;
  count: number;
}

export interface Command {
  service: string;
  decky: string;
  command: string;
  timestamp: string;
}

export interface Fingerprint {
  type: string;
  value: string;
  service?: string;
}

export interface Behavior {
  os_guess?: string;
  behavior_class?: string;
  beacon_interval_s?: number | null;
  beacon_jitter_pct?: number | null;
  tool_guesses?: string[] | null;
  interacted_services?: string[] | null;
  scanned_services?: string[] | null;
  timing_stats?: Record<string, unknown> | null;
  phase_sequence?: Record<string, unknown> | null;
}

export interface Attacker {
  uuid: string;
  ip: string;
  identity_id?: string;
  first_seen: string;
  last_seen: string;
  event_count: number;
  service_count: number;
  decky_count: number;
  services: string[] | null;
  deckies: string[] | null;
  traversal_path?: string;
  is_traversal: boolean;
  bounty_count: number;
  credential_count: number;
  fingerprints?: Fingerprint[] | null;
  commands?: Command[] | null;
  country_code?: string;
  asn?: number;
  as_name?: string;
  bgp_prefix?: string;
  behavior?: Behavior | null;
}

export interface AttackerDetail extends Attacker {
  service_activity?: { interacted?: string[] | null; scanned?: string[] | null };
  ip_leaks_total?: number;
}

export interface Credential {
  id: number;
  attacker_ip: string;
  attacker_uuid?: string;
  decky_name: string;
  service: string;
  principal: string;
  secret_kind: string;
  secret_sha256: string;
  secret_printable?: string;
  outcome: string;
  first_seen: string;
  last_seen: string;
  attempt_count: number;
}

export interface ServiceStatus {
  name: string;
  state?: string;
  port?: number;
  error?: string;
}

export interface Decky {
  name: string;
  hostname: string;
  distro: string;
  archetype?: string;
  ip: string;
  services: string[] | null;
  state: string;
  last_error?: string;
  serving: boolean;
}

export interface TechniqueRow {
  technique_id: string;
  technique_name: string;
  sub_technique_id?: string;
  sub_technique_name?: string;
  tactic: string;
  count: number;
  first_seen: string;
  last_seen: string;
  confidence_max: number;
  mitre_url?: string;
}

export interface TagRow {
  uuid: string;
  source_kind: string;
  source_id: string;
  attacker_uuid?: string;
  identity_uuid?: string;
  session_id?: string;
  tactic: string;
  technique_id: string;
  technique_name?: string;
  sub_technique_id?: string;
  sub_technique_name?: string;
  confidence: number;
  rule_id: string;
  rule_version: number;
  evidence: Record<string, unknown> | null;
  attack_release?: string;
  created_at: string;
  mitre_url?: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: string;
  must_change_password: boolean;
}
