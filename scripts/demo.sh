#!/usr/bin/env bash
# The demo behind `make demo`: a fixture website with planted re-uploads, a
# demo case registered from fixtures/photos/known, one crawl pass, the alerts.
set -euo pipefail
cd "$(dirname "$0")/.."

data=demo-data
rm -rf "$data"
mkdir -p "$data"
db="$data/hashwatch.db"
hw=(bin/hashwatch --db "$db")

bin/fixture-site --addr 127.0.0.1:0 --hostile --url-file "$data/url" --truth "$data/truth.jsonl" >"$data/fixture-site.log" 2>&1 &
site_pid=$!
trap 'kill "$site_pid" 2>/dev/null || true; wait "$site_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$data/url" ] && break; sleep 0.1; done
[ -s "$data/url" ] || { echo "fixture site did not start; see $data/fixture-site.log" >&2; exit 1; }
url=$(cat "$data/url")

cat >"$data/sites.yaml" <<YAML
# The demo's watched site: the fixture website on loopback. allow_private is
# needed because loopback is a private address, refused by default.
sites:
  - name: fixture
    seeds: ["$url/"]
    allowed_domains: ["127.0.0.1"]
    max_depth: 3
    delay: 0s
    parallelism: 4
    allow_private: true
    request_timeout: 5s
YAML

echo "== fixture website at $url (planted re-uploads and hostile routes)"
echo "== registering the demo case from fixtures/photos/known (hashes only, no images kept)"
"${hw[@]}" register --case demo --label "demo case" fixtures/photos/known
echo
echo "== crawling the site once"
HASHWATCH_LOG=${HASHWATCH_LOG:-} "${hw[@]}" crawl --sites "$data/sites.yaml" --once 2>"$data/crawl.log"
echo "(crawl log with every skipped or failed URL: $data/crawl.log)"
echo
echo "== alerts"
"${hw[@]}" alerts list
echo
bin/democheck --db "$db" --truth "$data/truth.jsonl"
echo "== database: $db"
echo "   try: bin/hashwatch --db $db alerts show 1"
