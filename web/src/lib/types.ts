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
  secret_b64?: string;
  outcome: string;
  fields?: Record<string, string> | null;
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

export interface Identity {
  uuid: string;
  schema_version?: number;
  campaign_id?: string;
  /** The live campaign campaign_id resolves to through merges; null when none. */
  campaign_uuid?: string | null;
  first_seen_at: string;
  last_seen_at: string;
  created_at?: string;
  updated_at?: string;
  confidence?: number;
  observation_count: number;
  ja3_hashes?: string[] | null;
  hassh_hashes?: string[] | null;
  ja4h_hashes?: string[] | null;
  ja4_quic_hashes?: string[] | null;
  http_versions_seen?: string[] | null;
  tls_cert_sha256?: string[] | null;
  ipv6_link_local_iids?: string[] | null;
  payload_simhashes?: string[] | null;
  c2_endpoints?: string[] | null;
  merged_into_uuid?: string;
  notes?: string;
}

export interface IdentityDetail extends Identity {
  observation_count_live?: number;
}

export interface Campaign {
  uuid: string;
  schema_version?: number;
  first_seen_at: string;
  last_seen_at: string;
  created_at?: string;
  updated_at?: string;
  confidence?: number;
  identity_count: number;
  ja3_hashes?: string[] | null;
  hassh_hashes?: string[] | null;
  tls_cert_sha256?: string[] | null;
  payload_simhashes?: string[] | null;
  c2_endpoints?: string[] | null;
  merged_into_uuid?: string;
  notes?: string;
}

export interface CampaignDetail extends Campaign {
  identity_count_live?: number;
}

/** CampaignTechniqueRow is a by-campaign rollup row: it also counts identities. */
export interface CampaignTechniqueRow extends TechniqueRow {
  identity_count?: number;
}

export interface CredentialReuse {
  id: string;
  secret_sha256?: string;
  secret_kind: string;
  principal: string;
  /** Distinct "decky:service" pairs, sorted. */
  targets: string[] | null;
  target_count: number;
  deckies?: string[] | null;
  services?: string[] | null;
  attacker_ips?: string[] | null;
  attacker_uuids?: string[] | null;
  last_attacker_ip?: string;
  attempt_count: number;
  confidence?: number;
  first_seen?: string;
  last_seen?: string;
  updated_at?: string;
  secret_printable?: string;
  secret_b64?: string;
}

export interface Bounty {
  id: number;
  timestamp: string;
  decky: string;
  service: string;
  attacker_ip: string;
  bounty_type: string;
  payload: Record<string, unknown> | null;
}
