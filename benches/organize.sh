#!/usr/bin/env bash
# Organise and check benchmark (issue 6: "Organise files into a clean folder
# layout, check their integrity, and undo anything").
#
# Usage: benches/organize.sh [COUNT=2000] [SECONDS_PER_TRACK=20]
#
# Generates COUNT tagged music files (FLAC/MP3/WAV, artist/album layout) with
# the gen_library bench, scans them (not timed), then times in the same run,
# with a warm page cache for everyone:
#   1. `mixtape organize --copy` of every file into a new tree, against
#      `cp -r` of the same tree. mixtape does more per file: it journals each
#      copy (SQLite), writes through a temporary file, fsyncs it, re-reads it
#      to verify its BLAKE3 against the source's, and publishes it without
#      ever overwriting; cp does none of that.
#   2. `mixtape check format:flac` (full decode, FLAC MD5 verified) against
#      `flac -t` on the same FLAC files, both using every core (`flac -t` runs
#      under `xargs -P $(nproc)`), plus `flac -t` on one core for reference.
# Needs `flac` (apt-get install flac) for part 2; it is skipped without it.
#
# Measured 2026-11-22 on the shared 2-core machine (busy with other builds,
# so noisy), 2,000 files (1,333 FLAC + 667 WAV, 5 s each, 985 MB), release
# build: organize --copy 20.14 s vs cp -r 4.96 s (4.1x: fsync + BLAKE3
# re-read + journal per file); check format:flac 44.4 s vs flac -t 39.4 s on
# 2 cores (1.13x) and 50.1 s on one core (0.89x).
set -euo pipefail
N=${1:-2000}
SECS=${2:-20}
. "$(dirname "$0")/scanned_library.sh"

# run NAME CMD...: prints "NAME seconds peakKB" and keeps the seconds in $LAST
run() {
  local name=$1; shift
  sync
  /usr/bin/time -f '%e %M' -o "$W/t" "$@" >"$W/out" 2>"$W/err" || true
  read -r LAST RSS <"$W/t"
  printf '%-44s %8.2f s  %8d KB peak RSS\n' "$name" "$LAST" "$RSS"
}

run "mixtape organize --copy ($N files)" "$BIN" --library "$W/lib.db" --quiet organize --copy --into "$W/organised"; ORG=$LAST
tail -1 "$W/err"
COPIED=$(find "$W/organised" -type f | wc -l)
echo "files in the organised tree: $COPIED"
run "cp -r (same tree)" cp -r "$W/music" "$W/cp-copy"; CP=$LAST

FLACS=$(find "$W/music" -name '*.flac' | wc -l)
CHECK=""; FLACT=""; FLACT1=""
run "mixtape check format:flac ($FLACS files)" "$BIN" --library "$W/lib.db" --quiet check format:flac; CHECK=$LAST
tail -1 "$W/err"
if command -v flac >/dev/null; then
  run "flac -t, $(nproc) parallel (same files)" sh -c "find '$W/music' -name '*.flac' -print0 | xargs -0 -n 16 -P $(nproc) flac -t -s"; FLACT=$LAST
  run "flac -t, one process (same files)" sh -c "find '$W/music' -name '*.flac' -print0 | xargs -0 flac -t -s"; FLACT1=$LAST
else
  echo "flac not installed (apt-get install flac): skipping the flac -t comparison"
fi
python3 - "$N" "$ORG" "$CP" "$FLACS" "$CHECK" "$FLACT" "$FLACT1" <<'PY'
import sys
n, org, cp, flacs, check, flact, flact1 = sys.argv[1:]
n, flacs = int(n), int(flacs)
org, cp, check = float(org), float(cp), float(check)
print(f"organize --copy: {n / max(org, 1e-3):8.0f} files/s, {org / max(cp, 1e-3):.2f}x the time of cp -r")
print(f"check:           {flacs / max(check, 1e-3):8.1f} FLAC files/s")
if flact:
    flact, flact1 = float(flact), float(flact1)
    print(f"flac -t:         {flacs / max(flact, 1e-3):8.1f} files/s parallel, {flacs / max(flact1, 1e-3):.1f} on one core")
    print(f"check takes {check / max(flact, 1e-3):.2f}x the time of parallel flac -t ({check / max(flact1, 1e-3):.2f}x of one-core flac -t)")
PY
