package redis

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// versions are the Redis releases a decky picks from, weighted towards
// what distributions and the official images ship.
var versions = []struct {
	v   string
	gcc string
	w   int
}{
	{"7.2.4", "11.4.0", 4}, {"7.2.5", "12.2.0", 2}, {"7.0.15", "12.2.0", 2}, {"6.2.14", "10.2.1", 2}, {"6.2.16", "12.2.0", 1},
}

// kernels are `uname -srm` strings by distro for INFO's os line.
var kernels = map[string][]string{
	"ubuntu22": {"Linux 5.15.0-91-generic x86_64", "Linux 5.15.0-105-generic x86_64"},
	"ubuntu20": {"Linux 5.4.0-169-generic x86_64", "Linux 5.4.0-182-generic x86_64"},
	"debian":   {"Linux 6.1.0-18-amd64 x86_64", "Linux 6.1.0-21-amd64 x86_64"},
	"rocky9":   {"Linux 5.14.0-362.18.1.el9_3.x86_64 x86_64"},
	"centos7":  {"Linux 3.10.0-1160.105.1.el7.x86_64 x86_64"},
	"alpine":   {"Linux 6.6.14-0-lts x86_64"},
}

// persona is what one decky's Redis says about itself.
type persona struct {
	version, gcc, os  string
	runID, replID     string
	buildID           string
	pid               int
	started           time.Time
	maxClientsTotalCC int
}

func newPersona(d model.Decky, cfgVersion, cfgOS string, rng *rand.Rand, now time.Time) persona {
	total := 0
	for _, v := range versions {
		total += v.w
	}
	n := rng.IntN(total)
	p := persona{}
	for _, v := range versions {
		if n -= v.w; n < 0 {
			p.version, p.gcc = v.v, v.gcc
			break
		}
	}
	if cfgVersion != "" {
		p.version = cfgVersion
	}
	ks := kernels[d.Distro]
	if len(ks) == 0 {
		ks = kernels["ubuntu22"]
	}
	p.os = ks[rng.IntN(len(ks))]
	if cfgOS != "" {
		p.os = cfgOS
	}
	p.runID = hex40(rng)
	p.replID = hex40(rng)
	p.buildID = fmt.Sprintf("%016x", rng.Uint64())
	p.pid = 300 + rng.IntN(3000)
	// Booted between an hour and 45 days ago, as the original's seeded
	// uptime.
	p.started = now.Add(-time.Duration(3600+rng.IntN(45*86400)) * time.Second)
	p.maxClientsTotalCC = 200 + rng.IntN(5000)
	return p
}

func hex40(rng *rand.Rand) string {
	var b strings.Builder
	for range 5 {
		fmt.Fprintf(&b, "%08x", rng.Uint32())
	}
	return b.String()
}

// infoStats are the live numbers INFO reports.
type infoStats struct {
	clients, keys, expires int
	commands, conns        int
	changes                int
	lastSave               time.Time
	master                 string // "host port" when SLAVEOF is in force
	usedMemory             int
}

