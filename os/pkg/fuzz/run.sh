#!/bin/sh
# Run every pkg fuzz target for $1 seconds (default 120), starting from the committed seeds.
# Needs: rustup nightly toolchain and `cargo install cargo-fuzz`.
set -e
cd "$(dirname "$0")/.."
T=${1:-120}
for t in store_records generation http; do
    mkdir -p fuzz/corpus/$t
    cargo +nightly fuzz run --fuzz-dir fuzz "$t" fuzz/corpus/$t fuzz/seeds/$t -- -max_total_time="$T" -rss_limit_mb=1024
done
