#!/usr/bin/env bash
# benches/cd_check.sh: acceptance check of the gapless CD profile (issue 15,
# item 3) against the tools that burn and read CDs.
#
# Usage: benches/cd_check.sh
#
# 1. installs cdrdao and cuetools with apt-get if `cdrdao` or `cueprint` is
#    missing, builds the release binary;
# 2. makes one 19.3 s signal with ffmpeg and cuts it into an album of four
#    FLACs at sample counts that are not whole sectors (tags: album,
#    albumartist, track, ISRC, composer, BARCODE);
# 3. scans them into a fresh library and exports `album:"Cut Album"` with
#    `--profile cd`;
# 4. runs `cdrdao show-toc` on the TOC and `cueprint` on the CUE (any parse
#    error fails the script), and compares the WAVs concatenated (raw PCM
#    by ffmpeg) with the signal's PCM: equal up to its length, zeros after,
#    and the whole a whole number of 2352-byte sectors.
#
# Needs ffmpeg and python3. Nothing is kept: all work is in a temp folder.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v cdrdao >/dev/null || ! command -v cueprint >/dev/null; then
    apt-get install -y cdrdao cuetools >/dev/null
fi
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
BIN="$ROOT/target/release/mixtape"
W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/music"

# The source: 19.3 s of stereo noise-like music at 44.1 kHz/16 bits.
ffmpeg -loglevel error -f lavfi -i "sine=f=220:d=19.3,aeval=val(0)*0.5+0.1*sin(7*t)|val(0)*0.4:c=stereo" \
    -ar 44100 -ac 2 -c:a pcm_s16le -f s16le "$W/source.pcm"
# Cut points (frames): none a multiple of 588.
CUTS=(0 190001 420777 633333)
TOTAL=$(($(stat -c %s "$W/source.pcm") / 4))
TITLES=("Intro" "Segue" "Crossfade" "Outro")
ISRCS=("US-RC1-76-07839" "GBAYE0601498" "USRC17607840" "")
for i in 0 1 2 3; do
    start=${CUTS[$i]}
    end=$([ "$i" -lt 3 ] && echo "${CUTS[$((i + 1))]}" || echo "$TOTAL")
    n=$((i + 1))
    ffmpeg -loglevel error -f s16le -ar 44100 -ac 2 -i "$W/source.pcm" \
        -af "atrim=start_sample=$start:end_sample=$end" -c:a flac \
        -metadata title="${TITLES[$i]}" -metadata artist="The Cutters" \
        -metadata album="Cut Album" -metadata album_artist="The Cutters" \
        -metadata track="$n" -metadata composer="Ann Writer" \
        -metadata ISRC="${ISRCS[$i]}" -metadata BARCODE="5012345678900" \
        "$W/music/0$n.flac"
done

M=("$BIN" --library "$W/lib.db" --quiet)
"${M[@]}" scan --no-fingerprint "$W/music" >/dev/null
"${M[@]}" export 'album:"Cut Album"' --to "$W/cd" --profile cd >/dev/null
D="$W/cd/disc01"

echo "== cdrdao show-toc disc01.toc"
(cd "$D" && cdrdao show-toc disc01.toc 2>&1) | tee "$W/toc.out"
if grep -qi "error" "$W/toc.out"; then
    echo "FAIL: cdrdao could not parse the TOC" >&2
    exit 1
fi
echo "== disc01.cue"
cat "$D/disc01.cue"
echo "== cueprint disc01.cue"
cueprint "$D/disc01.cue"

echo "== PCM"
for f in "$D"/*.wav; do
    ffmpeg -loglevel error -i "$f" -f s16le -c:a pcm_s16le - >>"$W/disc.pcm"
done
python3 - "$W/source.pcm" "$W/disc.pcm" "$D" <<'EOF'
import os, sys, wave
src, disc, d = (open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read(), sys.argv[3])
for f in sorted(os.listdir(d)):
    if f.endswith(".wav"):
        with wave.open(os.path.join(d, f)) as w:
            data = w.getnframes() * 4
        print(f"{f}: {data} bytes of audio, {data / 2352:.3f} sectors")
print(f"source: {len(src)} bytes ({len(src) / 2352:.3f} sectors); disc: {len(disc)} bytes ({len(disc) / 2352:.3f} sectors)")
ok = disc[: len(src)] == src and set(disc[len(src):]) <= {0} and len(disc) % 2352 == 0
pad = len(disc) - len(src)
print(f"disc == source + {pad} zero bytes at the end: {'yes' if ok else 'NO'}")
sys.exit(0 if ok else 1)
EOF
echo "OK"
