# hashwatch — the two commands a newcomer needs are `make demo` and `make test`.
GO      ?= go
BIN     := bin
PKGS    := ./...
FUZZTIME ?= 30s

.PHONY: all build demo test test-race fuzz bench clean

all: build

build:
	$(GO) build -o $(BIN)/hashwatch ./cmd/hashwatch
	$(GO) build -o $(BIN)/fixture-site ./cmd/fixture-site
	$(GO) build -o $(BIN)/democheck ./fixtures/internal/democheck

# Starts the fixture website on loopback, registers the known photos under a
# demo case, crawls the site once and prints the alerts.
demo: build
	./scripts/demo.sh

# Unit, integration and end-to-end tests (real bbolt files, real HTTP servers
# on loopback, the real CLI binary), plus the seed corpora of the fuzz targets.
test:
	$(GO) vet $(PKGS)
	$(GO) test -count=1 $(PKGS)
	$(GO) test -count=1 -race ./crawler/ ./index/

# Fuzz the decoders (the seeds already run in `make test`).
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzDecodeImage -fuzztime=$(FUZZTIME) ./hashing/

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./hashing/...

clean:
	rm -rf $(BIN) demo-data
