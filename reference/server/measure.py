"""Speed figures for `ssai serve` (README.md "Measurements"). Usage:
    /usr/bin/python3 reference/server/measure.py build-server-rel/cli/ssai [channels=100]
    /usr/bin/python3 reference/server/measure.py build/cli/ssai big-origin [MB ...]
The second form serves a live media playlist of about MB megabytes (a new version every 0.5 s,
as a live origin does), runs a break, and reports what one such channel costs the server: the
core thread's stall (the latency of /health, which the core thread answers itself, probed
every 50 ms), RSS, and the status codes of the playlist answers.
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


def big_playlist(n_segments, extra):
    import datetime
    t0 = datetime.datetime(2026, 1, 1)
    out = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2", f"#EXT-X-MEDIA-SEQUENCE:{extra}"]
    for i in range(extra, extra + n_segments):
        pdt = (t0 + datetime.timedelta(seconds=2 * i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        out += [f"#EXT-X-PROGRAM-DATE-TIME:{pdt}", "#EXTINF:2.000,", f"segment_{i:08d}.ts"]
    return "\n".join(out) + "\n"


def big_origin(ssai, megabytes):
    import http.server
    import socketserver
    # ~85 bytes per segment; the window ends now, so a break cued now lands in it.
    n = int(megabytes * 1e6 / 85)
    now_index = int((time.time() - 1767225600) / 2)
    state = {"body": big_playlist(n, now_index - n).encode()}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = state["body"]
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.apple.mpegurl")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

    httpd = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    stop_flag = threading.Event()

    def grow():
        k = 0
        while not stop_flag.wait(0.5):
            k += 1
            state["body"] = big_playlist(n, now_index - n + k).encode()

    threading.Thread(target=grow, daemon=True).start()
    cfg = json.load(open(os.path.join(ROOT, "fixtures/serve/demo.json")))
    cfg["listen"] = "127.0.0.1:0"
    cfg["journal_path"] = ""
    cfg["decision"]["catalogue_file"] = os.path.join(ROOT, "fixtures/serve/catalogue.json")
    cfg["channels"] = cfg["channels"][:1]
    cfg["channels"][0]["origin_base_url"] = f"http://127.0.0.1:{httpd.server_address[1]}"
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cfg, f)
    serve, url, _ = start([ssai, "serve", "--config", f.name], env=dict(os.environ, SSAI_CUE_TOKEN="measure"))
    statuses = {}
    health_ms = []
    rss = []
    try:
        rss0 = rss_kib(serve.pid)
        req = urllib.request.Request(url + "/cue", method="POST",
                                     data=b'{"org":"demo","channel":"sports","duration":120}',
                                     headers={"Content-Type": "application/json", "Authorization": "Bearer measure"})
        urllib.request.urlopen(req, timeout=10).read()
        deadline = time.monotonic() + 20

        def viewer(rendition):
            while time.monotonic() < deadline:
                try:
                    r = urllib.request.urlopen(f"{url}/demo/sports/{rendition}.m3u8", timeout=10)
                    r.read()
                    code = r.status
                except urllib.error.HTTPError as e:
                    code = e.code
                except OSError:
                    code = "error"
                statuses[code] = statuses.get(code, 0) + 1
                time.sleep(0.25)

        viewers = [threading.Thread(target=viewer, args=(r,)) for r in ("v720", "v360")]
        for v in viewers:
            v.start()
        while time.monotonic() < deadline:
            t0 = time.monotonic()
            urllib.request.urlopen(url + "/health", timeout=10).read()
            health_ms.append((time.monotonic() - t0) * 1000)
            rss.append(rss_kib(serve.pid))
            time.sleep(0.05)
        for v in viewers:
            v.join()
    finally:
        stop(serve)
        stop_flag.set()
        httpd.shutdown()
    health_ms.sort()
    print(f"origin playlist {len(state['body']) / 1e6:.2f} MB ({n} segments), 2 renditions, a new version every 0.5 s, 20 s mid-break:")
    print(f"  /health latency ms: p50={health_ms[len(health_ms) // 2]:.1f} p99={health_ms[int(len(health_ms) * 0.99)]:.1f} "
          f"max={health_ms[-1]:.1f} ({len(health_ms)} probes)")
    print(f"  rss_mib start={rss0 / 1024:.1f} max={max(rss) / 1024:.1f}   playlist answers: {statuses}")


def main():
    ssai = sys.argv[1]
    if len(sys.argv) > 2 and sys.argv[2] == "big-origin":
        for mb in (sys.argv[3:] or ["1.0", "1.9", "3.9"]):
            big_origin(ssai, float(mb))
        return
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
