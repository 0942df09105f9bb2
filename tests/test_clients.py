"""Real HLS clients against `ssai serve`: ffmpeg, and hls.js in headless Chromium, play a live
stream of real MPEG-TS (`ssai origin --synthetic` with "media": "ffmpeg") through an ad break.

What runs: `ssai origin` (1.92 s segments of testsrc2 + 440 Hz, made once with ffmpeg and cached in
.cache/media/), `ssai serve` (built-in decision service with real ad segments: colour bars +
880 Hz; a pod of two 3.84 s ads), a POST /cue for a 7.68 s break, then the client. Every process
listens on 127.0.0.1 (port 0) and is stopped by the fixture, also on failure. The tools are
installed by scripts/bootstrap.sh: a missing one FAILS the test (it does not skip).
"""
import datetime
import json
import os
import pathlib
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from test_serve import TOKEN, _post_cue, _start, _stop

ROOT = pathlib.Path(__file__).resolve().parent.parent
JS_DIR = ROOT / "tests" / "js"
CHROMIUM = "/usr/bin/chromium"
# 1.92 s = 48 video frames = 120 AAC frames (64 kHz): every segment starts with a video and an
# audio frame at the same instant (media_library.h); so does every multiple of 0.08 s, 2 s included.
SEGMENT_S = 1.92
AD_S = 2 * SEGMENT_S
BREAK_S = 2 * AD_S  # the pod: ad1 + ad2, two segments each
# Codecs of the media the origin serves (media_library.h): H.264 baseline 3.0, AAC-LC.
CODECS = "avc1.42c01e,mp4a.40.2"


def _require_tool(path, what):
    if path is None or not pathlib.Path(path).exists():
        pytest.fail(f"{what} is missing: install it with scripts/bootstrap.sh (tests/README.md)")
    return str(path)


@pytest.fixture(scope="session")
def ffmpeg_bin():
    return _require_tool(shutil.which("ffmpeg"), "ffmpeg (Debian package ffmpeg)")


