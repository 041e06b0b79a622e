#!/usr/bin/env python3
"""bench/report.py OUT_DIR BENCH_DIR: turn the JSON that bench/compare.sh
left in OUT_DIR into OUT_DIR/results.json, BENCH_DIR/RESULTS.md and
BENCH_DIR/latency.png (gnuplot). Every comparison is a ratio of two figures
measured in the same run. Hand-written notes about the last full run, in
BENCH_DIR/results_notes.md, are appended as they are."""
import glob
import json
import os
import re
import subprocess
import sys

out_dir, bench_dir = sys.argv[1], sys.argv[2]


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


meta = load(os.path.join(out_dir, "meta.json")) or {}
runs = {}
for p in glob.glob(os.path.join(out_dir, "load-*.json")):
    r = load(p)
    if r:
        runs[os.path.basename(p)[5:-5]] = r
scep = {os.path.basename(p)[5:-5]: load(p) for p in glob.glob(os.path.join(out_dir, "scep-*.json"))}
prop = load(os.path.join(out_dir, "propagation.json"))
seed = load(os.path.join(out_dir, "seed.json"))
seed_scale = load(os.path.join(out_dir, "seed-scale.json"))
# Two warm-ups: Redis on a core of its own (the target), and on the
# responder's core (as in every other run).
scale = load(os.path.join(out_dir, "scale-own-core.json"))
scale_shared = load(os.path.join(out_dir, "scale-shared-core.json"))
micro = load(os.path.join(out_dir, "micro.json"))


def rps(label):
    # A failed run (wrong answers or errors) is no reference for a ratio.
    r = runs.get(label)
    return r["throughput_rps"] if r and r.get("answers") and r.get("passed") else None


def lat(label, q):
    r = runs.get(label)
    return r["latency"][q] / 1000.0 if r and r.get("answers") else None


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt(v, digits=0, suffix=""):
    if v is None:
        return "n/a"
    return f"{v:,.{digits}f}{suffix}"


# openssl speed, as keyward-microbench printed it.
speed = {}
try:
    with open(os.path.join(out_dir, "micro.txt")) as f:
        for line in f:
            m = re.match(r"rsa 2048 bits\s+\S+\s+\S+\s+([\d.]+)", line)
            if m:
                speed["rsa2048"] = float(m.group(1))
            m = re.search(r"ecdsa \(nistp256\)\s+\S+\s+\S+\s+([\d.]+)", line)
            if m:
                speed["ecdsap256"] = float(m.group(1))
except OSError:
    pass
micro_rates = {}
if micro:
    for b in micro.get("benchmarks", []):
        micro_rates[b["name"]] = b
sign_p256 = next((b.get("items_per_second") for n, b in micro_rates.items() if "SignLiveEcdsaP256" in n), None)
sign_rsa = next((b.get("items_per_second") for n, b in micro_rates.items() if "SignLiveRsa2048" in n), None)

# Interleaved rounds (compare.sh runs Keyward, openssl ocsp and cfssl in turn):
# the ratio targets use the median of the per-round ratios.
round_runs = {k: v for k, v in runs.items() if k.startswith("round")}
for k in round_runs:
    del runs[k]
round_ids = sorted({k.split("-")[0] for k in round_runs})


def round_rps(rid, server):
    r = round_runs.get(f"{rid}-{server}")
    return r["throughput_rps"] if r and r.get("answers") and r.get("passed") else None


