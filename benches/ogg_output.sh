#!/usr/bin/env bash
# Opus and Vorbis export on real music (issue 16, point 4): export a few
# tracks of the shared real library (lossless FLAC originals, an Ogg Vorbis
# original and an MP3) with `--format opus` and `--format vorbis`, then
# check every output with ffmpeg/ffprobe, which share no code with mixtape:
#
# - length: ffmpeg's decode of each output has exactly the source's frames
#   (Vorbis), or exactly round(frames x 48000 / rate) (Opus, after the
#   OpusHead pre-skip and the last page's end trim);
# - tags: title, artist and album are there, and the cover (ffprobe shows a
#   METADATA_BLOCK_PICTURE as an attached picture);
# - quality against ffmpeg's libopus and libvorbis at the same setting, on
#   the same sources: SNR of the decoded output against the source (at 48
#   kHz for Opus), and the level above 16 kHz (the encoder's bandwidth);
# - time: mixtape's export on one thread against ffmpeg encoding the same
#   files one after the other.
#
#   benches/ogg_output.sh [REAL_DIR]    (default ~/.cache/mixtape-real)
#
# MIXTAPE_BIN=path/to/mixtape uses that binary instead of a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=$(cd .. && pwd)/shared
real=${1:-${MIXTAPE_REAL:-${XDG_CACHE_HOME:-$HOME/.cache}/mixtape-real}}
command -v ffmpeg >/dev/null || { echo "needs ffmpeg (apt-get install ffmpeg)"; exit 1; }
[ -f "$real/truth.json" ] || "$shared/real-library/build.sh"
if [ -z "${MIXTAPE_BIN:-}" ]; then cargo build --release -q; fi
bin=${MIXTAPE_BIN:-$PWD/target/release/mixtape}
bin=$(realpath "$bin")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src"

