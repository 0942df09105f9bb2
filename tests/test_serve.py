"""`ssai origin --synthetic` + `ssai serve` as real processes on loopback: a cue, then ads in the
variant playlist. Ports are picked by the OS (--listen 127.0.0.1:0); each process prints
"listening on http://127.0.0.1:PORT" once it serves. Both processes are always stopped."""
import json
import os
import time
import urllib.error
import urllib.request

import pytest

from procs import get as _get_any, start as _start, stop as _stop

TOKEN = "pytest-cue-token"


def _get(url):
    status, headers, body = _get_any(url)
    assert status < 400, f"GET {url}: {status} {body}"
    return status, headers, body


def _start_serve(ssai_bin, root, tmp_path, origin_url, listen="127.0.0.1:0"):
    """`ssai serve` on the demo config with its journal in tmp_path (the same file on every call,
    so a second process recovers what the first acknowledged): (proc, base_url)."""
    config = json.loads((root / "fixtures/serve/demo.json").read_text())
    config["listen"] = listen
    config["journal_path"] = str(tmp_path / "journal.jsonl")
    config["decision"]["catalogue_file"] = str(root / "fixtures/serve/catalogue.json")
    config["decision"]["latency_ms"] = 0
    for ch in config["channels"]:
        ch["origin_base_url"] = origin_url
    (tmp_path / "serve.json").write_text(json.dumps(config))
    env = dict(os.environ, SSAI_CUE_TOKEN=TOKEN)
    return _start([ssai_bin, "serve", "--config", str(tmp_path / "serve.json")], cwd=root, env=env)


@pytest.fixture
def deployment(ssai_bin, root, tmp_path):
    """(serve base URL, serve process, restart()): restart() starts another `ssai serve` on the same
    journal and the same port (the built-in decision service's ad URLs, kept with each break,
    name it) and returns its (process, base URL). Every process is stopped at the end."""
    procs = []
    try:
        origin, origin_url = _start(
            [ssai_bin, "origin", "--synthetic", str(root / "fixtures/serve/origin.json"),
             "--listen", "127.0.0.1:0"], cwd=root)
        procs.append(origin)
        serve, serve_url = _start_serve(ssai_bin, root, tmp_path, origin_url)
        procs.append(serve)

        def restart():
            proc, url = _start_serve(ssai_bin, root, tmp_path, origin_url,
                                     listen=serve_url.removeprefix("http://"))
            procs.append(proc)
            return proc, url

        yield serve_url, serve, restart
    finally:
        for p in reversed(procs):
            _stop(p)


def _wait_for_ads(base, timeout_s=12):
    """Polls the sports v720 playlist until it carries the first ad: (headers, body)."""
    deadline = time.monotonic() + timeout_s
    body, headers = "", {}
    while time.monotonic() < deadline:
        status, headers, body = _get(base + "/demo/sports/v720.m3u8")
        assert status == 200
        if "/ads/ad1/2500000" in body:
            break
        time.sleep(0.25)
    assert "/ads/ad1/2500000" in body, body
    return headers, body


