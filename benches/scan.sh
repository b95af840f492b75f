#!/usr/bin/env bash
# Scan benchmark (issue "Scan music folders into the library").
#
# Usage: benches/scan.sh [COUNT=2000] [SECONDS_PER_TRACK=20] [BEET=path/to/beet]
#
# Generates COUNT music files (FLAC/MP3/WAV, tagged) with the gen_library
# bench, then times in the same run, with a warm page cache for everyone:
#   - mixtape's first scan (hashing every byte, with and without fingerprints),
#   - a rescan with nothing changed,
#   - `find DIR -printf '%s %T@\n'` (the floor for a stat-only walk),
#   - `beet import -A -q -C -W -s DIR` when beets is installed
#     (python3 -m venv V && V/bin/pip install beets; pass V/bin/beet as BEET),
# and prints files/s, peak RSS and the ratios.
#
# MUSIC_DIR=DIR reuses an already generated library instead of generating
# one (COUNT must then be its number of files).
set -euo pipefail
N=${1:-2000}
SECS=${2:-20}
BEET=${3:-$(command -v beet || true)}
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN=$PWD/target/release/mixtape
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
if [ -n "${MUSIC_DIR:-}" ]; then
  M=$(cd "$MUSIC_DIR" && pwd)
else
  M=$W/music
  cargo bench --quiet --bench gen_library -- "$M" "$N" "$SECS"
fi
du -sh "$M"
find "$M" -type f -exec cat {} + >/dev/null # warm the page cache

# run NAME CMD...: prints "NAME seconds peakKB" and keeps the seconds in $LAST
# (wall time from the shell's nanosecond clock; peak RSS from /usr/bin/time).
# REPEAT=k runs the command k times and keeps the median time.
run() {
  local name=$1; shift
  local times=()
  for _ in $(seq "${REPEAT:-1}"); do
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$W/t" "$@" >"$W/out" 2>"$W/err" || true
    t1=$(date +%s%N)
    times+=("$(( (t1 - t0) / 1000 ))")
  done
  LAST=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.4f", a[int((NR+1)/2)] / 1e6}')
  read -r RSS <"$W/t"
  printf '%-40s %8.3f s  %8d KB peak RSS\n' "$name" "$LAST" "$RSS"
}
run "mixtape scan (first, fingerprints)" "$BIN" --library "$W/a.db" scan --quiet "$M"; FIRST_FP=$LAST
tail -1 "$W/out"
run "mixtape scan (first, --no-fingerprint)" "$BIN" --library "$W/b.db" scan --quiet --no-fingerprint "$M"; FIRST=$LAST
REPEAT=5 run "mixtape rescan (nothing changed, median of 5)" "$BIN" --library "$W/a.db" scan --quiet "$M"; RESCAN=$LAST
tail -1 "$W/out"
REPEAT=5 run "find -printf (median of 5)" find "$M" -printf '%s %T@\n'; FIND=$LAST
BEETS=""
if [ -n "$BEET" ] && [ -x "$BEET" ]; then
  mkdir -p "$W/beets"
  cat >"$W/beets/config.yaml" <<YAML
directory: $W/beetslib
library: $W/beets/library.db
import:
  copy: no
  write: no
  autotag: no
  quiet: yes
  singletons: yes
  duplicate_action: keep
plugins: []
YAML
  BEETSDIR="$W/beets" run "beet import -A -q -C -W -s" env BEETSDIR="$W/beets" "$BEET" import -A -q -C -W -s "$M"; BEETS=$LAST
  echo "beets imported: $(BEETSDIR="$W/beets" "$BEET" ls 2>/dev/null | wc -l) tracks"
else
  echo "beets not installed: skipping the beets comparison"
fi
python3 - "$N" "$FIRST_FP" "$FIRST" "$RESCAN" "$FIND" "$BEETS" <<'PY'
import sys
n, fp, first, rescan, find, beets = sys.argv[1:]
n = int(n); fp, first, rescan, find = map(float, (fp, first, rescan, find))
f = lambda t: n / max(t, 1e-3)
print(f"first scan with fingerprints: {f(fp):8.0f} files/s")
print(f"first scan, no fingerprints:  {f(first):8.0f} files/s")
print(f"rescan, nothing changed:      {f(rescan):8.0f} files/s  = {rescan / max(find, 1e-3):.1f}x find's time (target <= 5x)")
if beets:
    b = float(beets)
    print(f"beets import:                 {f(b):8.0f} files/s")
    print(f"speed-up over beets: {b / fp:.1f}x with fingerprints, {b / first:.1f}x without (target >= 30x)")
PY
