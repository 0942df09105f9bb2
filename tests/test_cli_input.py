"""Issue 13: how files and JSON documents enter `ssai`. Every input is read with a size cap applied
while reading (/dev/zero, stdin, a huge sparse file cost at most the cap), JSON nesting is bounded,
numbers are range-checked, unknown keys are refused by name, and every such error exits 2 with a
message. Each command runs under a 1 GiB address-space limit, so a reader that reads everything
first fails here (bad_alloc) instead of passing slowly."""
import json
import resource
import subprocess

import pytest

import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent

MEM_LIMIT = 1 << 30


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEM_LIMIT, MEM_LIMIT))


@pytest.fixture
def run(ssai_bin):
    """run(*args, stdin=None) -> CompletedProcess (text); bounded in time and memory."""

    def go(*args, stdin=None, timeout=30):
        return subprocess.run([ssai_bin, *map(str, args)], stdin=stdin if stdin is not None else subprocess.DEVNULL,
                              capture_output=True, text=True, errors="replace", timeout=timeout, cwd=ROOT,
                              preexec_fn=_limit_memory)

    return go


@pytest.fixture
def huge_file(tmp_path):
    """A 1.5 GB sparse file: refused from its size, without reading (or writing) 1.5 GB."""
    p = tmp_path / "huge.m3u8"
    with open(p, "wb") as f:
        f.truncate(1_500_000_000)
    return p


# ---- size caps, applied while reading ----------------------------------------------------------

PLAYLIST_COMMANDS = [("hls", "lint"), ("hls", "parse"), ("hls", "cues")]


@pytest.mark.parametrize("cmd", PLAYLIST_COMMANDS)
def test_playlist_commands_stop_reading_dev_zero_at_the_cap(run, cmd):
    r = run(*cmd, "/dev/zero")
    assert r.returncode == 2, r.stderr
    assert "/dev/zero: larger than 16 MiB" in r.stderr


@pytest.mark.parametrize("cmd", [("hls", "lint"), ("hls", "cues")])
def test_playlist_commands_cap_stdin(run, cmd):
    with open("/dev/zero", "rb") as zero:
        r = run(*cmd, "-", stdin=zero)
    assert r.returncode == 2, r.stderr
    assert "stdin: larger than 16 MiB" in r.stderr


@pytest.mark.parametrize("cmd", PLAYLIST_COMMANDS)
def test_playlist_commands_refuse_a_huge_file_without_reading_it(run, cmd, huge_file):
    r = run(*cmd, huge_file)
    assert r.returncode == 2, r.stderr
    assert f"{huge_file}: larger than 16 MiB" in r.stderr


def test_sim_caps_its_scenario(run, tmp_path, huge_file):
    r = run("sim", "/dev/zero", "--quiet", "--out", tmp_path / "o")
    assert r.returncode == 2, r.stderr
    assert "ssai sim: /dev/zero: larger than 16 MiB" in r.stderr
    r = run("sim", huge_file, "--quiet", "--out", tmp_path / "o")
    assert r.returncode == 2, r.stderr
    assert "larger than 16 MiB" in r.stderr


def test_sim_merge_caps_its_inputs(run, tmp_path):
    r = run("sim", "merge", "/dev/zero", "--out", tmp_path / "o")
    assert r.returncode == 2, r.stderr
    assert "ssai sim merge: /dev/zero: larger than 256 MiB" in r.stderr


def test_serve_config_origin_spec_and_catalogue_are_capped(run):
    r = run("serve", "--config", "/dev/zero")
    assert r.returncode == 2, r.stderr
    assert "ssai serve: /dev/zero: larger than 1 MiB" in r.stderr
    r = run("origin", "--synthetic", "/dev/zero", "--listen", "127.0.0.1:0")
    assert r.returncode == 2, r.stderr
    assert "ssai origin: /dev/zero: larger than 1 MiB" in r.stderr
    r = run("decision", "--catalogue", "/dev/zero", "--listen", "127.0.0.1:0")
    assert r.returncode == 2, r.stderr
    assert "ssai decision: /dev/zero: larger than 4 MiB" in r.stderr


def test_conform_caps_scenario_and_profiles(run, tmp_path):
    r = run("conform", "--target", "builtin:kv-hybrid", "--scenario", "/dev/zero", "--out", tmp_path / "o")
    assert r.returncode == 2, r.stderr
    assert "/dev/zero: larger than 1 MiB" in r.stderr
    r = run("conform", "--target", "builtin:kv-hybrid", "--scenario", "fixtures/scenarios/conformance/cue_out_two_breaks.json",
            "--profile", "/dev/zero", "--out", tmp_path / "o")
    assert r.returncode == 2, r.stderr
    assert "/dev/zero: larger than 1 MiB" in r.stderr


def test_scte35_reads_are_capped(run):
    with open("/dev/zero", "rb") as zero:
        r = run("scte35", "encode", "-", stdin=zero)
    assert r.returncode == 2, r.stderr
    assert "stdin: larger than 1 MiB" in r.stderr
    with open("/dev/zero", "rb") as zero:  # no newline ever: one line, capped
        r = run("scte35", "decode", "-", stdin=zero)
    assert r.returncode == 2, r.stderr
    assert "line 1: longer than 64 KiB" in r.stderr


