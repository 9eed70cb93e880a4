#!/usr/bin/env bash
# The benchmark suite: ana against the notebook's Python stack, the read floor, ana's parts, the
# ADL queries, all on the same synthetic data on this machine. See BENCHMARKS.md and --help.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: bench/run.sh [--full | --quick | --smoke] [--reps N] [--system-python] [--no-build]
                    [--no-update] [--debug]

Modes (synthetic data is generated once into target/bench-data/ and reused):
  --full    (default) dimuon: 10M events in 4 files (and 20M: the 4 files twice, for memory;
            2M: one file); ADL: 1M events; 5 repetitions; about 5 minutes (the first time,
            30 s more to generate the data)
  --quick   dimuon: the 2M-event file (4M: twice); ADL: 200k events; 3 repetitions; ~1 minute
  --smoke   dimuon: 50k events in 2 files; ADL: 5k events; 1 repetition; no kernel benchmark;
            system python3, dask skipped if not importable (used by CI); ~30 s

Options:
  --reps N          repetitions per measurement (the median is reported)
  --system-python   use python3 as it is instead of the virtualenv target/bench-venv, which
                    --full and --quick create with pip (uproot awkward numpy hist vector pandas
                    pyarrow dask distributed)
  --no-build        use target/release/ana as it is (default: cargo build --release first)
  --debug           use target/debug/ana (as `cargo test` built it; with --no-build): only for
                    --smoke, which checks that the suite runs and that ana's outputs equal the
                    Python stack's (CI: it saves a release build); its timings mean nothing
  --no-update       --full only: do not rewrite the results section of BENCHMARKS.md

Output: raw results target/bench-results/latest.json (and <mode>-<date>.json), a Markdown
summary on stdout (and target/bench-results/latest.md); --full also updates BENCHMARKS.md.
Exit status 1 if any measured command failed or ana's outputs differ from the Python stack's.
EOF
}

die() { echo "bench/run.sh: error: $*" >&2; exit 2; }
log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }

MODE=full REPS='' SYSTEM_PYTHON=0 UPDATE=1 BUILD=1 PROFILE=release
while (($#)); do
    case $1 in
        --full | --quick | --smoke) MODE=${1#--} ;;
        --reps) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--reps needs a positive number"; REPS=$2; shift ;;
        --system-python) SYSTEM_PYTHON=1 ;;
        --no-update) UPDATE=0 ;;
        --no-build) BUILD=0 ;;
        --debug) PROFILE=debug ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done

cd "$(dirname "$0")/.."
DATA=target/bench-data RESULTS=target/bench-results WORK=target/bench-work
[[ $PROFILE == release || ($MODE == smoke && $BUILD == 0) ]] \
    || die "--debug is only for --smoke --no-build (a debug build's timings mean nothing)"
ANA=${CARGO_TARGET_DIR:-target}/$PROFILE/ana
mkdir -p "$DATA" "$RESULTS"
# one suite at a time: two would share the cores (and the work directory)
exec 9>"$RESULTS/.lock"
if ! flock -n 9; then
    log "another bench/run.sh is running: waiting for it to finish"
    flock 9
fi
rm -rf "$WORK" && mkdir -p "$WORK/out"
RAW=$WORK/raw.jsonl
: >"$RAW"
FAILED=0

case $MODE in
    full) REPS=${REPS:-5} ADL_EVENTS=1000000 KERNELS=1 ;;
    quick) REPS=${REPS:-3} ADL_EVENTS=200000 KERNELS=1 ;;
    smoke) REPS=${REPS:-1} ADL_EVENTS=5000 KERNELS=0 SYSTEM_PYTHON=1 ;;
esac
command -v python3 >/dev/null || die "python3 is needed"
command -v cargo >/dev/null || die "cargo is needed"

# --- records: one JSON object per line in $RAW, turned into results by bench/report.py -------

record() { echo "$1" >>"$RAW"; }
fail() {
    FAILED=1
    log "FAILED: $1"
    record "$(python3 -c 'import json,sys; print(json.dumps({"kind":"failure","what":sys.argv[1]}))' "$1")"
}

