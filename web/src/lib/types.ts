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

/** BoundPort is one port a decky service listens on (port differs from declared under the unprivileged offset). */
export interface BoundPort {
  declared: number;
  port: number;
  proto: string;
}

export interface ServiceStatus {
  name: string;
  ports?: BoundPort[] | null;
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
  nmap_os?: string;
  net_mode?: string;
  /** Per-service config (secrets masked for viewers). */
  service_config?: Record<string, Record<string, string>> | null;
  /** Minutes; null follows the global interval. */
  mutate_interval?: number | null;
  last_mutated?: string | null;
  created_at?: string;
  service_status?: ServiceStatus[] | null;
}

/** LifecycleRow is one deploy/mutate/teardown/service operation (GET /deckies/lifecycle). */
export interface LifecycleRow {
  id: string;
  decky_name: string;
  operation: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed';
  error?: string | null;
  started_at?: string;
  completed_at?: string | null;
}

export interface Webhook {
  uuid: string;
  name: string;
  url: string;
  /** Only in the create response: shown once. */
  secret?: string;
  topic_patterns: string[] | null;
  enabled: boolean;
  consecutive_failures: number;
  last_success_at: string | null;
  last_failure_at: string | null;
  last_error: string | null;
  auto_disabled_at: string | null;
  created_at: string;
  updated_at: string;
  warnings?: string[] | null;
}

export interface WebhookTestResult {
  delivered: boolean;
  status_code?: number;
  error?: string;
  attempts: number;
  blocked: boolean;
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

// System configuration (/config) and TTP rules (/ttp/rules).
export interface ConfigUser {
  uuid: string;
  username: string;
  role: string;
  must_change_password: boolean;
}

export interface SystemConfig {
  role: string;
  deployment_limit: number;
  global_mutation_interval: string;
  users?: ConfigUser[];
  developer_mode?: boolean;
}

export interface WorkerRow {
  name: string;
  status: string;
  last_heartbeat_ts: number | null;
  seconds_since: number | null;
  extra: Record<string, unknown> | null;
}

export interface WorkersResponse {
  workers: WorkerRow[];
  bus_connected: boolean;
  generated_at?: string;
}

export interface HealthReport {
  status: string;
  components: Record<string, { status: string; detail?: string }>;
}

export interface TTPRule {
  rule_id: string;
  rule_version: number;
  name: string;
  description: string;
  applies_to?: string[] | null;
  techniques?: string[] | null;
  state: string;
  confidence_max: number | null;
  expires_at: string | null;
  reason?: string;
  set_by?: string;
  set_at: string | null;
  source?: string;
  error?: string;
}

/** AttackGroup is one ATT&CK intrusion set, from GET /ttp/techniques/{id}/groups. */
export interface AttackGroup {
  group_id: string;
  name: string;
  aliases: string[] | null;
  mitre_url?: string;
}
