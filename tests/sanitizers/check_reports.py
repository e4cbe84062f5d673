"""Reads the sanitizer reports of a test run under scripts/test-asan.sh (ASan's and
UBSan's log_path files, one per process) and fails on any finding of iamcore.

Every process of the run has the sanitizer runtime preloaded, but only some load
the sanitized iamcore (the test processes and the command-line processes they
start); the others (the emulator, shells, compilers, PostgreSQL, Node without the
addon) are checked for memory errors too, but their own leaks are theirs:

- an AddressSanitizer error (overflow, use after free, ...) or an UndefinedBehavior
  Sanitizer error in any process fails;
- a leak fails when one of its allocation frames is in iamcore: the C core, the
  Python or Node glue, or libcurl / cJSON, which only iamcore uses in these
  processes (a leaked handle or tree of theirs is iamcore's). Other leaks are
  counted and ignored;
- a process whose leak check could not run (LeakSanitizer fails to stop the
  threads of a process that exits mid-fetch) is counted.

    python3 tests/sanitizers/check_reports.py REPORT_DIR

Prints each failing report in full (reports hold addresses and stack frames,
never memory contents) and a summary line; exit status 1 on any failure.
"""

import os
import re
import sys

# Frames that make a leak iamcore's: its sources (symbolized frames) and the
# modules of the sanitized builds, libcurl and cJSON (unsymbolized frames).
IAMCORE_FRAME = re.compile(
    r"(?:^|[\s/])(?:csrc|python/iamcore|node/src)/[\w.]+\.[ch]:"
    r"|\(\S*/iamcore/_native[\w.-]*\.so\+|\(\S*/iamcore\.node\+"
    r"|\(\S*/libcurl[\w.-]*\.so[\d.]*\+|\(\S*/libcjson[\w.-]*\.so[\d.]*\+"
)
LEAK_HEADER = re.compile(r"^(Direct|Indirect) leak of (\d+) byte")
FRAME = re.compile(r"^\s+#\d+ ")
LSAN_FAILED = re.compile(r"LeakSanitizer has encountered a fatal error")
ERROR_LINE = re.compile(r"ERROR: AddressSanitizer|runtime error:|ERROR: UndefinedBehaviorSanitizer")


def leaks(text):
    """Each leak entry of a LeakSanitizer report: (header line, [frame lines])."""
    entries, current = [], None
    for line in text.splitlines():
        if LEAK_HEADER.match(line):
            current = (line, [])
            entries.append(current)
        elif current is not None and FRAME.match(line):
            current[1].append(line)
        elif current is not None and not line.strip():
            current = None
    return entries


def check(directory):
    failures, ignored_leaks, files, unchecked = [], 0, 0, 0
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        files += 1
        if LSAN_FAILED.search(text):
            unchecked += 1  # LeakSanitizer could not stop the threads: no leak report
        if ERROR_LINE.search(text):
            failures.append((name, "a memory or undefined-behaviour error", text))
            continue
        mine = []
        for header, frames in leaks(text):
            if any(IAMCORE_FRAME.search(frame) for frame in frames):
                mine.append("\n".join([header] + frames))
            else:
                ignored_leaks += 1
        if mine:
            failures.append((name, "%d leak(s) of iamcore" % len(mine), "\n\n".join(mine)))
    return failures, ignored_leaks, files, unchecked


def main(argv):
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        sys.stderr.write("usage: check_reports.py REPORT_DIR\n")
        return 2
    failures, ignored, files, unchecked = check(argv[1])
    for name, what, text in failures:
        print("== %s: %s\n%s\n" % (name, what, text))
    print("sanitizer reports: %d file(s), %d finding(s) of iamcore, %d leak(s) of other programs "
          "ignored, %d process(es) whose leak check could not run" % (files, len(failures), ignored, unchecked))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
