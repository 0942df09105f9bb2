"""`ssai scte35 decode|encode` as a user drives it: the published vectors, every input form,
errors with byte offsets, and decode -> encode giving back the same bytes."""
import base64
import json

import pytest

SPLICE_INSERT = "/DAvAAAAAAAA///wFAVIAACPf+/+c2nALv4AUsz1AAAAAAAKAAhDVUVJAAABNWLbowo="
BAD_CRC = "/DA4AAAAAAAAAP/wFAUABDEAf+//mWEhzP4Azf5gAQAAAAATAhFDVUVJAAAAAX+/AQIwNAEAAKeYO3Q="


def vectors(root):
    return [v for v in json.loads((root / "fixtures/scte35/vectors.json").read_text()) if v.get("valid")]


def test_decodes_splice_insert_with_threefive_keys(ssai):
    r = ssai("scte35", "decode", SPLICE_INSERT)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert set(doc) >= {"info_section", "command", "descriptors"}
    assert doc["info_section"]["table_id"] == "0xfc"
    cmd = doc["command"]
    assert cmd["name"] == "Splice Insert"
    assert cmd["splice_event_id"] == 0x4800008F
    assert cmd["out_of_network_indicator"] is True
    assert cmd["pts_time"] == pytest.approx(21514.559089)
    assert cmd["break_duration"] == pytest.approx(60.293567)


def test_hex_forms_decode_the_same(ssai):
    raw = base64.b64decode(SPLICE_INSERT)
    want = json.loads(ssai("scte35", "decode", SPLICE_INSERT).stdout)
    for text in (raw.hex(), "0x" + raw.hex(), "0X" + raw.hex().upper()):
        r = ssai("scte35", "decode", text)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout) == want


def test_every_published_vector_round_trips(ssai, root, tmp_path):
    for v in vectors(root):
        r = ssai("scte35", "decode", v["base64"])
        assert r.returncode == 0, (v["name"], r.stderr)
        path = tmp_path / "cue.json"
        path.write_text(r.stdout)
        e = ssai("scte35", "encode", path)
        assert e.returncode == 0, (v["name"], e.stderr)
        assert e.stdout.strip() == v["base64"], v["name"]


def test_stdin_one_cue_per_line_keeps_going_after_a_bad_line(ssai, root):
    cues = [v["base64"] for v in vectors(root)][:3]
    r = ssai("scte35", "decode", "-", input="\n".join([cues[0], "not-a-cue!", cues[1], cues[2]]) + "\n")
    assert r.returncode == 2
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(lines) == 3
    assert "line 2" in r.stderr


@pytest.mark.parametrize("cue,needle", [
    (BAD_CRC, "CRC"),
    (SPLICE_INSERT[:20], "byte"),          # truncated section
    ("0xFC30", "byte"),                    # far too short
    ("zz*notbase64", "offset 2"),
])
def test_bad_input_is_exit_2_with_one_line_naming_where(ssai, cue, needle):
    r = ssai("scte35", "decode", cue)
    assert r.returncode == 2
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert needle in r.stderr


def test_lenient_reports_crc_as_warning(ssai):
    r = ssai("scte35", "decode", "--lenient", BAD_CRC)
    assert r.returncode == 0
    assert json.loads(r.stdout)["command"]["name"] == "Splice Insert"
    assert "CRC" in r.stderr


def test_encode_names_the_bad_json_field(ssai, tmp_path):
    doc = json.loads(ssai("scte35", "decode", SPLICE_INSERT).stdout)
    doc["command"]["splice_event_id"] = "not a number"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    r = ssai("scte35", "encode", path)
    assert r.returncode == 2
    assert "splice_event_id" in r.stderr
