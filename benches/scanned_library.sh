# Sourced by the shell benchmarks: builds the release binary ($BIN), makes
# a work folder ($W, removed on exit) holding $N generated tracks of $SECS
# seconds in $W/music, scanned into $W/lib.db (not timed), page cache warm.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release --quiet
BIN=$PWD/target/release/mixtape
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cargo bench --quiet --bench gen_library -- "$W/music" "$N" "$SECS"
du -sh "$W/music"
"$BIN" --library "$W/lib.db" scan --quiet --no-fingerprint "$W/music" >/dev/null
find "$W/music" -type f -exec cat {} + >/dev/null # warm the page cache