@pytest.mark.parametrize("args", [
    ("hls", "lint", "no-such.m3u8"),
    ("sim", "no-such.json", "--quiet"),
    ("scte35", "encode", "no-such.json"),
    ("conform", "--target", "builtin:kv-hybrid", "--scenario", "no-such.json"),
])
def test_a_missing_file_says_why(run, args):
    r = run(*args)
    assert r.returncode == 2, r.stderr
    assert "no-such" in r.stderr and "No such file or directory" in r.stderr, r.stderr


# ---- JSON nesting ------------------------------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


def test_deeply_nested_scenario_is_refused_not_a_crash(run, tmp_path):
    p = tmp_path / "deep.json"
    p.write_text(DEEP)
    r = run("sim", p, "--quiet", "--out", tmp_path / "o")
    assert r.returncode == 2, (r.returncode, r.stderr)  # was SIGSEGV
    assert "JSON nested deeper than 64 levels at byte 64" in r.stderr


def test_deeply_nested_inputs_of_every_command(run, tmp_path):
    p = tmp_path / "deep.json"
    p.write_text('{"a": ' + DEEP + "}")
    cases = [
        ("serve", "--config", p),
        ("origin", "--synthetic", p, "--listen", "127.0.0.1:0"),
        ("decision", "--catalogue", p, "--listen", "127.0.0.1:0"),
        ("conform", "--target", "builtin:kv-hybrid", "--scenario", p, "--out", tmp_path / "o"),
        ("scte35", "encode", p),
        ("sim", "merge", p, "--out", tmp_path / "o"),
    ]
    for args in cases:
        r = run(*args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert "JSON nested deeper than 64 levels" in r.stderr, (args, r.stderr)


# ---- numbers -----------------------------------------------------------------------------------

def test_negative_seed_is_refused(run, tmp_path):
    r = run("sim", "fixtures/scenarios/default.json", "--seed", "-1", "--quiet", "--out", tmp_path / "o")
    assert r.returncode == 2, r.stderr  # was accepted as 2^64 - 1
    assert "--seed" in r.stderr
    assert not (tmp_path / "o" / "report.json").exists()


@pytest.mark.parametrize("patch, message", [
    ({"pops": [{"coordinator_rtt_ms": -20}]},
     "scenario.pops[0].coordinator_rtt_ms: distribution: a fixed delay must be in [0, 1e9] ms, got -20"),
    ({"pops": [{"viewer_share": 0}]}, "scenario.pops[0].viewer_share: must be in (0, 1000000000], got 0"),
    ({"pops": [{}], "coordinator": {"locations": [{"rtt_ms": [{"kind": "uniform", "min_ms": -5, "max_ms": 5}]}]}},
     "scenario.coordinator.locations[0].rtt_ms[0]: distribution 'uniform': 'min_ms' must be in [0.0, 1000000000.0]"),
    ({"kv": {"hot_read_ms": {"kind": 7}}}, "scenario.kv.hot_read_ms: distribution: 'kind' must be one of"),
    ({"channels": 100000, "duration_s": 604800}, "scenario: too large to simulate (channels 100000"),
])
def test_out_of_range_scenario_numbers_name_field_and_range(run, tmp_path, patch, message):
    p = tmp_path / "s.json"
    p.write_text(json.dumps(patch))
    r = run("sim", p, "--build", "kv-hybrid", "--quiet", "--out", tmp_path / "o")
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert message in r.stderr, r.stderr


# ---- unknown keys ------------------------------------------------------------------------------

def test_unknown_key_in_a_conformance_origin_block_is_refused(run, tmp_path):
    scenario = json.loads((ROOT / "fixtures/scenarios/conformance/missing_cue_in.json").read_text())
    scenario["origin"]["omit_cue_ins"] = scenario["origin"].pop("omit_cue_in", True)  # the typo
    p = tmp_path / "typo.json"
    p.write_text(json.dumps(scenario))
    r = run("conform", "--target", "builtin:kv-hybrid", "--scenario", p, "--out", tmp_path / "o", "--quiet")
    assert r.returncode == 2, r.stderr  # was a green run
    assert "scenario.origin.omit_cue_ins: unknown key (allowed: " in r.stderr, r.stderr


def test_unknown_key_in_a_synthetic_origin_spec_is_refused(run, tmp_path):
    spec = json.loads((ROOT / "fixtures/serve/origin.json").read_text())
    spec["cue_flavor"] = "daterange"
    p = tmp_path / "spec.json"
    p.write_text(json.dumps(spec))
    r = run("origin", "--synthetic", p, "--listen", "127.0.0.1:0")
    assert r.returncode == 2, r.stderr
    assert "cue_flavor: unknown key (allowed: " in r.stderr, r.stderr


def test_every_committed_sim_scenario_still_loads(run, tmp_path):
    # A tiny run of each: --set shrinks it; the point is that the strict readers accept the file.
    for f in sorted((ROOT / "fixtures/scenarios").glob("*.json")):
        r = run("sim", f, "--build", "kv-hybrid", "--seed", "1", "--quiet", "--out", tmp_path / f.stem,
                "--set", "duration_s=20", "--set", "channels=1", "--set", "warmup_s=0", timeout=120)
        assert r.returncode == 0, (f.name, r.stderr)
