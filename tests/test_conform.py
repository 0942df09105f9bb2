"""`ssai conform`: the catalogue, the build list, one builtin run with its three reports, exit codes."""
import json
import xml.etree.ElementTree as ET

SCENARIOS = "fixtures/scenarios/conformance"


def test_list_prints_the_catalogue(ssai):
    r = ssai("conform", "--list")
    assert r.returncode == 0, r.stderr
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    assert len(rows) >= 40
    ids = [row[0] for row in rows]
    assert len(ids) == len(set(ids))
    for family in ("hls.", "variants.", "splice.", "ttl.", "kv.", "latency.", "api."):
        assert any(i.startswith(family) for i in ids), family
    assert all(row[1] in ("error", "warning") and row[2] and row[3] for row in rows)


def test_list_builds(ssai):
    r = ssai("conform", "--list-builds")
    assert r.returncode == 0
    builds = r.stdout.split()
    assert "kv-hybrid" in builds and "kv-channel-state" in builds
    assert sum(b.startswith("defect-") for b in builds) >= 9


def test_defect_build_fails_with_reports(ssai, tmp_path):
    out = tmp_path / "conform"
    r = ssai("conform", "--target", "builtin:defect-ignore-bitrate", "--scenario",
             f"{SCENARIOS}/cue_out_two_breaks.json", "--out", out, "--quiet")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "splice.ad_bitrate_matches_rendition" in r.stdout
    suites = ET.parse(out / "junit.xml").getroot()
    failed = [tc.get("name") for tc in suites.iter("testcase") if tc.find("failure") is not None]
    assert "splice.ad_bitrate_matches_rendition" in failed
    report = json.loads((out / "report.json").read_text())
    assert report["runs"][0]["target"] == "builtin:defect-ignore-bitrate"
    html = (out / "index.html").read_text()
    assert "<script src" not in html and "splice.ad_bitrate_matches_rendition" in html


def test_bad_inputs_exit_2(ssai, tmp_path):
    assert ssai("conform", "--target", "builtin:nope", "--scenario", SCENARIOS, "--out", tmp_path).returncode == 2
    r = ssai("conform", "--target", "http:x.json", "--scenario", SCENARIOS, "--out", tmp_path)
    assert r.returncode == 2 and "not implemented" in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x"}')
    r = ssai("conform", "--target", "builtin:kv-hybrid", "--scenario", bad, "--out", tmp_path)
    assert r.returncode == 2 and "origin" in r.stderr