def median(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


round_ratio = {
    srv: median(ratio(round_rps(rid, "kw"), round_rps(rid, srv)) for rid in round_ids) for srv in ("os", "cf")
}
signer_core = load(os.path.join(out_dir, "signer-core.json")) or {}

half = runs.get("kw-open-half-post")
resp_bytes_1m = seed_scale.get("response_bytes") if seed_scale else None
rss_1m = scale.get("rss_bytes") if scale else None
scep_rate = lambda k: scep.get(k, {}).get("enrollments_per_s") if scep.get(k) else None
scep_rounds = sorted({k.rsplit("-", 1)[1] for k in scep if re.search(r"-r\d+$", k)})


def scep_ratio(c):
    # Median over rounds of keyward-issuer / scepserver, each round measured in turn.
    return median(ratio(scep_rate(f"kw-c{c}-{r}"), scep_rate(f"mm-c{c}-{r}")) for r in scep_rounds)


targets = [
    ("Hit path, keep-alive, no nonce: Keyward GET / nginx GET (same DER files)", ratio(rps("kw-ka-get"), rps("ng-ka-get")), ">=", 1.0, "x"),
    ("Hit path, keep-alive, no nonce: Keyward POST / nginx GET", ratio(rps("kw-ka-post"), rps("ng-ka-get")), ">=", 1.0, "x"),
    (f"Keyward POST / cfssl ocspserve POST (median of {len(round_ids)} interleaved rounds)", round_ratio["cf"], ">=", 10.0, "x"),
    (f"Keyward POST / openssl ocsp POST (median of {len(round_ids)} interleaved rounds)", round_ratio["os"], ">=", 20.0, "x"),
    ("Nonce path, per signer core: signatures per CPU-second of the signer thread / openssl speed ecdsap256",
     ratio(signer_core.get("signatures_per_signer_cpu_s"), speed.get("ecdsap256")), ">=", 0.70, "x"),
    ("Nonce path, whole responder (HTTP, TCP and signing) on one core / openssl speed ecdsap256", ratio(rps("kw-ka-nonce"), speed.get("ecdsap256")), ">=", 0.70, "x"),
    ("SignLive P-256 alone (microbench) / openssl speed ecdsap256", ratio(sign_p256, speed.get("ecdsap256")), ">=", 0.70, "x"),
    ("p99 at 256 connections, open loop at half the peak rate (POST)", half["latency"]["p99_us"] / 1000.0 if half and half.get("answers") else None, "<=", 2.0, " ms"),
    ("Revocation propagation p99, from `keyward revoke` exit, 2 responders", prop["from_revoke_exit_ms"]["p99"] if prop else None, "<=", 50.0, " ms"),
    ("Revocation propagation p99, from `keyward revoke` start", prop["from_revoke_start_ms"]["p99"] if prop else None, "<=", 50.0, " ms"),
    ("1M certificates: responder RSS / response bytes held", ratio(rss_1m, resp_bytes_1m), "<=", 1.5, "x"),
    ("1M certificates: warm-up from Redis (start to /healthz 200), Redis on a core of its own", scale.get("ready_s") if scale else None, "<=", 5.0, " s"),
    (f"SCEP enrollments/s, 4 connections: keyward-issuer / scepserver (median of {len(scep_rounds)} rounds)", scep_ratio(4), ">=", 3.0, "x"),
    (f"SCEP enrollments/s, 1 connection: keyward-issuer / scepserver (median of {len(scep_rounds)} rounds)", scep_ratio(1), ">=", 3.0, "x"),
]


def met(value, op, goal):
    if value is None:
        return "not measured"
    ok = value >= goal if op == ">=" else value <= goal
    return "met" if ok else "**missed**"


results = {
    "meta": meta,
    "seed": seed,
    "seed_scale": seed_scale,
    "scale": scale,
    "scale_shared_core": scale_shared,
    "runs": runs,
    "scep": scep,
    "propagation": prop,
    "ratio_rounds": {rid: {srv: round_rps(rid, srv) for srv in ("kw", "os", "cf")} for rid in round_ids},
    "signer_core": signer_core,
    "openssl_speed": speed,
    "micro": {n: {"ns_per_op": b.get("cpu_time"), "items_per_second": b.get("items_per_second")} for n, b in micro_rates.items()},
    "targets": [{"target": t, "value": v, "op": op, "goal": g, "status": met(v, op, g)} for t, v, op, g, _ in targets],
}
# --- the hit path under a live-signing flood (bench/flood_isolation.sh) ------
flood_iso = load(os.path.join(out_dir, "flood-isolation.json"))
if flood_iso:
    results["flood_isolation"] = flood_iso
# --- end of the flood isolation block -------------------------------------------

with open(os.path.join(out_dir, "results.json"), "w") as f:
    json.dump(results, f, indent=2)

# --- the chart: latency against offered load, Keyward and nginx --------------
def sweep(prefix):
    rows = []
    for label, r in runs.items():
        m = re.match(prefix + r"-open-([\d.]+)$", label)
        if m and r.get("answers"):
            rows.append((r["offered_rate"], r["throughput_rps"], r["latency"]["p50_us"] / 1000, r["latency"]["p99_us"] / 1000,
                         r["latency"]["p999_us"] / 1000, r["unsent"], r["errors"]["timeouts"] + r["errors"]["transport"]))
    return sorted(rows)


kw_sweep, ng_sweep = sweep("kw"), sweep("ng")
chart = os.path.join(bench_dir, "latency.png")
if kw_sweep or ng_sweep:
    for name, rows in (("kw", kw_sweep), ("ng", ng_sweep)):
        with open(os.path.join(out_dir, f"sweep-{name}.dat"), "w") as f:
            for row in rows:
                f.write(" ".join(str(x) for x in row) + "\n")
    script = f"""
set terminal pngcairo size 900,540 noenhanced
set output '{chart}'
set title 'OCSP GET latency vs offered load, open loop, 256 connections (server on 1 core)'
set xlabel 'offered load (requests/s)'
set ylabel 'latency (ms, log scale)'
set logscale y
set yrange [0.01:*]
set grid
set key left top
plot '{out_dir}/sweep-kw.dat' using 1:4 with linespoints lw 2 title 'Keyward p99', \\
     '{out_dir}/sweep-kw.dat' using 1:3 with linespoints dt 2 title 'Keyward p50', \\
     '{out_dir}/sweep-ng.dat' using 1:4 with linespoints lw 2 title 'nginx (static DER) p99', \\
     '{out_dir}/sweep-ng.dat' using 1:3 with linespoints dt 2 title 'nginx (static DER) p50'
"""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"report.py: gnuplot failed: {e}", file=sys.stderr)

