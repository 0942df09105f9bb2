"""A split deployment on real Redis: a primary and a replica (scripts/redis.sh), a synthetic origin,
a coordinator (role coordinator: writes the primary, serves POST /cue with JWT HS256 and the
built-in decision service) and two edges (role edge: each reads the replica, asks the coordinator on
a miss), all real processes on loopback ports the OS picks. A cue goes in with a JWT; both edges
are polled through the whole break. Every process is stopped by the fixture, also on failure."""
import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from procs import free_port as _free_port, get as _get, start as _start, stop as _stop

SECRET = "pytest-jwt-secret-0123456789abcdef"
DURATION_S = 10  # the default pod's first ad is 10 s
CHANNEL_ID = "ch_demo_sports"


def _post_cue(base, body, token):
    req = urllib.request.Request(base + "/cue", data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


def _redis(port, *args):
    r = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *map(str, args)],
                       capture_output=True, text=True, timeout=5)
    return r.stdout.strip()


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(secret, claims, alg="HS256"):
    """An HS256 JWT made with the standard library (independent of libjwt)."""
    head = _b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = _b64url(json.dumps(claims).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64url(sig) if alg != 'none' else ''}"


def _time(iso):
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


@pytest.fixture
def redis_pair(root, tmp_path):
    if subprocess.run(["sh", "-c", "command -v redis-server"], capture_output=True).returncode != 0:
        pytest.fail("redis-server not installed (Debian redis-server; scripts/bootstrap.sh installs it)")
    d = tmp_path / "redis"
    primary, replica = _free_port(), _free_port()
    r = subprocess.run([str(root / "scripts/redis.sh"), "start", str(d), str(primary), str(replica)],
                       capture_output=True, text=True, timeout=30)
    try:
        assert r.returncode == 0, r.stderr
        yield primary, replica
    finally:
        subprocess.run([str(root / "scripts/redis.sh"), "stop", str(d)], capture_output=True, timeout=30)


@pytest.fixture
def deployment(ssai_bin, root, tmp_path, redis_pair):
    primary, replica = redis_pair
    procs = []
    env = dict(os.environ, SSAI_JWT_SECRET=SECRET)
    env.pop("SSAI_CUE_TOKEN", None)

    def config(name, **changes):
        c = json.loads((root / "fixtures/serve" / name).read_text())
        c["listen"] = "127.0.0.1:0"
        c["kv"]["primary"] = f"127.0.0.1:{primary}"
        if "replica" in c["kv"]:
            c["kv"]["replica"] = f"127.0.0.1:{replica}"
        c.update(changes)
        for ch in c["channels"]:
            ch["origin_base_url"] = origin_url
        path = tmp_path / f"{len(procs)}-{name}"
        path.write_text(json.dumps(c))
        return str(path)

    try:
        origin, origin_url = _start([ssai_bin, "origin", "--synthetic", str(root / "fixtures/serve/origin.json"),
                                     "--listen", "127.0.0.1:0"], cwd=root)
        procs.append(origin)
        coord_cfg = config("redis-coordinator.json", journal_path=str(tmp_path / "journal.jsonl"),
                           auth={"jwt_secret_env": "SSAI_JWT_SECRET"},
                           decision={"catalogue_file": str(root / "fixtures/serve/catalogue.json"),
                                     "latency_ms": 0, "ad_segment_duration_s": 2})
        coordinator, coord_url = _start([ssai_bin, "serve", "--config", coord_cfg], cwd=root, env=env)
        procs.append(coordinator)
        edges = []
        for _ in range(2):
            edge, edge_url = _start([ssai_bin, "serve", "--config",
                                     config("redis-edge.json", coordinator_url=coord_url)], cwd=root, env=env)
            procs.append(edge)
            edges.append(edge_url)
        # An edge whose replica is down: Redis errors, the read path falls back to the coordinator.
        dead = _free_port()
        cfg = json.loads(open(config("redis-edge.json", coordinator_url=coord_url)).read())
        cfg["kv"]["replica"] = f"127.0.0.1:{dead}"
        (tmp_path / "dead-edge.json").write_text(json.dumps(cfg))
        dead_edge, dead_edge_url = _start([ssai_bin, "serve", "--config", str(tmp_path / "dead-edge.json")],
                                          cwd=root, env=env)
        procs.append(dead_edge)
        yield {"coordinator": coord_url, "edges": edges, "dead_edge": dead_edge_url, "primary": primary,
               "replica": replica, "env": env}
    finally:
        for p in reversed(procs):
            _stop(p)


def _ads(body):
    return [line for line in body.splitlines() if "/ads/" in line and not line.startswith("#")]


