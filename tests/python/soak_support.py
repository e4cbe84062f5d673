"""Measuring tools of the soak test (test_soak.py) and of scripts/soak.sh: a latency
histogram cheap enough for millions of calls, resident memory samples, the table."""

import base64
import json
import math
import os
import resource


def soak_seconds(default=30.0):
    """IAMCORE_SOAK_SECONDS: how long each language's soak runs."""
    value = os.environ.get("IAMCORE_SOAK_SECONDS", "")
    seconds = float(value) if value.strip() else default
    if not 5 <= seconds <= 24 * 3600:
        raise ValueError("IAMCORE_SOAK_SECONDS must be 5 to 86400")
    return seconds


def jwt_exp(token):
    """The exp claim of a JWT (the emulator's tokens are JWTs)."""
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))["exp"]


class LatencyHistogram:
    """Durations in 20 logarithmic buckets per decade from 100 ns to 1000 s (each bucket
    ~12 % wide): percentiles are reported as the upper edge of their bucket, the maximum
    exactly. Fixed size, so keeping it does not grow memory."""

    PER_DECADE = 20
    LOW = 1e-7
    BUCKETS = 10 * PER_DECADE + 1

    def __init__(self):
        self.counts = [0] * self.BUCKETS
        self.count = 0
        self.max_s = 0.0

    def add(self, seconds):
        if seconds <= self.LOW:
            i = 0
        else:
            i = min(self.BUCKETS - 1, int(math.log10(seconds / self.LOW) * self.PER_DECADE) + 1)
        self.counts[i] += 1
        self.count += 1
        if seconds > self.max_s:
            self.max_s = seconds

    @classmethod
    def merge(cls, histograms):
        out = cls()
        for h in histograms:
            out.counts = [a + b for a, b in zip(out.counts, h.counts)]
            out.count += h.count
            out.max_s = max(out.max_s, h.max_s)
        return out

    def percentile_s(self, p):
        if not self.count:
            return 0.0
        rank = math.ceil(self.count * p / 100)
        seen = 0
        for i, n in enumerate(self.counts):
            seen += n
            if seen >= rank:
                return min(self.max_s, self.LOW * 10 ** (i / self.PER_DECADE))
        return self.max_s

    def summary_ms(self):
        return {"p50": round(self.percentile_s(50) * 1000, 4),
                "p99": round(self.percentile_s(99) * 1000, 4),
                "max": round(self.max_s * 1000, 4)}


class Rss:
    """Resident set size samples; growth is measured from the first sample after warm-up."""

    PAGE = resource.getpagesize()

    def __init__(self, warmup_until):
        self.warmup_until = warmup_until
        self.samples = []  # after warm-up only

    @staticmethod
    def now():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * Rss.PAGE

    def sample(self):
        import time

        if time.perf_counter() >= self.warmup_until:
            self.samples.append(self.now())

    def growth(self):
        return max(self.samples) - self.samples[0] if self.samples else 0

    def baseline_mib(self):
        return round(self.samples[0] / 1048576, 1) if self.samples else 0.0


def print_table(result):
    """One soak's figures as an aligned two-column table."""
    valid = result["valid_token_latency_ms"]
    waiting = result["waiting_latency_ms"]
    rows = [
        ("soak", f"{result['language']}, {result['callers']} callers, {result['seconds']:g} s"),
        ("token shape", f"refresh due {result['refresh_after_s']} s after issue, usable "
                        f"{result['grace_s']} s more; IAM answers in {result['iam_delay_s']} s"),
        ("authenticate() calls", f"{result['calls']:,}"),
        ("IAM requests", f"{result['iam_requests']} ({result['refreshes_ok']} successful, "
                         f"{result['failed_requests']} failed = {result['failed_refreshes']} "
                         f"failed refreshes)"),
        ("tokens handed out", str(result["tokens_seen"])),
        ("expired handed out", f"{result['expired_handed_out']} (least life left "
                               f"{result['least_life_left_s']} s)"),
        ("calls with a valid token", f"{result['valid_token_calls']:,}: p50 {valid['p50']} ms, "
                                     f"p99 {valid['p99']} ms, max {valid['max']} ms"),
        ("calls without one", f"{result['waiting_calls']:,}: p50 {waiting['p50']} ms, "
                              f"p99 {waiting['p99']} ms, max {waiting['max']} ms"),
        ("errors", f"{result['errors_with_valid_token']} with a valid token, "
                   f"{result['errors_without_valid_token']} without"),
        ("resident memory", f"{result['rss_start_mib']} MiB after warm-up, "
                            f"growth {result['rss_growth_kib']} KiB"),
    ]
    width = max(len(name) for name, _ in rows)
    print()
    for name, value in rows:
        print(f"  {name.ljust(width)}  {value}")


def machine():
    """One line about where a soak ran: date, CPU, cores, kernel, runtimes."""
    import datetime
    import platform
    import subprocess
    import sys

    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    def version(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "?"

    curl = version(["curl-config", "--version"]) or version(["pkg-config", "--modversion", "libcurl"])
    return (f"{datetime.date.today().isoformat()}, {cpu}, {os.cpu_count()} cores, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
            f"Node {version(['node', '--version']).lstrip('v')}, {curl}, "
            f"{version(['openssl', 'version']).split(' (')[0]}")


def markdown(results):
    """The soaks of a results file (one JSON object a line) as a markdown table."""
    rows = [
        ("length", lambda r: f"{r['seconds']:g} s"),
        ("callers", lambda r: str(r["callers"])),
        ("authenticate() calls", lambda r: f"{r['calls']:,}"),
        ("IAM requests", lambda r: f"{r['iam_requests']} ({r['refreshes_ok']} successful, "
                                   f"{r['failed_requests']} failed)"),
        ("failed refreshes", lambda r: str(r["failed_refreshes"])),
        ("tokens handed out", lambda r: str(r["tokens_seen"])),
        ("expired handed out", lambda r: str(r["expired_handed_out"])),
        ("least life left at hand-out", lambda r: f"{r['least_life_left_s']} s"),
        ("latency, valid token cached (p50 / p99 / max)",
         lambda r: "{p50} / {p99} / {max} ms".format(**r["valid_token_latency_ms"])),
        ("calls with a valid token", lambda r: f"{r['valid_token_calls']:,}"),
        ("latency, no valid token (p50 / p99 / max)",
         lambda r: "{p50} / {p99} / {max} ms".format(**r["waiting_latency_ms"])),
        ("calls without one", lambda r: f"{r['waiting_calls']:,}"),
        ("errors with / without a valid token",
         lambda r: f"{r['errors_with_valid_token']} / {r['errors_without_valid_token']}"),
        ("resident memory after warm-up", lambda r: f"{r['rss_start_mib']} MiB"),
        ("resident memory growth", lambda r: f"{r['rss_growth_kib']} KiB"
         + (f" ({r['native_growth_kib']} KiB outside the JS heap, {r['js_heap_growth_kib']} KiB"
            " JS heap in use)" if "native_growth_kib" in r else "")),
    ]
    lines = ["| | " + " | ".join(r["language"].capitalize() for r in results) + " |",
             "|---|" + "---|" * len(results)]
    for name, cell in rows:
        lines.append(f"| {name} | " + " | ".join(cell(r) for r in results) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 2:
        sys.exit("usage: soak_support.py RESULTS.jsonl  (prints the machine line and a table)")
    with open(sys.argv[1]) as f:
        results = [json.loads(line) for line in f if line.strip()]
    print(machine())
    print()
    print(markdown(results))