# --- RESULTS.md ----------------------------------------------------------------
L = []
w = L.append
w("# Keyward benchmark results")
w("")
w("Generated by `bench/compare.sh` (via `bench/report.py`); do not edit by hand: the notes at the end live in")
w("`bench/results_notes.md`. Every comparison is a ratio of two figures measured in this same run, with the")
w(f"server pinned to core {meta.get('server_core', '0')} and the client (`keyward-bench`) to core {meta.get('client_core', '1')}.")
w("")
w("## Machine and run")
w("")
w("| | |")
w("|---|---|")
w(f"| date (UTC) | {meta.get('date', 'n/a')} |")
w(f"| CPU | {meta.get('cpu', 'n/a')}, {meta.get('cores', '?')} cores, {meta.get('mem_gb', '?')} GB RAM |")
w(f"| kernel | {meta.get('kernel', 'n/a')} |")
w(f"| load average at the end | {meta.get('loadavg_at_end', 'n/a')} (the machine is shared: other work ran beside this) |")
w(f"| commit | {meta.get('commit', 'n/a')} |")
v = meta.get("versions", {})
w(f"| compared | nginx {v.get('nginx', '?')}, {v.get('openssl', '?')}, cfssl {v.get('cfssl', '?')}, scepserver {v.get('scepserver', '?')} |")
w(f"| corpus | {meta.get('corpus', '?'):,} certificates of one CA (1 % revoked), SHA-1 and SHA-256 CertIDs; scale run {meta.get('scale', '?'):,} |")
w(f"| run length | {meta.get('duration_s', '?')} s measured per load run after 1 s warm-up; whole compare.sh {meta.get('elapsed_s', '?')} s |")
failed = meta.get("failed") or []
w(f"| failed runs | {', '.join(failed) if failed else 'none'} |")
known = meta.get("known_failures") or []
if known:
    w(f"| known limitations of other servers (shown, not counted) | {', '.join(known)} |")