def _post_cue(base, body, token):
    req = urllib.request.Request(base + "/cue", data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_cue_then_ads_in_the_variant_playlist(deployment):
    base, serve, _ = deployment
    status, health = _get(base + "/health")[0], json.loads(_get(base + "/health")[2])
    assert status == 200 and health["status"] == "ok"

    code, err = _post_cue(base, {"org": "demo", "channel": "sports", "duration": 20}, "wrong")
    assert code == 401 and "token" in err["error"]

    code, cue = _post_cue(base, {"org": "demo", "channel": "sports", "duration": 20}, TOKEN)
    assert code == 200, cue
    assert cue["ok"] and cue["eventId"].startswith("manual_ch_demo_sports_")

    # 2 s segments: the first ad slot is published within ~2-4 s of the cue.
    headers, body = _wait_for_ads(base)
    assert headers.get("X-SSAI-State-Source") in ("kv-hit", "kv-miss")
    assert headers.get("Cache-Control") == "no-store"
    assert "#EXT-X-DISCONTINUITY" in body

    metrics = _get(base + "/metrics")[2]
    assert 'ssai_cues_total{result="accepted"} 1' in metrics
    assert "ssai_coordinator_breaks_created_total 1" in metrics

    # Graceful shutdown on SIGTERM: exit status 0.
    assert _stop(serve) == 0


def test_killed_mid_break_the_restarted_server_honours_the_acknowledged_cue(deployment):
    """SIGKILL (no shutdown, no flush) while the break plays: the journal was fsync'ed before the
    200, so a new process on the same journal still has the break and serves its ads; the cue
    repeated is a duplicate of it, not a second break."""
    base, serve, restart = deployment
    code, cue = _post_cue(base, {"org": "demo", "channel": "sports", "duration": 24}, TOKEN)
    assert code == 200, cue
    _wait_for_ads(base)
    serve.kill()
    assert serve.wait(timeout=5) == -9

    _, base2 = restart()
    assert base2 == base
    status, _, breaks = _get(base2 + "/api/channels/ch_demo_sports/breaks")
    assert status == 200 and cue["eventId"] in breaks, breaks
    headers, body = _wait_for_ads(base2, timeout_s=6)
    assert "#EXT-X-DISCONTINUITY" in body
    metrics = _get(base2 + "/metrics")[2]
    assert "ssai_coordinator_breaks_created_total 0" in metrics, metrics

    code, again = _post_cue(base2, {"org": "demo", "channel": "sports", "duration": 24}, TOKEN)
    assert code == 200 and again["duplicate"] and again["eventId"] == cue["eventId"], again


def _metric_families(text):
    """Prometheus text format 0.0.4: {family: (help, type)} from the # lines, and every sample
    line's family (histogram _bucket/_sum/_count folded into theirs)."""
    helps, types, samples = {}, {}, []
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, text_ = line[7:].partition(" ")
            helps[name] = text_
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            types[name] = kind
        elif line and not line.startswith("#"):
            name = line.split("{")[0].split(" ")[0]
            for suffix in ("_bucket", "_sum", "_count"):
                if name not in types and name.endswith(suffix) and types.get(name[: -len(suffix)]) == "histogram":
                    name = name[: -len(suffix)]
            samples.append((name, line))
    return helps, types, samples


def test_metrics_every_family_has_help_and_type(deployment, ssai):
    """/metrics of a running `ssai serve` (issue 19): every sample's family has # HELP and # TYPE,
    ssai_build_info names the version `ssai --version` prints, and the KV hit ratio is left to
    rate() over the counters (no lifetime ratio gauge)."""
    base, _, _ = deployment
    _get(base + "/demo/sports/v720.m3u8")
    _post_cue(base, {"org": "demo", "channel": "sports", "duration": 20}, "wrong")
    text = _get(base + "/metrics")[2]
    helps, types, samples = _metric_families(text)
    assert len(samples) > 40
    for name, line in samples:
        assert name in helps and helps[name], f"no # HELP for {line!r}"
        assert name in types, f"no # TYPE for {line!r}"
    assert all(t in ("counter", "gauge", "histogram") for t in types.values()), types
    version = ssai("--version").stdout.strip().removeprefix("ssai ")
    assert f'ssai_build_info{{version="{version}"}} 1' in text.splitlines()
    assert "ssai_kv_hit_ratio" not in text
    assert types["ssai_manifest_requests_total"] == "counter"
    assert 'ssai_manifest_requests_total{source="kv-hit"}' in text


def test_serve_logs_json_lines_on_stderr(ssai_bin, root, tmp_path):
    """Issue 19: `ssai serve --log-format json --access-log` says what it does on stderr, one JSON
    object per line: started, each request answered, a refused cue, stopped."""
    config = json.loads((root / "fixtures/serve/demo.json").read_text())
    config.update({"listen": "127.0.0.1:0", "journal_path": str(tmp_path / "journal.jsonl")})
    config["decision"]["catalogue_file"] = str(root / "fixtures/serve/catalogue.json")
    (tmp_path / "serve.json").write_text(json.dumps(config))
    proc, base = _start([ssai_bin, "serve", "--config", str(tmp_path / "serve.json"), "--log-format", "json",
                         "--access-log"], cwd=root, env=dict(os.environ, SSAI_CUE_TOKEN=TOKEN))
    try:
        _get(base + "/health")
        code, _ = _post_cue(base, {"org": "demo", "channel": "sports", "duration": 10}, "not-the-token")
        assert code == 401
    finally:
        assert _stop(proc) == 0
    lines = [l for l in proc.stderr.read().splitlines() if l.startswith("{")]
    events = [json.loads(l) for l in lines]
    names = [e["event"] for e in events]
    assert names[0] == "server.started" and names[-1] == "server.stopped", names
    health = [e for e in events if e["event"] == "http.access" and e["route"] == "health"]
    assert health and health[0]["status"] == 200 and health[0]["path"] == "/health", events
    refused = [e for e in events if e["event"] == "cue.refused"]
    assert refused and refused[0]["status"] == 401 and refused[0]["level"] == "warn", events
