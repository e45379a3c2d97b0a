#!/bin/sh
# Run every fuzz target for $1 seconds (default 300), starting from the committed seeds.
# Needs: rustup nightly toolchain and `cargo install cargo-fuzz`.
set -e
cd "$(dirname "$0")"
T=${1:-300}
for t in config; do
    mkdir -p corpus/$t
    cargo +nightly fuzz run "$t" corpus/$t seeds/$t -- -max_total_time="$T" -rss_limit_mb=1024
done