w("")
if seed:
    w(f"Corpus: {seed['records']:,} records signed through `StatusPublisher` ({seed['responses']:,} responses, "
      f"{seed['response_bytes']:,} bytes, ECDSA P-256 delegated signer) in {seed['sign_s']:.1f} s, applied to Redis in "
      f"{seed['apply_s']:.1f} s; {seed['corpus_requests']:,} requests in the corpus ({seed.get('corpus_skipped', 0)} left out whose "
      "GET path ends in `/`, which no static file can answer).")
    w("")
w("Commands (the full set is in `bench/compare.sh`):")
w("")
w("```")
w("taskset -c 0 keyward-responder --config keyward.toml          # workers = 1, signer_threads = 1")
w("taskset -c 0 nginx -p DIR -c nginx.conf                         # worker_processes 1, static DER by GET path")
w("taskset -c 0 openssl ocsp -index index.txt -CA ca.pem -rsigner ocsp.pem -rkey ocsp.key -port P")
w("taskset -c 0 cfssl ocspserve -responses responses.txt -port P")
w("taskset -c 1 keyward-bench load --url URL --corpus corpus.txt --ca-cert ca.pem -c 64 --duration 5 [--method get]")
w("    [--new-connection] [--nonce-fraction 1] [--rate R --connections 256]")
w("```")
w("")
w("## Targets")
w("")
w("| target | goal | measured | |")
w("|---|---|---|---|")
for t, val, op, goal, unit in targets:
    digits = 2
    w(f"| {t} | {op} {goal}{unit} | {fmt(val, digits, unit)} | {met(val, op, goal)} |")
w("")

w("## OCSP throughput and latency (closed loop unless marked)")
w("")
w("Keep-alive runs use 64 HTTP/1.1 connections; `new-conn` opens one HTTP/1.0 connection per request with no")
w("`Host` header (ISE, ClearPass, FreeRADIUS). Latency runs from the send; in open-loop runs from the time a")
w("request was due. `ratio` is throughput over nginx keep-alive GET of the same files in this run.")
w("")
w("| run | server | mode | answers/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors | verified (wrong) | ratio |")
w("|---|---|---|---|---|---|---|---|---|---|---|---|")
servers = {"kw": "Keyward", "kw1m": "Keyward (1M corpus)", "ng": "nginx", "os": "openssl ocsp", "cf": "cfssl ocspserve"}
ng_ref = rps("ng-ka-get")
for label in sorted(runs, key=lambda s: (s.split("-")[0] != "kw", s)):
    if "-open-" in label:
        continue
    r = runs[label]
    mix = r["mix"]
    mode = [r["connection"], "GET" if mix["get_fraction"] >= 1 else "POST"]
    if mix["sha256_fraction"] >= 1:
        mode.append("SHA-256")
    if mix["nonce_fraction"] > 0:
        mode.append("nonce")
    if mix["unknown"] > 0:
        mode.append(f"{mix['unknown']:.0f} % unknown")
    if r["loop"] == "open":
        mode.append(f"open loop {r['offered_rate']:.0f}/s, {r['connections']} conns")
    e = r["errors"]
    errs = e["http"] + e["ocsp"] + e["transport"] + e["timeouts"]
    ver = r["verified"]
    if not r.get("passed"):
        label = label + " (failed)"
    w(f"| {label} | {servers.get(label.split('-')[0], '?')} | {', '.join(mode)} | {fmt(r['throughput_rps'])} | "
      f"{fmt(r['latency']['p50_us'] / 1000, 3)} | {fmt(r['latency']['p90_us'] / 1000, 3)} | {fmt(r['latency']['p99_us'] / 1000, 3)} | "
      f"{fmt(r['latency']['p999_us'] / 1000, 3)} | {fmt(r['latency']['max_us'] / 1000, 3)} | {errs} | {ver['checked']} ({ver['wrong']}) | "
      f"{fmt(ratio(r['throughput_rps'], ng_ref), 2, 'x')} |")