def _get(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read().decode()


def _metric(base, name):
    m = re.search(rf"^{re.escape(name)} (\d+)$", _get(base + "/metrics"), re.M)
    assert m, f"{name} not in /metrics"
    return int(m.group(1))


def _renditions():
    # What the origin's media is (media_library.h), written into the multivariant playlist.
    return [{"name": "v720", "bandwidth_bps": 2500000, "resolution": "320x180", "codecs": CODECS},
            {"name": "v360", "bandwidth_bps": 800000, "resolution": "320x180", "codecs": CODECS}]


def _start_media_origin(ssai_bin, root, tmp_path, seg):
    """(proc, url): `ssai origin` with real media (segments of `seg`), a stream that started 30 s
    ago (small media sequence numbers, whole-second PDTs)."""
    start = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(seconds=30)
    spec = {"segment_duration_s": seg, "window_segments": 6, "cue_flavour": "none", "media": "ffmpeg",
            "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "renditions": _renditions()}
    (tmp_path / "origin.json").write_text(json.dumps(spec))
    # First run on a machine: ffmpeg makes the media (~1 s); later runs read the cache.
    return _start([ssai_bin, "origin", "--synthetic", str(tmp_path / "origin.json"), "--listen", "127.0.0.1:0"],
                  cwd=root, timeout_s=60)


def _start_media_serve(ssai_bin, root, tmp_path, origin_url, seg, decision, pod_id):
    """(proc, url): `ssai serve` splicing the media origin's channel demo/sports with `decision`."""
    config = json.loads((root / "fixtures/serve/demo.json").read_text())
    config.update({"listen": "127.0.0.1:0", "journal_path": str(tmp_path / "journal.jsonl"), "decision": decision})
    config["channels"] = [{
        "org": "demo", "channel": "sports", "mode": "ssai", "origin_base_url": origin_url,
        "renditions": _renditions(), "slate": {"uri": origin_url + "/slate.ts", "duration_s": seg},
        "default_pod_id": pod_id}]
    (tmp_path / "serve.json").write_text(json.dumps(config))
    return _start([ssai_bin, "serve", "--config", str(tmp_path / "serve.json")], cwd=root,
                  env=dict(os.environ, SSAI_CUE_TOKEN=TOKEN), timeout_s=60)


def _pod(items):
    """Catalogue items {id: duration_s} for both renditions' bitrates, ad URLs on the ad server."""
    variants = {"800000": "{self}/ads/%s/800000.m3u8", "2500000": "{self}/ads/%s/2500000.m3u8"}
    return [{"id": i, "duration": d, "variants": {k: v % i for k, v in variants.items()}} for i, d in items.items()]


@pytest.fixture
def media_deployment(request, ssai_bin, ffmpeg_bin, root, tmp_path):
    """(serve_url, segment_s): an origin with real media and an SSAI server
    in front of it; segments of SEGMENT_S, or of the test's indirect parameter."""
    seg = getattr(request, "param", SEGMENT_S)
    procs = []
    try:
        origin, origin_url = _start_media_origin(ssai_bin, root, tmp_path, seg)
        procs.append(origin)
        decision = {"latency_ms": 0, "ad_segment_duration_s": seg, "media": "ffmpeg",
                    "catalogue": {"default_pod": "clients-pod",
                                  "pods": {"clients-pod": {"items": _pod({"ad1": 2 * seg, "ad2": 2 * seg})}}}}
        serve, serve_url = _start_media_serve(ssai_bin, root, tmp_path, origin_url, seg, decision, "clients-pod")
        procs.append(serve)
        yield serve_url, seg
    finally:
        for p in reversed(procs):
            _stop(p)


def _cue(base, duration_s=BREAK_S):
    code, body = _post_cue(base, {"org": "demo", "channel": "sports", "duration": duration_s}, TOKEN)
    assert code == 200, body
    return body


# ffmpeg's log lines that mean a broken stream (timestamps, continuity, demux errors).
FFMPEG_PROBLEM = re.compile(r"\[(warning|error|fatal|panic)\]")
FFMPEG_OPENING = re.compile(r"Opening '([^']+)' for reading")
# What ffmpeg says at an EXT-X-DISCONTINUITY of ours (RFC 8216 §4.3.2.3: timestamps and
# continuity may restart there): the timestamp jump ("DTS 127920 < 3004320 out of order"; its hls
# demuxer has AVFMT_TS_DISCONT and re-bases the jump) and the continuity_counter restart ("Packet
# corrupt" on the last packet before it, "corrupt input packet").
FFMPEG_AT_DISCONTINUITY = re.compile(r"DTS \d+ < \d+ out of order|Packet corrupt|corrupt input packet")
# ffmpeg's persistent HTTP meeting a change of host (ads come from `ssai serve`, content is
# redirected to the origin): it reconnects. Transport, not media: fine wherever it happens, as long
# as the retry opens the URL it names.
FFMPEG_KEEPALIVE = re.compile(r"Cannot reuse HTTP connection for different host|keepalive request failed for '([^']+)'")
FFMPEG_SEGMENT = re.compile(r"\.ts$")
# How many segments after a discontinuity segment ffmpeg may open before it logs the restart it met.
FFMPEG_READ_AHEAD_SEGMENTS = 2


def _ffmpeg_segments(stderr):
    return FFMPEG_OPENING.findall(stderr)


def _problem_kind(line):
    """A log line without what changes between runs: context addresses and numbers other than the
    stream index (`[mpegts] Packet corrupt (stream = 0, dts = N)`)."""
    line = re.sub(r" @ 0x[0-9a-f]+", "", line)
    line = re.sub(r"https?://\S+", "URL", line)
    return re.sub(r"(?<!stream = )\b\d+\b", "N", line)


def _with_segment_context(stderr, problems):
    """The problem lines, each after the segment openings logged before it: what a failure in CI
    needs to tell a late-logged discontinuity from a real one."""
    lines, out = stderr.splitlines(), []
    for problem in problems:
        at = lines.index(problem)
        opened = [line for line in lines[:at] if FFMPEG_OPENING.search(line) and FFMPEG_SEGMENT.search(line)]
        out += ["  ..." + line for line in opened[-4:]] + [problem]
    return "\n".join(out)


def _unexpected_ffmpeg_problems(stderr, discontinuity_urls):
    """Problem lines of ffmpeg's `-loglevel level+info` log, except the expected ones and keepalive
    reconnects whose retry then opens the URL.

    Expected: per segment in `discontinuity_urls`, one line of each FFMPEG_AT_DISCONTINUITY kind
    (per demuxer and stream), logged while that segment or one of the next
    FFMPEG_READ_AHEAD_SEGMENTS is read. ffmpeg's demuxer reads ahead, so the continuity restart it
    meets in the first TS packets of a segment can be logged after it has opened the following
    segments (CI, 2026-12-01: both ad segments were already in the playlist and were opened back to
    back; CI, 2026-12-06: the restart at the first content segment after the pod was logged after
    more content segments had been opened on the kept-alive connection). The budget keeps a second
    restart inside that window (a continuity bug between those segments) visible."""
    lines = stderr.splitlines()
    windows = []  # [segments opened since the discontinuity segment, kinds already seen]
    unexpected = []
    for i, line in enumerate(lines):
        m = FFMPEG_OPENING.search(line)
        if m:
            if FFMPEG_SEGMENT.search(m.group(1)):
                for window in windows:
                    window[0] += 1
                windows = [w for w in windows if w[0] <= FFMPEG_READ_AHEAD_SEGMENTS]
                if m.group(1) in discontinuity_urls:
                    windows.append([0, set()])
            continue
        if not FFMPEG_PROBLEM.search(line):
            continue
        if FFMPEG_KEEPALIVE.search(line):
            named = [k.group(1) for k in map(FFMPEG_KEEPALIVE.search, lines[i:i + 2]) if k and k.group(1)]
            reopened = [m.group(1) for m in map(FFMPEG_OPENING.search, lines[i:i + 4]) if m]
            if named and named[0] in reopened:
                continue
        elif FFMPEG_AT_DISCONTINUITY.search(line):
            kind = _problem_kind(line)
            window = next((w for w in windows if kind not in w[1]), None)
            if window is not None:
                window[1].add(kind)
                continue
        unexpected.append(line)
    return unexpected


def test_ffmpeg_log_check_flags_errors_outside_discontinuities():
    """The check below can fail: timestamp and continuity errors count unless ffmpeg reports them
    while reading the first segment after a discontinuity or the one after it, once per kind."""
    log = ("[hls @ 0x1] [info] Opening 'http://o/seg_v720_9.ts' for reading\n"
           "[hls @ 0x1] [error] Cannot reuse HTTP connection for different host: o != s\n"
           "[hls @ 0x1] [warning] keepalive request failed for 'http://s/ads/ad1/2500000_0.ts' with error\n"
           "[hls @ 0x1] [info] Opening 'http://s/ads/ad1/2500000_0.ts' for reading\n"
           "[mpegts @ 0x2] [warning] DTS 127920 < 484320 out of order\n"
           "[hls @ 0x1] [info] Opening 'http://s/ads/ad1/2500000_1.ts' for reading\n"
           "[mpegts @ 0x2] [warning] DTS 127920 < 484320 out of order\n"
           "[null @ 0x3] [error] Application provided invalid, non monotonically increasing dts to muxer\n")
    assert _ffmpeg_segments(log) == ["http://o/seg_v720_9.ts", "http://s/ads/ad1/2500000_0.ts",
                                     "http://s/ads/ad1/2500000_1.ts"]
    assert _unexpected_ffmpeg_problems(log, {"http://s/ads/ad1/2500000_0.ts"}) == log.splitlines()[6:]
    assert len(_unexpected_ffmpeg_problems(log, set())) == 3  # the reconnect did open its URL
    failed_retry = log.replace("Opening 'http://s/ads/ad1/2500000_0.ts'", "Opening 'http://s/other.ts'")
    assert len(_unexpected_ffmpeg_problems(failed_retry, {"http://s/other.ts"})) == 4
    # CI, 2026-12-01: ffmpeg opened both ad segments back to back and then reported the restart it
    # met at the first one; a playlist reload in between does not move the window.
    late = ("[hls @ 0x1] [info] Opening 'http://s/ads/ad1/2500000_0.ts' for reading\n"
            "[http @ 0x4] [info] Opening 'http://s/demo/sports/v720.m3u8' for reading\n"
            "[hls @ 0x1] [info] Opening 'http://s/ads/ad1/2500000_1.ts' for reading\n"
            "[mpegts @ 0x2] [warning] Packet corrupt (stream = 0, dts = 3060000).\n"
            "[hls @ 0x1] [warning] Packet corrupt (stream = 0, dts = 3056400).\n"
            "[warning] http://s/demo/sports/v720.m3u8: corrupt input packet in stream 0\n"
            "[mpegts @ 0x2] [warning] DTS 126000 < 3060000 out of order\n"
            "[hls @ 0x1] [warning] DTS 126000 < 3060000 out of order\n")
    assert _unexpected_ffmpeg_problems(late, {"http://s/ads/ad1/2500000_0.ts"}) == []
    # CI, 2026-12-06: back from the pod, ffmpeg opened two more content segments on its kept-alive
    # connection before it logged the restart it met at the first one.
    back = ("[hls @ 0x1] [info] Opening 'http://o/seg_v720_21.ts' for reading\n"
            "[http @ 0x4] [info] Opening 'http://o/seg_v720_22.ts' for reading\n"
            "[http @ 0x4] [info] Opening 'http://o/seg_v720_23.ts' for reading\n"
            "[mpegts @ 0x2] [warning] Packet corrupt (stream = 0, dts = 813600).\n"
            "[hls @ 0x1] [warning] Packet corrupt (stream = 0, dts = 810000).\n"
            "[warning] http://s/demo/sports/v720.m3u8: corrupt input packet in stream 0\n")
    assert _unexpected_ffmpeg_problems(back, {"http://o/seg_v720_21.ts"}) == []
    # ... but not three segments late, and not a second restart of the same stream in the window.
    three_late = back.replace("[mpegts @ 0x2] [warning]", "[http @ 0x4] [info] Opening 'http://o/seg_v720_24.ts' for reading\n"
                              "[mpegts @ 0x2] [warning]")
    assert _unexpected_ffmpeg_problems(three_late, {"http://o/seg_v720_21.ts"}) == three_late.splitlines()[4:]
    twice = late + "[mpegts @ 0x2] [warning] Packet corrupt (stream = 0, dts = 3240000).\n"
    assert _unexpected_ffmpeg_problems(twice, {"http://s/ads/ad1/2500000_0.ts"}) == twice.splitlines()[-1:]
    other_stream = late + "[mpegts @ 0x2] [warning] Packet corrupt (stream = 1, dts = 3060000).\n"
    assert _unexpected_ffmpeg_problems(other_stream, {"http://s/ads/ad1/2500000_0.ts"}) == []


def test_ffmpeg_reads_the_ssai_stream_through_an_ad_break(media_deployment, ffmpeg_bin, tmp_path):
    base, _ = media_deployment
    url = base + "/demo/sports/v720.m3u8"
    # -t: 30 s of media = the live backlog (3 segments, read at once) + ~24 s in real time; the
    # break (cued after 1 s, 7.68 s) starts at the next segment boundary, so it lies well inside.
    cmd = [ffmpeg_bin, "-hide_banner", "-nostdin", "-loglevel", "level+info", "-i", url,
           "-t", "30", "-c", "copy", "-f", "null", "-"]
    started = time.monotonic()
    stderr = _ffmpeg_through_a_cued_break(cmd, base, tmp_path)
    elapsed = time.monotonic() - started
    opened = _ffmpeg_segments(stderr)
    ad_segments = [u for u in opened if "/ads/" in u and u.endswith(".ts")]
    # The whole pod in play order: ad1 then ad2, 2 segments each (the 2.5 Mb/s variant for v720).
    assert ad_segments == [base + f"/ads/{a}/2500000_{i}.ts" for a in ("ad1", "ad2") for i in (0, 1)], opened
    first_ad, last_ad = opened.index(ad_segments[0]), opened.index(ad_segments[-1])
    content = [(i, u) for i, u in enumerate(opened) if re.search(r"/seg_v720_\d+\.ts$", u)]
    assert any(i < first_ad for i, _ in content), "no content before the break"
    after = [u for i, u in content if i > last_ad]
    assert len(after) >= 3, f"fewer than 3 content segments after the break: {opened}"
    # Expected: timestamp and continuity restarts on the two segments after a DISCONTINUITY (the
    # first ad segment, the first content segment back), nothing else. Inside content, inside the
    # pod (ad1 -> ad2 continue one timeline: media_library.h) and across the origin's media loop
    # (every 9.6 s), a "DTS out of order", "Non-monotonous DTS" or "corrupt input packet" is a bug.
    unexpected = _unexpected_ffmpeg_problems(stderr, {ad_segments[0], after[0]})
    assert unexpected == [], _with_segment_context(stderr, unexpected)
    # The server served the ad bodies (its own count, not the client's word).
    assert _metric(base, "ssai_ad_segment_requests_total") >= 4
    print(f"ffmpeg read {len(opened)} URLs in {elapsed:.1f} s")


def _first_pts(ffprobe, url):
    """{"video": pts, "audio": pts} of a segment's first packet of each kind, in 90 kHz ticks."""
    p = subprocess.run([ffprobe, "-v", "error", "-show_entries", "packet=codec_type,pts", "-of", "csv=p=0", url],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr[-2000:]
    first = {}
    for line in filter(None, p.stdout.splitlines()):
        kind, pts = line.split(",")[:2]
        first.setdefault(kind, int(pts))
    return first


@pytest.mark.parametrize("media_deployment", [2.0, SEGMENT_S], indirect=True)
def test_every_segment_starts_audio_and_video_together(media_deployment, ffmpeg_bin):
    """The media library's promise (media_library.h), checked on what is served: each content and
    ad segment's first audio packet has its first video packet's PTS, and segment n starts at
    n * d (mod the loop). A 48 kHz track fails this on 2 s segments (audio up to 21 ms late), the
    gap hls.js stalls in at an interstitial's start (tests/README.md "Segment durations")."""
    base, seg = media_deployment
    ffprobe = _require_tool(shutil.which("ffprobe"), "ffprobe (Debian package ffmpeg)")
    playlist = _get(base + "/demo/sports/v720.m3u8")
    content = [line for line in playlist.splitlines() if line and not line.startswith("#")][:3]
    assert len(content) == 3, playlist
    urls = [urllib.parse.urljoin(base + "/demo/sports/v720.m3u8", u) for u in content]
    urls += [base + f"/ads/{a}/2500000_{i}.ts" for a in ("ad1", "ad2") for i in (0, 1)]
    starts = []
    for url in urls:
        first = _first_pts(ffprobe, url)
        assert set(first) == {"video", "audio"}, (url, first)
        assert first["audio"] == first["video"], f"{url}: audio starts {first['audio'] - first['video']} ticks after video"
        starts.append(first["video"])
    ticks = round(seg * 90000)
    assert [b - a for a, b in zip(starts, starts[1:3])] == [ticks, ticks], starts


@pytest.fixture(scope="session")
def hlsjs_player():
    """run(src, until) -> the JSON report of tests/js/play_hls.mjs (hls.js in headless Chromium)."""
    node = _require_tool(shutil.which("node"), "node (Debian package nodejs)")
    _require_tool(CHROMIUM, "chromium (Debian package chromium)")
    for pkg in ("hls.js", "playwright-core"):
        _require_tool(JS_DIR / "node_modules" / pkg / "package.json",
                      f"tests/js/node_modules/{pkg} (`npm ci` in tests/js)")

    def run(src, until, max_s=60, **options):
        # options: play_hls.mjs's others (switch_audio_to, subtitles).
        p = subprocess.run([node, str(JS_DIR / "play_hls.mjs"),
                            json.dumps({"src": src, "until": until, "max_s": max_s, "chromium": CHROMIUM, **options})],
                           capture_output=True, text=True, timeout=max_s + 45, cwd=JS_DIR)
        assert p.returncode == 0, f"play_hls.mjs failed ({p.returncode}): {p.stderr[-3000:]}"
        if os.environ.get("SSAI_HLSJS_REPORT_DIR"):  # keep every player report, also of passing runs
            out = pathlib.Path(os.environ["SSAI_HLSJS_REPORT_DIR"])
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{until}-{time.time_ns()}.json").write_text(p.stdout)
        return json.loads(p.stdout)

    return run


def _hlsjs_errors(report):
    """hls.js ERROR events that fail a test: every fatal one, and every non-fatal one except a
    bufferStalledError before the first `playing` event. A live join starts with an empty buffer
    and hls.js reports a stall while the first fragments arrive; that is the start, not a fault of
    the stream. A stall once playing (e.g. at an ad boundary) is a failure. Also tolerated: a
    non-fatal "aborted", a fragment load hls.js cancelled itself (it drops the primary's pending
    load when an interstitial hands playback back at the resume point)."""
    return [e for e in report["errors"]
            if e["fatal"] or not ((e["details"] == "bufferStalledError" and e["before_playing"])
                                  or e["details"] == "aborted")]


def _summary(report):
    keep = {k: report.get(k) for k in ("hls_version", "mse", "current_time", "timed_out", "errors", "console")}
    keep["events"] = [e for e in report.get("events", []) if e["type"] != "playing"][:40]
    keep["frags"] = [f["url"].rsplit("/", 3)[-2:] + [f["cc"], f["start"]] for f in report.get("frags", [])]
    text = json.dumps(keep, indent=1)[:6000]
    # hls.js's interstitial log last: why it loaded (or did not load) an asset list when it did.
    return text + "\nhls.js log (interstitials, buffer):\n" + "\n".join(report.get("hls_log", [])[-80:])


def _ffmpeg_through_a_cued_break(cmd, base, tmp_path):
    """Runs ffmpeg `cmd` (reading a live playlist of `base`), cues a break 1 s in, waits for it
    (bounded: 75 s; killed on any failure), keeps its log in tmp_path/ffmpeg.log, asserts it
    exited 0 and returns its stderr."""
    ffmpeg = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1)
        _cue(base)
        _, stderr = ffmpeg.communicate(timeout=75)
    finally:
        if ffmpeg.poll() is None:
            ffmpeg.kill()
            ffmpeg.wait(timeout=5)
    (tmp_path / "ffmpeg.log").write_text(stderr)
    assert ffmpeg.returncode == 0, stderr[-3000:]
    return stderr


def _hlsjs_through_a_cued_break(hlsjs_player, base, src, break_s, **options):
    """hls.js plays `src` while a break of `break_s` is cued at `base` 3 s in; the report, asserted
    free of errors and played through (4 s past the last ad fragment). `options` go to the player
    (play_hls.mjs: switch_audio_to, subtitles)."""
    import threading
    # Cue once the player is loading: the break is then ahead of its playhead (it plays ~3 target
    # durations behind the live edge, hls.js liveSyncDurationCount).
    cue = threading.Timer(3.0, _cue, args=(base, break_s))
    cue.start()
    try:
        report = hlsjs_player(src, "ssai", max_s=60, **options)
    finally:
        cue.cancel()
        cue.join()
    assert report["mse"]["h264_aac"], f"this Chromium's MSE does not play H.264+AAC: {report['mse']}"
    assert _hlsjs_errors(report) == [], _summary(report)
    assert not report["timed_out"], "hls.js did not play through the break in time:\n" + _summary(report)
    return report


def test_hlsjs_plays_the_ssai_stream_through_an_ad_break(media_deployment, hlsjs_player):
    base, _ = media_deployment
    report = _hlsjs_through_a_cued_break(hlsjs_player, base, base + "/demo/sports/v720.m3u8", BREAK_S)
    ads = [f for f in report["frags"] if "/ads/" in f["url"]]
    assert [f["url"].split("/ads/")[1] for f in ads] == ["ad1/2500000_0.ts", "ad1/2500000_1.ts",
                                                          "ad2/2500000_0.ts", "ad2/2500000_1.ts"], _summary(report)
    # Discontinuity sequence numbers (RFC 8216 §6.2.2): ads one up from the content before them,
    # content after the break one up again.
    content = [f for f in report["frags"] if "/seg_v720_" in f["url"]]
    before = [f for f in content if f["start"] < ads[0]["start"]]
    after = [f for f in content if f["start"] >= ads[-1]["start"] + ads[-1]["duration"] - 0.1]
    assert before and after, _summary(report)
    assert {f["cc"] for f in ads} == {before[-1]["cc"] + 1}
    assert after[0]["cc"] == before[-1]["cc"] + 2
    # The player's clock went through the whole break and on into content.
    assert report["current_time"] > report["ad_end"] + 4
    assert _metric(base, "ssai_ad_segment_requests_total") >= 4


# SGAI on 2 s and on 1.92 s segments. Both end on an audio and a video frame (64 kHz AAC,
# media_library.cc), so hls.js puts the interstitial exactly on the boundary the buffer reaches,
# preloads the asset list there and appends the ads in place. With 48 kHz audio (up to 21 ms late
# on 2 s segments, 21.333 ms frames rounded to microseconds on 1.92 s) the interstitial's start
# wobbled a few ms around the buffer's end; when it fell past it, hls.js fetched the asset list
# only once the playhead ran dry and stalled (CI, 2026-12-01; tests/README.md).
@pytest.mark.parametrize("media_deployment", [2.0, SEGMENT_S], indirect=True)
def test_hlsjs_plays_the_sgai_stream_with_an_interstitial(media_deployment, hlsjs_player):
    base, seg = media_deployment
    import threading
    cue = threading.Timer(3.0, _cue, args=(base, 4 * seg))
    cue.start()
    try:
        report = hlsjs_player(base + "/demo/sports/v720.m3u8?mode=sgai", "sgai", max_s=45)
    finally:
        cue.cancel()
        cue.join()
    events = report["events"]
    types = [e["type"] for e in events]
    # What our server is responsible for, asserted strictly: hls.js found the interstitial in the
    # EXT-X-DATERANGE (HLS Interstitials, bis Appendix D), fetched its X-ASSET-LIST from us (two
    # assets), and started it with the first asset, with no error until then.
    for needed in ("INTERSTITIALS_UPDATED", "ASSET_LIST_LOADED", "INTERSTITIAL_STARTED", "INTERSTITIAL_ASSET_STARTED"):
        assert needed in types, f"no {needed}:\n" + _summary(report)
    started = [e for e in events if e["type"] == "INTERSTITIAL_STARTED"]
    assert all(e.get("id", "").startswith("ssai-manual_ch_demo_sports_") for e in started), _summary(report)
    assert any("/demo/sports/al-" in u or u.startswith("al-") for u in report["asset_lists"]), _summary(report)
    loaded = [e for e in events if e["type"] == "ASSET_LIST_LOADED"]
    assert loaded[0].get("assets") == 2, _summary(report)
    # Each creative is a multivariant asset playlist (issue 16: the player picks the variant that
    # fits, splice.sgai_asset_matches_rendition), named absolutely under this channel.
    assert re.search(r"/demo/sports/am-[0-9a-f]+-0\.m3u8$", report["assets_started"][0]), _summary(report)
    t_started = started[0]["t"]
    # The asset list was preloaded when the primary's buffer reached the interstitial, seconds
    # ahead (the DATERANGE comes >= 4 s before its START-DATE here), not when playback ran dry.
    t_list = next(e["t"] for e in events if e["type"] == "ASSET_LIST_LOADING")
    print(f"asset list requested {t_started - t_list:.3f} s before the interstitial started")
    assert t_started - t_list >= 1.0, _summary(report)
    early = [e for e in _hlsjs_errors(report) if e["t"] <= t_started]
    assert early == [], _summary(report)
    assert _metric(base, "ssai_ad_segment_requests_total") >= 1
    # Played through: both assets, INTERSTITIAL_ENDED, no error and no stall. Since the splicer
    # puts START-DATE on the splice-point segment boundary (reference/ssai/README.md, bis
    # Appendix D.2 X-SNAP), hls.js 1.7.4 no longer stalls short of it, so a stall fails the test.
    assert not report["timed_out"], _summary(report)
    assert _hlsjs_errors(report) == [], _summary(report)
    assert [u.rsplit("-", 1)[1] for u in report["assets_started"]] == ["0.m3u8", "1.m3u8"], \
        _summary(report)
    assert "INTERSTITIAL_ENDED" in types, _summary(report)


def test_hlsjs_plays_ssai_serve_over_a_ts_origin_through_a_break(ssai_bin, ffmpeg_bin, root, tmp_path, hlsjs_player):
    """Issue 17: `ssai origin --ts` packages a real TS (ffmpeg test pattern, tests/ts_fixtures.py)
    whose SCTE-35 splice_insert (cued 4 s ahead, 8 s, auto-return) becomes a CUE-OUT in the
    playlist; `ssai serve` in front of it splices two 4 s ads there, and hls.js plays through."""
    import ts_fixtures as tf
    base_ts = tf.base_ts(seconds=40)
    t0 = int(1.4 * tf.SECOND)
    ts, _ = tf.mux_scte35(base_ts, [(t0 + 20 * tf.SECOND, lambda v: tf.splice_info_section(tf.splice_insert(
        0x5001, out=True, pts=v + 4 * tf.SECOND, duration=8 * tf.SECOND)))])
    (tmp_path / "break.ts").write_bytes(ts)
    # The stream started 6 s ago: three 2 s segments out; the break is 24 s into the stream, far
    # enough ahead that hls.js (live start 3 target durations behind the edge) joins before it
    # however long Chromium takes to start.
    pdt = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=6)).strftime(
        "%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    procs = []
    try:
        origin, origin_url = _start([ssai_bin, "origin", "--ts", str(tmp_path / "break.ts"), "--segment-s", "2",
                                     "--loop", "--pdt-start", pdt, "--listen", "127.0.0.1:0"], cwd=root, timeout_s=30)
        procs.append(origin)
        variant = "{self}/ads/%s/2500000.m3u8"
        config = json.loads((root / "fixtures/serve/demo.json").read_text())
        config.update({"listen": "127.0.0.1:0", "journal_path": str(tmp_path / "journal.jsonl")})
        config["decision"] = {
            "latency_ms": 0, "ad_segment_duration_s": 2.0, "media": "ffmpeg",
            "catalogue": {"default_pod": "ts-pod", "pods": {"ts-pod": {"items": [
                {"id": "ad1", "duration": 4, "variants": {"2500000": variant % "ad1"}},
                {"id": "ad2", "duration": 4, "variants": {"2500000": variant % "ad2"}}]}}},
        }
        config["channels"] = [{
            "org": "demo", "channel": "sports", "mode": "ssai", "origin_base_url": origin_url,
            "renditions": [{"name": "ts", "bandwidth_bps": 2500000, "resolution": "320x180",
                            "codecs": "avc1.42c00d,mp4a.40.2"}],
            "slate": {"uri": origin_url + "/ts_0.ts", "duration_s": 2}, "default_pod_id": "ts-pod"}]
        (tmp_path / "serve.json").write_text(json.dumps(config))
        serve, serve_url = _start([ssai_bin, "serve", "--config", str(tmp_path / "serve.json")], cwd=root,
                                  env=dict(os.environ, SSAI_CUE_TOKEN=TOKEN), timeout_s=60)
        procs.append(serve)
        report = hlsjs_player(serve_url + "/demo/sports/ts.m3u8", "ssai", max_s=60)
        assert report["mse"]["h264_aac"], f"this Chromium's MSE does not play H.264+AAC: {report['mse']}"
        # Tolerated at the join only (before `playing`): hls.js skipping the gap at the start of
        # the first fragment it loads. The TS is ffmpeg's (48 kHz AAC in ~0.34 s PES), cut at IDR
        # frames, so a segment's audio and video do not start together (the packager puts the
        # straddling audio PES in the later segment: audio leads by less than one PES); hls.js
        # sometimes starts the buffer a few hundred ms in. Not a splice fault; once playing, any
        # error fails the test.
        errors = [e for e in _hlsjs_errors(report)
                  if not (e["details"] == "bufferSeekOverHole" and e["before_playing"])]
        assert errors == [], _summary(report)
        assert not report["timed_out"], "hls.js did not play through the break in time:\n" + _summary(report)
        ads = [f for f in report["frags"] if "/ads/" in f["url"]]
        assert [f["url"].split("/ads/")[1] for f in ads] == ["ad1/2500000_0.ts", "ad1/2500000_1.ts",
                                                              "ad2/2500000_0.ts", "ad2/2500000_1.ts"], _summary(report)
        content = [f for f in report["frags"] if re.search(r"/ts_\d+\.ts$", f["url"])]
        before = [f for f in content if f["start"] < ads[0]["start"]]
        after = [f for f in content if f["start"] >= ads[-1]["start"] + ads[-1]["duration"] - 0.1]
        assert before and after, _summary(report)
        # The break replaced the content segments 12..15 (24 s to 32 s of the TS): the last content
        # segment before it is ts_11, the first after it ts_16.
        assert before[-1]["url"].endswith("/ts_11.ts") and after[0]["url"].endswith("/ts_16.ts"), _summary(report)
        assert {f["cc"] for f in ads} == {before[-1]["cc"] + 1} and after[0]["cc"] == before[-1]["cc"] + 2
        assert report["current_time"] > report["ad_end"] + 4
        assert _metric(serve_url, "ssai_ad_segment_requests_total") >= 4
    finally:
        for p in reversed(procs):
            _stop(p)


def test_hlsjs_plays_a_vast_pod_of_three_creatives_of_different_durations(ssai_bin, ffmpeg_bin, root, tmp_path,
                                                                          hlsjs_player):
    """Issue 15: the harness's VAST ad server (`ssai decision --media ffmpeg`: real ad segments,
    and it records the beacons it receives) answers a pod of three creatives of 3.84 s, 5.76 s and
    1.92 s; `ssai serve` (decision.format "vast") stitches them with a DISCONTINUITY before each
    creative, hls.js plays the break through with no error, and the server fires each creative's
    impression and quartile beacons once, in order, for the player's session (`?session=`)."""
    seg = SEGMENT_S
    durations = {"c1": 2 * seg, "c2": 3 * seg, "c3": seg}
    (tmp_path / "catalogue.json").write_text(json.dumps(
        {"default_pod": "three", "pods": {"three": {"items": _pod(durations)}}}))
    procs = []
    try:
        origin, origin_url = _start_media_origin(ssai_bin, root, tmp_path, seg)
        procs.append(origin)
        ads, ads_url = _start([ssai_bin, "decision", "--catalogue", str(tmp_path / "catalogue.json"),
                               "--media", "ffmpeg", "--ad-segment-s", str(seg), "--listen", "127.0.0.1:0"],
                              cwd=root, timeout_s=60)
        procs.append(ads)
        decision = {"format": "vast", "url": ads_url + "/vast/pod/{pod}.xml", "ad_segment_duration_s": seg}
        serve, serve_url = _start_media_serve(ssai_bin, root, tmp_path, origin_url, seg, decision, "three")
        procs.append(serve)
        report = _hlsjs_through_a_cued_break(hlsjs_player, serve_url, serve_url + "/demo/sports/v720.m3u8?session=hlsjs",
                                             sum(durations.values()))
        ads_played = [f for f in report["frags"] if "/ads/" in f["url"]]
        assert [f["url"].split("/ads/")[1] for f in ads_played] == [
            "c1/2500000_0.ts", "c1/2500000_1.ts", "c2/2500000_0.ts", "c2/2500000_1.ts", "c2/2500000_2.ts",
            "c3/2500000_0.ts"], _summary(report)
        # Each creative is its own timeline (VAST pods, splicer.h "Pods of creatives"): one
        # discontinuity sequence number per creative, and one more for the return to content.
        content = [f for f in report["frags"] if "/seg_v720_" in f["url"]]
        before = [f for f in content if f["start"] < ads_played[0]["start"]]
        after = [f for f in content if f["start"] >= ads_played[-1]["start"] + ads_played[-1]["duration"] - 0.1]
        assert before and after, _summary(report)
        cc0 = before[-1]["cc"]
        assert {c: sorted({f["cc"] for f in ads_played if f"/ads/{c}/" in f["url"]}) for c in durations} == \
            {"c1": [cc0 + 1], "c2": [cc0 + 2], "c3": [cc0 + 3]}, _summary(report)
        assert after[0]["cc"] == cc0 + 4, _summary(report)
        assert report["current_time"] > report["ad_end"] + 4
        # Server-side beacons (issue 15, MediaTailor's model): fired as the session was delivered
        # the creatives' segments; sent asynchronously, so wait a little for the last ones.
        events = ["impression", "start", "firstQuartile", "midpoint", "thirdQuartile", "complete"]
        deadline = time.monotonic() + 10
        while True:
            pings = json.loads(_get(ads_url + "/vast/received"))["pings"]
            got = {c: [] for c in durations}  # (arrival ms, event) per creative
            for p in pings:
                q = urllib.parse.parse_qs(p["query"])
                assert p["session"] == "hlsjs" and p["kind"] != "error", p
                got[q["ad"][0]].append((p["at_ms"], q["event"][0] if p["kind"] == "tracking" else p["kind"]))
            if all(sorted(e for _, e in got[c]) == sorted(events) for c in durations) or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        for c in durations:
            # Each event once...
            assert sorted(e for _, e in got[c]) == sorted(events), (c, got[c])
            # ... and in order, except that beacons one delivery made due together are sent
            # concurrently (beacon_sender.h: 2 in flight) and may arrive swapped (the conformance
            # check beacon.quartiles_in_order allows the same slack).
            for i, (t_i, e_i) in enumerate(got[c]):
                for t_j, e_j in got[c][i + 1:]:
                    assert not (t_j - t_i > 500 and events.index(e_j) < events.index(e_i)), (c, got[c])
    finally:
        for p in reversed(procs):
            _stop(p)
