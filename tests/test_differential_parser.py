"""Differential HLS parser test: our parser (`ssai hls parse --json`) and npm m3u8-parser
(tests/js/parse_m3u8.mjs, pinned in tests/js/package.json) must read the same segments, durations,
sequence numbers, program date-times and DATERANGEs from every fixture playlist: fixtures/streams,
fixtures/lint (where the playlist is valid) and fixtures/captures.

m3u8-parser differs from us on purpose in a few places; each is normalised below with the reason.
A disagreement fails naming the fixture and the field."""
import json
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NODE = "/usr/bin/node"
JS_DIR = ROOT / "tests" / "js"

# Lint fixtures that are not valid playlists for a parser comparison (the linter's job is to flag
# them; the two parsers are allowed to read them differently).
NOT_VALID = {
    # ID=splice-7 unquoted: RFC 8216 §4.3.2.7 makes ID a quoted-string. We read no ID (and lint
    # says so); m3u8-parser takes the bare text.
    "fixtures/lint/bad/daterange_unquoted_id.m3u8",
}


def _playlists():
    files = []
    for folder in ("fixtures/streams", "fixtures/lint", "fixtures/captures"):
        files += sorted(p for p in (ROOT / folder).rglob("*.m3u8"))
    rel = [str(p.relative_to(ROOT)) for p in files]
    return [f for f in rel if f not in NOT_VALID]


def _camel(name):
    """m3u8-parser's camelCase of an attribute name: SCTE35-OUT -> scte35Out."""
    parts = name.lower().split("-")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def _iso_ms(text):
    # "2026-01-15T12:00:20.000Z" -> epoch ms, the way JavaScript's Date reads it.
    import datetime
    t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return round(t.timestamp() * 1000)


def _merge_dateranges(ours):
    """m3u8-parser keeps one entry per DATERANGE ID: a later tag with the same ID is merged into
    the first (its attributes override). RFC 8216 §4.3.2.7.1 has the SCTE35-IN tag repeat the ID
    of the SCTE35-OUT tag, so we merge ours the same way before comparing."""
    merged = {}
    order = []
    for d in ours:
        key = d.get("id")
        if key not in merged:
            merged[key] = {"attributes": {}}
            order.append(key)
        merged[key]["attributes"].update(d["attributes"])
        for k in ("start_date", "end_date", "duration_s", "planned_duration_s", "class"):
            if d.get(k) is not None:
                merged[key][k] = d[k]
        merged[key]["end_on_next"] = merged[key].get("end_on_next", False) or d["end_on_next"]
        merged[key]["id"] = key
    return [merged[k] for k in order]


def _compare_media(name, ours, theirs, errors):
    def check(field, a, b):
        if a != b:
            errors.append(f"{name}: {field}: ours {a!r}, m3u8-parser {b!r}")

    check("target_duration", ours["target_duration_s"], theirs["targetDuration"])
    # m3u8-parser reports 0 for an absent EXT-X-MEDIA-SEQUENCE / DISCONTINUITY-SEQUENCE in a live
    # playlist and undefined in some others; RFC 8216 §4.3.3.2/§4.3.3.3 say absent means 0.
    check("media_sequence", ours["media_sequence"], theirs["mediaSequence"] or 0)
    check("discontinuity_sequence", ours["discontinuity_sequence"], theirs["discontinuitySequence"] or 0)
    check("endlist", ours["endlist"], bool(theirs["endList"]))
    check("segment count", len(ours["segments"]), len(theirs["segments"]))
    for i, (a, b) in enumerate(zip(ours["segments"], theirs["segments"])):
        where = f"segments[{i}]"
        check(f"{where}.uri", a["uri"], b["uri"])
        if b["duration"] is None or abs(a["duration_s"] - b["duration"]) > 1e-9:
            errors.append(f"{name}: {where}.duration: ours {a['duration_s']!r}, m3u8-parser {b['duration']!r}")
        # m3u8-parser's `timeline` is the discontinuity sequence number of the segment.
        check(f"{where}.discontinuity_sequence", a["dsn"], b["timeline"])
        check(f"{where}.discontinuity", a["discontinuity"], b["discontinuity"])
        # Both derive every segment's start from the nearest PROGRAM-DATE-TIME (RFC 8216
        # §4.3.2.6); m3u8-parser sums float seconds × 1000, so allow 1 ms.
        pa, pb = a["start_ms"], b["programDateTime"]
        if (pa is None) != (pb is None) or (pa is not None and abs(pa - pb) > 1.0):
            errors.append(f"{name}: {where}.program_date_time: ours {pa!r}, m3u8-parser {pb!r}")
    ours_dr = _merge_dateranges(ours["dateranges"])
    check("daterange count", len(ours_dr), len(theirs["dateRanges"]))
    for a, b in zip(ours_dr, theirs["dateRanges"]):
        where = f"daterange {a['id']!r}"
        check(f"{where}.id", a["id"], b.get("id"))
        check(f"{where}.start_date", _iso_ms(a["start_date"]) if a.get("start_date") else None, b.get("startDate"))
        check(f"{where}.class", a.get("class"), b.get("class"))
        check(f"{where}.duration", a.get("duration_s"), b.get("duration"))
        check(f"{where}.planned_duration", a.get("planned_duration_s"), b.get("plannedDuration"))
        check(f"{where}.end_on_next", a["end_on_next"], bool(b.get("endOnNext", False)))
        if a.get("end_date") and not a.get("duration_s"):
            # With both DURATION and END-DATE, m3u8-parser replaces END-DATE by START-DATE + DURATION.
            check(f"{where}.end_date", _iso_ms(a["end_date"]), b.get("endDate"))
        for attr, value in a["attributes"].items():
            if attr in ("ID", "CLASS", "START-DATE", "END-DATE", "DURATION", "PLANNED-DURATION", "END-ON-NEXT"):
                continue  # compared typed above
            key = _camel(attr)
            theirs_value = b.get(key)
            # X-... client attributes: m3u8-parser turns decimal ones into numbers.
            if isinstance(theirs_value, (int, float)) and not isinstance(theirs_value, bool):
                ok = abs(float(value) - theirs_value) < 1e-9
            else:
                ok = value == theirs_value
            if not ok:
                errors.append(f"{name}: {where}.{attr}: ours {value!r}, m3u8-parser {theirs_value!r}")