w("")
if round_ids:
    w("Interleaved rounds (the ratio targets): Keyward, `openssl ocsp` and cfssl running side by side, measured in")
    w("turn, keep-alive POST, the same corpus and client; each server idle while another is measured.")
    w("")
    w("| round | Keyward answers/s | openssl ocsp answers/s | cfssl answers/s | Keyward / openssl | Keyward / cfssl |")
    w("|---|---|---|---|---|---|")
    for rid in round_ids:
        kw_r, os_r, cf_r = (round_rps(rid, s) for s in ("kw", "os", "cf"))
        w(f"| {rid[5:]} | {fmt(kw_r)} | {fmt(os_r)} | {fmt(cf_r)} | {fmt(ratio(kw_r, os_r), 2, 'x')} | "
          f"{fmt(ratio(kw_r, cf_r), 2, 'x')} |")
    w(f"| median | | | | {fmt(round_ratio['os'], 2, 'x')} | {fmt(round_ratio['cf'], 2, 'x')} |")
    w("")
if signer_core:
    w(f"Nonce path per signer core: during `kw-ka-nonce` the signer thread used {fmt(signer_core.get('signer_cpu_s'), 2)} s of "
      f"CPU for {fmt(signer_core.get('signatures'))} signatures: {fmt(signer_core.get('signatures_per_signer_cpu_s'))} "
      f"signatures per CPU-second, against `openssl speed ecdsap256`'s {fmt(speed.get('ecdsap256'))}. The rest of that core "
      "went to the event loop (HTTP, TCP) for the same requests.")
    w("")
w("Nonces: Keyward and `openssl ocsp` sign live and echo the nonce (checked on every sampled answer). nginx serves")
w("files, so a request carrying a nonce has no file at all (its GET path is new each time); cfssl serves stored")
echo = runs.get("cf-ka-nonce")
if echo:
    w(f"answers and cannot echo one: of {echo['verified']['checked']} sampled cfssl answers to nonce requests, "
      f"{echo['verified']['nonce_missing']} carried no nonce (run with `--nonce-check report`).")
else:
    w("answers and cannot echo one.")
w("")

w("## Latency against offered load (open loop, GET, 256 connections)")
w("")
w("![latency vs offered load](latency.png)")
w("")
w("| server | offered/s | achieved/s | p50 ms | p99 ms | p99.9 ms | due but never sent | timeouts+transport |")
w("|---|---|---|---|---|---|---|---|")
for name, rows in (("Keyward", kw_sweep), ("nginx", ng_sweep)):
    for row in rows:
        w(f"| {name} | {fmt(row[0])} | {fmt(row[1])} | {fmt(row[2], 3)} | {fmt(row[3], 3)} | {fmt(row[4], 3)} | {row[5]} | {row[6]} |")
w("")

w("## Revocation propagation")
w("")
if prop:
    w(f"`keyward-bench propagation`: {prop['serials']} serials revoked one after another with `keyward revoke` while one "
      f"keep-alive connection per responder ({len(prop['responders'])} responders) polled back to back; the time is when each "
      "responder first gave a verified `revoked` answer.")
    w("")
    w("| measured from | p50 ms | p99 ms | max ms |")
    w("|---|---|---|---|")
    for k, name in (("from_revoke_start_ms", "`keyward revoke` start (includes its own start-up, signing, Redis)"),
                    ("from_revoke_exit_ms", "`keyward revoke` exit (the contract: revoked everywhere within 1 s)")):
        w(f"| {name} | {fmt(prop[k]['p50'], 2)} | {fmt(prop[k]['p99'], 2)} | {fmt(prop[k]['max'], 2)} |")
else:
    w("not measured in this run.")
w("")

w("## SCEP enrollments (RSA-2048 client keys, same client)")
w("")
w("`keyward-bench scep`: PKCSReq messages built before the clock starts (CSR with challengePassword, enveloped")
w("AES-128-CBC to the RA certificate from GetCACert, signed by a self-signed certificate of the new key); every")
w("CertRep is checked afterwards (signature, transactionID, recipientNonce, decrypted certificate for our key).")
w("Keyward's SCEP CA is RSA-2048 here, as scepserver's is.")
w("")
w("| run | server | connections | enrollments/s | p50 ms | p99 ms | errors | wrong |")
w("|---|---|---|---|---|---|---|---|")
for k in sorted(scep):
    s = scep[k]
    if not s:
        continue
    w(f"| {k} | {'keyward-issuer' if k.startswith('kw') else 'micromdm scepserver'} | {s['connections']} | "
      f"{fmt(s['enrollments_per_s'], 1)} | {fmt(s['latency_ms']['p50'], 2)} | {fmt(s['latency_ms']['p99'], 2)} | {s['errors']} | {s['wrong']} |")
