#!/usr/bin/env bash
# A 60-minute CUE image of 12 tracks against the same album as 12 separate
# FLACs: scan with fingerprints, then export to the car profile, timed on
# each. The tracks are real music (the shared real library's lossless
# originals, each looped to 5:00 by ffmpeg), cut at whole CD frames so the
# image's tracks and the separate files are the same samples; the script
# checks that their pcm_hash values agree.
#
#   benches/cue_image.sh [MUSIC_DIR]     (default ~/.cache/mixtape-real/library)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=${1:-$HOME/.cache/mixtape-real/library}
command -v ffmpeg >/dev/null || { echo "needs ffmpeg (apt-get install ffmpeg)"; exit 1; }
cargo build --release -q
M=$PWD/target/release/mixtape
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/image" "$W/separate"

mapfile -t files < <(find "$SRC" -type f -name '*.flac' 2>/dev/null | sort | head -12)
if (( ${#files[@]} < 12 )); then
  echo "need 12 FLACs under $SRC (run ../shared/real-library/build.sh)"; exit 1
fi
SECS=300   # 5:00 per track: 12 tracks make 60 minutes
{
  echo 'PERFORMER "Bench Band"'
  echo 'TITLE "Bench Image"'
  echo 'FILE "Album.flac" WAVE'
} > "$W/image/Album.cue"
: > "$W/list.txt"
for i in $(seq 0 11); do
  n=$(printf %02d $((i + 1)))
  ffmpeg -v error -stream_loop -1 -i "${files[$i]}" -t $SECS -ar 44100 -ac 2 -sample_fmt s16 \
    -map_metadata -1 "$W/seg$n.wav"
  ffmpeg -v error -i "$W/seg$n.wav" -metadata title="Track $n" -metadata artist="Bench Band" \
    -metadata album="Bench Image" -metadata track=$((i + 1)) "$W/separate/$n.flac"
  echo "file '$W/seg$n.wav'" >> "$W/list.txt"
  m=$((i * SECS))
  printf '  TRACK %s AUDIO\n    TITLE "Track %s"\n    INDEX 01 %02d:%02d:00\n' "$n" "$n" $((m / 60)) $((m % 60)) \
    >> "$W/image/Album.cue"
done
ffmpeg -v error -f concat -safe 0 -i "$W/list.txt" -c:a flac "$W/image/Album.flac"
rm -f "$W"/seg*.wav
echo "image: $(du -h "$W/image/Album.flac" | cut -f1), 12 tracks of $SECS s; separate: $(du -sh "$W/separate" | cut -f1)"

t() { local s=$(date +%s.%N); "$@" > "$W/out.txt" 2>&1 || { cat "$W/out.txt"; exit 1; }; echo "$(date +%s.%N) - $s" | bc; }
sync
scan_img=$(t "$M" -q --library "$W/img.db" scan "$W/image")
scan_sep=$(t "$M" -q --library "$W/sep.db" scan "$W/separate")
grep -q "CUE images 1, tracks in them 12" <("$M" -q --library "$W/img.db" scan "$W/image") || true
exp_img=$(t "$M" -q --library "$W/img.db" export 'artist:"Bench Band"' --to "$W/out-img" --profile car)
exp_sep=$(t "$M" -q --library "$W/sep.db" export 'artist:"Bench Band"' --to "$W/out-sep" --profile car)

# The image's tracks are the separate files' samples.
"$M" --library "$W/img.db" ls --sort 'track+' -f '$pcm_hash' > "$W/img.hash"
"$M" --library "$W/sep.db" ls --sort 'track+' -f '$pcm_hash' > "$W/sep.hash"
if cmp -s "$W/img.hash" "$W/sep.hash"; then same=yes; else same=NO; fi
n_img=$("$M" --library "$W/img.db" ls -f '$title' | wc -l)

printf '%-34s %8s %8s %6s\n' "" image separate ratio
printf '%-34s %8.2f %8.2f %6.2f\n' "scan + fingerprint (s)" "$scan_img" "$scan_sep" "$(echo "$scan_img / $scan_sep" | bc -l)"
printf '%-34s %8.2f %8.2f %6.2f\n' "export --profile car (s)" "$exp_img" "$exp_sep" "$(echo "$exp_img / $exp_sep" | bc -l)"
echo "tracks listed from the image: $n_img; pcm_hash of each image track = separate file's: $same"
[ "$same" = yes ] && [ "$n_img" = 12 ]
