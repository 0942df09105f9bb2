"""`ssai origin` (and `ssai decision`) under attack, on loopback only (issue 13): slow clients must not starve the
others (it runs on the Beast front end, where a slow client holds a socket, not a thread), and
`--capture DIR` never serves a file outside DIR. Every process and socket a test opens is closed,
also on failure; every loop is bounded."""
import json
import socket
import statistics
import threading
import time

import pytest

from procs import get, start, stop

SPEC = {
    "segment_duration_s": 2, "window_segments": 4, "start_time": "2026-01-15T12:00:00Z",
    "cue_flavour": "cue_out",
    "renditions": [{"name": "v720", "bandwidth_bps": 2500000}],
    "breaks": [{"start_time": "2026-01-15T12:00:14Z", "duration_s": 4, "event_id": 7}],
}

SLOW_CLIENTS = 30


@pytest.fixture
def procs():
    started = []
    yield started
    for p in reversed(started):
        stop(p)


def _capture_dir(path):
    path.mkdir()
    (path / "master.m3u8").write_text("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\nv.m3u8\n")
    (path / "v.m3u8").write_text("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n"
                                 "#EXT-X-MEDIA-SEQUENCE:1\n#EXTINF:2.000,\ns1.ts\n")
    index = [{"format": "ssai-capture-1", "duration_ms": 4000},
             {"offset_ms": 0, "path": "/master.m3u8", "file": "master.m3u8"},
             {"offset_ms": 0, "path": "/v.m3u8", "file": "v.m3u8"}]
    (path / "index.jsonl").write_text("".join(json.dumps(x) + "\n" for x in index))
    return path


def _slowloris(port, stop_event, opened):
    """Sends a request's header one byte per second until stop_event (at most 20 bytes)."""
    request = b"GET /v720.m3u8 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            opened.append(1)
            for i in range(20):
                if stop_event.is_set():
                    return
                try:
                    s.sendall(request[i:i + 1])
                except OSError:
                    return  # the server closed us: fine, that is a defence too
                stop_event.wait(1.0)
    except OSError:
        return


@pytest.mark.parametrize("mode", ["synthetic", "capture", "decision"])
def test_slow_clients_do_not_starve_playlist_fetches(ssai_bin, root, tmp_path, procs, mode):
    if mode == "synthetic":
        (tmp_path / "spec.json").write_text(json.dumps(SPEC))
        cmd, path = ["origin", "--synthetic", tmp_path / "spec.json"], "/v720.m3u8"
    elif mode == "capture":
        cmd, path = ["origin", "--capture", _capture_dir(tmp_path / "cap")], "/v.m3u8"
    else:  # `ssai decision` ran on the same httplib service: its ad playlists
        cmd, path = ["decision", "--catalogue", root / "fixtures/serve/catalogue.json"], "/ads/ad1/800000.m3u8"
    origin, url = start([ssai_bin, *cmd, "--listen", "127.0.0.1:0"], root)
    procs.append(origin)
    port = int(url.rsplit(":", 1)[1])
    stop_event = threading.Event()
    opened = []
    threads = [threading.Thread(target=_slowloris, args=(port, stop_event, opened), daemon=True)
               for _ in range(SLOW_CLIENTS)]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 5
        while len(opened) < SLOW_CLIENTS and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(opened) == SLOW_CLIENTS
        time.sleep(1.0)  # every slow client has sent a byte and holds its connection
        latencies = []
        for _ in range(20):
            t0 = time.monotonic()
            status, _, body = get(url + path, timeout_s=10)
            latencies.append(time.monotonic() - t0)
            assert status == 200 and body.startswith("#EXTM3U"), (status, body[:200])
        p50 = statistics.median(latencies)
        assert p50 < 0.1, f"p50 {p50 * 1000:.0f} ms with {SLOW_CLIENTS} slow clients: {latencies}"
    finally:
        stop_event.set()
        for t in threads:
            t.join(timeout=5)


def test_capture_never_serves_a_file_outside_the_directory(ssai_bin, ssai, root, tmp_path, procs):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-BYTES\n")
    cap = _capture_dir(tmp_path / "cap")
    (cap / "leak.m3u8").symlink_to(secret)
    (cap / "inside.m3u8").symlink_to(cap / "v.m3u8")  # a symlink that stays inside is fine
    with (cap / "index.jsonl").open("a") as f:
        for p, name in [("/leak.m3u8", "leak.m3u8"), ("/inside.m3u8", "inside.m3u8")]:
            f.write(json.dumps({"offset_ms": 0, "path": p, "file": name}) + "\n")
    origin, url = start([ssai_bin, "origin", "--capture", cap, "--listen", "127.0.0.1:0"], root)
    procs.append(origin)
    status, _, body = get(url + "/leak.m3u8")
    assert status in (403, 404), (status, body)
    assert "TOP-SECRET" not in body
    status, _, body = get(url + "/inside.m3u8")
    assert status == 200 and body.startswith("#EXTM3U")
    stop(origin)
    assert "file 'leak.m3u8' resolves to" in origin.stderr.read()

    # Absolute names and ".." in the index are refused at start, naming the line.
    for bad in ["../secret.txt", str(secret), "a/../../secret.txt"]:
        lines = (cap / "index.jsonl").read_text().splitlines()[:3]
        lines.append(json.dumps({"offset_ms": 0, "path": "/x.m3u8", "file": bad}))
        (cap / "index.jsonl").write_text("\n".join(lines) + "\n")
        r = ssai("origin", "--capture", cap, "--listen", "127.0.0.1:0", timeout=10)
        assert r.returncode == 2, (bad, r.stdout, r.stderr)
        assert "line 4: file: not a plain file name in the capture directory" in r.stderr