w("")

w("## Scale")
w("")
if seed_scale and scale:
    held = resp_bytes_1m
    w("| | |")
    w("|---|---|")
    w(f"| records | {seed_scale['records']:,} ({seed_scale['responses']:,} precomputed responses) |")
    w(f"| seeding | signed in {seed_scale['sign_s']:.1f} s, applied to Redis in {seed_scale['apply_s']:.1f} s |")
    w(f"| response bytes held (DER) | {held:,} |")
    w(f"| responder RSS | {rss_1m:,} ({fmt(ratio(rss_1m, held), 2, 'x')} the DER bytes) |")
    if scale.get("cache_bytes"):
        w(f"| cache bytes by `/metrics` | {int(scale['cache_bytes']):,} |")
    for label, sc in (("Redis on the client core, a core of its own", scale),
                      ("Redis on the responder's core", scale_shared)):
        if not sc:
            continue
        w(f"| warm-up, {label}: start to `/healthz` 200 | {sc['ready_s']} s (the responder's own figure: "
          f"{sc.get('warm_ms')} ms for {sc.get('warm_entries')} entries); CPU: Redis {sc.get('redis_cpu_s')} s, "
          f"responder {sc.get('responder_cpu_s')} s |")
    w(f"| hit path, keep-alive POST, 1M vs 100k corpus | {fmt(rps('kw1m-ka-post'))} vs {fmt(rps('kw-ka-post'))} answers/s ({fmt(ratio(rps('kw1m-ka-post'), rps('kw-ka-post')), 2, 'x')}) |")
else:
    w("not measured in this run.")
w("")

# --- the hit path under a live-signing flood (bench/flood_isolation.sh) ------
w("## The hit path under a live-signing flood")
w("")
if flood_iso and flood_iso.get("runs"):
    fc = flood_iso.get("config", {})
    med = flood_iso.get("median", {})
    rat = flood_iso.get("ratio_over_a", {})
    fl = flood_iso.get("flood", {})
    rs = flood_iso.get("responder", {})
    w(f"`bench/flood_isolation.sh`: one keyward-responder on core {fc.get('server_core', '?')} (workers = 1, "
      f"signer_threads = 1, signer_queue {fc.get('signer_queue', '?')}), every client on core {fc.get('client_core', '?')}, "
      f"Redis on core {fc.get('redis_core', '?')}. The hit path is `keyward-bench load` open loop at "
      f"{fc.get('hit_rate', '?')}/s over {fc.get('hit_connections', '?')} keep-alive connections (POST, cached serials, "
      "no nonce). The floods are closed loops at full speed: one client sends a fresh nonce with every request for a "
      "known serial, the other asks for never-issued serials without a nonce (a Redis miss, a record lookup, a "
      "signature and a negative-cache entry each). D is the control: as many connections as C asking only for cached "
      f"answers. The kinds alternate ({fc.get('kinds', '?')}, {fc.get('rounds', '?')} rounds, {fc.get('duration_s', '?')} s "
      "measured each after 1 s warm-up); medians shown, ratios over A.")
    w("")
    w("| run | flood connections | hit p50 ms | hit p99 ms | hit answers/s | due, never sent | flood signed | flood tryLater | "
      "p50 / A | p99 / A | answers/s / A | responder CPU s (event loop, signer thread); server core busy |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|")
    names = flood_iso.get("kinds", {})

    def cpu_cell(c):
        # By thread name where the responder names them, else its two busiest threads.
        if c.get("loop_cpu_s") is not None:
            split = f"loop {fmt(c.get('loop_cpu_s'), 2)}, signer {fmt(c.get('signer_cpu_s'), 2)}"
        else:
            split = f"{fmt(c.get('busiest_thread_cpu_s'), 2)} + {fmt(c.get('second_thread_cpu_s'), 2)}"
        return f"{fmt(c.get('cpu_s'), 2)} of {fmt(c.get('seconds'), 1)} s ({split}); {fmt(c.get('server_core_busy_s'), 2)} s"

    for k in sorted(med):
        m, r, f, c = med[k], rat.get(k, {}), fl.get(k, {}), rs.get(k, {})
        sv = f.get("server", {})
        msv = lambda v: v / 1000 if v is not None else None
        w(f"| {k}: {names.get(k, '?')} | {f.get('connections', 0)} | {fmt(msv(m.get('p50_us')), 3)} | "
          f"{fmt(msv(m.get('p99_us')), 3)} | {fmt(m.get('served_rps'))} | {fmt(m.get('unsent'))} | "
          f"{fmt(sv.get('live_signatures')) if f else '-'} | {fmt(sv.get('live_trylater')) if f else '-'} | "
          f"{fmt(r.get('p50'), 2, 'x') if r else '-'} | {fmt(r.get('p99'), 2, 'x') if r else '-'} | "
          f"{fmt(r.get('throughput'), 2, 'x') if r else '-'} | {cpu_cell(c)} |")
    w("")
    w(f"Hit path: {flood_iso.get('hit_wrong', '?')} wrong answers, {flood_iso.get('hit_errors', '?')} errors"
      f"{'' if flood_iso.get('passed') else ' (failed: ' + ', '.join(flood_iso.get('failed') or ['no result']) + ')'}. "
      "Flood signed / tryLater are the responder's own counters over the hit-path runs, all rounds. Where the hit "
      "path falls behind (due, never sent > 0) its latency grows with the run length, since open-loop requests wait "
      "for a connection in the order they fell due; answers/s then counts every answer of the run, warm-up included. "
      "Server core busy is all the work that core did over the run (from just before the flood to the end of the "
      "hit-path run): whatever is not the responder's belongs to other processes on a shared machine.")
