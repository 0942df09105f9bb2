"""`ssai hls lint` and `ssai hls cues` on the committed fixtures."""
import json
import re


LINE = re.compile(r"^(\S+: )?hls\.[a-z0-9_.]+ line \d+: .+$")


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


def test_clean_reload_sequence_exits_0(ssai):
    r = ssai("hls", "lint", "fixtures/lint/clean_live")
    assert (r.returncode, r.stdout) == (0, ""), r.stdout + r.stderr


def test_bad_playlists_exit_1_one_line_per_finding(ssai, root):
    bad = sorted((root / "fixtures/lint/bad").glob("*.m3u8"))
    assert bad
    for path in bad:
        r = ssai("hls", "lint", path)
        assert r.returncode == 1, path
        assert r.stdout.splitlines(), path
        for line in r.stdout.splitlines():
            assert LINE.match(line), line


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
