#!/usr/bin/env bash
# Device benchmark (issue 16: "A device is a set of playlists").
#
# Usage: benches/device_sync.sh [SECONDS_PER_TRACK=10]
#
# Generates 240 tagged tracks (gen_library), scanned (not timed), and three
# static playlists of 100 tracks each with 30% overlap (1-100, 71-170,
# 141-240), imported from M3U8 files. Then, for the usb profile (copies)
# and the car profile (MP3 transcodes), onto one destination each:
#   1. the first export of all three playlists;
#   2. a re-sync with no selection when nothing changed (target: < 1 s);
# and checks that each shared file was written once (240 files, not 300)
# and that every playlist file names files that exist.
set -euo pipefail
N=240
SECS=${1:-10}
. "$(dirname "$0")/scanned_library.sh"
L=(--library "$W/lib.db" --quiet)
find "$W/music" -type f | sort >"$W/all"
mk() { # NAME FIRST LAST
  { echo "#EXTM3U"; sed -n "$2,$3p" "$W/all"; } >"$W/$1.m3u8"
  "$BIN" "${L[@]}" playlist import "$W/$1.m3u8" --name "$1" >/dev/null
}
mk One 1 100; mk Two 71 170; mk Three 141 240

t() { # LABEL CMD...: prints the wall time
  local label=$1 s e; shift
  s=$(date +%s.%N); "$@" >"$W/out" 2>"$W/err" || { cat "$W/err"; exit 1; }; e=$(date +%s.%N)
  printf '%-52s %7.3f s\n' "$label" "$(echo "$e - $s" | bc)"
}
resolve() { # DEST: every playlist entry exists
  local dest=$1 bad=0 n=0
  for p in "$dest"/*.m3u8; do
    while IFS= read -r line; do
      [[ -z "$line" || "$line" == \#* ]] && continue
      n=$((n + 1)); [[ -f "$dest/$line" ]] || { echo "missing: $line"; bad=1; }
    done <"$p"
  done
  echo "  $n playlist entries resolve; $(find "$dest" -type f \( -name '*.mp3' -o -name '*.flac' -o -name '*.wav' \) | wc -l) audio files on the device"
  return $bad
}
for profile in usb car; do
  D="$W/dest-$profile"
  t "$profile: first export of 3 x 100 tracks (30% overlap)" "$BIN" "${L[@]}" export One Two Three --to "$D" --profile "$profile"
  tail -1 "$W/out"
  t "$profile: re-sync, nothing changed" "$BIN" "${L[@]}" export --to "$D"
  tail -1 "$W/out"
  resolve "$D"
done
