"""`ssai serve` on a damaged journal (issue 13): a corrupted record in the body refuses to start
with exit 2 naming the journal, the line and the reason; a torn final record (what a crash mid-write
leaves) is cut off and the server starts. No origin is needed: the journal is read before anything
is fetched. Every process is bounded (timeout) and stopped."""
import json
import os
import subprocess

from procs import start as _start, stop as _stop

TOKEN = "pytest-cue-token"
GOOD = '{"key":"k","op":"put","value":"v"}\n'  # the format before checksums: still accepted


def _config(root, tmp_path, journal):
    config = json.loads((root / "fixtures/serve/demo.json").read_text())
    config["listen"] = "127.0.0.1:0"
    config["journal_path"] = str(journal)
    config["decision"]["catalogue_file"] = str(root / "fixtures/serve/catalogue.json")
    path = tmp_path / "serve.json"
    path.write_text(json.dumps(config))
    return path


def _env():
    return dict(os.environ, SSAI_CUE_TOKEN=TOKEN)


def test_a_corrupted_journal_record_exits_2_with_path_line_and_reason(ssai_bin, root, tmp_path):
    journal = tmp_path / "j.jsonl"
    cases = [
        ('{"key":"k","op":"put","value":"v","crc32":"00000000"}\n', "line 2: checksum mismatch"),
        ('{"key":1,"op":"put","value":"v"}\n', 'line 2: "key" is missing or not a string'),
        ('{"key":"k","op":"put","va\n', "line 2: not a journal record"),
    ]
    for bad, reason in cases:
        journal.write_text(GOOD + bad + GOOD)
        r = subprocess.run([ssai_bin, "serve", "--config", str(_config(root, tmp_path, journal))],
                           capture_output=True, text=True, timeout=30, env=_env(), cwd=root)
        assert r.returncode == 2, (r.returncode, r.stderr)
        assert f"journal {journal}: {reason}" in r.stderr, r.stderr
        assert "Abort" not in r.stderr and "terminate called" not in r.stderr, r.stderr


def test_a_torn_final_record_is_cut_and_the_server_starts(ssai_bin, root, tmp_path):
    journal = tmp_path / "j.jsonl"
    torn = '{"key":"k2","op":"pu'  # a crash mid-write: no newline
    journal.write_text(GOOD + torn)
    proc, _ = _start([ssai_bin, "serve", "--config", str(_config(root, tmp_path, journal))],
                     cwd=root, env=_env())
    try:
        text = journal.read_text()
        # The coordinators append their channel records at start: after the good line, never
        # onto the torn bytes. Every line is a whole record (ends in its checksum).
        assert text.startswith(GOOD) and torn not in text, text
        for line in text.splitlines()[1:]:
            assert json.loads(line)["crc32"], line
    finally:
        assert _stop(proc) == 0
    note = f"journal {journal}: cut a torn final record ({len(torn)} bytes after byte {len(GOOD)}"
    assert note in proc.stderr.read()
    # A second start reads the journal the first one left.
    again, _ = _start([ssai_bin, "serve", "--config", str(_config(root, tmp_path, journal))],
                      cwd=root, env=_env())
    assert _stop(again) == 0
