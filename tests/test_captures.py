"""Every committed capture (fixtures/captures/NAME/, made by scripts/make_captures.sh) run through
`ssai hls cues`, rendition by rendition in reload order: the break events must be the ones
NAME/expected.json says the capture was designed to contain (written by hand from spec.json, see
fixtures/captures/README.md). Also checks each capture is well formed: a header, the multivariant
playlist, both renditions, a few dozen snapshots, no failed fetch."""
import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CAPTURES = sorted(p for p in (ROOT / "fixtures" / "captures").iterdir() if (p / "expected.json").is_file())


def _entries(cap):
    lines = (cap / "index.jsonl").read_text().splitlines()
    header = json.loads(lines[0])
    return header, [json.loads(x) for x in lines[1:]]


def test_there_is_a_capture_per_flavour_and_messy_case():
    names = {p.name for p in CAPTURES}
    assert {"cue_out", "oatcls_scte35", "daterange_scte35", "ext_x_scte35", "splicepoint_scte35",
            "cue_repeated_every_segment", "cue_out_cont_only", "missing_cue_in", "early_cue_in",
            "cancelled_splice", "pts_wrap", "renditions_cut_differently"} <= names, names


@pytest.mark.parametrize("cap", CAPTURES, ids=[p.name for p in CAPTURES])
def test_capture_matches_expected_breaks(ssai, cap):
    header, entries = _entries(cap)
    assert header["format"] == "ssai-capture-1", cap
    expected = json.loads((cap / "expected.json").read_text())["events"]
    paths = {e["path"] for e in entries}
    assert paths == {"/master.m3u8", *expected}, f"{cap.name}: paths {sorted(paths)}"
    assert all(e["status"] == 200 and "error" not in e for e in entries), f"{cap.name}: a failed fetch"
    for path, want in expected.items():
        files = []
        for e in entries:
            if e["path"] == path and (not files or files[-1] != e["file"]):
                files.append(e["file"])  # an unchanged reload names the same file: feed it once
        assert 15 <= len(files) <= 60, f"{cap.name} {path}: {len(files)} snapshots"
        r = ssai("hls", "cues", *[cap / f for f in files])
        assert r.returncode == 0, f"{cap.name} {path}: {r.stderr}"
        assert "warning" not in r.stderr, f"{cap.name} {path}: {r.stderr}"
        got = [json.loads(x) for x in r.stdout.splitlines()]
        # Compare the fields expected.json names (kind, event_id, splice_time, duration_s, reason,
        # pts_ticks); the rest (file, line, msn, flavour) depends on when each reload happened.
        got_cmp = [{k: g.get(k) for k in w} for g, w in zip(got, want)]
        assert len(got) == len(want) and got_cmp == want, (
            f"{cap.name} {path}:\n got {json.dumps(got, indent=1)}\n want {json.dumps(want, indent=1)}")


@pytest.mark.parametrize("cap", CAPTURES, ids=[p.name for p in CAPTURES])
def test_hls_cues_reads_a_capture_directory_rendition_by_rendition(ssai, cap):
    """`ssai hls cues CAPTURE_DIR`: the same events per rendition as feeding its snapshots by hand,
    each naming the rendition's path and the fetch's offset; the multivariant playlist is skipped."""
    expected = json.loads((cap / "expected.json").read_text())["events"]
    r = ssai("hls", "cues", cap)
    assert r.returncode == 0, f"{cap.name}: {r.stderr}"
    assert "warning" not in r.stderr, f"{cap.name}: {r.stderr}"
    got = [json.loads(x) for x in r.stdout.splitlines()]
    for path, want in expected.items():
        mine = [g for g in got if g["file"].startswith(path + "@+")]
        got_cmp = [{k: g.get(k) for k in w} for g, w in zip(mine, want)]
        assert len(mine) == len(want) and got_cmp == want, f"{cap.name} {path}: {json.dumps(mine, indent=1)}"
    assert len(got) == sum(len(w) for w in expected.values()), r.stdout
