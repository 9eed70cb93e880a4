#!/usr/bin/env bash
# Compile time and peak memory of `ana run` as functions of script size (issue 24): the two
# families of bench/gen_big.py on the 1000-event example file. Not run in CI (minutes at 10,000).
set -euo pipefail

usage() {
    cat <<'EOF2'
Usage: bench/compile_time.sh [--ana PATH] [--sizes "10 100 1000"] [--families "hists regions"]
                             [--timeout SECONDS]

Generates each script (target/compile-bench/<family>-<n>.ana), runs `ana run` on the example
file once per size and prints a Markdown table: compile time (process start to machine code,
as the run summary prints it), peak RSS (GNU time's maximum resident set size), and the
kernel's CLIF lines (`ana graph --clif`). A run over the timeout is reported as such.
Defaults: target/release/ana (build it first), sizes 10 100 1000 2000 10000, both families,
timeout 120 s.
EOF2
}

ANA=target/release/ana SIZES="10 100 1000 2000 10000" FAMILIES="hists regions" TIMEOUT=120
while (($#)); do
    case $1 in
        --ana) ANA=$2; shift ;;
        --sizes) SIZES=$2; shift ;;
        --families) FAMILIES=$2; shift ;;
        --timeout) TIMEOUT=$2; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
    shift
done

cd "$(dirname "$0")/.."
[[ -x $ANA ]] || { echo "bench/compile_time.sh: no $ANA (cargo build --release)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "bench/compile_time.sh: needs GNU time (/usr/bin/time)" >&2; exit 2; }
WORK=target/compile-bench
mkdir -p "$WORK"
DATA=examples/data/Run2012BC_DoubleMuParked_Muons_1000evts.root

echo "| family | N | compile (ms) | peak RSS (MB) | CLIF lines |"
echo "|---|---:|---:|---:|---:|"
for fam in $FAMILIES; do
    for n in $SIZES; do
        script=$WORK/$fam-$n.ana
        python3 bench/gen_big.py "$fam" "$n" >"$script"
        if timeout "$TIMEOUT" /usr/bin/time -v "$ANA" run "$script" "$DATA" -o "$WORK/out" --threads 1 \
            >"$WORK/stdout" 2>"$WORK/time"; then
            ms=$(sed -n 's/.*compiled in \([0-9.]*\) ms.*/\1/p' "$WORK/stdout")
            kb=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$WORK/time")
            mb=$((kb / 1024))
        else
            ms="over ${TIMEOUT} s" mb="-"
        fi
        lines=$(timeout "$TIMEOUT" "$ANA" graph --clif "$script" --input "$DATA" 2>/dev/null | wc -l || true)
        echo "| $fam | $n | $ms | $mb | $lines |"
    done
done
