'use strict';
// Measuring tools of soak.test.js (the same as tests/python/soak_support.py): a latency
// histogram cheap enough for millions of calls, the soak length, a JWT's exp, the table.

/** IAMCORE_SOAK_SECONDS: how long each language's soak runs (30 by default). */
function soakSeconds(fallback = 30) {
  const raw = (process.env.IAMCORE_SOAK_SECONDS || '').trim();
  const seconds = raw ? Number(raw) : fallback;
  if (!(seconds >= 5 && seconds <= 86400)) throw new Error('IAMCORE_SOAK_SECONDS must be 5 to 86400');
  return seconds;
}

/** The exp claim of a JWT (the emulator's tokens are JWTs), in epoch seconds. */
function jwtExp(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).exp;
}

/** Durations (ms) in 20 logarithmic buckets per decade from 100 ns to 1000 s; percentiles
 * are the upper edge of their bucket (~12 % wide), the maximum is exact. */
class LatencyHistogram {
  static PER_DECADE = 20;
  static LOW_MS = 1e-4;
  static BUCKETS = 10 * 20 + 1;

  constructor() {
    this.counts = new Float64Array(LatencyHistogram.BUCKETS);
    this.count = 0;
    this.maxMs = 0;
  }

  add(ms) {
    const H = LatencyHistogram;
    const i = ms <= H.LOW_MS ? 0 : Math.min(H.BUCKETS - 1, Math.floor(Math.log10(ms / H.LOW_MS) * H.PER_DECADE) + 1);
    this.counts[i] += 1;
    this.count += 1;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  percentileMs(p) {
    if (this.count === 0) return 0;
    const rank = Math.ceil((this.count * p) / 100);
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(this.maxMs, LatencyHistogram.LOW_MS * 10 ** (i / LatencyHistogram.PER_DECADE));
    }
    return this.maxMs;
  }

  summary() {
    const r = (x) => Math.round(x * 1e4) / 1e4;
    return { p50: r(this.percentileMs(50)), p99: r(this.percentileMs(99)), max: r(this.maxMs) };
  }
}

/** One soak's figures as an aligned two-column table (the rows of the Python one). */
function formatTable(r) {
  const v = r.valid_token_latency_ms;
  const w = r.waiting_latency_ms;
  const n = (x) => x.toLocaleString('en-US');
  const rows = [
    ['soak', `${r.language}, ${r.callers} callers, ${r.seconds} s`],
    ['token shape', `refresh due ${r.refresh_after_s} s after issue, usable ${r.grace_s} s more; IAM answers in ${r.iam_delay_s} s`],
    ['authenticate() calls', n(r.calls)],
    ['IAM requests', `${r.iam_requests} (${r.refreshes_ok} successful, ${r.failed_requests} failed = ${r.failed_refreshes} failed refreshes)`],
    ['tokens handed out', String(r.tokens_seen)],
    ['expired handed out', `${r.expired_handed_out} (least life left ${r.least_life_left_s} s)`],
    ['calls with a valid token', `${n(r.valid_token_calls)}: p50 ${v.p50} ms, p99 ${v.p99} ms, max ${v.max} ms`],
    ['calls without one', `${n(r.waiting_calls)}: p50 ${w.p50} ms, p99 ${w.p99} ms, max ${w.max} ms`],
    ['errors', `${r.errors_with_valid_token} with a valid token, ${r.errors_without_valid_token} without`],
    ['resident memory', `${r.rss_start_mib} MiB after warm-up, growth ${r.rss_growth_kib} KiB` +
      (r.native_growth_kib === undefined ? '' : ` (outside the JS heap ${r.native_growth_kib} KiB, JS heap in use ${r.js_heap_growth_kib} KiB)`)],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return ['', ...rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`)].join('\n');
}

module.exports = { soakSeconds, jwtExp, LatencyHistogram, formatTable };
