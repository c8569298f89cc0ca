# decnet developer targets. The README's two commands are `go run ./cmd/decnet up`
# and `go test ./...`; these targets wrap them and the rest.
GO ?= go
FUZZTIME ?= 30s
BENCH_EVENTS ?= 200000

.PHONY: web web-check up build test test-race vet fuzz bench bench-ssh bench-http bench-fleetmem bench-intel bench-campaign bench-ttp bench-api ci

up:
	$(GO) run ./cmd/decnet up

build:
	$(GO) build -o bin/decnet ./cmd/decnet

test:
	$(GO) test ./...

test-race:
	$(GO) test -race ./...

vet:
	gofmt -l . | (! grep .) && $(GO) vet ./...

# Runs every FuzzXxx target for FUZZTIME each (go test allows one -fuzz
# target per invocation, so they are listed and run one by one). Minimising
# a new input is capped too: its default of 60 s would dwarf FUZZTIME. Go
# 1.26 can fail a target with a bare "context deadline exceeded" when the
# fuzztime ends (a race in its fuzz coordinator, go.dev/issue/75804, fixed
# in 1.27); such a run wrote no failing input, so it is run once more.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
	    echo "fuzz $$pkg $$f"; \
	    if ! out=$$($(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg 2>&1); then \
	      echo "$$out"; \
	      if echo "$$out" | grep -q 'context deadline exceeded' && ! echo "$$out" | grep -q 'Failing input written'; then \
	        echo "fuzz: the Go fuzztime race (go.dev/issue/75804), not a crasher; running $$f again"; \
	        $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg; \
	      else exit 1; fi; \
	    else echo "$$out" | tail -2; fi; \
	  done; \
	done

bench:
	$(GO) run ./bench/ingest -events $(BENCH_EVENTS)

# SSH handshake + password capture rate and memory per idle connection,
# against a bare x/crypto/ssh server in the same run (docs/benchmarks.md).
bench-ssh:
	$(GO) run ./bench/ssh

# HTTP decoy requests/s with one event per request, p99 latency and the time
# until every event is committed to SQLite after the load stops, against a
# bare net/http server writing one JSON line per request, in the same run;
# load from wrk (apt-get install -y wrk) (docs/benchmarks.md).
bench-http:
	$(GO) run ./bench/http

# RSS and time to ready of `decnet up` with 100 deckies, against an empty
# fleet in the same run (docs/benchmarks.md).
bench-fleetmem:
	$(GO) run ./bench/fleetmem

# Profiler events/s (incremental against the original's rebuild, and end to
# end through the bus into SQLite) and identity clustering of 10 000 and
# 100 000 attackers against the original's pair loop (docs/benchmarks.md).
bench-intel:
	$(GO) test -run '^$$' -bench . -benchtime 100000x -count 3 ./internal/profiler/
	$(GO) test -run '^$$' -bench 'Cluster|Reconcile|TickSQLite' -benchtime 3x -count 3 ./internal/clustering/

# Campaign clustering of 10 000 and 100 000 identities (blocked) and whole
# SQLite ticks of 10 000, against the original's pair loop over 10 000 in
# the same run (docs/benchmarks.md).
bench-campaign:
	$(GO) test -run '^$$' -bench 'Cluster10k|Cluster100k|TickSQLite' -benchtime 3x -count 3 -benchmem ./internal/campaign/
	$(GO) test -run '^$$' -bench 'ClusterPairwise10k' -benchtime 1x -count 3 ./internal/campaign/

# REST API under 500 concurrent clients with the dashboard's request mix, on
# SQLite and (with DECNET_TEST_MYSQL_DSN) MariaDB, response cache on and off
# in the same run (docs/benchmarks.md).
bench-api:
	$(GO) run ./bench/api

# ATT&CK tagging: commands/s through the rule engine (prefilter against the
# plain regexp loop), tag inserts/s and event → ttp.tagged latency.
bench-ttp:
	$(GO) test -run '^$$' -bench 'EngineCommands' -benchtime 2s -count 3 -cpu 1 ./internal/ttp/
	$(GO) run ./bench/ttp

# Rebuilds the dashboard into internal/webui/dist, which is committed so
# `go run` needs no npm; TestCommittedBuildMatchesSource fails when it is stale.
web:
	cd web && npm ci --no-audit --no-fund && npm run build

# The dashboard's own checks: typecheck, lint and unit tests.
web-check:
	cd web && npm run typecheck && npm run lint && npm test

ci:
	bash .ci/run
