#!/usr/bin/env bash
# `mixtape loudness` against ffmpeg's `ebur128=peak=true` filter on the real
# library (issue 16, point 3: values within 0.1 LU of ffmpeg's).
#
#   benches/loudness.sh [REAL_DIR]
#
# Scans REAL_DIR/library (default ~/.cache/mixtape-real, made by
# ../shared/real-library/build.sh when missing) into a temporary library
# without fingerprints, times `mixtape loudness`, then measures every track
# it measured cleanly with ffmpeg (a CUE image's track through `atrim` of
# its samples) and prints the largest and mean differences of integrated
# loudness and true peak; then the album loudness of two albums against
# ffmpeg on the concatenation of their files. ffmpeg's integrated value
# and true peak are read from the filter's per-frame metadata (three
# decimals; the true peak is linear there, to 0.001), not its one-decimal
# summary. The graph is ffmpeg's own (it converts what the filter needs). Needs a release
# build (built here), ffmpeg and python3. Exit 0 when every difference of integrated
# loudness is at most 0.1 LU.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=$(cd .. && pwd)/shared
real=${1:-${MIXTAPE_REAL:-${XDG_CACHE_HOME:-$HOME/.cache}/mixtape-real}}
if [ ! -d "$real/library" ]; then
  "$shared/real-library/build.sh"
fi
command -v ffmpeg > /dev/null || { echo "needs ffmpeg" >&2; exit 1; }
cargo build --release -q
bin=$(pwd)/target/release/mixtape
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
lib=$tmp/lib.db

# Warm the page cache so the figures measure mixtape, not the disk.
find "$real/library" -type f -exec cat {} + > /dev/null
"$bin" --library "$lib" --quiet scan --no-fingerprint "$real/library" > /dev/null 2>&1 || true
start=$(date +%s.%N)
set +e
"$bin" --library "$lib" --quiet loudness --json > "$tmp/loudness.json" 2> "$tmp/loudness.err"
code=$?
set -e
end=$(date +%s.%N)
echo "mixtape loudness: $(echo "$end - $start" | bc) s (exit $code), $(tail -1 "$tmp/loudness.err")"
"$bin" --library "$lib" ls --json > "$tmp/ls.json"
"$bin" --library "$lib" albums --json > "$tmp/albums.json"

python3 - "$tmp" <<'EOF'
import json, math, os, subprocess, sys

tmp = sys.argv[1]
rows = [json.loads(l) for l in open(f"{tmp}/loudness.json") if l.strip()]
ls = {t["id"]: t for t in (json.loads(l) for l in open(f"{tmp}/ls.json") if l.strip())}
albums = [json.loads(l) for l in open(f"{tmp}/albums.json") if l.strip()]
warned = set()
for line in open(f"{tmp}/loudness.err"):
    for r in rows:
        if line.startswith(r["path"] + ":") or line.startswith(r["path"] + " ["):
            warned.add(r["track_id"])


def ffmpeg(inputs, pre=""):
    """ffmpeg's integrated loudness and true peak (dBFS) of the inputs,
    concatenated, each through its own filter `pre` (atrim)."""
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "error"]
    for i in inputs:
        args += ["-i", i]
    meta = f"{tmp}/meta.txt"
    if os.path.exists(meta):
        os.remove(meta)
    chains = "".join(f"[{k}:a:0]{pre or 'anull'}[a{k}];" for k in range(len(inputs)))
    joined = "".join(f"[a{k}]" for k in range(len(inputs)))
    graph = f"{chains}{joined}concat=n={len(inputs)}:v=0:a=1,ebur128=peak=true:metadata=1,ametadata=mode=print:file={meta}"
    r = subprocess.run(args + ["-filter_complex", graph, "-f", "null", "-"], capture_output=True, text=True)
    if r.returncode != 0 or not os.path.exists(meta):
        return None
    lufs, peak = None, None
    for l in open(meta):
        if l.startswith("lavfi.r128.I="):
            lufs = float(l.split("=", 1)[1])
        elif l.startswith("lavfi.r128.true_peak="):
            # Linear, three decimals (0.001 is 0.01 dB near full scale).
            v = float(l.split("=", 1)[1])
            peak = v if peak is None else max(peak, v)
    if lufs is None or peak is None:
        return None
    return (lufs, 20 * math.log10(max(peak, 1e-10)))


def stats(name, diffs):
    if not diffs:
        print(f"{name}: nothing compared")
        return 0.0
    worst = max(diffs, key=lambda d: abs(d[0]))
    mean = sum(abs(d) for d, _ in diffs) / len(diffs)
    print(f"{name}: {len(diffs)} tracks, max |diff| {abs(worst[0]):.3f} ({worst[1]}), mean |diff| {mean:.3f}")
    return abs(worst[0])


lufs_diffs, peak_diffs, skipped = [], [], 0
for r in rows:
    if r["loudness"] is None or r["error"] or r["track_id"] in warned:
        skipped += 1
        continue
    t = ls[r["track_id"]]
    pre = ""
    if t.get("start_sample") is not None:
        pre = f"atrim=start_sample={t['start_sample']}:end_sample={t['end_sample']},asetpts=N/SR/TB"
    got = ffmpeg([r["path"]], pre)
    if got is None:
        skipped += 1
        continue
    name = os.path.basename(r["path"]) + (f" [{r['cue_track']}]" if r["cue_track"] else "")
    lufs_diffs.append((r["loudness"] - got[0], name))
    peak_diffs.append((r["true_peak"] - got[1], name))
print(f"compared with ffmpeg ebur128=peak=true: {len(lufs_diffs)} tracks ({skipped} left out: unmeasured, damaged, or unread by ffmpeg)")
worst = stats("integrated loudness (LU)", lufs_diffs)
stats("true peak (dB)", peak_diffs)

# Two albums of several plain files, all measured cleanly.
done = 0
for a in albums:
    ids = a["track_ids"]
    if len(ids) < 2 or done == 2:
        continue
    ts = [ls[i] for i in ids]
    if any(t.get("start_sample") is not None or t["album_loudness"] is None or i in warned for i, t in zip(ids, ts)):
        continue
    if len({(t["samplerate"], t["channels"]) for t in ts}) != 1:
        continue
    got = ffmpeg([t["path"] for t in ts])
    if got is None:
        continue
    done += 1
    ours = ts[0]["album_loudness"]
    print(f"album {a['albumartist']} - {a['album']} ({len(ts)} tracks): mixtape {ours:.3f} LUFS, ffmpeg (concatenated) {got[0]:.3f} LUFS, diff {ours - got[0]:+.3f} LU")
    worst = max(worst, abs(ours - got[0]))
print("target <= 0.1 LU:", "met" if worst <= 0.1 else "NOT met")
sys.exit(0 if worst <= 0.1 else 1)
EOF