def _compare_master(name, ours, theirs, errors):
    ov = ours["variants"]
    tv = theirs["playlists"]
    if len(ov) != len(tv):
        errors.append(f"{name}: variant count: ours {len(ov)}, m3u8-parser {len(tv)}")
    for i, (a, b) in enumerate(zip(ov, tv)):
        for field, x, y in (("uri", a["uri"], b["uri"]), ("bandwidth", a["bandwidth"], b["bandwidth"]),
                            ("codecs", a["codecs"] or None, b["codecs"]),
                            ("resolution", a["resolution"] or None, b["resolution"])):
            if x != y:
                errors.append(f"{name}: variants[{i}].{field}: ours {x!r}, m3u8-parser {y!r}")


def test_node_modules_installed():
    if not (JS_DIR / "node_modules" / "m3u8-parser").is_dir():
        pytest.fail(f"{JS_DIR}/node_modules/m3u8-parser missing: run scripts/bootstrap.sh "
                    "(it runs `npm ci` in tests/js)")


def test_parsers_agree_on_every_fixture(ssai):
    if not (JS_DIR / "node_modules" / "m3u8-parser").is_dir():
        pytest.fail(f"{JS_DIR}/node_modules/m3u8-parser missing: run scripts/bootstrap.sh")
    files = _playlists()
    assert len(files) > 100, files  # streams + lint + captures
    r = ssai("hls", "parse", "--json", *files, timeout=120)
    assert r.returncode == 0, r.stderr
    ours = [json.loads(line) for line in r.stdout.splitlines()]
    js = subprocess.run([NODE, str(JS_DIR / "parse_m3u8.mjs"), *files], capture_output=True, text=True,
                        cwd=ROOT, timeout=120)
    assert js.returncode == 0, js.stderr
    theirs = [json.loads(line) for line in js.stdout.splitlines()]
    assert [o["file"] for o in ours] == files
    assert [t["file"] for t in theirs] == files
    errors = []
    kinds = {"media": 0, "master": 0}
    for name, a, b in zip(files, ours, theirs):
        if a["type"] != b["type"]:
            errors.append(f"{name}: type: ours {a['type']}, m3u8-parser {b['type']}")
            continue
        kinds[a["type"]] += 1
        (_compare_media if a["type"] == "media" else _compare_master)(name, a, b, errors)
    assert not errors, f"{len(errors)} disagreements:\n" + "\n".join(errors[:50])
    assert kinds["master"] >= 1 and kinds["media"] > 100, kinds


def test_a_disagreement_names_the_fixture_and_field():
    """The comparison itself: a wrong duration or a missing DATERANGE is reported by name."""
    ours = {"target_duration_s": 2, "media_sequence": 5, "discontinuity_sequence": 0, "endlist": False,
            "segments": [{"uri": "a.ts", "duration_s": 2.0, "dsn": 0, "discontinuity": False, "start_ms": None}],
            "dateranges": [{"id": "x", "start_date": "2026-01-15T12:00:20.000Z", "end_date": None,
                            "duration_s": None, "planned_duration_s": 10.0, "class": None, "end_on_next": False,
                            "attributes": {"ID": "x", "START-DATE": "2026-01-15T12:00:20.000Z",
                                           "PLANNED-DURATION": "10", "SCTE35-OUT": "0xFC"}}]}
    theirs = {"targetDuration": 2, "mediaSequence": 5, "discontinuitySequence": 0, "endList": False,
              "segments": [{"uri": "a.ts", "duration": 2.5, "timeline": 0, "discontinuity": False,
                            "programDateTime": None}],
              "dateRanges": [{"id": "x", "startDate": _iso_ms("2026-01-15T12:00:20.000Z"), "plannedDuration": 10,
                              "scte35Out": "0xFD"}]}
    errors = []
    _compare_media("f.m3u8", ours, theirs, errors)
    assert errors == ["f.m3u8: segments[0].duration: ours 2.0, m3u8-parser 2.5",
                      "f.m3u8: daterange 'x'.SCTE35-OUT: ours '0xFC', m3u8-parser '0xFD'"]
