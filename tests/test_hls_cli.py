"""`ssai hls lint` and `ssai hls cues` on the committed fixtures."""
import json
import re


LINE = re.compile(r"^(\S+: )?(error|warning) hls\.[a-z0-9_.]+ line \d+: .+$")
SUMMARY = re.compile(r"^summary: \d+ errors? \(\d+ rules?\), \d+ warnings? \(\d+ rules?\) in \d+ playlists?(; \d+ repeated by later reloads shown once)?$")


def test_lint_catalogue_has_at_least_20_rules_with_sections(ssai):
    r = ssai("hls", "lint", "--rules", "--json")
    assert r.returncode == 0, r.stderr
    rules = json.loads(r.stdout)
    assert len(rules) >= 20
    ids = [x["id"] for x in rules]
    assert len(ids) == len(set(ids))
    for must in ("hls.target_duration.bound", "hls.media_sequence.monotonic",
                 "hls.daterange.id_required_unique", "hls.daterange.start_date",
                 "hls.daterange.requires_pdt", "hls.version.min_for_features",
                 "hls.interstitial.asset_xor", "hls.cue.out_without_in",
                 "hls.media_sequence.stable_mapping", "hls.discontinuity_sequence.on_removal",
                 "hls.target_duration.constant", "hls.playlist.head_only_removal"):
        assert must in ids
    assert all(x["section"] for x in rules)


def test_clean_reload_sequence_exits_0_and_says_so(ssai):
    r = ssai("hls", "lint", "fixtures/lint/clean_live")
    assert r.returncode == 0, r.stdout + r.stderr
    files = len(list(__import__("pathlib").Path("fixtures/lint/clean_live").glob("*.m3u8")))
    assert r.stdout == f"summary: 0 errors (0 rules), 0 warnings (0 rules) in {files} playlists\n"


def test_bad_playlists_exit_1_one_line_per_finding(ssai, root):
    bad = sorted((root / "fixtures/lint/bad").glob("*.m3u8"))
    assert bad
    for path in bad:
        r = ssai("hls", "lint", path)
        assert r.returncode == 1, path
        lines = r.stdout.splitlines()
        assert len(lines) >= 2, path
        for line in lines[:-1]:
            assert LINE.match(line), line
        assert SUMMARY.match(lines[-1]), lines[-1]
        # Errors first (mediastreamvalidator's MUST before SHOULD).
        severities = [LINE.match(line).group(2) for line in lines[:-1]]
        assert severities == sorted(severities), severities


