#!/usr/bin/env bash
# Runs the fuzz targets, then minimizes their corpora into corpus-min/ (kept in git and
# replayed by `cargo test` in tests/robust). Needs cargo-fuzz (`cargo install cargo-fuzz`);
# the stable toolchain is enough with RUSTC_BOOTSTRAP=1 (libFuzzer flags are unstable).
# Usage: fuzz/run.sh [SECONDS per target, default 1800] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-1800}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(script root_file)
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O --debug-assertions
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    cp -n corpus-min/"$t"/* "corpus/$t/" 2>/dev/null || true
done
pids=()
for t in "${targets[@]}"; do
    # One core each; -rss_limit_mb catches unbounded allocation, -timeout endless loops.
    cargo fuzz run -O --debug-assertions "$t" "corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=4096 -timeout=20 -print_final_stats=1 \
        >"$t.log" 2>&1 &
    pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
for t in "${targets[@]}"; do
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb|SUMMARY|ERROR" "$t.log" | sed "s/^/$t: /" || true
    # Minimize with the binary just fuzzed (`cargo fuzz cmin` would rebuild with other flags).
    rm -rf "corpus-min/$t.new" && mkdir -p "corpus-min/$t.new"
    "target/x86_64-unknown-linux-gnu/release/$t" -set_cover_merge=1 -rss_limit_mb=4096 \
        -timeout=20 "corpus-min/$t.new" "corpus/$t" >"$t.merge.log" 2>&1
    rm -rf "corpus-min/$t" && mv "corpus-min/$t.new" "corpus-min/$t"
done
exit $status
