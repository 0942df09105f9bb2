"""`ssai conform --target observe`: a deployment the harness does not control, only watched. A real
stack on loopback (`ssai origin --synthetic` with SCTE-35 CUE-OUT/IN breaks near now, `ssai serve`
inserting ads from its built-in decision catalogue), watched for ~30 s: the origin is recorded as
the ground truth, viewers play the output, and the checks judge what the wire shows. Watching the
origin itself as if it were an SSAI output (no ads where the breaks are) must fail."""
import datetime
import http.server
import json
import os
import subprocess
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from procs import free_port, start, stop

TOKEN = "observe-test-token"


def _origin_spec(path, now):
    # Breaks near now (the origin's clock is the real clock): one OUT 10 s in, 8 s long.
    start_time = now.replace(microsecond=0) - datetime.timedelta(seconds=60)
    brk = (now.replace(microsecond=0) + datetime.timedelta(seconds=10 - now.second % 2))
    iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
    spec = {"segment_duration_s": 2, "window_segments": 6, "start_time": iso(start_time), "cue_flavour": "cue_out",
            "renditions": [{"name": "v720", "bandwidth_bps": 2500000, "resolution": "1280x720",
                            "codecs": "avc1.64001f,mp4a.40.2"},
                           {"name": "v360", "bandwidth_bps": 800000, "resolution": "640x360",
                            "codecs": "avc1.64001e,mp4a.40.2"}],
            "breaks": [{"start_time": iso(brk), "duration_s": 8, "event_id": 7001}]}
    path.write_text(json.dumps(spec))


def _profile(path, output_url, origin_url):
    path.write_text(json.dumps({
        "name": "loopback", "org": "demo", "channel": "sports",
        "ssai": {"master_url": output_url},
        "observe": {"origin_url": origin_url, "viewers": 2}}))


def _stack(ssai_bin, root, tmp_path):
    now = datetime.datetime.now(datetime.timezone.utc)
    _origin_spec(tmp_path / "origin.json", now)
    origin, origin_url = start([ssai_bin, "origin", "--synthetic", str(tmp_path / "origin.json"),
                                "--listen", "127.0.0.1:0"], cwd=root)
    config = json.loads((root / "fixtures/serve/demo.json").read_text())
    config["listen"] = f"127.0.0.1:{free_port()}"
    config.pop("journal_path", None)
    config["decision"]["catalogue_file"] = str(root / "fixtures/serve/catalogue.json")
    config["decision"]["latency_ms"] = 0
    config["limits"]["origin_cache_ms"] = 0
    for ch in config["channels"]:
        ch["origin_base_url"] = origin_url
    (tmp_path / "serve.json").write_text(json.dumps(config))
    serve, serve_url = start([ssai_bin, "serve", "--config", str(tmp_path / "serve.json")], cwd=root,
                             env=dict(os.environ, SSAI_CUE_TOKEN=TOKEN))
    return origin, origin_url, serve, serve_url