def test_a_finding_repeated_by_every_reload_is_printed_once(ssai, tmp_path):
    # Every reload carries the same too-long segment: one line, with the repeats counted.
    for k in range(5):
        (tmp_path / f"{k:02d}.m3u8").write_text(
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:10\n#EXTINF:6.0,\na.ts\n#EXTINF:2.0,\nb.ts\n")
    r = ssai("hls", "lint", tmp_path)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    bound = [line for line in lines if "hls.target_duration.bound" in line]
    assert len(bound) == 1, r.stdout
    assert bound[0].endswith("(repeated in 4 later reloads)"), bound[0]
    assert bound[0].startswith(f"{tmp_path / '00.m3u8'}: error hls.target_duration.bound line 5: "), bound[0]
    assert lines[-1].startswith("summary: 5 errors (1 rule), "), lines[-1]
    assert "; 4 repeated by later reloads shown once" in lines[-1]


def test_reload_rules_fire_on_bad_sequences(ssai):
    r = ssai("hls", "lint", "fixtures/lint/bad_reload/msn_reset")
    assert r.returncode == 1
    assert "hls.media_sequence.monotonic" in r.stdout
    r = ssai("hls", "lint", "fixtures/lint/bad_reload/dsn_not_bumped")
    assert r.returncode == 1
    assert "hls.discontinuity_sequence.on_removal" in r.stdout


def test_lint_json_and_stdin(ssai, root):
    text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:6.0,\na.ts\n"
    r = ssai("hls", "lint", "--json", "-", input=text)
    assert r.returncode == 1
    findings = json.loads(r.stdout)
    assert any(f["rule_id"] == "hls.target_duration.bound" and f["line"] == 3 for f in findings)


def test_unparseable_playlist_is_exit_2_naming_the_line(ssai, tmp_path):
    p = tmp_path / "bad.m3u8"
    p.write_text("#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:abc,\nx.ts\n")
    r = ssai("hls", "lint", p)
    assert r.returncode == 2
    assert "line 3" in r.stderr


def stream_dirs(root):
    return sorted(d for d in (root / "fixtures/streams").iterdir() if d.is_dir())


def test_cues_match_golden_events_for_every_stream(ssai, root):
    dirs = stream_dirs(root)
    assert len(dirs) >= 14
    for d in dirs:
        r = ssai("hls", "cues", d.relative_to(root))
        assert r.returncode == 0, (d.name, r.stderr)
        want = (d / "expected_cues.jsonl").read_text()
        assert r.stdout == want, d.name
        for line in r.stdout.splitlines():
            json.loads(line)


def test_cues_every_marker_flavour_is_covered(ssai, root):
    flavours = set()
    for d in stream_dirs(root):
        for line in (d / "expected_cues.jsonl").read_text().splitlines():
            flavours.add(json.loads(line)["flavour"])
    assert flavours >= {"cue_out", "cue_out_cont", "cue_in", "oatcls_scte35", "daterange",
                        "ext_x_scte35", "splicepoint_scte35"}


def test_cues_missing_file_is_exit_2(ssai):
    r = ssai("hls", "cues", "fixtures/streams/nope")
    assert r.returncode == 2
    assert "nope" in r.stderr


def _broken_live_capture(d):
    """A capture (fixtures/README.md format) of a live origin that breaks RFC 8216 §6.2.2 on its
    second reload (EXT-X-MEDIA-SEQUENCE goes back) and answers 404 for one rendition."""
    d.mkdir()
    (d / "master.m3u8").write_text("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\nv1.m3u8\n"
                                   "#EXT-X-STREAM-INF:BANDWIDTH=400000\nv2.m3u8\n")
    seg = lambda msn: "".join(f"#EXTINF:2.000,\ns{n}.ts\n" for n in range(msn, msn + 3))
    (d / "v1_a.m3u8").write_text(f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:10\n{seg(10)}")
    (d / "v1_b.m3u8").write_text(f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:9\n{seg(9)}")
    lines = [{"format": "ssai-capture-1", "url": "http://127.0.0.1:8081/master.m3u8",
              "started_at": "2026-01-01T00:00:00.000Z", "duration_ms": 6000, "speed": 1},
             {"offset_ms": 0, "path": "/master.m3u8", "status": 200, "file": "master.m3u8"},
             {"offset_ms": 0, "path": "/v1.m3u8", "status": 200, "file": "v1_a.m3u8"},
             {"offset_ms": 0, "path": "/v2.m3u8", "status": 404},
             {"offset_ms": 1500, "path": "/v1.m3u8", "status": 200, "file": "v1_b.m3u8"},
             {"offset_ms": 6000, "path": "/v1.m3u8", "status": 200, "file": "v1_b.m3u8"}]
    (d / "index.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))


def test_lint_a_capture_directory_judges_each_playlist_across_its_reloads(ssai, tmp_path):
    cap = tmp_path / "cap"
    _broken_live_capture(cap)
    r = ssai("hls", "lint", cap)
    assert r.returncode == 1, r.stdout + r.stderr
    out = r.stdout.splitlines()
    assert "/v2.m3u8@+0.000s: fetch failed: HTTP 404" in out, r.stdout
    assert any(l.startswith("/v1.m3u8@+1.500s: error hls.media_sequence.monotonic line ") for l in out), r.stdout
    assert SUMMARY.match(out[-2]), out[-2]
    assert out[-1] == "followed 3 playlists over 5 fetches; 1 failed", out[-1]


def test_lint_follows_a_live_url_like_a_player(ssai_bin, ssai, tmp_path):
    """`ssai hls lint URL --follow S` (mediastreamvalidator-style): every rendition of the
    multivariant playlist reloaded for S seconds, the reload rules judged across reloads; --save
    keeps the recording, which lints the same."""
    from procs import start, stop
    cap = tmp_path / "cap"
    _broken_live_capture(cap)
    origin, base = start([ssai_bin, "origin", "--capture", str(cap), "--listen", "127.0.0.1:0"], cwd=tmp_path)
    try:
        saved = tmp_path / "saved"
        r = ssai("hls", "lint", f"{base}/master.m3u8", "--follow", "2.5", "--save", saved, timeout=30)
    finally:
        stop(origin)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "following " + base + "/master.m3u8 for 2.5 s" in r.stderr
    out = r.stdout.splitlines()
    assert any(l.startswith("/v1.m3u8@+") and " error hls.media_sequence.monotonic line " in l for l in out), r.stdout
    assert any(l.startswith("/v2.m3u8@+0.") and l.endswith("fetch failed: HTTP 404") for l in out), r.stdout
    again = ssai("hls", "lint", saved)
    assert again.returncode == 1 and "hls.media_sequence.monotonic" in again.stdout
    # Not a URL: --follow is a usage error; an unreachable URL is exit 2 naming it.
    assert ssai("hls", "lint", cap / "master.m3u8", "--follow", "3").returncode == 2
    gone = ssai("hls", "lint", "http://127.0.0.1:9/master.m3u8")
    assert gone.returncode == 2 and "127.0.0.1:9" in gone.stderr
