#!/usr/bin/env bash
# A fuzzing campaign: runs each libFuzzer target (make fuzz, clang) for a fixed
# time, starting from its committed corpus, and prints per target the
# executions, the coverage libFuzzer reached and the findings. See
# tests/fuzz/README.md; the last results are in docs/fuzzing.md.
#
#   scripts/fuzz.sh [-t SECONDS] [-j JOBS] [--merge] [--coverage] [TARGET...]
#
#   -t SECONDS   time per target [300]; 0: no fuzzing, only the reports on the
#                work corpora of an earlier campaign (with --merge, --coverage)
#   -j JOBS      targets run at the same time [1]
#   --merge      add the new inputs that reach new coverage to tests/fuzz/corpus
#   --coverage   afterwards, line coverage of csrc/ by the final corpora (gcov)
#   TARGET       names as in tests/fuzz/fuzz_<name>.c [all]
#
# Work files go to build/fuzz-campaign/: logs/, corpus/<target>/ (new inputs),
# findings/<target>/ (crash-*, leak-*, timeout-* inputs: replay one with
# build/c/fuzz-replay/fuzz_<target> FILE) and results.md (the table printed).
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=300 jobs=1 merge=0 coverage=0 targets=()
while [ $# -gt 0 ]; do
    case "$1" in
    -t) seconds="$2"; shift 2 ;;
    -j) jobs="$2"; shift 2 ;;
    --merge) merge=1; shift ;;
    --coverage) coverage=1; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
    esac
done
if [ ${#targets[@]} -eq 0 ]; then
    for f in tests/fuzz/fuzz_*.c; do
        n=$(basename "$f" .c)
        targets+=("${n#fuzz_}")
    done
fi
command -v "${FUZZ_CC:-clang}" >/dev/null ||
    { echo "clang is needed for libFuzzer: scripts/deps.sh --fuzz installs it" >&2; exit 1; }

make -s fuzz || exit 1
work=build/fuzz-campaign
mkdir -p "$work/logs"

run_one() {
    local t="$1"
    local corpus="$work/corpus/$t" findings="$work/findings/$t"
    mkdir -p "$corpus" "$findings"
    local dict=()
    [ -f "tests/fuzz/dict/$t.dict" ] && dict=(-dict="tests/fuzz/dict/$t.dict")
    # The first directory receives the new inputs; the committed corpus is read only.
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "build/c/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$findings/" "${dict[@]}" \
        "$corpus" "tests/fuzz/corpus/$t" >"$work/logs/$t.log" 2>&1
    echo $? >"$work/logs/$t.rc"
}

for t in "${targets[@]}"; do
    [ -f "tests/fuzz/fuzz_$t.c" ] || { echo "no target $t" >&2; exit 2; }
done
if [ "$seconds" -gt 0 ]; then
    echo "$(date -u +%Y-%m-%dT%H:%MZ) $seconds $jobs" >"$work/started"
    echo "fuzzing ${#targets[@]} targets, ${seconds} s each, $jobs at a time (logs in $work/logs)"
    running=0
    for t in "${targets[@]}"; do
        run_one "$t" &
        running=$((running + 1))
        if [ "$running" -ge "$jobs" ]; then
            wait -n
            running=$((running - 1))
        fi
    done
    wait
fi
read -r start seconds jobs <"$work/started" || { echo "no campaign in $work" >&2; exit 1; }

stat() { sed -n "s/^stat::$2: *\([0-9]*\).*/\1/p" "$work/logs/$1.log" | tail -n1; }
results="$work/results.md"
{
    echo "Campaign of $start, ${seconds} s per target, $jobs at a time, on $(nproc) cores" \
         "($(uname -m), $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n1)), $(${FUZZ_CC:-clang} --version | head -n1)."
    echo
    echo "| target | executions | exec/s | coverage (cov / ft) | corpus (committed + new) | peak RSS MB | findings |"
    echo "|---|---:|---:|---|---|---:|---|"
} >"$results"
total_findings=0
for t in "${targets[@]}"; do
    log="$work/logs/$t.log"
    last=$(grep -E '^#[0-9]+' "$log" | tail -n1)
    cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    committed=$(ls "tests/fuzz/corpus/$t" | wc -l)
    new=$(ls "$work/corpus/$t" | wc -l)
    found=$(ls "$work/findings/$t" | wc -l)
    total_findings=$((total_findings + found))
    what="none"
    [ "$found" -gt 0 ] && what="$found: $(ls "$work/findings/$t" | sed 's/-.*//' | sort | uniq -c | awk '{printf "%s%s %s", sep, $1, $2; sep=", "}')"
    echo "| $t | $(stat "$t" number_of_executed_units) | $(stat "$t" average_exec_per_sec) | ${cov:-?} / ${ft:-?} | $committed + $new | $(stat "$t" peak_rss_mb) | $what |" >>"$results"
done
cat "$results"

if [ "$merge" -eq 1 ]; then
    for t in "${targets[@]}"; do
        before=$(ls "tests/fuzz/corpus/$t" | wc -l)
        "build/c/fuzz/fuzz_$t" -merge=1 "tests/fuzz/corpus/$t" "$work/corpus/$t" >"$work/logs/$t.merge.log" 2>&1
        echo "merged $t: $before -> $(ls "tests/fuzz/corpus/$t" | wc -l) files"
    done
fi

if [ "$coverage" -eq 1 ]; then
    # gcc --coverage builds of the replay driver, run over every corpus; the
    # counts of all targets add up in the same object files.
    cov=build/fuzz-coverage
    rm -rf "$cov" && mkdir -p "$cov"
    flags="-O0 -g --coverage -std=c11 -Icsrc/include -Icsrc -Itests/fuzz $(pkg-config --cflags libcurl libcjson libcrypto)"
    libs="$(pkg-config --libs libcurl libcjson libcrypto) -lpthread -lm"
    for f in csrc/*.c; do
        gcc $flags -c "$f" -o "$cov/$(basename "$f" .c).o" || exit 1
    done
    for t in "${targets[@]}"; do
        gcc $flags "tests/fuzz/fuzz_$t.c" tests/fuzz/replay.c "$cov"/*.o $libs -o "$cov/fuzz_$t" ||
            exit 1
        "$cov/fuzz_$t" "tests/fuzz/corpus/$t" "$work/corpus/$t" >/dev/null 2>&1
    done
    # Per file: the lines of the functions the targets reach (the parsers and
    # their helpers), then the whole file, which also holds network and process
    # code no target runs.
    echo
    echo "| file | lines of the functions reached | whole file |"
    echo "|---|---|---|"
    (cd "$cov" && for f in ../../csrc/*.c; do
        gcov -n -f -o . "$f" 2>/dev/null | awk -v f="$(basename "$f")" '
            /^Function / { fn = 1; next }
            /^File / { file = 1; fn = 0; next }
            /^Lines executed:/ {
                split($0, a, /[:% ]+/); pct = a[3]; n = a[5]
                if (fn && pct > 0) { hit += pct * n / 100; tot += n }
                if (file && !done) { fpct = pct; fn_ = n; done = 1 }
                fn = 0
            }
            END { if (tot > 0) printf "| %s | %.0f%% of %d | %.0f%% of %d |\n", f, 100 * hit / tot, tot, fpct, fn_ }'
    done)
fi

echo "findings: $total_findings"
[ "$total_findings" -eq 0 ]
