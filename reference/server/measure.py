"""Speed figures for `ssai serve` (README.md "Measurements"). Usage:
    /usr/bin/python3 reference/server/measure.py build-server-rel/cli/ssai [channels=100]
Prints cold start (exec -> "listening" line), RSS after start and after every channel's
playlists were served once, and a rough KV-hit request rate from a Python keep-alive client
(a lower bound: the client, not the server, is the bottleneck; wrk + nginx are the real
comparison)."""
import http.client
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
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    while True:
        r, _, _ = select.select([p.stdout], [], [], 10)
        if not r:
            raise SystemExit(f"{cmd} did not start")
        line = p.stdout.readline()
        m = re.search(r"listening on (http://[0-9.:]+)", line)
        if m:
            return p, m.group(1), time.monotonic() - t0


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=10)


def main():
    ssai = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    origin, origin_url, _ = start([ssai, "origin", "--synthetic", "fixtures/serve/origin.json",
                                   "--listen", "127.0.0.1:0"])
    try:
        cfg = json.load(open(os.path.join(ROOT, "fixtures/serve/demo.json")))
        cfg["listen"] = "127.0.0.1:0"
        cfg["journal_path"] = ""
        cfg["decision"]["catalogue_file"] = os.path.join(ROOT, "fixtures/serve/catalogue.json")
        template = cfg["channels"][0]
        cfg["channels"] = []
        for i in range(n):
            ch = json.loads(json.dumps(template))
            ch["channel"] = f"ch{i}"
            ch["origin_base_url"] = origin_url
            cfg["channels"].append(ch)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(cfg, f)
        env = dict(os.environ, SSAI_CUE_TOKEN="measure")
        starts = []
        for _ in range(5):
            p, url, dt = start([ssai, "serve", "--config", f.name], env=env)
            starts.append(dt)
            stop(p)
        serve, url, _ = start([ssai, "serve", "--config", f.name], env=env)
        try:
            rss_start = rss_kib(serve.pid)
            for i in range(n):
                for r in ("v720", "v360"):
                    urllib.request.urlopen(f"{url}/demo/ch{i}/{r}.m3u8", timeout=5).read()
            rss_served = rss_kib(serve.pid)
            # A break on ch0 so its requests are KV hits.
            req = urllib.request.Request(url + "/cue", method="POST",
                                         data=b'{"org":"demo","channel":"ch0","duration":120}',
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": "Bearer measure"})
            urllib.request.urlopen(req, timeout=5).read()
            host, port = url[len("http://"):].split(":")
            count = [0]
            lock = threading.Lock()
            deadline = time.monotonic() + 5

            def worker():
                c = http.client.HTTPConnection(host, int(port), timeout=5)
                k = 0
                while time.monotonic() < deadline:
                    c.request("GET", "/demo/ch0/v720.m3u8")
                    r = c.getresponse()
                    r.read()
                    assert r.getheader("X-SSAI-State-Source") == "kv-hit", r.getheader("X-SSAI-State-Source")
                    k += 1
                with lock:
                    count[0] += k

            ts = [threading.Thread(target=worker) for _ in range(4)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            rss_load = rss_kib(serve.pid)
        finally:
            stop(serve)
        starts.sort()
        print(f"channels={n}")
        print(f"cold_start_ms median={starts[len(starts)//2]*1000:.1f} min={starts[0]*1000:.1f} "
              f"max={starts[-1]*1000:.1f} (exec -> 'listening' line, 5 runs)")
        print(f"rss_mib after_start={rss_start/1024:.1f} after_serving_all={rss_served/1024:.1f} "
              f"after_load={rss_load/1024:.1f}")
        print(f"kv_hit_rps={count[0]/5:.0f} (python http.client, 4 keep-alive connections, 5 s: client-bound)")
    finally:
        stop(origin)


if __name__ == "__main__":
    main()
