#!/usr/bin/env bash
# Replays every committed corpus file through its fuzz target (built by
# `make test-fuzz-replay` with gcc + ASan/UBSan), then prints one total line.
# Arguments: target names (fuzz_<name>.c, corpus/<name>/).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

failed=0 inputs=0
for name in "$@"; do
    corpus="$root/tests/fuzz/corpus/$name"
    if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
        echo "FAIL fuzz_$name: no corpus in tests/fuzz/corpus/$name" >&2
        failed=$((failed + 1))
        continue
    fi
    if out=$("$root/build/c/fuzz-replay/fuzz_$name" "$corpus"); then
        echo "ok   $out"
        n=$(echo "$out" | sed -n 's/.*: \([0-9]*\) inputs replayed$/\1/p')
        inputs=$((inputs + ${n:-0}))
    else
        echo "FAIL fuzz_$name (the input and the report are above)" >&2
        failed=$((failed + 1))
    fi
done
echo "fuzz replay: $# targets, $inputs inputs, $failed failed"
[ "$failed" -eq 0 ]