# measure GROUP NAME TOOL THREADS DATASET [--tree] -- CMD...: run CMD $REPS times under
# bench/measure.py (wall, CPU, peak RSS), one record per run. Output dirs: $WORK/out/GROUP-NAME.
measure() {
    local group=$1 name=$2 tool=$3 threads=$4 dataset=$5 tree=
    shift 5
    if [[ $1 == --tree ]]; then tree=--tree; shift; fi
    [[ $1 == -- ]] && shift
    local i out walls=
    for ((i = 1; i <= REPS; i++)); do
        if ! out=$(python3 bench/measure.py $tree -- "$@"); then
            fail "$group $name (rep $i): $*"
            return 0
        fi
        record "{\"kind\":\"measure\",\"group\":\"$group\",\"name\":\"$name\",\"tool\":\"$tool\",\"threads\":$threads,\"dataset\":\"$dataset\",\"rep\":$i,\"result\":$out}"
        walls+=" $(sed -E 's/.*"wall_s": ([0-9.]+).*/\1/' <<<"$out" | cut -c1-6)"
    done
    log "  $group / $name:$walls s"
}

# check ID KIND ANA_OUT REF: compare outputs with bench/check.py, record the result
check() {
    local out
    if out=$("$PY" bench/check.py "$2" "$3" "$4") && [[ $out == *'"same": true'* ]]; then
        record "{\"kind\":\"check\",\"id\":\"$1\",\"result\":$out}"
    else
        record "{\"kind\":\"check\",\"id\":\"$1\",\"result\":${out:-null}}"
        fail "outputs differ: $1 ($3 vs $4): ${out:-check.py failed}"
    fi
}

# --- setup --------------------------------------------------------------------------------

build() {
    if ((!BUILD)); then
        [[ -x $ANA ]] || die "$ANA does not exist: run without --no-build"
        log "using $ANA as it is (--no-build)"
        return 0
    fi
    log "building ana (cargo build --release)"
    cargo build --release --quiet --bin ana || die "cargo build --release failed"
}

python_env() {
    local pkgs=(uproot awkward numpy hist vector pandas pyarrow dask distributed)
    if ((SYSTEM_PYTHON)); then
        PY=python3
    else
        PY=target/bench-venv/bin/python
        if ! "$PY" -c "import uproot, awkward, hist, vector, pandas, pyarrow, dask.distributed" 2>/dev/null; then
            log "creating the virtualenv target/bench-venv (pip install ${pkgs[*]})"
            python3 -m venv target/bench-venv || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
            "$PY" -m pip install --quiet --disable-pip-version-check "${pkgs[@]}" || die "pip install into target/bench-venv failed"
        fi
    fi
    if ! "$PY" -c "import uproot, awkward, hist, vector, pandas, pyarrow" 2>/dev/null; then
        if [[ $MODE == smoke ]]; then # as the tests do: CI without the Python packages skips
            log "SKIPPED: $PY lacks the Python stack (pip install ${pkgs[*]})"
            exit 0
        fi
        die "$PY lacks the Python stack; pip install ${pkgs[*]} (or run without --system-python)"
    fi
    if "$PY" -c "import dask.distributed" 2>/dev/null; then DASK=1; else DASK=0; fi
    log "python: $PY ($("$PY" --version 2>&1)); dask: $( ((DASK)) && echo yes || echo 'not installed, skipped')"
    ((DASK)) || record '{"kind":"note","text":"dask is not installed: the dask measurements were skipped"}'
}

# dataset NAME EVENTS FILE...: record a dataset (its files must exist)
dataset() {
    local name=$1 events=$2 bytes
    shift 2
    bytes=$(cat "$@" | wc -c) # also warms the page cache: every tool reads from memory
    record "{\"kind\":\"dataset\",\"name\":\"$name\",\"events\":$events,\"bytes\":$bytes,\"files\":[$(printf '"%s",' "$@" | sed 's/,$//')]}"
}

