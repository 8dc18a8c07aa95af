#!/usr/bin/env bash
# The demo behind `make demo`: a fixture website with planted re-uploads, two
# regional centres (busan, daegu) each with a demo case registered from half
# of fixtures/photos/known, one national crawl pass, each centre's alerts.
set -euo pipefail
cd "$(dirname "$0")/.."

data=demo-data
rm -rf "$data"
mkdir -p "$data"
db="$data/hashwatch.db"
hw=(bin/hashwatch --db "$db")

bin/fixture-site --addr 127.0.0.1:0 --hostile --control --url-file "$data/url" --truth "$data/truth.jsonl" >"$data/fixture-site.log" 2>&1 &
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
echo "== two regional centres beside the national one"
"${hw[@]}" centre add busan --name "Busan support centre"
"${hw[@]}" centre add daegu --name "Daegu support centre"
echo "== registering case demo in each centre, half of fixtures/photos/known each (hashes only, no images kept)"
busan=() daegu=()
i=0
for f in fixtures/photos/known/*; do
  case "$f" in *.jpg|*.jpeg|*.png|*.webp|*.gif) ;; *) continue ;; esac
  if [ $((i % 2)) -eq 0 ]; then busan+=("$f"); else daegu+=("$f"); fi
  i=$((i + 1))
done
"${hw[@]}" register --centre busan --case demo --label "Busan demo case" "${busan[@]}"
"${hw[@]}" register --centre daegu --case demo --label "Daegu demo case" "${daegu[@]}"
echo
echo "== crawling the site once"
HASHWATCH_LOG=${HASHWATCH_LOG:-} "${hw[@]}" crawl --sites "$data/sites.yaml" --once 2>"$data/crawl.log"
echo "(crawl log with every skipped or failed URL: $data/crawl.log)"
echo
for c in busan daegu; do
  echo "== alerts of centre $c (each centre sees only its own; national users see both)"
  "${hw[@]}" alerts list --centre "$c"
  echo
done
bin/democheck --db "$db" --truth "$data/truth.jsonl"
echo "== database: $db"
echo "   try: bin/hashwatch --db $db alerts show 1"

# The console on the same database and site. On a terminal it serves until
# Ctrl-C; without one (CI, scripts) it is skipped unless DEMO_SERVE=1, so the
# crawl-once check above stays a command that ends. DEMO_SERVE=0 skips it.
serve=${DEMO_SERVE:-auto}
if [ "$serve" = 1 ] || { [ "$serve" = auto ] && [ -t 0 ] && [ -t 1 ]; }; then
  pw=demo-password
  for c in busan daegu; do
    for role in admin staff operator analyst; do
      printf '%s\n' "$pw" | "${hw[@]}" user add "$c-$role" --role "$role" --centre "$c" >/dev/null
    done
  done
  for role in admin operator; do
    printf '%s\n' "$pw" | "${hw[@]}" user add "national-$role" --role "$role" --centre national >/dev/null
  done
  addr=${DEMO_ADDR:-127.0.0.1:8080}
  echo
  echo "== console at http://$addr/"
  echo "   log in as busan-operator, busan-staff, busan-analyst, busan-admin (the same for daegu-),"
  echo "   national-operator or national-admin (national scope: every centre); password: $pw"
  echo "   make the site take a re-upload down (re-checked every minute):"
  echo "     curl -X POST '$url/_control/remove?path=/media/FILE.jpg'"
  echo "   Ctrl-C stops the console (log: $data/serve.log)"
  "${hw[@]}" serve --sites "$data/sites.yaml" --addr "$addr" --recheck-interval 1m 2>"$data/serve.log"
else
  echo "   console: DEMO_SERVE=1 make demo, or bin/hashwatch --db $db serve --sites $data/sites.yaml"
fi
