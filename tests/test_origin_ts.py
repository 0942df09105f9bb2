"""`ssai origin --ts FILE.ts` end to end (issue 17): the live packager over the SCTE-35 TS fixtures
of tests/ts_fixtures.py. `ssai hls cues` over the served playlist yields exactly the breaks written
into the TS (start segment, duration, end; the cancelled one absent; across the 33-bit PTS wrap)
in every marker flavour; the playlist advances in real time and loops with continuous timestamps;
served segments are valid TS (ffprobe). Needs ffmpeg/ffprobe (scripts/bootstrap.sh)."""
import json
import shutil
import subprocess
import time

import pytest

import ts_fixtures as tf
from procs import get as _get_any, start as _start, stop as _stop

PDT = "2026-01-15T12:00:00Z"
FLAVOURS = ("cue_out", "oatcls", "daterange", "ext_x_scte35", "splicepoint")


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    out = tmp_path_factory.mktemp("ts")
    return {name: tf.write_fixture(name, out) for name in tf.FIXTURES}


@pytest.fixture
def procs():
    started = []
    yield started
    for p in reversed(started):
        _stop(p)


def first_video_pts(ts):
    for _, pkt in tf.packets(ts):
        if tf.pid_of(pkt) == 0x100 and pkt[1] & 0x40:
            pts = tf.pes_pts(tf.payload_of(pkt)[1])
            if pts is not None:
                return pts
    raise AssertionError("no video PTS")


def iso(seconds):
    """PDT + seconds, as `ssai hls cues` prints it."""
    ms = round(seconds * 1000)
    return f"2026-01-15T12:00:{ms // 1000:02d}.{ms % 1000:03d}Z"


def expected_breaks(name, path):
    """(start segment, end segment, planned duration s) of each break of the fixture, computed
    from the sections we wrote, for 1 s segments (1 s GOPs from the first video frame)."""
    ts = path.read_bytes()
    v0 = first_video_pts(ts)
    _, cues = tf.fixture(name)
    out = []
    def seg(pts):
        return ((pts - v0) % tf.PTS_WRAP) // 90000
    if name in ("splice_insert", "pts_wrap"):
        out_pts = int.from_bytes(cues[0]["section"][20:25], "big") & ((1 << 33) - 1)
        in_pts = int.from_bytes(cues[1]["section"][20:25], "big") & ((1 << 33) - 1)
        dur = 4 if name == "splice_insert" else 30
        out.append((seg(out_pts), seg(in_pts), dur))
    elif name == "time_signal":
        out_pts = int.from_bytes(cues[0]["section"][14:19], "big") & ((1 << 33) - 1)
        in_pts = int.from_bytes(cues[1]["section"][14:19], "big") & ((1 << 33) - 1)
        out.append((seg(out_pts), seg(in_pts), 4))
    return out


def serve(ssai_bin, root, procs, path, *extra):
    proc, url = _start([ssai_bin, "origin", "--ts", path, "--listen", "127.0.0.1:0", *extra], root)
    procs.append(proc)
    return url


def cues_of(ssai, tmp_path, bodies):
    files = []
    for i, body in enumerate(bodies):
        f = tmp_path / f"reload_{i:03d}.m3u8"
        f.write_text(body)
        files.append(str(f))
    r = ssai("hls", "cues", *files)
    assert r.returncode == 0, r.stderr
    return [json.loads(x) for x in r.stdout.splitlines()]


