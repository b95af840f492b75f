#!/usr/bin/env python3
"""Where to put the same-recording and similar thresholds: every pair's best
aligned fingerprint similarity (1 - BER, offsets within +-12 s, as
dupes::fingerprint::compare), split by the real library's truth.json.

  benches/similarity.py LIBRARY.db ~/.cache/mixtape-real

Prints the lowest similarity of a true pair (a copy, transcode, gain change
or trim), the highest of a pair that is not one (mislabelled twins
included), and a histogram of both. Needs numpy.
"""
import itertools, json, os, sqlite3, sys
import numpy as np

db, real = sys.argv[1], sys.argv[2]
lib = os.path.join(real, "library")
truth = json.load(open(os.path.join(real, "truth.json")))
group_of = {p: i for i, g in enumerate(truth["groups"]) for p in g}
rows = sqlite3.connect(db).execute(
    "SELECT path, fingerprint FROM tracks WHERE fingerprint IS NOT NULL").fetchall()
fps = {}
for path, blob in rows:
    rel = os.path.relpath(path.decode() if isinstance(path, bytes) else path, lib)
    fps[rel] = np.frombuffer(blob, dtype="<u4")
POP = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)
SHIFT = round(12.0 * 11025 / (4096 - 4096 * 2 / 3))

def sim(a, b):
    need = max(round(3.0 * 11025 / (4096 - 4096 * 2 / 3)), min(len(a), len(b)) // 2)
    best = 0.0
    for off in range(-SHIFT, SHIFT + 1):
        s, e = max(0, -off), min(len(a), len(b) - off)
        if e - s < need:
            continue
        x = np.bitwise_xor(a[s:e], b[s + off:e + off]).view(np.uint8)
        ber = POP[x].sum() / (32.0 * (e - s))
        best = max(best, 1 - ber)
    return best

true_s, false_s = [], []
names = sorted(fps)
for x, y in itertools.combinations(names, 2):
    s = sim(fps[x], fps[y])
    same = x in group_of and group_of.get(x) == group_of.get(y)
    (true_s if same else false_s).append((s, x, y))
true_s.sort(); false_s.sort(reverse=True)
print(f"true pairs: {len(true_s)}, lowest similarity {true_s[0][0]:.3f} ({true_s[0][1]} ~ {true_s[0][2]})")
for s, x, y in true_s[:5]:
    print(f"  {s:.3f} {truth['kinds'].get(x, 'original')} ~ {truth['kinds'].get(y, 'original')}")
print(f"other pairs: {len(false_s)}, highest similarity {false_s[0][0]:.3f} ({false_s[0][1]} ~ {false_s[0][2]})")
for s, x, y in false_s[:5]:
    print(f"  {s:.3f} {x} ~ {y}")
edges = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.01]
h_t = np.histogram([s for s, _, _ in true_s], bins=edges)[0]
h_f = np.histogram([s for s, _, _ in false_s], bins=edges)[0]
print("similarity   true  other")
for i in range(len(edges) - 1):
    print(f"{edges[i]:.2f}-{min(edges[i+1], 1.0):.2f}  {h_t[i]:5d}  {h_f[i]:5d}")
