#!/usr/bin/env bash
# Runs the C test programs given as arguments with the local emulator running
# (its addresses in IAMCORE_EMULATOR_* variables), then prints one total line.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

info=$(mktemp)
coproc EMU { exec python3 "$root/tests/emulator/iam_emulator.py" --exit-on-stdin-eof; }
read -r line <&"${EMU[0]}" || { echo "the emulator did not start" >&2; exit 1; }
export IAMCORE_EMULATOR_HTTP=$(python3 -c 'import json,sys;print(json.loads(sys.argv[1])["http"])' "$line")
export IAMCORE_EMULATOR_HTTPS=$(python3 -c 'import json,sys;print(json.loads(sys.argv[1])["https"])' "$line")
export IAMCORE_EMULATOR_CA=$(python3 -c 'import json,sys;print(json.loads(sys.argv[1])["ca_file"])' "$line")
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

passed=0 failed=0
for t in "$@"; do
    echo "== $(basename "$t")"
    out=$("$t")
    rc=$?
    echo "$out"
    p=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' | tail -n1)
    f=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' | tail -n1)
    passed=$((passed + ${p:-0}))
    if [ $rc -ne 0 ] || [ -z "$p" ]; then
        failed=$((failed + ${f:-0}))
        [ "${f:-0}" -eq 0 ] && failed=$((failed + 1)) # crashed: sanitizer report above
    fi
done
exec {EMU[1]}>&-
wait "$EMU_PID" 2>/dev/null
rm -f "$info"
echo "C: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
