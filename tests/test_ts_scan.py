"""`ssai scte35 scan` over MPEG-TS fixtures made by tests/ts_fixtures.py (ffmpeg test pattern +
SCTE-35 sections muxed on PID 0x01F5 by our own writer): the scan finds exactly the cues written
(PID, packet offset, video PTS, fields), ffprobe sees the SCTE-35 stream, and `scte35 decode`
detects a TS file and stdin. Needs ffmpeg/ffprobe (scripts/bootstrap.sh)."""
import base64
import json
import os
import shutil
import subprocess
import threading

import pytest

import ts_fixtures as tf


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    out = tmp_path_factory.mktemp("ts")
    return {name: tf.write_fixture(name, out) for name in tf.FIXTURES}


def scan_lines(ssai, *args, **kw):
    r = ssai("scte35", "scan", *args, **kw)
    assert r.returncode == 0, r.stderr
    return [json.loads(x) for x in r.stdout.splitlines()]


def reencode(ssai, tmp_path, line):
    """The scan line minus packet_data is `scte35 decode` JSON: encode it back to bytes."""
    doc = {k: v for k, v in line.items() if k != "packet_data"}
    path = tmp_path / "cue.json"
    path.write_text(json.dumps(doc))
    r = ssai("scte35", "encode", path)
    assert r.returncode == 0, r.stderr
    return base64.b64decode(r.stdout.strip())


@pytest.mark.parametrize("name", tf.FIXTURES)
def test_scan_finds_the_cues_written(ssai, fixtures, tmp_path, name):
    path, expected = fixtures[name]
    lines = scan_lines(ssai, path)
    assert len(lines) == len(expected)
    for line, want in zip(lines, expected):
        pd = line["packet_data"]
        assert pd["pid"] == tf.SCTE35_PID and pd["pid_hex"] == "0x01F5" and pd["program"] == 1
        assert pd["packet_offset"] == want["packet_offset"]
        assert pd["video_pts_ticks"] == want["video_pts_ticks"]
        assert pd["video_pts"] == pytest.approx(want["video_pts_ticks"] / 90000, abs=1e-6)
        assert reencode(ssai, tmp_path, line) == want["section"]


def test_splice_insert_fields(ssai, fixtures):
    path, expected = fixtures["splice_insert"]
    out, back = scan_lines(ssai, path)
    v0 = expected[0]["video_pts_ticks"]
    assert out["command"]["name"] == "Splice Insert"
    assert out["command"]["splice_event_id"] == 0x1001
    assert out["command"]["out_of_network_indicator"] is True
    assert out["command"]["pts_time_ticks"] == v0 + 2 * 90000
    assert out["command"]["break_duration"] == pytest.approx(4.0)
    assert back["command"]["splice_event_id"] == 0x1002
    assert back["command"]["out_of_network_indicator"] is False
    assert back["command"]["pts_time_ticks"] == expected[1]["video_pts_ticks"] + 90000


def test_time_signal_segmentation_fields(ssai, fixtures):
    path, _ = fixtures["time_signal"]
    start, end = scan_lines(ssai, path)
    for line, type_id in ((start, 0x34), (end, 0x35)):
        assert line["command"]["name"] == "Time Signal"
        (d,) = line["descriptors"]
        assert d["segmentation_event_id"] == "0x4800008e"
        assert d["segmentation_type_id"] == type_id
    assert start["descriptors"][0]["segmentation_duration"] == pytest.approx(4.0)
    assert start["descriptors"][0]["segmentation_message"] == "Provider Placement Opportunity Start"
    assert end["descriptors"][0]["segmentation_message"] == "Provider Placement Opportunity End"


def test_cancelled_splice_insert(ssai, fixtures):
    path, _ = fixtures["cancelled"]
    out, cancel = scan_lines(ssai, path)
    assert out["command"]["splice_event_id"] == cancel["command"]["splice_event_id"] == 0x3001
    assert out["command"]["splice_event_cancel_indicator"] is False
    assert cancel["command"]["splice_event_cancel_indicator"] is True
    assert "pts_time" not in cancel["command"]


def test_pts_wrap(ssai, fixtures):
    path, expected = fixtures["pts_wrap"]
    before, after = scan_lines(ssai, path)
    assert before["packet_data"]["video_pts_ticks"] > tf.PTS_WRAP - 3 * 90000  # just before the wrap
    assert after["packet_data"]["video_pts_ticks"] < 5 * 90000                 # just after it
    # The splice time 2 s after a PTS 1.3 s before the wrap wraps too.
    assert before["command"]["pts_time_ticks"] == (expected[0]["video_pts_ticks"] + 2 * 90000) % tf.PTS_WRAP
    assert before["command"]["pts_time_ticks"] < 90000


def test_ffprobe_sees_a_scte35_data_stream(fixtures):
    ffprobe = shutil.which("ffprobe")
    assert ffprobe, "ffprobe not on PATH (scripts/bootstrap.sh installs ffmpeg)"
    for name, (path, _) in fixtures.items():
        r = subprocess.run([ffprobe, "-v", "error", "-show_streams", "-of", "json", str(path)],
                           capture_output=True, text=True, timeout=60, check=True)
        streams = {s["id"]: s for s in json.loads(r.stdout)["streams"]}
        assert streams["0x1f5"]["codec_type"] == "data", name
        assert streams["0x1f5"]["codec_name"] == "scte_35", name


