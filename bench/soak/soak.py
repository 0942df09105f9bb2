"""Soak of `ssai serve` under mixed load: does memory level off? (issue 13)

    /usr/bin/python3 bench/soak/soak.py build/cli/ssai [--duration-s 660] [--rate 1500]
        [--channels 20] [--cue-every-s 0.5] [--cue-duration-s 30] [--out reports/soak]

Starts `ssai origin --synthetic` and `ssai serve` (role all, KV sim, journal on) on 127.0.0.1,
offers `--rate` playlist requests/s spread over every channel's renditions with `ssai bench`
(open loop) and POSTs a cue to the next channel every `--cue-every-s`, and samples the server's
RSS (VmRSS), open descriptors and a few /metrics counters every 5 s. Writes soak.json (the
samples and the verdict) and soak.csv to --out, prints one line per sample.

Verdict: RSS levels off when the growth over the last half of the run is under
`--max-growth-kib` (default 1024 KiB), i.e. well below what the first minutes cost (breaks are
kept 120 s after they end, so the working set fills during the first ~3 minutes); descriptors
must return to their start count ± the load's connections. Exit 1 when either does not hold.
"""
import argparse
import csv
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start(cmd, env=None):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        r, _, _ = select.select([p.stdout], [], [], 1)
        if not r:
            continue
        line = p.stdout.readline()
        if not line:
            break
        m = re.search(r"listening on (http://[0-9.:]+)", line)
        if m:
            # Keep draining stdout so the child never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
            return p, m.group(1)
    p.kill()
    raise SystemExit(f"{cmd[:3]} did not start")


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def proc_sample(pid):
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def metrics(url):
    text = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
    out = {}
    for name in ("ssai_cues_total", "ssai_manifest_requests_total", "ssai_errors_total", "ssai_heap_in_use_bytes"):
        out[name] = sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines()
                        if l.startswith(name) and not l.startswith("#"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ssai")
    ap.add_argument("--duration-s", type=float, default=660)
    ap.add_argument("--rate", type=float, default=1500)
    ap.add_argument("--channels", type=int, default=20)
    ap.add_argument("--cue-every-s", type=float, default=0.5)
    ap.add_argument("--cue-duration-s", type=float, default=30)
    ap.add_argument("--sample-every-s", type=float, default=5)
    ap.add_argument("--max-growth-kib", type=float, default=1024)
    ap.add_argument("--no-journal", action="store_true", help="journal in memory only (to bisect growth)")
    ap.add_argument("--out", default=os.path.join(ROOT, "reports", "soak"))
    a = ap.parse_args()
    if not (0 < a.duration_s <= 7200 and 0 < a.rate <= 20000 and 0 < a.channels <= 1000):
        raise SystemExit("soak: duration 0..7200 s, rate 0..20000/s, channels 1..1000")
    os.makedirs(a.out, exist_ok=True)
    ssai = os.path.abspath(a.ssai)
    tmp = tempfile.mkdtemp(prefix="ssai-soak-")
    origin, origin_url = start([ssai, "origin", "--synthetic", "fixtures/serve/origin.json", "--listen", "127.0.0.1:0"])
    serve = bench = None
    try:
        cfg = json.load(open(os.path.join(ROOT, "fixtures/serve/demo.json")))
        cfg["listen"] = "127.0.0.1:0"
        cfg["journal_path"] = "" if a.no_journal else os.path.join(tmp, "journal.jsonl")
        cfg["decision"]["catalogue_file"] = os.path.join(ROOT, "fixtures/serve/catalogue.json")
        template = cfg["channels"][0]
        cfg["channels"] = []
        for i in range(a.channels):
            ch = json.loads(json.dumps(template))
            ch["channel"] = f"ch{i}"
            ch["origin_base_url"] = origin_url
            cfg["channels"].append(ch)
        renditions = [r["name"] for r in template["renditions"]]
        cfg_path = os.path.join(tmp, "serve.json")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        serve, url = start([ssai, "serve", "--config", cfg_path], env=dict(os.environ, SSAI_CUE_TOKEN="soak"))
        paths = [f"/demo/ch{i}/{r}.m3u8" for i in range(a.channels) for r in renditions]
        cmd = [ssai, "bench", "--target", url, "--rate", str(a.rate), "--duration", str(a.duration_s),
               "--connections", "32", "--arrival", "poisson", "--timeout-ms", "2000",
               "--out", os.path.join(a.out, "bench.json")]
        for p in paths:
            cmd += ["--path", p]
        rss0, fds0 = proc_sample(serve.pid)
        bench = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        stop_cues = threading.Event()
        cue_results = {"ok": 0, "refused": 0, "failed": 0}

        def cues():
            i = 0
            next_t = time.monotonic()
            while not stop_cues.is_set():
                body = json.dumps({"org": "demo", "channel": f"ch{i % a.channels}",
                                   "duration": a.cue_duration_s}).encode()
                req = urllib.request.Request(url + "/cue", data=body, method="POST", headers={
                    "Content-Type": "application/json", "Authorization": "Bearer soak"})
                try:
                    urllib.request.urlopen(req, timeout=5).read()
                    cue_results["ok"] += 1
                except urllib.error.HTTPError:
                    cue_results["refused"] += 1  # e.g. 409: the channel's break is still running
                except OSError:
                    cue_results["failed"] += 1
                i += 1
                next_t += a.cue_every_s
                stop_cues.wait(max(0.0, next_t - time.monotonic()))

        cue_thread = threading.Thread(target=cues, daemon=True)
        cue_thread.start()
        t0 = time.monotonic()
        samples = []
        while True:
            t = time.monotonic() - t0
            rss, fds = proc_sample(serve.pid)
            m = metrics(url)
            samples.append({"t_s": round(t, 1), "rss_kib": rss, "fds": fds, **m})
            print(f"soak: t={t:6.0f}s rss={rss/1024:6.1f} MiB heap={m['ssai_heap_in_use_bytes']/2**20:6.2f} MiB fds={fds:4d} "
                  f"playlists={m['ssai_manifest_requests_total']:.0f} cues={m['ssai_cues_total']:.0f}", flush=True)
            if bench.poll() is not None or t >= a.duration_s:
                break
            time.sleep(max(0.0, (len(samples)) * a.sample_every_s - (time.monotonic() - t0)))
        stop_cues.set()
        cue_thread.join(timeout=10)
        bench.wait(timeout=60)
        time.sleep(1)
        rss_end, fds_end = proc_sample(serve.pid)
    finally:
        if bench is not None and bench.poll() is None:
            bench.kill()
        if serve is not None:
            stop(serve)
        stop(origin)

    half = [s for s in samples if s["t_s"] >= samples[-1]["t_s"] / 2]
    growth_second_half = max(s["rss_kib"] for s in half) - half[0]["rss_kib"]
    growth_first_half = max(s["rss_kib"] for s in samples if s["t_s"] < samples[-1]["t_s"] / 2) - rss0
    bench_result = json.load(open(os.path.join(a.out, "bench.json")))
    verdict = {
        "rss_start_kib": rss0, "rss_end_kib": rss_end, "rss_max_kib": max(s["rss_kib"] for s in samples),
        "rss_growth_first_half_kib": growth_first_half, "rss_growth_second_half_kib": growth_second_half,
        "fds_start": fds0, "fds_max": max(s["fds"] for s in samples), "fds_after_load": fds_end,
        "cues": cue_results, "duration_s": samples[-1]["t_s"],
        "requests": bench_result.get("requests"), "errors": bench_result.get("errors"),
        "levels_off": growth_second_half <= a.max_growth_kib,
        "fds_return": fds_end <= fds0 + 2,
    }
    with open(os.path.join(a.out, "soak.json"), "w") as f:
        json.dump({"params": vars(a), "verdict": verdict, "samples": samples}, f, indent=1)
    with open(os.path.join(a.out, "soak.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(samples[0].keys()))
        w.writeheader()
        w.writerows(samples)
    print("soak: " + json.dumps(verdict))
    ok = verdict["levels_off"] and verdict["fds_return"]
    print("soak: " + ("PASS" if ok else "FAIL") + f": RSS grew {growth_first_half} KiB in the first half, "
          f"{growth_second_half} KiB in the second (limit {a.max_growth_kib:.0f}); fds {fds0} -> {fds_end}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