else:
    w("not measured in this run.")
w("")
# --- end of the flood isolation block -------------------------------------------

w("## Micro-benchmarks (`keyward-microbench`, one core)")
w("")
if micro_rates:
    w("| benchmark | ns/op (CPU) | ops/s |")
    w("|---|---|---|")
    for n, b in micro_rates.items():
        w(f"| {n} | {fmt(b.get('cpu_time'), 0)} | {fmt(b.get('items_per_second'))} |")
    w("")
    w(f"`openssl speed -seconds 2 ecdsap256 rsa2048` on the same core: ECDSA P-256 {fmt(speed.get('ecdsap256'))} sign/s, "
      f"RSA-2048 {fmt(speed.get('rsa2048'))} sign/s. SignLive over that: P-256 {fmt(ratio(sign_p256, speed.get('ecdsap256')), 2)}, "
      f"RSA-2048 {fmt(ratio(sign_rsa, speed.get('rsa2048')), 2)}.")
else:
    w("not measured in this run.")
w("")
perf_txt = os.path.join(out_dir, "perf-keyward.txt")
if os.path.exists(perf_txt) and os.path.getsize(perf_txt) > 0:
    w("## Where the hit path spends its time")
    w("")
    w("`perf record -g` on keyward-responder for 3 s of a keep-alive POST run at its peak (self time, top symbols):")
    w("")
    w("```")
    with open(perf_txt) as f:
        symbols = [l for l in f if re.match(r"^\s+[\d.]+%\s+\[", l)]
    for line in symbols[:20]:
        w(re.sub(r"\s+-\s+-\s*$", "", line.rstrip())[:110])
    w("```")
    w("")
notes = os.path.join(bench_dir, "results_notes.md")
if os.path.exists(notes):
    with open(notes) as f:
        w(f.read().rstrip())
    w("")
with open(os.path.join(bench_dir, "RESULTS.md"), "w") as f:
    f.write("\n".join(L) + "\n")
print(f"report.py: wrote {os.path.join(bench_dir, 'RESULTS.md')}, {chart}, {os.path.join(out_dir, 'results.json')}")
