"""`ssai capture` and `ssai origin --capture` end to end, on loopback only: a synthetic origin
(--speed 10, so seconds of stream take a tenth of that) is recorded, the capture replayed and
recorded again; failures are recorded, not fatal; bad input gets a clear error. Every process a
test starts is stopped, also on failure."""
import json
import time

import pytest

from procs import get as _get_any, start as _start, stop as _stop

SPEC = {
    "segment_duration_s": 2, "window_segments": 4, "start_time": "2026-01-15T12:00:00Z",
    "cue_flavour": "cue_out",
    "renditions": [{"name": "v720", "bandwidth_bps": 2500000}, {"name": "v360", "bandwidth_bps": 800000}],
    "breaks": [{"start_time": "2026-01-15T12:00:14Z", "duration_s": 4, "event_id": 7}],
}


def _get(url):
    status, _, body = _get_any(url)
    return status, body


def _status(url):
    """The HTTP status of GET url (the body may be binary: a segment)."""
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def _index(path):
    lines = [json.loads(x) for x in (path / "index.jsonl").read_text().splitlines()]
    return lines[0], lines[1:]


@pytest.fixture
def procs():
    started = []
    yield started
    for p in reversed(started):
        _stop(p)


def test_capture_a_synthetic_origin_and_replay_it(ssai_bin, ssai, root, tmp_path, procs):
    (tmp_path / "spec.json").write_text(json.dumps(SPEC))
    origin, url = _start([ssai_bin, "origin", "--synthetic", tmp_path / "spec.json", "--listen", "127.0.0.1:0",
                          "--speed", "10", "--from", "2026-01-15T12:00:10Z"], root)
    procs.append(origin)
    r = ssai("capture", url + "/master.m3u8", "--duration", "16", "--speed", "10", "--out", tmp_path / "cap",
             timeout=30)
    assert r.returncode == 0, r.stderr
    assert "captured 2 rendition(s)" in r.stdout
    header, entries = _index(tmp_path / "cap")
    assert header["format"] == "ssai-capture-1" and header["speed"] == 10
    assert header["url"] == url + "/master.m3u8"
    paths = {e["path"] for e in entries}
    assert paths == {"/master.m3u8", "/v720.m3u8", "/v360.m3u8"}
    assert all(e["status"] == 200 and (tmp_path / "cap" / e["file"]).is_file() for e in entries)
    offsets = [e["offset_ms"] for e in entries]
    assert offsets == sorted(offsets) and offsets[-1] <= 16000 + 500
    v720 = [e for e in entries if e["path"] == "/v720.m3u8"]
    # RFC 8216 §6.3.4: a reload every target duration (2 s) after a change, 1 s after none.
    assert 7 <= len(v720) <= 17, v720
    gaps = [b["offset_ms"] - a["offset_ms"] for a, b in zip(v720, v720[1:])]
    assert all(900 <= g <= 2600 for g in gaps), gaps
    # The break is in the recording, and `ssai hls cues` finds it.
    files = [str(tmp_path / "cap" / e["file"]) for e in v720]
    cues = ssai("hls", "cues", *files)
    assert cues.returncode == 0, cues.stderr
    events = [json.loads(x) for x in cues.stdout.splitlines()]
    assert [(e["kind"], e["splice_time"]) for e in events] == [
        ("start", "2026-01-15T12:00:14.000Z"), ("end", "2026-01-15T12:00:18.000Z")]

    # Replay: the snapshot current at (now - start) x speed; 404 outside the capture.
    _stop(origin)
    replay, rurl = _start([ssai_bin, "origin", "--capture", tmp_path / "cap", "--listen", "127.0.0.1:0",
                           "--speed", "10"], root)
    procs.append(replay)
    status, master = _get(rurl + "/master.m3u8")
    assert status == 200 and "v360.m3u8" in master
    status, body = _get(rurl + "/v720.m3u8")
    assert status == 200
    assert body in {(tmp_path / "cap" / e["file"]).read_text() for e in v720}
    assert _get(rurl + "/v1080.m3u8")[0] == 404
    assert _get(rurl + "/seg_v720_1.ts")[0] == 404

    # Recording the replay gives the same renditions and the same break.
    r = ssai("capture", rurl + "/master.m3u8", "--duration", "8", "--speed", "10", "--out", tmp_path / "again",
             timeout=30)
    assert r.returncode == 0, r.stderr
    _, again = _index(tmp_path / "again")
    assert {e["path"] for e in again} == paths