def test_break_through_redis_at_two_edges(deployment, ssai_bin):
    d = deployment
    coord, edges = d["coordinator"], d["edges"]
    cue = {"org": "demo", "channel": "sports", "duration": DURATION_S}

    # Auth: missing, wrong secret, alg none, expired -> 401 with an RFC 6750 challenge naming why.
    now = int(time.time())
    code, headers, err = _post_cue(coord, cue, "")
    assert code == 401 and "missing" in err["error"]
    for token, why in [(_jwt("wrong-secret", {"exp": now + 60}), "signature"),
                       (_jwt(SECRET, {"exp": now + 60}, alg="none"), "alg none"),
                       (_jwt(SECRET, {"exp": now - 5}), "expired"),
                       ("not-a-jwt", "malformed")]:
        code, headers, err = _post_cue(coord, cue, token)
        assert code == 401, (why, err)
        assert why in err["error"], err
        assert 'error="invalid_token"' in headers.get("WWW-Authenticate", ""), headers
    # `ssai token` mints the cue's token (libjwt); a stdlib-made one verifies too (interop).
    r = subprocess.run([ssai_bin, "token", "--secret-env", "SSAI_JWT_SECRET", "--ttl-s", "120"],
                       capture_output=True, text=True, timeout=10, env=d["env"])
    assert r.returncode == 0, r.stderr
    r_missing = subprocess.run([ssai_bin, "token", "--secret-env", "SSAI_NO_SUCH_SECRET_VAR"],
                               capture_output=True, text=True, timeout=10)
    assert r_missing.returncode == 2 and "SSAI_NO_SUCH_SECRET_VAR" in r_missing.stderr
    token = r.stdout.strip()
    assert token.count(".") == 2

    # Before the cue: no ads at either edge.
    for e in edges:
        status, headers, body = _get(e + "/demo/sports/v720.m3u8")
        assert status == 200 and not _ads(body), body

    code, _, accepted = _post_cue(coord, cue, token)
    assert code == 200, accepted
    event_id = accepted["eventId"]
    start_s = _time(accepted["adBreak"]["startTime"])
    end_s = _time(accepted["adBreak"]["endTime"])
    assert abs((end_s - start_s) - DURATION_S) < 0.01
    # A token made with the standard library (not libjwt) is accepted too; during the break the
    # same cue is the same break (duplicate), so no second break starts.
    code, _, dup = _post_cue(coord, cue, _jwt(SECRET, {"exp": int(time.time()) + 60, "sub": "pytest"}))
    assert code == 200 and dup["duplicate"] and dup["eventId"] == event_id, dup

    # The key is on the primary with the seed's TTL floor(duration) + 60, and replicates.
    key = f"adbreak:{CHANNEL_ID}:{event_id}"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _redis(d["primary"], "EXISTS", key) != "1":
        time.sleep(0.1)
    ttl = int(_redis(d["primary"], "TTL", key))
    assert DURATION_S + 60 - 3 <= ttl <= DURATION_S + 60, ttl
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _redis(d["replica"], "EXISTS", key) != "1":
        time.sleep(0.05)
    assert _redis(d["replica"], "GET", key) == _redis(d["primary"], "GET", key)
    assert int(_redis(d["replica"], "TTL", key)) > 60

    # Poll both edges through the break and until the ads have left the window.
    seen_ads = {e: False for e in edges}
    kv_hit_with_ads = {e: False for e in edges}
    content_after = {e: False for e in edges}
    deadline = time.monotonic() + (end_s - time.time()) + 30
    while time.monotonic() < deadline and not all(content_after.values()):
        for e in edges:
            status, headers, body = _get(e + "/demo/sports/v720.m3u8")
            assert status == 200, body
            ads = _ads(body)
            if ads:
                seen_ads[e] = True
                assert all("/ads/ad1/2500000" in a or "/ads/ad1/" in a for a in ads), ads
                if headers.get("X-SSAI-State-Source") == "kv-hit":
                    kv_hit_with_ads[e] = True
            elif seen_ads[e] and time.time() > end_s:
                # The break is over and its ads have slid out of the window: content again,
                # while the key still lives in Redis (TTL ~60 s past endTime).
                content_after[e] = True
                assert int(_redis(d["replica"], "TTL", key)) > 0
                assert "#EXTINF" in body
        time.sleep(0.5)
    assert all(seen_ads.values()), seen_ads
    assert all(kv_hit_with_ads.values()), kv_hit_with_ads
    assert all(content_after.values()), content_after

    for e in edges:
        metrics = _get(e + "/metrics")[2]
        assert 'ssai_kv_errors_total{op="get"} 0' in metrics
        assert 'ssai_kv_errors_total{op="list"} 0' in metrics
        assert re.search(r'ssai_manifest_requests_total\{source="kv-hit"\} [1-9]', metrics), metrics
    coord_metrics = _get(coord + "/metrics")[2]
    assert 'ssai_kv_errors_total{op="put"} 0' in coord_metrics
    assert 'ssai_cues_total{result="unauthorized"} 5' in coord_metrics

    # The edge whose replica is down still answers (from the coordinator) and counts the errors.
    status, headers, body = _get(d["dead_edge"] + "/demo/sports/v720.m3u8")
    assert status == 200, body
    # kv-miss: KV gave no state (here: an error), so the manifest path asked the coordinator.
    assert headers.get("X-SSAI-State-Source") in ("kv-miss", "coordinator"), headers
    metrics = _get(d["dead_edge"] + "/metrics")[2]
    assert re.search(r'ssai_kv_errors_total\{op="list"\} [1-9]', metrics), metrics
    assert re.search(r'ssai_coordinator_calls_total [1-9]', metrics), metrics