class _SessionServer:
    """MediaTailor-style session initialisation: POST /v1/session -> {"manifestUrl": ...}; counts
    the sessions it starts."""

    def __init__(self, manifest_url):
        outer = self
        self.sessions = 0

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.sessions += 1
                body = json.dumps({"manifestUrl": manifest_url, "trackingUrl": "/v1/tracking/x"}).encode()
                self.send_response(200 if self.path == "/v1/session" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/session"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _cases(out):
    run = json.loads((out / "report.json").read_text())["runs"][0]
    return run, {c["id"]: c for c in run["checks"]}


def test_observe_judges_a_deployment_it_only_watches(ssai_bin, root, tmp_path):
    origin, origin_url, serve, serve_url = _stack(ssai_bin, root, tmp_path)
    try:
        good, bad = tmp_path / "good.json", tmp_path / "bad.json"
        _profile(good, f"{serve_url}/demo/sports/master.m3u8", f"{origin_url}/master.m3u8")
        # The origin posing as an SSAI output: it inserts nothing.
        _profile(bad, f"{origin_url}/master.m3u8", f"{origin_url}/master.m3u8")
        # The same deployment reached through a session step (each viewer its own session).
        session_server = _SessionServer(f"{serve_url}/demo/sports/master.m3u8")
        sess = tmp_path / "sess.json"
        sess.write_text(json.dumps({"name": "session", "org": "demo", "channel": "sports", "ssai": {},
                                    "observe": {"origin_url": f"{origin_url}/master.m3u8", "viewers": 2,
                                                "session_url": session_server.url,
                                                "session_body": "{\"adsParams\":{\"deviceType\":\"test\"}}"}}))
        # Both watch the same minute at once (each is light: a few HTTP requests a second).
        t0 = time.monotonic()
        runs = [subprocess.Popen([ssai_bin, "conform", "--target", "observe", "--target-profile", str(p),
                                  "--duration", "26", "--out", str(tmp_path / p.stem), "--quiet"],
                                 cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                for p in (good, bad, sess)]
        outs = [proc.communicate(timeout=90)[0] for proc in runs]
        assert time.monotonic() - t0 < 60
        r, r_bad, r_sess = [(proc.returncode, out) for proc, out in zip(runs, outs)]
        session_server.close()
    finally:
        stop(serve)
        stop(origin)
    assert r[0] == 0, r[1]
    run, checks = _cases(tmp_path / "good")
    assert run["target"] == "observe:loopback"
    assert run["stats"]["breaks_in_truth"] == 1 and run["stats"]["unanswered"] == 0, run["stats"]
    for check in ("hls.response.ok", "splice.ad_starts_within", "splice.no_content_in_break",
                  "splice.discontinuity_at_ad_start", "variants.media_sequence_aligned"):
        assert checks[check]["outcome"] == "pass", (check, checks[check])
    for check, reason in (("api.cue.valid_accepted", "only watches"), ("kv.document_valid", "KV"),
                          ("splice.slate_fills_short_pod", "own ad server")):
        assert checks[check]["outcome"] == "skip" and reason in checks[check].get("note", ""), (check, checks[check])
    assert r_sess[0] == 0, r_sess[1]
    sess_run, sess_checks = _cases(tmp_path / "sess")
    assert sess_run["stats"]["sessions"] == 2 and sess_run["stats"]["session_failures"] == 0, sess_run["stats"]
    assert session_server.sessions == 2
    assert sess_checks["splice.ad_starts_within"]["outcome"] == "pass", sess_checks["splice.ad_starts_within"]
    assert r_bad[0] == 1, r_bad[1]
    _, bad_checks = _cases(tmp_path / "bad")
    assert bad_checks["splice.ad_starts_within"]["outcome"] == "fail", bad_checks["splice.ad_starts_within"]
    assert bad_checks["splice.ad_starts_within"]["failures_by_break"][0]["break"].startswith("origin event ")


def test_observe_profile_errors_name_the_field(ssai, tmp_path):
    p = tmp_path / "p.json"
    p.write_text(json.dumps({"org": "o", "channel": "c", "ssai": {"variant_url": "http://h/{rendition}.m3u8"},
                             "observe": {"origin_url": "http://h/master.m3u8"}}))
    r = ssai("conform", "--target", "observe", "--target-profile", p, "--out", tmp_path / "o")
    assert r.returncode == 2 and "ssai.master_url: missing" in r.stderr, r.stderr
    r = ssai("conform", "--target", "observe", "--target-profile", p, "--scenario", "x.json", "--out", tmp_path / "o")
    assert r.returncode == 2 and "takes no --scenario" in r.stderr, r.stderr


class _MediaTailorMock(_SessionServer):
    """A MediaTailor-shaped front in front of `ssai serve` (written here from the public shape of
    the API, not copied from anything): POST /v1/session/{hash}/{config}/index.m3u8 starts a
    session and answers {"manifestUrl": "/v1/master/{hash}/{config}/index.m3u8?aws.sessionId=ID",
    "trackingUrl": "/v1/tracking/{hash}/{config}/ID"}; the multivariant playlist needs the
    aws.sessionId parameter and names per-session variants "../../../../v1/manifest/{hash}/{config}/ID/{n}.m3u8"
    (dot segments, as a player resolves them); those forward to the server's renditions with the
    session. Anything else, an unknown session or a missing parameter is 404 and counted."""

    def __init__(self, serve_base, org="demo", channel="sports"):
        outer = self
        self.sessions = 0
        self.known = set()
        self.refused = []  # paths answered 404
        self.renditions = []  # serve's variant URIs, in multivariant order

        def forward(url):
            try:
                with urllib.request.urlopen(url, timeout=10) as r:
                    return r.status, r.read()
            except urllib.error.HTTPError as e:
                return e.code, e.read()

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def reply(self, status, body, ctype="application/vnd.apple.mpegurl"):
                if status == 404:
                    outer.refused.append(self.path)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                m = re.fullmatch(r"/v1/session/([0-9a-f]+)/([a-z-]+)/index\.m3u8", self.path)
                if not m:
                    return self.reply(404, b"{}", "application/json")
                outer.sessions += 1
                sid = f"{outer.sessions:08x}-4b1d-4e2a-9f00-{outer.sessions:012x}"
                outer.known.add(sid)
                h, c = m.groups()
                body = json.dumps({"manifestUrl": f"/v1/master/{h}/{c}/index.m3u8?aws.sessionId={sid}",
                                   "trackingUrl": f"/v1/tracking/{h}/{c}/{sid}"}).encode()
                self.reply(200, body, "application/json")

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(url.query)
                m = re.fullmatch(r"/v1/master/([0-9a-f]+)/([a-z-]+)/index\.m3u8", url.path)
                if m:
                    sid = (query.get("aws.sessionId") or [""])[0]
                    if sid not in outer.known:
                        return self.reply(404, b"")
                    status, body = forward(f"{serve_base}/{org}/{channel}/master.m3u8")
                    if status != 200:
                        return self.reply(status, body)
                    lines, n = [], 0
                    for line in body.decode().splitlines():
                        if line and not line.startswith("#"):
                            if len(outer.renditions) <= n:
                                outer.renditions.append(line.split("?")[0])
                            line = f"../../../../v1/manifest/{m.group(1)}/{m.group(2)}/{sid}/{n}.m3u8"
                            n += 1
                        lines.append(line)
                    return self.reply(200, ("\n".join(lines) + "\n").encode())
                m = re.fullmatch(r"/v1/manifest/([0-9a-f]+)/([a-z-]+)/([0-9a-f-]+)/([0-9]+)\.m3u8", url.path)
                if m and m.group(3) in outer.known and int(m.group(4)) < len(outer.renditions):
                    rendition = outer.renditions[int(m.group(4))]
                    status, body = forward(f"{serve_base}/{org}/{channel}/{rendition}?session={m.group(3)}")
                    return self.reply(status, body)
                self.reply(404, b"")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_observe_a_mediatailor_style_deployment(ssai_bin, root, tmp_path):
    """fixtures/targets/mediatailor.json against _MediaTailorMock in front of `ssai serve`: each
    viewer starts its own session, plays the per-session URLs (aws.sessionId, relative paths with
    dot segments), and the run has no false failures."""
    origin, origin_url, serve, serve_url = _stack(ssai_bin, root, tmp_path)
    mock = _MediaTailorMock(serve_url)
    try:
        origin_port = origin_url.rsplit(":", 1)[1].split("/")[0]
        profile = tmp_path / "mediatailor.json"
        profile.write_text((root / "fixtures/targets/mediatailor.json").read_text()
                           .replace("18090", str(mock.port)).replace("18081", origin_port))
        out = tmp_path / "mt"
        r = subprocess.run([ssai_bin, "conform", "--target", "observe", "--target-profile", str(profile),
                            "--duration", "26", "--out", str(out), "--quiet"],
                           cwd=root, capture_output=True, text=True, timeout=90)
    finally:
        mock.close()
        stop(serve)
        stop(origin)
    assert r.returncode == 0, r.stdout + r.stderr
    run, checks = _cases(out)
    assert run["target"] == "observe:mediatailor"
    assert run["stats"]["sessions"] == 2 and run["stats"]["session_failures"] == 0, run["stats"]
    assert run["stats"]["unanswered"] == 0 and run["stats"]["breaks_in_truth"] == 1, run["stats"]
    assert mock.sessions == 2 and not mock.refused, mock.refused
    for check in ("hls.response.ok", "splice.ad_starts_within", "splice.no_content_in_break",
                  "variants.media_sequence_aligned"):
        assert checks[check]["outcome"] == "pass", (check, checks[check])
    assert not [c for c in checks.values() if c["outcome"] == "fail" and c["severity"] == "error"]


def _demuxed_stack(ssai_bin, root, tmp_path, build="kv-hybrid"):
    """_stack with a CMAF origin with demuxed audio (en default, fr) and WebVTT subtitles, and
    `ssai serve` splicing them as `channels[].alternates` (ads' audio: English only, so the
    French rendition plays it too; silence and blank WebVTT where an ad has none)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    _origin_spec(tmp_path / "origin.json", now)
    spec = json.loads((tmp_path / "origin.json").read_text())
    spec.update({"container": "cmaf", "segment_uri_template": "seg_{rendition}_{msn}.m4s",
                 "audio": [{"id": "aud_en", "name": "English", "language": "en", "default": True},
                           {"id": "aud_fr", "name": "Francais", "language": "fr"}],
                 "subtitles": [{"id": "sub_en", "name": "English", "language": "en"}]})
    (tmp_path / "origin.json").write_text(json.dumps(spec))
    origin, origin_url = start([ssai_bin, "origin", "--synthetic", str(tmp_path / "origin.json"),
                                "--listen", "127.0.0.1:0"], cwd=root)
    config = json.loads((root / "fixtures/serve/demo.json").read_text())
    config["listen"] = f"127.0.0.1:{free_port()}"
    config["build"] = build
    config.pop("journal_path", None)
    items = [{"id": ad, "duration": 4, "variants": {str(b): "{self}/ads/%s/%d.m3u8" % (ad, b) for b in (800000, 2500000)},
              "audio": [{"language": "en", "url": "{self}/ads/%s/audio_en.m3u8" % ad}]} for ad in ("ad1", "ad2")]
    config["decision"] = {"latency_ms": 0, "ad_segment_duration_s": 2, "container": "cmaf",
                          "catalogue": {"default_pod": "demo-pod", "pods": {"demo-pod": {"items": items}}}}
    config["limits"]["origin_cache_ms"] = 0
    ch = config["channels"][0]
    config["channels"] = [ch]
    ch["origin_base_url"] = origin_url
    ch["slate"] = {"uri": origin_url + "/slate.m4s", "init_uri": origin_url + "/slate_init.mp4", "duration_s": 2}
    ch["alternates"] = [
        {"name": "aud_en", "type": "audio", "language": "en", "default": True,
         "slate": {"uri": origin_url + "/slate_audio.m4s", "init_uri": origin_url + "/slate_audio_init.mp4", "duration_s": 2}},
        {"name": "aud_fr", "type": "audio", "language": "fr",
         "slate": {"uri": origin_url + "/slate_audio.m4s", "init_uri": origin_url + "/slate_audio_init.mp4", "duration_s": 2}},
        {"name": "sub_en", "type": "subtitles", "language": "en",
         "slate": {"uri": origin_url + "/blank.vtt", "duration_s": 2}}]
    (tmp_path / "serve.json").write_text(json.dumps(config))
    serve, serve_url = start([ssai_bin, "serve", "--config", str(tmp_path / "serve.json")], cwd=root,
                             env=dict(os.environ, SSAI_CUE_TOKEN=TOKEN))
    return origin, origin_url, serve, serve_url


def test_observe_judges_demuxed_audio_and_subtitles(ssai_bin, root, tmp_path):
    """Issues 14/16: observe viewers load, besides every variant, the audio and subtitle renditions
    they choose from the output's multivariant playlist (player_choice.h: viewer 0 the DEFAULT
    English audio, viewer 1 the French), reloaded with the variants; variants.audio_aligned and
    variants.subtitles_aligned are judged and pass against `ssai serve` splicing them in
    lockstep, and a server that splices video but not audio (defect-audio-not-spliced), watched
    at the same time, is caught. The origin's own demuxed renditions are recorded (their segments
    are content, their playlists the lint baseline). ~30 s."""
    stacks = []
    try:
        for build in ("kv-hybrid", "defect-audio-not-spliced"):
            d = tmp_path / build
            d.mkdir()
            stacks.append(_demuxed_stack(ssai_bin, root, d, build))
        runs = []
        for (origin, origin_url, serve, serve_url), build in zip(stacks, ("kv-hybrid", "defect-audio-not-spliced")):
            p = tmp_path / build / "profile.json"
            _profile(p, f"{serve_url}/demo/sports/master.m3u8", f"{origin_url}/master.m3u8")
            runs.append(subprocess.Popen([ssai_bin, "conform", "--target", "observe", "--target-profile", str(p),
                                          "--duration", "26", "--out", str(tmp_path / build / "out"), "--quiet"],
                                         cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        outs = [proc.communicate(timeout=90)[0] for proc in runs]
    finally:
        for origin, _, serve, _ in stacks:
            stop(serve)
            stop(origin)
    run, checks = _cases(tmp_path / "kv-hybrid" / "out")
    failing = {c: v.get("failures") for c, v in checks.items() if v["outcome"] == "fail"}
    assert runs[0].returncode == 0, (outs[0], failing)
    assert run["stats"]["breaks_in_truth"] == 1 and run["stats"]["unanswered"] == 0, run["stats"]
    for check in ("variants.audio_aligned", "variants.subtitles_aligned", "splice.ad_starts_within",
                  "splice.no_content_in_break", "hls.response.ok"):
        assert checks[check]["outcome"] == "pass", (check, checks[check])
        assert checks[check].get("evaluated", 0) > 5, (check, checks[check])
    assert runs[1].returncode == 1, outs[1]
    _, bad = _cases(tmp_path / "defect-audio-not-spliced" / "out")
    assert bad["variants.audio_aligned"]["outcome"] == "fail", bad["variants.audio_aligned"]
    assert bad["variants.subtitles_aligned"]["outcome"] == "pass", bad["variants.subtitles_aligned"]


def _make_ca(tmp_path):
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it (the `openssl` CLI)."""
    d = tmp_path / "pki"
    d.mkdir()
    run = lambda *a: subprocess.run(["openssl", *a], cwd=d, check=True, capture_output=True, timeout=60)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
        "-subj", "/CN=ssai test CA", "-keyout", "ca.key", "-out", "ca.pem")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", "server.key", "-out", "server.csr")
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1",
        "-extfile", "san.ext", "-out", "server.pem")
    return d