def test_capture_records_failures_instead_of_aborting(ssai_bin, ssai, root, tmp_path, procs):
    """A hand-made capture replays a 404, a timeout and a broken playlist; recording it records them."""
    cap = tmp_path / "src"
    cap.mkdir()
    (cap / "master.m3u8").write_text("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000\nv.m3u8\n")
    (cap / "v1.m3u8").write_text("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\ns1.ts\n")
    (cap / "bad.m3u8").write_text("#EXTM3U\n#EXTINF:abc,\ns.ts\n")
    index = [
        {"format": "ssai-capture-1", "duration_ms": 4000},
        {"offset_ms": 0, "path": "/master.m3u8", "file": "master.m3u8"},
        {"offset_ms": 0, "path": "/v.m3u8", "file": "v1.m3u8"},
        {"offset_ms": 1000, "path": "/v.m3u8", "status": 404},
        {"offset_ms": 2000, "path": "/v.m3u8", "status": 0, "error": "timeout after 2000 ms"},
        {"offset_ms": 3000, "path": "/v.m3u8", "file": "bad.m3u8"},
    ]
    (cap / "index.jsonl").write_text("".join(json.dumps(x) + "\n" for x in index))
    replay, rurl = _start([ssai_bin, "origin", "--capture", cap, "--listen", "127.0.0.1:0"], root)
    procs.append(replay)
    r = ssai("capture", rurl + "/master.m3u8", "--duration", "4", "--out", tmp_path / "rec", timeout=30)
    assert r.returncode == 0, r.stderr
    _, entries = _index(tmp_path / "rec")
    statuses = [(e["status"], e.get("error", "")[:20]) for e in entries if e["path"] == "/v.m3u8"]
    seen = {s for s, _ in statuses}
    assert {200, 404, 504} <= seen, statuses
    assert any(e.get("error", "").startswith("not a media playlist: line 2") for e in entries), entries
    assert "status 404" in r.stderr


def test_capture_first_fetch_failure_is_a_clear_error(ssai_bin, ssai, root, tmp_path, procs):
    (tmp_path / "spec.json").write_text(json.dumps(SPEC))
    origin, url = _start([ssai_bin, "origin", "--synthetic", tmp_path / "spec.json", "--listen", "127.0.0.1:0"],
                         root)
    procs.append(origin)
    r = ssai("capture", url + "/nope.m3u8", "--duration", "1", "--out", tmp_path / "c1")
    assert r.returncode == 2
    assert f"{url}/nope.m3u8: first fetch failed: HTTP 404" in r.stderr
    _stop(origin)  # nothing listens there any more
    r = ssai("capture", url + "/master.m3u8", "--duration", "1", "--out", tmp_path / "c2", "--timeout-ms", "500")
    assert r.returncode == 2
    assert f"{url}/master.m3u8: first fetch failed:" in r.stderr
    r = ssai("capture", "ftp://example.com/x.m3u8", "--duration", "1", "--out", tmp_path / "c3")
    assert r.returncode == 2 and "only http:// and https:// are supported" in r.stderr


def test_origin_capture_bad_input(ssai, tmp_path):
    cap = tmp_path / "cap"
    cap.mkdir()
    (cap / "index.jsonl").write_text('{"format":"ssai-capture-1"}\n{"offset_ms":"x","path":"/a.m3u8"}\n')
    r = ssai("origin", "--capture", cap, "--listen", "127.0.0.1:0", timeout=10)
    assert r.returncode == 2
    assert f"{cap}/index.jsonl: line 2: offset_ms: not a non-negative integer" in r.stderr
    (cap / "index.jsonl").write_text('{"format":"ssai-capture-1"}\n{"offset_ms":0,"path":"/a.m3u8","file":"a"}\n')
    r = ssai("origin", "--capture", cap, "--listen", "127.0.0.1:0", timeout=10)
    assert r.returncode == 2
    assert f"{cap}/index.jsonl: line 2: file 'a' cannot be read" in r.stderr
    r = ssai("origin", "--listen", "127.0.0.1:0", timeout=10)
    assert r.returncode == 2 and "one of --synthetic SPEC, --capture DIR or --ts FILE.ts is required" in r.stderr


def test_origin_capture_loops(ssai_bin, root, tmp_path, procs):
    cap = tmp_path / "cap"
    cap.mkdir()
    (cap / "a.m3u8").write_text("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\na.ts\n")
    (cap / "b.m3u8").write_text("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\nb.ts\n")
    (cap / "index.jsonl").write_text(
        '{"format":"ssai-capture-1","duration_ms":2000}\n'
        '{"offset_ms":0,"path":"/v.m3u8","file":"a.m3u8"}\n'
        '{"offset_ms":1000,"path":"/v.m3u8","file":"b.m3u8"}\n')
    # --speed 4: the 2 s capture lasts 0.5 s of wall time; sample it for 1.6 s (three loops).
    replay, rurl = _start([ssai_bin, "origin", "--capture", cap, "--listen", "127.0.0.1:0", "--speed", "4",
                           "--loop"], root)
    procs.append(replay)
    seen = []
    deadline = time.monotonic() + 1.6
    while time.monotonic() < deadline:
        body = _get(rurl + "/v.m3u8")[1]
        seen.append("a" if "a.ts" in body else "b")
        time.sleep(0.05)
    changes = sum(1 for x, y in zip(seen, seen[1:]) if x != y)
    assert changes >= 4, seen  # a -> b -> a -> b ...: it loops