# gen_dimuon EVENTS NFILES SEED PREFIX: files PREFIX.root or PREFIX-{0..N-1}.root, made if missing
gen_dimuon() {
    local events=$1 nfiles=$2 seed=$3 prefix=$4 files=() i
    if ((nfiles == 1)); then files=("$prefix.root"); else for ((i = 0; i < nfiles; i++)); do files+=("$prefix-$i.root"); done; fi
    if ! ls "${files[@]}" >/dev/null 2>&1; then
        log "generating $events dimuon events in $nfiles file(s): $prefix*"
        local tmp=$DATA/tmp-$$ pattern=f.root
        ((nfiles == 1)) || pattern=f-{}.root
        mkdir -p "$tmp"
        "$PY" ../shared/tools/gen_dimuon.py "$tmp/$pattern" --events "$events" --files "$nfiles" --seed "$seed" \
            || die "dimuon data generation failed"
        for ((i = 0; i < nfiles; i++)); do mv "$tmp/${pattern/\{\}/$i}" "${files[i]}"; done
        rmdir "$tmp"
    fi
    GEN_FILES=("${files[@]}")
}

data() {
    if [[ ! -f ../shared/tools/gen_dimuon.py ]]; then
        if [[ $MODE == smoke ]]; then # as the tests do without ../shared: skip, say so
            log "SKIPPED: ../shared/tools/gen_dimuon.py not found (the synthetic data generator)"
            exit 0
        fi
        die "../shared/tools/gen_dimuon.py not found (run from the project's checkout)"
    fi
    case $MODE in
        full) gen_dimuon 10000000 4 1 "$DATA/dimuon-10M"; DIMUON=("${GEN_FILES[@]}") DIMUON_EVENTS=10000000
              gen_dimuon 2000000 1 2 "$DATA/dimuon-2M"; SMALL=("${GEN_FILES[@]}") ;;
        quick) gen_dimuon 2000000 1 2 "$DATA/dimuon-2M"; DIMUON=("${GEN_FILES[@]}") DIMUON_EVENTS=2000000 SMALL=() ;;
        smoke) gen_dimuon 50000 2 1 "$DATA/dimuon-50k"; DIMUON=("${GEN_FILES[@]}") DIMUON_EVENTS=50000 SMALL=() ;;
    esac
    ADL=$DATA/adl-$ADL_EVENTS.root
    if [[ ! -f $ADL ]]; then
        log "generating $ADL_EVENTS ADL events: $ADL"
        "$PY" bench/gen_adl_data.py "$ADL.tmp" --events "$ADL_EVENTS" || die "ADL data generation failed"
        mv "$ADL.tmp" "$ADL"
    fi
    dataset dimuon "$DIMUON_EVENTS" "${DIMUON[@]}"
    dataset dimuon-x2 $((2 * DIMUON_EVENTS)) "${DIMUON[@]}" "${DIMUON[@]}"
    if ((${#SMALL[@]})); then dataset dimuon-2M 2000000 "${SMALL[@]}"; fi
    dataset adl "$ADL_EVENTS" "$ADL"
}

# --- the measurements ---------------------------------------------------------------------

# 1 + 2: ana and the notebook's stack on the dimuon analysis
dimuon() {
    log "dimuon analysis on ${#DIMUON[@]} file(s), $DIMUON_EVENTS events, $REPS repetition(s)"
    local o=$WORK/out/dimuon
    measure dimuon ana-jit-2t ana 2 dimuon -- $ANA run examples/dimuon.ana "${DIMUON[@]}" -o "$o-ana-jit-2t" -q --threads 2
    measure dimuon ana-jit-1t ana 1 dimuon -- $ANA run examples/dimuon.ana "${DIMUON[@]}" -o "$o-ana-jit-1t" -q --threads 1
    measure dimuon ana-interp-2t ana 2 dimuon -- $ANA run examples/dimuon.ana "${DIMUON[@]}" -o "$o-ana-interp-2t" -q --threads 2 --engine interp
    measure dimuon notebook-single python 1 dimuon -- "$PY" bench/notebook.py --mode single -o "$o-notebook-single" "${DIMUON[@]}"
    if ((DASK)); then
        measure dimuon notebook-dask python 2 dimuon --tree -- "$PY" bench/notebook.py --mode dask -o "$o-notebook-dask" "${DIMUON[@]}"
    fi
    local ref=$o-notebook-single
    [[ -f $ref/summary.json ]] || return 0
    for run in ana-jit-2t ana-jit-1t ana-interp-2t; do
        if [[ -d $o-$run ]]; then check "dimuon/$run" dimuon "$o-$run" "$ref"; fi
    done
    if [[ -f $o-notebook-dask/summary.json ]]; then
        "$PY" -c 'import json,sys; a,b=(json.load(open(p+"/summary.json")) for p in sys.argv[1:]); sys.exit(a!=b)' "$ref" "$o-notebook-dask" \
            || fail "notebook outputs differ between --mode single and --mode dask"
    fi
}

# memory: ana's peak RSS as the input grows (the 4 files twice: 2x the events)
memory() {
    log "memory: ana on the dataset twice over"
    measure memory ana-jit-2t-x2 ana 2 dimuon-x2 -- $ANA run examples/dimuon.ana "${DIMUON[@]}" "${DIMUON[@]}" -o "$WORK/out/memory-x2" -q --threads 2
    if ((${#SMALL[@]})); then
        measure memory ana-jit-2t-2M ana 2 dimuon-2M -- $ANA run examples/dimuon.ana "${SMALL[@]}" -o "$WORK/out/memory-2M" -q --threads 2
    fi
}

# 3: the floor, reading and decompressing the analysis' baskets (cargo bench: read)
floor() {
    if [[ ! -f runtime/benches/read.rs ]]; then
        log "floor: runtime/benches/read.rs does not exist yet, skipped"
        record '{"kind":"note","text":"the read floor was skipped: runtime/benches/read.rs does not exist"}'
        return 0
    fi
    if [[ $PROFILE == debug ]]; then
        # A release build of the benchmark, for timings --debug does not report anyway (clippy
        # --all-targets checks that it builds).
        log "floor: skipped with --debug"
        record '{"kind":"note","text":"the read floor was skipped (--debug)"}'
        return 0
    fi
    log "floor: cargo bench -p ana-runtime --bench read"
    if ! cargo bench --quiet -p ana-runtime --bench read --no-run 2>"$WORK/floor-build.err"; then
        cat "$WORK/floor-build.err" >&2
        fail "floor: cargo bench -p ana-runtime --bench read does not build"
        return 0
    fi
    local n m line
    for n in 1 2; do
        # under measure.py only to learn whether other work competed for the cores meanwhile
        if ! m=$(python3 bench/measure.py --out "$WORK/floor-$n.out" -- cargo bench --quiet -p ana-runtime --bench read -- \
            --threads $n --reps "$REPS" "${DIMUON[@]/#/$PWD/}" 2>"$WORK/floor-$n.err"); then
            cat "$WORK/floor-$n.err" >&2
            fail "floor: cargo bench -p ana-runtime --bench read -- --threads $n"
            return 0
        fi
        while read -r line; do
            if [[ $line == '{'* ]]; then record "{\"kind\":\"floor\",\"dataset\":\"dimuon\",\"result\":$line,\"measure\":$m}"; fi
        done <"$WORK/floor-$n.out"
        sed 's/^/  /' "$WORK/floor-$n.err" >&2
    done
}

# 4: ana's parts: compile time (the run summary's "compiled in"), `ana check`, kernels
parts() {
    log "compile times"
    local script engine i ms all
    for script in examples/dimuon.ana examples/adl/q{1..8}.ana; do
        local input=${DIMUON[0]}
        [[ $script == *adl* ]] && input=$ADL
        for engine in jit interp; do
            [[ $script == *adl* && $engine == interp ]] && continue
            all=
            for ((i = 0; i < (REPS > 3 ? REPS : 3); i++)); do
                ms=$($ANA run "$script" "$input" -o "$WORK/out/compile" --max-entries 1000 --threads 1 --engine $engine 2>/dev/null \
                    | sed -nE 's/.*compiled in ([0-9.]+) ms.*/\1/p') || true
                [[ -n $ms ]] || { fail "no 'compiled in' in the summary of ana run $script --engine $engine"; continue 2; }
                all+=${all:+,}$ms
            done
            record "{\"kind\":\"compile\",\"script\":\"$script\",\"engine\":\"$engine\",\"ms\":[$all]}"
        done
    done
    measure parts ana-check ana 1 none -- $ANA check examples/dimuon.ana
    measure parts python-imports python 1 none -- "$PY" -c "import uproot, awkward, vector, hist, pandas"
    ((KERNELS)) || return 0
    # On the test file (both scripts), and dimuon.ana on the dimuon data.
    local m args
    for args in "" "--input $(realpath "${DIMUON[0]}") dimuon"; do
        log "kernels: cargo bench -p ana-runtime --bench kernels -- $args"
        # shellcheck disable=SC2086 # $args: words on purpose
        if cargo bench --quiet -p ana-runtime --bench kernels --no-run 2>"$WORK/kernels.err" \
            && m=$(python3 bench/measure.py --out "$WORK/kernels.out" -- cargo bench --quiet -p ana-runtime --bench kernels -- $args 2>>"$WORK/kernels.err"); then
            sed 's/^/  /' "$WORK/kernels.out" >&2
            record "$(python3 -c 'import json,sys; print(json.dumps({"kind":"kernels","text":open(sys.argv[1]).read(),"measure":json.loads(sys.argv[2])}))' "$WORK/kernels.out" "$m")"
        else
            cat "$WORK/kernels.err" >&2
            fail "cargo bench -p ana-runtime --bench kernels -- $args"
        fi
    done
}

# 5: the ADL queries, ana against uproot + awkward + vector + hist (bench/adl_stack.py)
adl() {
    log "ADL queries on $ADL_EVENTS events"
    local q o=$WORK/out/adl
    for q in 1 2 3 4 5 6 7 8; do
        local extra=()
        ((q == 6)) && extra=(--set btag=Jet_btag)
        measure adl q$q-ana-2t ana 2 adl -- $ANA run examples/adl/q$q.ana "$ADL" -o "$o-q$q-ana-2t" -q --threads 2 "${extra[@]}"
        measure adl q$q-ana-1t ana 1 adl -- $ANA run examples/adl/q$q.ana "$ADL" -o "$o-q$q-ana-1t" -q --threads 1 "${extra[@]}"
        measure adl q$q-stack python 1 adl -- "$PY" bench/adl_stack.py --query $q -o "$o-q$q-stack.json" "$ADL"
        if [[ -f $o-q$q-stack.json && -d $o-q$q-ana-2t ]]; then check "adl/q$q" adl "$o-q$q-ana-2t" "$o-q$q-stack.json"; fi
    done
}

# --- main -----------------------------------------------------------------------------------

START=$(date +%s)
read -r LOAD _ </proc/loadavg
if ((${LOAD%%.*} >= 1)); then
    log "warning: the machine is busy (load average $LOAD): other work will skew the timings"
fi
build
python_env
record "$(python3 bench/report.py env --python "$PY" --ana "$ANA" --mode "$MODE" --reps "$REPS")"
data
dimuon
memory
floor
parts
adl
STAMP=$(date -u +%Y%m%d-%H%M%S)
python3 bench/report.py summarize "$RAW" -o "$RESULTS/latest.json" --seconds $(($(date +%s) - START)) >"$RESULTS/latest.md"
cp "$RESULTS/latest.json" "$RESULTS/$MODE-$STAMP.json"
cat "$RESULTS/latest.md"
if [[ $MODE == full ]] && ((UPDATE)); then
    if python3 bench/report.py update "$RESULTS/latest.json" BENCHMARKS.md; then log "BENCHMARKS.md updated"; fi
fi
log "done in $(($(date +%s) - START)) s; results: $RESULTS/latest.json"
if ((FAILED)); then
    log "some measurements failed or outputs differ: see 'Notes and failures' above"
    exit 1
fi
