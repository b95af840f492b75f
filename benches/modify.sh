#!/usr/bin/env bash
# Tag-write benchmark (issue 14): `mixtape modify` of one field over COUNT
# tracks, release build, and the share of it spent reading each rewritten
# copy back (audio hash, tags, art) before it replaces the file.
#
# Usage: benches/modify.sh [COUNT=1000] [SECONDS_PER_TRACK=20]
#
# Generates COUNT tagged files (FLAC/MP3/WAV, artist/album layout) with the
# gen_library bench, scans them (not timed), then times `modify --yes
# genre=Benchmark` over all of them (`--timings` prints the audio check's
# share) and `undo` of it.
#
# Measured 2026-12-04 on the shared 2-core machine, 1,000 files (FLAC, MP3,
# WAV, 20 s each, 1.5 GB), release build: modify 7.16 s (7.2 ms a file), of
# which 0.83 s (12%) reading the rewritten copies back (audio hash, tags,
# art); the rest is copying each file and fsyncing it. undo: 4.47 s.
set -euo pipefail
N=${1:-1000}
SECS=${2:-20}
. "$(dirname "$0")/scanned_library.sh"
echo "modify genre=Benchmark over $N tracks:"
/usr/bin/time -f "wall %e s, peak %M KB" "$BIN" --library "$W/lib.db" modify --yes --timings genre=Benchmark >/dev/null
echo "undo of it:"
/usr/bin/time -f "wall %e s, peak %M KB" "$BIN" --library "$W/lib.db" undo >/dev/null
