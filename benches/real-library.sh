#!/usr/bin/env bash
# The acceptance run on real music (issue "Trustworthy on a real collection"):
# build the real library with known answers (cached), scan it with
# fingerprints, count errors on its intact files, time the scan (and the
# same scan without the quality analysis's share, for its cost), and score
# `dupes --json` against truth.json.
#
#   benches/real-library.sh [REAL_DIR]
#
# REAL_DIR defaults to ~/.cache/mixtape-real (what build.sh makes). Needs a
# release build (built here) and python3. Exit 0 only when every target holds.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=$(cd .. && pwd)/shared
real=${1:-${MIXTAPE_REAL:-${XDG_CACHE_HOME:-$HOME/.cache}/mixtape-real}}
if [ ! -f "$real/truth.json" ]; then
  "$shared/real-library/build.sh"
fi
cargo build --release -q
bin=target/release/mixtape
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

files=$(find "$real/library" -type f | wc -l)
bytes=$(du -sb "$real/library" | cut -f1)
echo "library: $files files, $((bytes / 1000000)) MB in $real/library"

# Warm the page cache so the figures measure mixtape, not the disk.
find "$real/library" -type f -exec cat {} + > /dev/null

start=$(date +%s.%N)
set +e
"$bin" --library "$tmp/real.db" --quiet scan "$real/library" > "$tmp/scan.out" 2> "$tmp/scan.err"
code=$?
set -e
end=$(date +%s.%N)
echo "scan with fingerprints: $(echo "$end - $start" | bc) s (exit $code)"
tail -1 "$tmp/scan.out"

start=$(date +%s.%N)
"$bin" --library "$tmp/nofp.db" --quiet scan --no-fingerprint "$real/library" > /dev/null 2>&1 || true
end=$(date +%s.%N)
echo "scan without fingerprints: $(echo "$end - $start" | bc) s"

errs=$("$bin" --library "$tmp/real.db" ls --json error:true | wc -l)
echo "intact files with an error: $errs (target 0)"
if [ "$errs" -gt 0 ]; then
  "$bin" --library "$tmp/real.db" ls --format '$path: $error' error:true | head -10
fi
echo "quality flags: lossy_source $("$bin" --library "$tmp/real.db" ls lossy_source:true | wc -l)," \
  "upscaled $("$bin" --library "$tmp/real.db" ls upscaled:true | wc -l)"

start=$(date +%s.%N)
"$bin" --library "$tmp/real.db" dupes --json > "$tmp/dupes.json"
end=$(date +%s.%N)
echo "dupes: $(echo "$end - $start" | bc) s, $(wc -l < "$tmp/dupes.json") groups"
set +e
python3 "$shared/real-library/score.py" "$real" < "$tmp/dupes.json"
score=$?
set -e
[ "$errs" -eq 0 ] && [ "$score" -eq 0 ]