@pytest.mark.parametrize("name", tf.FIXTURES)
def test_hls_cues_over_the_served_playlist_gives_the_breaks_of_the_ts(ssai_bin, ssai, root, tmp_path, procs,
                                                                      fixtures, name):
    path, _ = fixtures[name]
    # The whole file is out (its start is in the past, no loop): one playlist with ENDLIST.
    url = serve(ssai_bin, root, procs, path, "--segment-s", "1", "--pdt-start", PDT, "--window", "100")
    status, _, body = _get_any(url + "/ts.m3u8")
    assert status == 200 and body.endswith("#EXT-X-ENDLIST\n"), body
    assert body.count("#EXTINF:1.000,") == 8, body
    events = cues_of(ssai, tmp_path, [body])
    want = expected_breaks(name, path)
    got = [(e["kind"], e["splice_time"]) for e in events]
    expect = []
    for out_seg, in_seg, _ in want:
        expect += [("start", iso(out_seg)), ("end", iso(in_seg))]
    assert got == expect, (events, want)
    starts = [e for e in events if e["kind"] == "start"]
    assert [e["duration_s"] for e in starts] == [d for _, _, d in want]
    if name == "cancelled":
        assert events == []


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_every_flavour_marks_the_same_break(ssai_bin, ssai, root, tmp_path, procs, fixtures, flavour):
    path, _ = fixtures["time_signal" if flavour == "daterange" else "splice_insert"]
    url = serve(ssai_bin, root, procs, path, "--segment-s", "1", "--pdt-start", PDT, "--window", "100",
                "--flavour", flavour)
    status, _, body = _get_any(url + "/ts.m3u8")
    assert status == 200
    events = cues_of(ssai, tmp_path, [body])
    assert [(e["kind"], e["splice_time"]) for e in events] == [("start", iso(3)), ("end", iso(6))], (events, body)
    assert events[0]["duration_s"] == 4
    if flavour == "daterange":
        assert "SCTE35-OUT=0xFC" in body and "SCTE35-IN=0xFC" in body
    lint = ssai("hls", "lint", "-", input=body)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_the_playlist_is_live_loops_and_segments_are_valid_ts(ssai_bin, ssai, root, tmp_path, procs, fixtures):
    path, _ = fixtures["splice_insert"]
    # Now-anchored, 10x real time: 8 s of file = 0.8 s of wall time a loop.
    url = serve(ssai_bin, root, procs, path, "--segment-s", "2", "--loop", "--speed", "10", "--window", "30")
    bodies = []
    for _ in range(4):
        status, _, body = _get_any(url + "/ts.m3u8")
        assert status == 200
        bodies.append(body)
        time.sleep(0.8)
    seqs = [int(b.split("#EXT-X-MEDIA-SEQUENCE:")[1].split("\n")[0]) for b in bodies]
    counts = [b.count("#EXTINF") for b in bodies]
    assert counts == sorted(counts) and counts[-1] > counts[0], counts
    assert "ENDLIST" not in bodies[-1]
    events = cues_of(ssai, tmp_path, bodies)
    starts = [e for e in events if e["kind"] == "start"]
    assert len(starts) >= 2, events  # one break a loop, each 8 s of stream apart
    assert all(e["duration_s"] == 4 for e in starts)
    # A segment not published yet is 404; published ones are TS that ffprobe reads, with the
    # timestamps of loop 1 eight seconds after loop 0's.
    assert _get_any(url + "/ts_100000.ts")[0] == 404  # JSON error body
    ffprobe = shutil.which("ffprobe")
    assert ffprobe, "ffprobe not on PATH"
    starts_s = []
    for msn in (0, 4):
        seg = tmp_path / f"seg{msn}.ts"
        import urllib.request
        with urllib.request.urlopen(f"{url}/ts_{msn}.ts", timeout=5) as r:
            assert r.headers["Content-Type"] == "video/mp2t"
            seg.write_bytes(r.read())
        p = subprocess.run([ffprobe, "-v", "error", "-show_entries", "stream=codec_name,start_time",
                            "-of", "json", str(seg)], capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        streams = json.loads(p.stdout)["streams"]
        assert {s["codec_name"] for s in streams} >= {"h264", "aac"}
        starts_s.append(min(float(s["start_time"]) for s in streams if s["codec_name"] == "h264"))
    assert starts_s[1] - starts_s[0] == pytest.approx(8.0, abs=0.05)
    assert seqs[-1] >= seqs[0]
    # Two loops read back to back scan as one stream whose cues follow the loops: pts_adjustment
    # moved by the loop's 8 s (SCTE 35 §9.6), CRC_32 renewed.
    import urllib.request
    stream = b""
    for msn in range(8):
        with urllib.request.urlopen(f"{url}/ts_{msn}.ts", timeout=5) as r:
            stream += r.read()
    (tmp_path / "two_loops.ts").write_bytes(stream)
    scan = ssai("scte35", "scan", tmp_path / "two_loops.ts")
    assert scan.returncode == 0, scan.stderr
    cues = [json.loads(x) for x in scan.stdout.splitlines()]
    assert len(cues) == 4, cues
    adj = [c["info_section"]["pts_adjustment_ticks"] for c in cues]
    assert adj == [0, 0, 720000, 720000], adj


def test_bad_input_is_a_clear_error(ssai, tmp_path, fixtures):
    junk = tmp_path / "junk.ts"
    junk.write_bytes(b"x" * 188 * 3)
    r = ssai("origin", "--ts", junk, "--listen", "127.0.0.1:0", timeout=10)
    assert r.returncode == 2
    assert "junk.ts: byte 0: lost sync" in r.stderr, r.stderr
    # An endless non-TS file is refused from its first packets (not after reading the 1 GiB cap).
    r = ssai("origin", "--ts", "/dev/zero", "--listen", "127.0.0.1:0", timeout=5)
    assert r.returncode == 2 and "/dev/zero: byte 0: lost sync" in r.stderr, r.stderr
    ts = bytearray(fixtures["splice_insert"][0].read_bytes())
    ts[188 * 7] = 0
    bad = tmp_path / "bad.ts"
    bad.write_bytes(bytes(ts))
    r = ssai("origin", "--ts", bad, "--listen", "127.0.0.1:0", timeout=10)
    assert r.returncode == 2 and "byte 1316: lost sync" in r.stderr, r.stderr
    r = ssai("origin", "--ts", fixtures["splice_insert"][0], "--flavour", "cue-out", "--listen", "127.0.0.1:0",
             timeout=10)
    assert r.returncode == 2 and "--flavour: 'cue-out' is not one of" in r.stderr
    r = ssai("origin", "--ts", fixtures["splice_insert"][0], "--pdt-start", "yesterday", timeout=10)
    assert r.returncode == 2 and "--pdt-start" in r.stderr
    r = ssai("origin", "--capture", tmp_path, "--segment-s", "2", timeout=10)
    assert r.returncode == 2 and "only with --ts" in r.stderr
