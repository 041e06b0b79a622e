#!/usr/bin/env python3
"""bench/flood_summary.py WORK OUT: the result of bench/flood_isolation.sh.

Reads what the script left in WORK (config.json, runs.txt, failed.txt, and
per run the hit-path client's JSON, /metrics, CPU and time snapshots at its
start and end, and the flood clients' JSON) and writes OUT: every run, the
median of each kind, the ratios over the hit path alone (A), and the flood's
answers (signed or tryLater). Prints a short summary."""
import glob
import json
import os
import re
import statistics
import sys

work, out = sys.argv[1], sys.argv[2]
QUANTITIES = ("p50_us", "p99_us", "p999_us", "served_rps")


def load(name):
    try:
        with open(os.path.join(work, name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def lines(name):
    try:
        with open(os.path.join(work, name)) as f:
            return [l.strip() for l in f if l.strip()]
    except OSError:
        return []


def delta(a, b, key):
    return round(b.get(key, 0) - a.get(key, 0), 3)


def by_name(a, b):
    """CPU seconds per thread name between two snapshots ("TID:NAME" keys)."""
    out = {}
    for key in b:
        name = key.partition(":")[2]
        if name:
            out[name] = round(out.get(name, 0) + delta(a, b, key), 3)
    return out


config = load("config.json") or {}
failed = lines("failed.txt")


def hit_of(label):
    h = load(label + ".json") or {}
    e, v = h.get("errors", {}), h.get("verified", {})
    # No answer in the measured window: there is no latency to speak of.
    lat = h.get("latency", {}) if h.get("answers") else {}
    span = (h.get("warmup_s") or 0) + (h.get("measured_s") or 0)
    return {
        # Answers over the whole run, warm-up included. The same as
        # throughput_rps while the hit path keeps up; when it falls behind,
        # the open loop serves requests in the order they fell due, and those
        # due after the warm-up (the only ones throughput_rps counts) may
        # never be reached.
        "served_rps": h.get("answers_total", 0) / span if span else None,
        "throughput_rps": h.get("throughput_rps"), "offered_rate": h.get("offered_rate"),
        "p50_us": lat.get("p50_us"), "p99_us": lat.get("p99_us"), "p999_us": lat.get("p999_us"),
        "max_us": lat.get("max_us"), "answers": h.get("answers"), "answers_total": h.get("answers_total"),
        # Open loop: due by the end but never sent, because the responder was behind.
        "unsent": h.get("unsent"),
        "errors": sum(e.get(k, 0) for k in ("http", "ocsp", "transport", "timeouts")),
        "verified": v.get("checked"), "wrong": v.get("wrong"),
        "passed": bool(h) and label not in failed,
    }


def flood_of(name):
    r = load(name + ".json") or {}
    e = r.get("errors", {})
    total = r.get("answers_total", 0)
    # Every OCSP-level error a flood client saw is tryLater: the requests are
    # well formed and name our CA.
    return {
        "connections": r.get("connections"), "answers_total": total,
        "answered": total - e.get("ocsp", 0) - e.get("http", 0), "trylater": e.get("ocsp", 0),
        "http_errors": e.get("http", 0), "transport_errors": e.get("transport", 0),
        "timeouts": e.get("timeouts", 0),
        "answers_per_s": total / r["measured_s"] if r.get("measured_s") else None,
        "client_cpu_s": (load(name + ".cpu") or {}).get("total"),
        "client_wait_s": (load(name + ".cpu") or {}).get("wait"),
    }


runs = []
for label in lines("runs.txt"):
    kind, rnd = label[4], label[5:]
    m0, m1 = load(label + ".m0") or {}, load(label + ".m1") or {}
    c0, c1 = load(label + ".c0") or {}, load(label + ".c1") or {}
    k0, k1 = load(label + ".k0") or {}, load(label + ".k1") or {}
    t0, t1 = load(label + ".t0") or 0, load(label + ".t1") or 0
    threads = c1.get("threads", {})
    run = {
        "label": label, "kind": kind, "round": int(rnd), "hit": hit_of(label),
        # From just before the flood starts to the end of the hit-path run.
        "seconds": round(t1 - t0, 3),
        # Empty when a scrape failed (during an overload it competes with the flood).
        "server": {k: delta(m0, m1, k) for k in m1 if k in m0},
        "responder_cpu_s": delta(c0, c1, "total"),
        # Time the responder's threads were runnable but not running, summed
        # over them: what their core's other work, and each other, cost them.
        "responder_wait_s": delta(c0, c1, "wait"),
        # By thread name (kw-loop0 is the event loop, kw-signer the signer
        # thread), where the responder names its threads.
        "threads_cpu_s": by_name(c0.get("threads", {}), threads),
        "hit_client_cpu_s": (load(label + ".cpu") or {}).get("total"),
        "hit_client_wait_s": (load(label + ".cpu") or {}).get("wait"),
        # The two busiest responder threads: in B and C the event loop and
        # the signer thread, sharing one core.
        "busiest_threads_cpu_s": sorted((delta(c0.get("threads", {}), threads, t) for t in threads),
                                        reverse=True)[:2],
        # All the work each core did; on the server core, what is not the
        # responder's belongs to someone else (the machine may be shared).
        "server_core_busy_s": delta(k0, k1, "server"),
        "client_core_busy_s": delta(k0, k1, "client"),
    }
    floods = sorted(re.match(r"flood-(.+)-" + kind + rnd + r"\.json$", os.path.basename(p)).group(1)
                    for p in glob.glob(os.path.join(work, f"flood-*-{kind}{rnd}.json")))
    if floods:
        run["flood"] = {f: flood_of(f"flood-{f}-{kind}{rnd}") for f in floods}
    runs.append(run)

kinds = sorted({r["kind"] for r in runs})


def median(kind, key):
    v = [r["hit"][key] for r in runs if r["kind"] == kind and r["hit"][key] is not None]
    return statistics.median(v) if v else None


def ratio(a, b):
    return a / b if a is not None and b else None


def summed(kind, get):
    return sum(get(r) or 0 for r in runs if r["kind"] == kind)


medians = {k: {q: median(k, q) for q in QUANTITIES + ("unsent",)} for k in kinds}
ratios = {
    k: {q.replace("_us", "").replace("served_rps", "throughput"): ratio(medians[k][q], medians.get("A", {}).get(q))
        for q in QUANTITIES}
    for k in kinds if k != "A"
}

def median_of(kind, get):
    v = [get(r) for r in runs if r["kind"] == kind and get(r) is not None]
    return statistics.median(v) if v else None


# How the responder's core was used: in B and C the event loop and the signer
# thread take turns on it.
responder = {
    k: {
        "seconds": median_of(k, lambda r: r["seconds"]),
        "cpu_s": median_of(k, lambda r: r["responder_cpu_s"]),
        "wait_s": median_of(k, lambda r: r["responder_wait_s"]),
        "busiest_thread_cpu_s": median_of(k, lambda r: (r["busiest_threads_cpu_s"] + [0, 0])[0]),
        "second_thread_cpu_s": median_of(k, lambda r: (r["busiest_threads_cpu_s"] + [0, 0])[1]),
        "loop_cpu_s": median_of(k, lambda r: r["threads_cpu_s"].get("kw-loop0")),
        "signer_cpu_s": median_of(k, lambda r: r["threads_cpu_s"].get("kw-signer")),
        "server_core_busy_s": median_of(k, lambda r: r["server_core_busy_s"]),
    }
    for k in kinds
}
flood = {}
for k in kinds:
    if k == "A":
        continue
    flood[k] = {
        # By the responder's counters, over the hit-path runs (all rounds).
        "server": {c: summed(k, lambda r, c=c: r["server"].get(c))
                   for c in ("live_signatures", "live_trylater", "negative_cache_hits", "answers_trylater")},
        # As the flood clients saw it, over their whole runs (all rounds).
        "clients": {f: {c: summed(k, lambda r, f=f, c=c: r.get("flood", {}).get(f, {}).get(c))
                        for c in ("answers_total", "answered", "trylater", "transport_errors", "timeouts")}
                    for f in sorted({f for r in runs if r["kind"] == k for f in r.get("flood", {})})},
        "connections": sum(f.get("connections") or 0
                           for f in next((r.get("flood", {}) for r in runs if r["kind"] == k), {}).values()),
    }
result = {
    "config": config,
    "kinds": {
        "A": "hit path alone",
        "B": "hit path during a flood the signer queue holds (every flood request signed)",
        "C": "hit path during a flood beyond the signer queue (the excess answered tryLater)",
        "D": "hit path during a flood of cached requests, as many connections as C (control: no live signing)",
    },
    "runs": runs,
    "median": medians,
    "ratio_over_a": ratios,
    "responder": responder,
    "flood": flood,
    "hit_wrong": sum(r["hit"]["wrong"] or 0 for r in runs),
    "hit_errors": sum(r["hit"]["errors"] or 0 for r in runs),
    "failed": failed,
    "passed": bool(runs) and not failed and all(r["hit"]["passed"] for r in runs),
}
with open(out, "w") as f:
    json.dump(result, f, indent=2)


def fmt(v, digits=3, suffix=""):
    return "n/a" if v is None else f"{v:,.{digits}f}{suffix}"


def ms(v):
    return None if v is None else v / 1000


for k in kinds:
    m = medians[k]
    line = (f"{k} {result['kinds'].get(k, '?')}: p50 {fmt(ms(m['p50_us']), 3, ' ms')}, "
            f"p99 {fmt(ms(m['p99_us']), 3, ' ms')}, {fmt(m['served_rps'], 0)} answers/s, "
            f"{fmt(m['unsent'], 0)} unsent")
    if k != "A":
        r = ratios[k]
        s = flood[k]["server"]
        line += (f"; over A: p50 {fmt(r['p50'], 2, 'x')}, p99 {fmt(r['p99'], 2, 'x')}, "
                 f"throughput {fmt(r['throughput'], 2, 'x')}; flood: {s['live_signatures']:,.0f} signed, "
                 f"{s['live_trylater']:,.0f} tryLater")
    print(line)
print(f"hit path: {result['hit_wrong']} wrong answers, {result['hit_errors']} errors: "
      f"{'passed' if result['passed'] else 'FAILED'}")