class _TlsProxy:
    """HTTPS on 127.0.0.1 in front of an http:// base (Python's ssl module, the test's certificate):
    GETs are forwarded as they are, as a CDN terminating TLS would."""

    def __init__(self, base, pki):
        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                try:
                    with urllib.request.urlopen(base + self.path, timeout=10) as r:
                        status, body, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
                except urllib.error.HTTPError as e:
                    status, body, ctype = e.code, e.read(), "text/plain"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pki / "server.pem", pki / "server.key")
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


_LIVE = re.compile(r"^break (\d+) (.+) (\d\d:\d\d:\d\dZ) ([0-9.]+) s: (\d+) viewers?, (\d+) failures?(?:: (.*))?$")


def test_observe_over_https_with_live_break_lines(ssai_bin, root, tmp_path):
    """Issue 16: real deployments are https-only. Origin and output behind TLS proxies with a
    throwaway CA: trusted through tls.ca_file the run passes, and prints one line per break as it
    is judged, agreeing with the final report; without the CA the run stops at once with a clear
    certificate error and exit 2."""
    pki = _make_ca(tmp_path)
    origin, origin_url, serve, serve_url = _stack(ssai_bin, root, tmp_path)
    out_proxy, origin_proxy = _TlsProxy(serve_url, pki), _TlsProxy(origin_url, pki)
    try:
        trusted, untrusted = tmp_path / "trusted.json", tmp_path / "untrusted.json"
        for p, tls in ((trusted, {"ca_file": "pki/ca.pem"}), (untrusted, None)):
            profile = {"name": "tls", "org": "demo", "channel": "sports",
                       "ssai": {"master_url": f"{out_proxy.url}/demo/sports/master.m3u8"},
                       "observe": {"origin_url": f"{origin_proxy.url}/master.m3u8", "viewers": 2}}
            if tls:
                profile["tls"] = tls
            p.write_text(json.dumps(profile))
        t0 = time.monotonic()
        proc = subprocess.Popen([ssai_bin, "conform", "--target", "observe", "--target-profile", str(trusted),
                                 "--duration", "26", "--out", str(tmp_path / "trusted"), "--quiet"],
                                cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        bad = subprocess.run([ssai_bin, "conform", "--target", "observe", "--target-profile", str(untrusted),
                              "--duration", "26", "--out", str(tmp_path / "untrusted"), "--quiet"],
                             cwd=root, capture_output=True, text=True, timeout=60)
        bad_s = time.monotonic() - t0
        # Live lines arrive while the run is still watching (the break ends ~18 s in).
        first_line, first_at, before = None, None, []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("break "):
                first_line, first_at = line, time.monotonic() - t0
                break
            before.append(line)
        rest, err = proc.communicate(timeout=90)
        rest = "".join(before) + rest
    finally:
        out_proxy.close()
        origin_proxy.close()
        stop(serve)
        stop(origin)
    assert bad.returncode == 2, (bad.returncode, bad.stdout, bad.stderr)
    assert "the certificate of 127.0.0.1 did not verify: unable to get local issuer certificate" in bad.stderr, bad.stderr
    assert bad_s < 15 and "Traceback" not in bad.stderr
    assert proc.returncode == 0, (first_line, rest, err)
    assert first_line is not None, rest
    assert first_at < 26, first_at  # before the run's end: live, not at the end
    lines = [first_line.rstrip("\n")] + [l for l in rest.splitlines() if l.startswith("break ")]
    assert all("\r" not in l for l in lines)
    run, checks = _cases(tmp_path / "trusted")
    assert run["stats"]["breaks_in_truth"] == 1 and run["stats"]["unanswered"] == 0, run["stats"]
    assert checks["splice.ad_starts_within"]["outcome"] == "pass", checks["splice.ad_starts_within"]
    # One line per break, and its verdict is the report's: the same failing checks per break.
    assert len(lines) == run["stats"]["breaks_in_truth"], lines
    for line in lines:
        m = _LIVE.match(line)
        assert m, line
        label, failures = m.group(2), int(m.group(6))
        live_failed = {f.rsplit(" (", 1)[0] for f in (m.group(7) or "").split(", ") if f}
        reported = {c["id"] for c in run["checks"] for b in c.get("failures_by_break", []) if b["break"] == label}
        assert live_failed == reported, (line, reported)
        assert m.group(5) == "2"
        assert failures == sum(b["failures"] for c in run["checks"] for b in c.get("failures_by_break", [])
                               if b["break"] == label)