def test_decode_detects_a_ts_file_and_stdin(ssai, ssai_bin, fixtures):
    path, _ = fixtures["time_signal"]
    want = ssai("scte35", "scan", path).stdout
    assert ssai("scte35", "decode", path).stdout == want
    for sub in ("scan", "decode"):
        r = subprocess.run([ssai_bin, "scte35", sub, "-"], input=path.read_bytes(), capture_output=True,
                           timeout=60)
        assert r.returncode == 0, r.stderr
        assert r.stdout.decode() == want


def test_published_vectors_decode_when_wrapped_in_ts(ssai, root, tmp_path):
    vectors = [v for v in json.loads((root / "fixtures/scte35/vectors.json").read_text()) if v.get("valid")]
    sections = [base64.b64decode(v["base64"]) for v in vectors]
    t0 = int(1.4 * tf.SECOND)
    cues = [(t0 + i * tf.SECOND // 4, (lambda s: lambda _v: s)(s)) for i, s in enumerate(sections)]
    ts, expected = tf.mux_scte35(tf.base_ts(), cues)
    path = tmp_path / "vectors.ts"
    path.write_bytes(ts)
    lines = scan_lines(ssai, path)
    assert len(lines) == len(vectors)
    for line, v, want in zip(lines, vectors, expected):
        single = json.loads(ssai("scte35", "decode", v["base64"]).stdout)
        assert {k: x for k, x in line.items() if k != "packet_data"} == single, v["name"]
        assert line["packet_data"]["packet_offset"] == want["packet_offset"]


def test_truncated_and_damaged_input(ssai, fixtures, tmp_path):
    path, expected = fixtures["splice_insert"]
    ts = path.read_bytes()
    cut = tmp_path / "cut.ts"
    cut.write_bytes(ts[:expected[1]["packet_offset"] + 100])
    r = ssai("scte35", "scan", cut)
    assert r.returncode == 1
    assert len(r.stdout.splitlines()) == 1
    assert f"byte {expected[1]['packet_offset']}: pid 0x01F5: truncated packet at end of input: 100 of 188" in r.stderr

    bad = bytearray(ts)
    bad[expected[0]["packet_offset"] + 20] ^= 0x01  # inside the first section: CRC mismatch
    damaged = tmp_path / "crc.ts"
    damaged.write_bytes(bytes(bad))
    r = ssai("scte35", "scan", damaged)
    assert r.returncode == 1
    assert len(r.stdout.splitlines()) == 1
    assert f"error: {damaged}: byte {expected[0]['packet_offset']}: pid 0x01F5: splice_info_section:" in r.stderr
    assert "CRC" in r.stderr

    shifted = tmp_path / "shifted.ts"
    shifted.write_bytes(ts[:1880] + b"\x00" + ts[1880:])
    r = ssai("scte35", "scan", shifted)
    assert r.returncode == 2
    assert "byte 1880: sync byte 0x00 where 0x47 was expected" in r.stderr


def test_scan_refuses_what_is_neither(ssai, tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("hello\n")
    r = ssai("scte35", "scan", p)
    assert r.returncode == 2
    assert "neither an MPEG-TS" in r.stderr
    r = ssai("scte35", "scan", tmp_path / "missing.ts")
    assert r.returncode == 2 and "cannot read: No such file or directory" in r.stderr


def test_scan_of_a_playlist_prints_its_markers_cues(ssai, root):
    lines = scan_lines(ssai, root / "fixtures/streams/daterange_scte35/001.m3u8")
    assert len(lines) == 1
    assert lines[0]["playlist_data"]["tag"] == "daterange"
    assert lines[0]["playlist_data"]["direction"] == "out"
    assert lines[0]["command"]["name"] == "Splice Insert"
    text = (root / "fixtures/streams/daterange_scte35/001.m3u8").read_text()
    assert scan_lines(ssai, "-", input=text) == lines
    assert [json.loads(x) for x in ssai("scte35", "decode", "-", input=text).stdout.splitlines()] == lines


def test_endless_input_is_refused_without_reading_it_all(ssai):
    # /dev/zero is neither TS nor a playlist: refused from its first bytes. As `decode FILE` it
    # is cue text whose first line never ends: refused at the 64 KiB line cap.
    r = ssai("scte35", "scan", "/dev/zero", timeout=10)
    assert r.returncode == 2 and "neither an MPEG-TS" in r.stderr
    r = ssai("scte35", "decode", "/dev/zero", timeout=10)
    assert r.returncode == 2 and "longer than 64 KiB" in r.stderr


def test_stdin_stream_is_scanned_in_bounded_memory(ssai_bin, fixtures):
    """256 MiB of TS through a pipe: the cues come out and the scanner's memory stays flat."""
    path, expected = fixtures["splice_insert"]
    ts = path.read_bytes()
    # Whole copies of the fixture; each join is a continuity gap (a warning on stderr).
    copies = (256 << 20) // len(ts) + 1
    p = subprocess.Popen([ssai_bin, "scte35", "scan", "-"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(p.stdout.read().splitlines()))
    reader.start()
    for _ in range(copies):
        p.stdin.write(ts)
    p.stdin.flush()
    # The scanner's own peak RSS, read while it still waits for the end of its input. (Not
    # ru_maxrss from wait4: after fork + exec it can report the forking pytest's size.)
    with open(f"/proc/{p.pid}/status") as f:
        hwm_kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    p.stdin.close()
    reader.join(timeout=120)
    assert p.wait(timeout=60) == 0
    assert len(lines) == copies * len(expected)
    assert hwm_kib < 64 << 10  # KiB: < 64 MiB for 256 MiB of input