mapfile -t flacs < <(find "$real/library/Music/OpenMSX" -name '*.flac' | sort | head -4)
mapfile -t oggs < <(find "$real/library/Music/Nexuiz" -name '*.ogg' | sort | head -1)
mapfile -t mp3s < <(find "$real/library" -name '*.mp3' | sort | head -1)
for f in "${flacs[@]}" "${oggs[@]}" "${mp3s[@]}"; do cp "$f" "$tmp/src/"; done
cover=$tmp/src/cover.jpg
ffmpeg -v error -f lavfi -i testsrc=size=600x600 -frames:v 1 "$cover"
"$bin" --library "$tmp/lib.db" --quiet scan --no-fingerprint "$tmp/src" > /dev/null
n=$(ls "$tmp/src" | grep -vc cover.jpg)
secs=$(for f in "$tmp"/src/*.{flac,ogg,mp3}; do ffprobe -v error -show_entries format=duration -of csv=p=0 "$f"; done |
  awk '{s += $1} END {printf "%.0f", s}')
echo "sources: $n files, ${secs} s of audio (4 FLAC 44.1 kHz/16, 1 Ogg Vorbis, 1 MP3)"
echo "encoders: ffmpeg has $(ffmpeg -hide_banner -encoders 2>/dev/null | grep -Eo 'lib(opus|vorbis)' | sort -u | tr '\n' ' ')"

# Samples per channel of a file as ffmpeg decodes it.
frames() { ffmpeg -v error -i "$1" -map 0:a -f s16le -ac 1 - | wc -c | awk '{print $1 / 2}'; }
tag() { ffprobe -v error -show_entries "stream_tags=$2:format_tags=$2" -of default=nw=1:nk=1 "$1" | head -1; }
# The RMS level (dB) ffmpeg's astats measures over `filter` of the inputs.
rms() {
  local filter=$1; shift
  local args=()
  for f in "$@"; do args+=(-i "$f"); done
  ffmpeg -v info -nostats "${args[@]}" -filter_complex "$filter,astats=measure_perchannel=none" -f null - 2>&1 |
    awk '/Overall/ {o = 1} o && /RMS level dB/ {print $NF; exit}'
}
# SNR (dB) of a decoded output `dec` against the reference `ref`, both WAV
# at the same rate and aligned (a misaligned output scores near 0 dB).
snr() {
  local sig err
  sig=$(rms "[0:a]anull" "$1")
  err=$(rms "[0:a][1:a]amerge=inputs=2,pan=stereo|c0=c0-c2|c1=c1-c3" "$1" "$2")
  awk -v s="$sig" -v e="$err" 'BEGIN {printf "%.1f", s - e}'
}
hf() { rms "[0:a]highpass=f=16000,highpass=f=16000,highpass=f=16000" "$1"; }

fail=0
for fmt in opus vorbis; do
  out=$tmp/$fmt
  start=$(date +%s.%N)
  RAYON_NUM_THREADS=1 "$bin" --library "$tmp/lib.db" --quiet export "path:$tmp/src" --to "$out" \
    --format "$fmt" --force-transcode --json > "$tmp/$fmt.json"
  end=$(date +%s.%N)
  t_mix=$(echo "$end - $start" | bc)
  ext=$([ $fmt = opus ] && echo opus || echo ogg)
  # ffmpeg on the same sources, one after the other (one thread each).
  mkdir -p "$tmp/ff-$fmt"
  start=$(date +%s.%N)
  for f in "$tmp"/src/*.{flac,ogg,mp3}; do
    b=$(basename "${f%.*}")
    if [ $fmt = opus ]; then
      ffmpeg -v error -threads 1 -i "$f" -vn -c:a libopus -b:a 160k "$tmp/ff-$fmt/$b.$ext"
    else
      ffmpeg -v error -threads 1 -i "$f" -vn -c:a libvorbis -q:a 6 "$tmp/ff-$fmt/$b.$ext"
    fi
  done
  end=$(date +%s.%N)
  t_ff=$(echo "$end - $start" | bc)
  echo
  echo "== $fmt ($([ $fmt = opus ] && echo '160k VBR' || echo 'q6')): mixtape ${t_mix} s on 1 thread, ffmpeg lib$fmt ${t_ff} s" \
    "($(awk -v a="$t_mix" -v b="$t_ff" 'BEGIN {printf "%.2f", a / b}')x ffmpeg's time)"
  printf '%-28s %9s %9s %6s %5s %5s  %7s %7s  %7s %7s %7s\n' file frames want len tags art \
    "kbps" "ff kbps" "SNR" "ff SNR" "HF src/mix/ff dB"
  for f in "$tmp"/src/*.{flac,ogg,mp3}; do
    b=$(basename "${f%.*}")
    o=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(next((sys.argv[3] + "/" + x["output"] for x in d["converted"] if x["source"] == sys.argv[2]), ""))' \
      "$tmp/$fmt.json" "$f" "$out")
    if [ -z "$o" ]; then echo "$b: no output"; fail=1; continue; fi
    src_frames=$(frames "$f")
    src_rate=$(ffprobe -v error -select_streams a -show_entries stream=sample_rate -of csv=p=0 "$f")
    if [ $fmt = opus ]; then
      want=$(awk -v n="$src_frames" -v r="$src_rate" 'BEGIN {printf "%d", n * 48000 / r + 0.5}')
      rate=48000
    else
      want=$src_frames
      rate=$src_rate
    fi
    got=$(frames "$o")
    len_ok=$([ "$got" = "$want" ] && echo ok || echo BAD)
    [ "$len_ok" = ok ] || fail=1
    tags_ok=ok
    for k in title artist album; do [ -n "$(tag "$o" $k)" ] || tags_ok=BAD; done
    [ "$tags_ok" = ok ] || fail=1
    art=$(ffprobe -v error -show_entries stream=codec_type:stream_disposition=attached_pic -of csv=p=0 "$o" |
      grep -c '^video,1' || true)
    dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$o")
    kbps=$(awk -v s="$(stat -c %s "$o")" -v d="$dur" 'BEGIN {printf "%.0f", s * 8 / d / 1000}')
    ff=$tmp/ff-$fmt/$b.$ext
    ffkbps=$(awk -v s="$(stat -c %s "$ff")" -v d="$dur" 'BEGIN {printf "%.0f", s * 8 / d / 1000}')
    ffmpeg -v error -i "$f" -af "aresample=$rate:resampler=soxr:precision=28" -ac 2 -c:a pcm_f32le "$tmp/ref.wav" -y
    ffmpeg -v error -i "$o" -map 0:a -c:a pcm_f32le "$tmp/mix.wav" -y
    ffmpeg -v error -i "$ff" -map 0:a -c:a pcm_f32le "$tmp/ff.wav" -y
    printf '%-28s %9s %9s %6s %5s %5s  %7s %7s  %7s %7s   %s/%s/%s\n' "${b:0:28}" "$got" "$want" "$len_ok" \
      "$tags_ok" "$art" "$kbps" "$ffkbps" "$(snr "$tmp/ref.wav" "$tmp/mix.wav")" \
      "$(snr "$tmp/ref.wav" "$tmp/ff.wav")" "$(hf "$tmp/ref.wav")" "$(hf "$tmp/mix.wav")" "$(hf "$tmp/ff.wav")"
  done
done
exit $fail
