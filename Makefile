# hashwatch — the two commands a newcomer needs are `make demo` and `make test`.
GO      ?= go
# The eval's WebP edit encodes with libwebp compiled to WebAssembly
# (gen2brain/webp); nodynamic keeps it from loading a system libwebp.so
# instead, so the edit makes the same bytes on every machine.
export GOFLAGS += -tags=nodynamic
BIN     := bin
PKGS    := ./...
FUZZTIME ?= 30s

.PHONY: all build wasm demo test fuzz bench bench-scale eval eval-pool pool clean

all: build

# The browser's hashing module (cmd/hashwasm, GOOS=js GOARCH=wasm) and the
# loader of the same Go, which the hashwatch binary embeds and the console
# serves: the registration page hashes pictures and videos in the browser.
WASM_DIR := cmd/hashwatch/wasm
wasm:
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s -o $(WASM_DIR)/hashwatch.wasm ./cmd/hashwasm
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" $(WASM_DIR)/wasm_exec.js

build: wasm
	$(GO) build -o $(BIN)/hashwatch ./cmd/hashwatch
	$(GO) build -o $(BIN)/fixture-site ./cmd/fixture-site
	$(GO) build -o $(BIN)/democheck ./fixtures/internal/democheck

# Starts the fixture website on loopback, registers the known photos under a
# demo case, crawls the site once and prints the alerts.
demo: build
	./scripts/demo.sh

# Unit, integration and end-to-end tests (real bbolt files, real HTTP servers
# on loopback, the real CLI binary), plus the seed corpora of the fuzz targets.
# PDQ must be bit-exact everywhere: the cross script re-runs its tests with
# GOAMD64=v3, checks the compiled code for fused multiply-adds on every
# architecture, and runs the arm64 test binary under qemu when it is
# installed (.ci/run installs it).
test: wasm
	$(GO) vet $(PKGS)
	GOOS=js GOARCH=wasm $(GO) vet ./cmd/hashwasm
	$(GO) test -count=1 -timeout 14m $(PKGS)
	$(GO) test -count=1 -race -timeout 20m ./crawler/ ./index/
	PDQ_SKIP_HOST=1 ./scripts/test-pdq-cross.sh

# Long durability runs, kept out of `make test` (which runs each briefly, the
# backup one also under the race detector): 30 SIGKILLs of a writing
# hashwatch, each followed by reopen + verify + a check that every
# acknowledged write survived (make test: 5), and 60 hot backups under a
# write loop (make test: 6). HASHWATCH_CRASH_SEED=N replays a crash run.
# Then the crawler's measurements on a generated 2,000-page site with 6,000
# distinct images: media fingerprinted per second during a crawl against the
# hashing rate on the same images, the second pass's time against the
# first's, and peak RSS over ten passes; and the hostile routes of
# fixtures.HostileSite, one by one and all at once, with CPU and peak RSS
# per route.
.PHONY: soak
soak:
	PDQ_SKIP_HOST=1 PDQ_CROSS_ALL=1 ./scripts/test-pdq-cross.sh
	HASHWATCH_SOAK=1 $(GO) test -count=1 -v -run '^(TestCrashSafety|TestBackupWhileWriting)$$' ./cmd/hashwatch/ ./index/
	$(GO) test -count=1 -v -tags soak -timeout 30m -run '^TestSoak' ./crawler/

# Fuzz the decoders (the seeds already run in `make test`).
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzDecodeImage -fuzztime=$(FUZZTIME) ./hashing/
	$(GO) test -run='^$$' -fuzz=FuzzReadHashList -fuzztime=$(FUZZTIME) ./hashing/

# Go benchmarks of the hashing (BenchmarkStages splits crawl-time
# fingerprinting by stage, in CPU time), a 10M-code index load (wall and CPU
# time, heap bytes per code; HASHWATCH_LOADBENCH_DB=FILE keeps the written
# database and reuses it), the video matcher's memory at 8M frame codes
# (100,000 registered videos), and the console under
# load: 200,000 alerts, 16 clients on the console's mix against a real
# server while a crawl of the fixture site runs (dashboard p50/p99, crawl
# images/s idle against loaded, the load average beside them).
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./hashing/...
	HASHWATCH_LOADBENCH=1 $(GO) test -count=1 -v -timeout 30m -run '^TestLoadTenMillionCodes$$' ./index/
	HASHWATCH_VIDEOBENCH=1 $(GO) test -count=1 -v -timeout 30m -run '^TestVideoMatcherMemory$$' ./index/
	HASHWATCH_CONSOLEBENCH=1 $(GO) test -count=1 -v -timeout 40m -run '^TestConsoleUnderLoad$$' ./console/

# Crawl workers' scaling (README, "Scale out"): the 2,000-page fixture site
# crawled by `serve --workers 0` with 1, then 2 `hashwatch worker`s each
# pinned with taskset to a core of its own; prints media fingerprinted per
# second, the 2-to-1 ratio, the coordinator's CPU per 1,000 media and
# pages, and each worker's CPU per medium and share of its core (to judge
# a run on a loaded machine), NATS messages, bbolt commits and pages written
# per 1,000 pages, and the results per batch workers sent. SCALE_VISITED=both also runs without the
# visited bucket; SCALE_PROFILE=DIR keeps and summarises serve's CPU
# profiles; SCALE_PARALLEL is each worker's --parallel. Run it on a quiet
# machine with 4 or more cores.
SCALE_PAGES    ?= 2000
SCALE_VISITED  ?= on
SCALE_PROFILE  ?=
SCALE_PARALLEL ?= 32
bench-scale:
	HASHWATCH_MEASURE_CLUSTER=$(SCALE_PAGES) HASHWATCH_MEASURE_VISITED=$(SCALE_VISITED) HASHWATCH_MEASURE_PROFILE=$(SCALE_PROFILE) \
		HASHWATCH_MEASURE_PARALLEL=$(SCALE_PARALLEL) \
		$(GO) test -count=1 -v -timeout 6h -run '^TestMeasureClusterThroughput$$' ./cmd/hashwatch/

# Detection quality on the development photo set beside a checkout
# (../shared/datasets/dev): recall per edit and false alerts.
eval: build
	$(BIN)/hashwatch eval

# False alerts per comparison on a pool of unrelated real images (README,
# "Measuring false alerts at scale"). `make pool` builds the pool once
# (about 6 GB of Debian packages, kept in ~/.cache/hashwatch-pool-debs, and
# 20 GB of scratch space); POOL_ADD=1 only adds to an existing pool the
# packages added later (held out whole), leaving its files and split as
# they are. eval-pool measures the tune split, SPLIT=holdout the held-out
# one.
# Fingerprints are cached in POOL_CACHE, so a second run hashes nothing.
POOL       ?= $(HOME)/.cache/hashwatch-pool
POOL_CACHE ?= $(HOME)/.cache/hashwatch-pool-fp
SPLIT      ?= tune
pool:
	./scripts/build-pool.sh $(if $(POOL_ADD),--add) $(POOL)

eval-pool: build
	@test -f $(POOL)/MANIFEST.tsv || { echo "no pool in $(POOL): run 'make pool' (or POOL=DIR)"; exit 2; }
	$(BIN)/hashwatch eval --pool $(POOL) --split $(SPLIT) --cache $(POOL_CACHE)

clean:
	rm -rf $(BIN) demo-data $(WASM_DIR)/hashwatch.wasm $(WASM_DIR)/wasm_exec.js