// info renders INFO for section ("" or default/all/everything: all of them).
func (p persona) info(section string, st infoStats, now time.Time) string {
	up := int(now.Sub(p.started).Seconds())
	sections := []struct {
		name string
		body string
	}{
		{"server", fmt.Sprintf("redis_version:%s\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:%s\r\n"+
			"redis_mode:standalone\r\nos:%s\r\narch_bits:64\r\nmonotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\n"+
			"atomicvar_api:c11-builtin\r\ngcc_version:%s\r\nprocess_id:%d\r\nprocess_supervised:systemd\r\nrun_id:%s\r\n"+
			"tcp_port:6379\r\nserver_time_usec:%d\r\nuptime_in_seconds:%d\r\nuptime_in_days:%d\r\nhz:10\r\nconfigured_hz:10\r\n"+
			"lru_clock:%d\r\nexecutable:/usr/bin/redis-server\r\nconfig_file:/etc/redis/redis.conf\r\nio_threads_active:0\r\n",
			p.version, p.buildID, p.os, p.gcc, p.pid, p.runID, now.UnixMicro(), up, up/86400, now.Unix()%(1<<24))},
		{"clients", fmt.Sprintf("connected_clients:%d\r\ncluster_connections:0\r\nmaxclients:10000\r\nclient_recent_max_input_buffer:20480\r\n"+
			"client_recent_max_output_buffer:0\r\nblocked_clients:0\r\ntracking_clients:0\r\nclients_in_timeout_table:0\r\n", st.clients)},
		{"memory", fmt.Sprintf("used_memory:%d\r\nused_memory_human:%s\r\nused_memory_rss:%d\r\nused_memory_peak:%d\r\n"+
			"maxmemory:0\r\nmaxmemory_human:0B\r\nmaxmemory_policy:noeviction\r\nmem_fragmentation_ratio:1.21\r\nmem_allocator:jemalloc-5.3.0\r\n",
			st.usedMemory, human(st.usedMemory), st.usedMemory*6/5, st.usedMemory*3/2)},
		{"persistence", fmt.Sprintf("loading:0\r\nasync_loading:0\r\nrdb_changes_since_last_save:%d\r\nrdb_bgsave_in_progress:0\r\n"+
			"rdb_last_save_time:%d\r\nrdb_last_bgsave_status:ok\r\nrdb_last_bgsave_time_sec:0\r\naof_enabled:0\r\naof_rewrite_in_progress:0\r\n",
			st.changes, st.lastSave.Unix())},
		{"stats", fmt.Sprintf("total_connections_received:%d\r\ntotal_commands_processed:%d\r\ninstantaneous_ops_per_sec:0\r\n"+
			"rejected_connections:0\r\nexpired_keys:0\r\nevicted_keys:0\r\nkeyspace_hits:%d\r\nkeyspace_misses:%d\r\n",
			p.maxClientsTotalCC+st.conns, 40*p.maxClientsTotalCC+st.commands, 31*p.maxClientsTotalCC, 7*p.maxClientsTotalCC)},
		{"replication", p.replication(st.master)},
		{"cpu", fmt.Sprintf("used_cpu_sys:%.6f\r\nused_cpu_user:%.6f\r\nused_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\n",
			float64(up)/1900, float64(up)/1400)},
		{"modules", ""},
		{"keyspace", keyspaceLine(st)},
	}
	section = strings.ToLower(section)
	all := section == "" || section == "default" || section == "all" || section == "everything"
	var b strings.Builder
	for _, s := range sections {
		if !all && s.name != section {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + strings.ToUpper(s.name[:1]) + s.name[1:] + "\r\n" + s.body)
	}
	return b.String()
}

func (p persona) replication(master string) string {
	if host, port, ok := strings.Cut(master, " "); ok {
		return fmt.Sprintf("role:slave\r\nmaster_host:%s\r\nmaster_port:%s\r\nmaster_link_status:down\r\n"+
			"master_last_io_seconds_ago:-1\r\nmaster_sync_in_progress:0\r\nslave_read_repl_offset:0\r\nslave_repl_offset:0\r\n"+
			"slave_priority:100\r\nslave_read_only:1\r\nreplica_announced:1\r\nconnected_slaves:0\r\nmaster_replid:%s\r\n"+
			"master_repl_offset:0\r\n", host, port, p.replID)
	}
	return fmt.Sprintf("role:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\nmaster_replid:%s\r\n"+
		"master_replid2:0000000000000000000000000000000000000000\r\nmaster_repl_offset:0\r\nsecond_repl_offset:-1\r\n"+
		"repl_backlog_active:0\r\nrepl_backlog_size:1048576\r\n", p.replID)
}

func keyspaceLine(st infoStats) string {
	if st.keys == 0 {
		return ""
	}
	return fmt.Sprintf("db0:keys=%d,expires=%d,avg_ttl=0\r\n", st.keys, st.expires)
}

func human(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.2fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2fK", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}

// defaultConfig is CONFIG GET's view of a stock Debian/Ubuntu redis.conf.
func defaultConfig(password string) map[string]string {
	return map[string]string{
		"dir": "/var/lib/redis", "dbfilename": "dump.rdb", "bind": "0.0.0.0", "port": "6379",
		"requirepass": password, "masterauth": "", "maxmemory": "0", "maxmemory-policy": "noeviction",
		"appendonly": "no", "appendfilename": "appendonly.aof", "save": "3600 1 300 100 60 10000",
		"protected-mode": "no", "databases": "16", "timeout": "0", "loglevel": "notice",
		"logfile": "/var/log/redis/redis-server.log", "daemonize": "no", "slave-read-only": "yes",
		"replica-read-only": "yes",
	}
}