def test_capture_segments_replays_real_media(ssai_bin, ssai, root, tmp_path, procs):
    """`ssai capture --segments` keeps the segments the playlists list (issue 17): the index has an
    entry per segment path with its file, and a replay of the capture plays in ffmpeg."""
    import shutil
    import subprocess
    import ts_fixtures as tf
    ts_path, _ = tf.write_fixture("splice_insert", tmp_path)
    origin, url = _start([ssai_bin, "origin", "--ts", ts_path, "--segment-s", "2", "--loop", "--speed", "4",
                          "--window", "4", "--listen", "127.0.0.1:0"], root)
    procs.append(origin)
    time.sleep(2.2)  # 8.8 s of stream: a full window to start from
    r = ssai("capture", url + "/master.m3u8", "--duration", "16", "--speed", "4", "--segments",
             "--out", tmp_path / "cap", timeout=60)
    assert r.returncode == 0, r.stderr
    assert " segments (" in r.stdout and ", 0 skipped)" in r.stdout, r.stdout
    _, entries = _index(tmp_path / "cap")
    segs = [e for e in entries if e["path"].endswith(".ts")]
    msns = sorted(int(e["path"][len("/ts_"):-3]) for e in segs)
    assert len(msns) >= 8 and msns == list(range(msns[0], msns[-1] + 1)), msns  # each once, none missed
    for e in segs:
        body = (tmp_path / "cap" / e["file"]).read_bytes()
        assert e["status"] == 200 and body[:1] == b"\x47" and len(body) % 188 == 0
    # Each segment is fetched after the playlist that first lists it.
    first_listed = {}
    for e in entries:
        if e["path"] == "/ts.m3u8":
            for line in (tmp_path / "cap" / e["file"]).read_text().splitlines():
                if line.endswith(".ts"):
                    first_listed.setdefault("/" + line, e["offset_ms"])
    assert all(e["offset_ms"] >= first_listed[e["path"]] for e in segs)
    _stop(origin)

    # The replay serves the segments (a player's URLs) and ffmpeg plays it.
    replay, rurl = _start([ssai_bin, "origin", "--capture", tmp_path / "cap", "--listen", "127.0.0.1:0"], root)
    procs.append(replay)
    status, _, body = _get_any(rurl + "/ts.m3u8")
    assert status == 200
    listed = [x for x in body.splitlines() if x.endswith(".ts")]
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg, "ffmpeg not on PATH"
    out = tmp_path / "played.ts"
    p = subprocess.run([ffmpeg, "-nostdin", "-v", "error", "-i", rurl + "/master.m3u8", "-t", "3", "-c", "copy",
                        "-f", "mpegts", "-y", str(out)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    probe = subprocess.run([shutil.which("ffprobe"), "-v", "error", "-show_entries", "format=duration",
                            "-of", "json", str(out)], capture_output=True, text=True, timeout=30)
    assert float(json.loads(probe.stdout)["format"]["duration"]) >= 2.5, probe.stdout
    assert listed and _status(rurl + "/" + listed[0]) == 200


def test_capture_segments_budget_and_containment(ssai_bin, ssai, root, tmp_path, procs):
    """Past --max-segment-mb, segments are recorded as not fetched (replayed as 504), the capture
    goes on; a segment file that is a symlink out of the capture is never served (403)."""
    import ts_fixtures as tf
    ts_path, _ = tf.write_fixture("splice_insert", tmp_path)
    origin, url = _start([ssai_bin, "origin", "--ts", ts_path, "--segment-s", "2", "--loop", "--speed", "4",
                          "--listen", "127.0.0.1:0"], root)
    procs.append(origin)
    time.sleep(1.5)
    r = ssai("capture", url + "/ts.m3u8", "--duration", "8", "--speed", "4", "--segments", "--max-segment-mb", "0.1",
             "--out", tmp_path / "cap", timeout=60)
    assert r.returncode == 0, r.stderr
    assert "segment budget of 104857 bytes exhausted" in r.stderr, r.stderr
    _, entries = _index(tmp_path / "cap")
    kept = [e for e in entries if e["path"].endswith(".ts") and e["status"] == 200]
    over = [e for e in entries if e["path"].endswith(".ts") and e["status"] == 0]
    assert kept and over and all("budget" in e["error"] for e in over)
    assert sum((tmp_path / "cap" / e["file"]).stat().st_size for e in kept) < 104857 + 200 * 1024
    _stop(origin)
    secret = tmp_path / "secret.ts"
    secret.write_bytes(b"\x47" * 188)
    leak = tmp_path / "cap" / kept[0]["file"]
    leak.unlink()
    leak.symlink_to(secret)
    replay, rurl = _start([ssai_bin, "origin", "--capture", tmp_path / "cap", "--listen", "127.0.0.1:0"], root)
    procs.append(replay)
    assert _status(rurl + kept[0]["path"]) == 403
    assert _status(rurl + over[0]["path"]) == 504
    if len(kept) > 1:
        assert _status(rurl + kept[1]["path"]) == 200
