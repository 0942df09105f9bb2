"""`ssai sim`: sweeps (--sweep, --seeds), sharding (--shard i/n) and `ssai sim merge`, and their
usage errors. Scenarios are tiny so each run takes well under a second."""
import json
import os
import subprocess

import pytest

TINY = {
    "name": "tiny-cli", "duration_s": 60, "warmup_s": 20, "channels": 1,
    "pops": [{"name": "a", "coordinator_rtt_ms": 20}, {"name": "b", "coordinator_rtt_ms": 120}],
    "origin": {"renditions": [{"name": "hi", "bandwidth_bps": 2500000}],
               "breaks": {"first_s": 11, "every_s": 0, "duration_s": 30}},
    "viewers": {"viewers_per_channel": 100, "cohorts_per_group": 1},
}


@pytest.fixture
def scenario(tmp_path):
    p = tmp_path / "tiny.json"
    p.write_text(json.dumps(TINY))
    return p


SWEEP = ["--build", "kv-hybrid,kv-channel-state", "--sweep", "kv.cache_ttl_s=30,60", "--seeds", "1..2", "--quiet"]


def test_single_run_same_seed_same_bytes(ssai, scenario, tmp_path):
    for d in ("a", "b"):
        r = ssai("sim", scenario, "--build", "kv-hybrid", "--seed", "3", "--quiet", "--out", tmp_path / d)
        assert r.returncode == 0, r.stderr
    assert (tmp_path / "a" / "report.json").read_bytes() == (tmp_path / "b" / "report.json").read_bytes()
    rep = json.loads((tmp_path / "a" / "report.json").read_text())
    assert rep["schema"] == "ssai-sim-report/1" and rep["seed"] == 3
    assert rep["builds"][0]["build"] == "kv-hybrid"


def test_sweep_combined_report_and_sharded_merge_are_identical(ssai, scenario, tmp_path):
    r = ssai("sim", scenario, *SWEEP, "--out", tmp_path / "whole")
    assert r.returncode == 0, r.stderr
    assert "kv-channel-state" in r.stdout and "cache_ttl_s=60" in r.stdout
    whole = (tmp_path / "whole" / "report.json").read_bytes()
    rep = json.loads(whole)
    assert rep["schema"] == "ssai-sim-sweep/1"
    assert rep["runs_total"] == 8 and len(rep["rows"]) == 4
    assert rep["plan"]["seeds"] == [1, 2]
    for row in rep["rows"]:
        p95 = row["latency_p95_ms"]
        assert p95["min"] <= p95["mean"] <= p95["max"] and p95["n"] == 2
    assert "<svg" in (tmp_path / "whole" / "index.html").read_text()

    for i in range(2):
        r = ssai("sim", scenario, *SWEEP, "--shard", f"{i}/2", "--out", tmp_path / f"s{i}")
        assert r.returncode == 0, r.stderr
        shard = json.loads((tmp_path / f"s{i}" / "report.json").read_text())
        assert shard["schema"] == "ssai-sim-shard/1" and len(shard["runs"]) == 4
    r = ssai("sim", "merge", tmp_path / "s1", tmp_path / "s0" / "report.json", "--out", tmp_path / "merged")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "merged" / "report.json").read_bytes() == whole


def _sim_in_env(ssai_bin, env, *args):
    """`ssai sim` with job-array variables set (and no inherited ones), as a Job's pod would run it."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("JOB_COMPLETION_", "SLURM_ARRAY_"))}
    return subprocess.run([ssai_bin, "sim", *map(str, args)], capture_output=True, text=True, timeout=60,
                          env={**base, **env})


def test_shard_auto_from_kubernetes_and_slurm_merges_to_the_unsharded_bytes(ssai, ssai_bin, scenario, tmp_path):
    r = ssai("sim", scenario, *SWEEP, "--out", tmp_path / "whole")
    assert r.returncode == 0, r.stderr
    whole = (tmp_path / "whole" / "report.json").read_bytes()
    # A Kubernetes indexed Job of 3 completions: the pod knows its index, the count is in the flag.
    for i in range(3):
        r = _sim_in_env(ssai_bin, {"JOB_COMPLETION_INDEX": str(i)}, scenario, *SWEEP, "--shard", "auto/3",
                        "--out", tmp_path / f"k{i}")
        assert r.returncode == 0, r.stderr
        shard = json.loads((tmp_path / f"k{i}" / "report.json").read_text())
        assert shard["shard"] == {"index": i, "count": 3}
    # A Slurm array submitted as --array=1-2: ids 1 and 2 are shards 0 and 1 of 2.
    for task in (1, 2):
        r = _sim_in_env(ssai_bin, {"SLURM_ARRAY_TASK_ID": str(task), "SLURM_ARRAY_TASK_MIN": "1",
                                   "SLURM_ARRAY_TASK_MAX": "2", "SLURM_ARRAY_TASK_COUNT": "2"},
                        scenario, *SWEEP, "--shard", "auto", "--out", tmp_path / f"s{task}")
        assert r.returncode == 0, r.stderr
    for name, dirs in (("k", ["k2", "k0", "k1"]), ("s", ["s2", "s1"])):
        r = ssai("sim", "merge", *[tmp_path / d for d in dirs], "--out", tmp_path / f"m{name}")
        assert r.returncode == 0, r.stderr
        assert (tmp_path / f"m{name}" / "report.json").read_bytes() == whole


@pytest.mark.parametrize("env,shard,message", [
    ({}, "auto/2", "neither JOB_COMPLETION_INDEX"),
    ({"JOB_COMPLETION_INDEX": "0", "SLURM_ARRAY_TASK_ID": "0"}, "auto/2", "both JOB_COMPLETION_INDEX"),
    ({"JOB_COMPLETION_INDEX": "1"}, "auto", "use --shard auto/N"),
    ({"JOB_COMPLETION_INDEX": "2"}, "auto/2", "out of range"),
    ({"JOB_COMPLETION_INDEX": "one"}, "auto/2", "JOB_COMPLETION_INDEX='one'"),
    ({"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "6",
      "SLURM_ARRAY_TASK_COUNT": "4"}, "auto", "not contiguous"),
])
def test_shard_auto_bad_environment_is_a_clear_error(ssai_bin, scenario, tmp_path, env, shard, message):
    r = _sim_in_env(ssai_bin, env, scenario, *SWEEP, "--shard", shard, "--out", tmp_path / "o")
    assert r.returncode == 2, r.stdout
    assert message in r.stderr, r.stderr
    assert not (tmp_path / "o" / "report.json").exists()


def test_merge_with_a_missing_shard_is_an_error(ssai, scenario, tmp_path):
    r = ssai("sim", scenario, *SWEEP, "--shard", "0/2", "--out", tmp_path / "s0")
    assert r.returncode == 0, r.stderr
    r = ssai("sim", "merge", tmp_path / "s0", "--out", tmp_path / "m")
    assert r.returncode == 2
    assert "shard 1/2 is missing" in r.stderr
    r = ssai("sim", "merge", tmp_path / "nothing-here", "--out", tmp_path / "m")
    assert r.returncode == 2 and "cannot read" in r.stderr


@pytest.mark.parametrize("args,message", [
    (["--sweep", "viewers.viewers_per_channel"], "expected param=v1,v2"),
    (["--sweep", "viewers.viewers_per_channel=1,,2"], "empty value"),
    (["--sweep", "viewers.viewrs_per_channel=1,2"], "viewrs_per_channel"),
    (["--sweep", "kv.cache_ttl_s=60,5"], "kv.cache_ttl_s"),
    (["--seeds", "5..1"], "--seeds '5..1'"),
    (["--seeds", "one"], "--seeds 'one'"),
    (["--seeds", "1..2", "--seed", "4"], "either --seed"),
    (["--shard", "2/2"], "index out of range"),
    (["--shard", "1"], "expected i/n"),
    (["--shard", "0/0"], "count must be"),
    (["--build", "kv-hybird", "--seeds", "1..2"], "unknown build 'kv-hybird'"),
])
def test_bad_sweep_arguments_are_clear_errors(ssai, scenario, tmp_path, args, message):
    r = ssai("sim", scenario, "--quiet", "--out", tmp_path / "o", *args)
    assert r.returncode == 2, r.stdout
    assert message in r.stderr, r.stderr
    assert not (tmp_path / "o" / "report.json").exists()


def test_bad_scenario_field_names_the_field(ssai, tmp_path):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"viewers": {"cohorts_per_grop": 2}}))
    r = ssai("sim", p, "--quiet", "--out", tmp_path / "o")
    assert r.returncode == 2
    assert "cohorts_per_grop" in r.stderr


def test_sim_without_scenario_is_a_usage_error(ssai):
    r = ssai("sim")
    assert r.returncode == 2
    assert "SCENARIO" in r.stderr


def test_capture_scenario_replays_the_capture(ssai, tmp_path):
    """origin.capture replays fixtures/captures/cue_out; truth from its markers (12:00:20-12:00:32)."""
    args = ["sim", "fixtures/scenarios/capture-cue_out.json", "--build", "kv-channel-state,defect-ignore-end",
            "--seed", "1", "--quiet"]
    for d in ("a", "b"):
        r = ssai(*args, "--out", tmp_path / d)
        assert r.returncode == 0, r.stderr
    assert (tmp_path / "a" / "report.json").read_bytes() == (tmp_path / "b" / "report.json").read_bytes()
    rep = json.loads((tmp_path / "a" / "report.json").read_text())
    assert rep["scenario"]["origin"]["capture"] == "fixtures/captures/cue_out"
    good, defect = rep["builds"]
    assert good["build"] == "kv-channel-state" and good["requests"]["errors"] == 0
    assert good["ads"]["scheduled_ad_viewer_s"] > 0
    assert good["ads"]["missed_fraction"] == 0 and good["ads"]["ghost_ad_viewer_s"] == 0
    assert all(p["breaks_never_shown"] == 0 for p in good["pops"])
    assert defect["ads"]["ghost_ad_viewer_s"] > 0  # ads after the capture's CUE-IN

    r = ssai(*args, "--set", "origin.capture=fixtures/captures/nope", "--out", tmp_path / "c")
    assert r.returncode == 2 and "origin.capture" in r.stderr and "index.jsonl" in r.stderr


def test_ts_scenario_takes_its_breaks_from_the_ts(ssai, tmp_path):
    """origin.ts (issue 17): fixtures/scenarios/ts-breaks.json packages the conformance fixture TS
    live; its splice_insert (30-50 s) and time_signal (90-106 s) breaks are the truth, the
    cancelled one is none: no missed or ghost ad time on a correct build, ghost time on
    defect-ignore-end; the same bytes twice."""
    args = ["sim", "fixtures/scenarios/ts-breaks.json", "--build", "kv-channel-state,defect-ignore-end",
            "--seed", "1", "--quiet"]
    for d in ("a", "b"):
        r = ssai(*args, "--out", tmp_path / d)
        assert r.returncode == 0, r.stderr
    assert (tmp_path / "a" / "report.json").read_bytes() == (tmp_path / "b" / "report.json").read_bytes()
    rep = json.loads((tmp_path / "a" / "report.json").read_text())
    assert rep["scenario"]["origin"]["ts"] == "fixtures/scenarios/conformance/ts_breaks.ts"
    assert "breaks" not in rep["scenario"]["origin"]
    good, defect = rep["builds"]
    assert good["requests"]["errors"] == 0 and good["ads"]["scheduled_ad_viewer_s"] > 0
    assert good["ads"]["missed_fraction"] == 0 and good["ads"]["ghost_ad_viewer_s"] == 0
    assert defect["ads"]["ghost_ad_viewer_s"] > 0
    # defect-ignore-end holds the first break until its KV key expires (duration + 60 s), over the
    # second one: the splicer refuses overlapping breaks, so the build answers HTTP 500 through the
    # second break, and an error response is not judged as ad time (simulator/README.md "Ground
    # truth"): fewer scheduled viewer-seconds, none missed. Cut before the second break (88 s),
    # both builds answer every request and are judged over the same scheduled time.
    assert defect["requests"]["errors"] > 0 and defect["ads"]["missed_ad_viewer_s"] == 0
    assert defect["ads"]["scheduled_ad_viewer_s"] < good["ads"]["scheduled_ad_viewer_s"]
    r = ssai(*args, "--set", "duration_s=88", "--out", tmp_path / "cut")
    assert r.returncode == 0, r.stderr
    good_cut, defect_cut = json.loads((tmp_path / "cut" / "report.json").read_text())["builds"]
    assert good_cut["requests"]["errors"] == 0 and defect_cut["requests"]["errors"] == 0
    assert 0 < defect_cut["ads"]["scheduled_ad_viewer_s"] == good_cut["ads"]["scheduled_ad_viewer_s"]
    r = ssai(*args, "--set", "origin.segment_duration_s=3", "--out", tmp_path / "c")
    assert r.returncode == 2 and "origin.ts" in r.stderr and "not segment_duration_s" in r.stderr, r.stderr


def assert_check_passes_catches_and_keeps_the_run(ssai, tmp_path, fixture, correct, defect, settings):
    """`ssai sim FIXTURE --build CORRECT,DEFECT --check` into tmp_path/a: exit 0, the correct build
    passes (no unexpected failure, > 30 checks passed), the defect (one whose ads outlive the break)
    is caught; a second run gives the same bytes (tmp_path/b), and the report without each build's
    checks block is the run without --check (tmp_path/c)."""
    common = ["--build", f"{correct},{defect}", *settings, "--quiet"]
    r = ssai("sim", fixture, *common, "--check", "--out", tmp_path / "a")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASS: checks: 0 unexpected failures" in r.stdout
    assert "defect builds caught: 1 of 1" in r.stdout
    rep = json.loads((tmp_path / "a" / "report.json").read_text())
    by_build = {b["build"]: b["checks"] for b in rep["builds"]}
    assert by_build[correct]["unexpected_error_failures"] == 0
    assert by_build[correct]["passed"] > 30
    caught = {c["id"] for c in by_build[defect]["failed_checks"] if c["severity"] == "error"}
    assert "splice.content_resumes_at_pdt" in caught
    again = ssai("sim", fixture, *common, "--check", "--out", tmp_path / "b")
    assert again.returncode == 0
    assert (tmp_path / "a" / "report.json").read_bytes() == (tmp_path / "b" / "report.json").read_bytes()
    plain = ssai("sim", fixture, *common, "--out", tmp_path / "c")
    assert plain.returncode == 0
    for b in rep["builds"]:
        del b["checks"]
    assert rep == json.loads((tmp_path / "c" / "report.json").read_text())


def test_check_judges_each_build_with_the_conformance_checks(ssai, tmp_path):
    """`ssai sim --check` (issue 18): the same run, its listed viewers judged by the conformance
    checks; the report gains a deterministic `checks` block per build, the checks' own reports go to
    OUT/checks, and exit 1 means an unexpected failure (a correct build failing, a defect uncaught)."""
    fixture = "fixtures/scenarios/conformance/cue_out_two_breaks.json"
    assert_check_passes_catches_and_keeps_the_run(ssai, tmp_path, fixture, "kv-hybrid", "defect-ignore-end", [])
    for name in ("junit.xml", "report.json", "index.html"):
        assert (tmp_path / "a" / "checks" / name).is_file()
    # A defect build nobody catches in this scenario makes the run fail (exit 1), as `ssai conform`.
    uncaught = ssai("sim", fixture, "--build", "defect-sgai-top-variant", "--check", "--quiet", "--out", tmp_path / "d")
    assert uncaught.returncode == 1, uncaught.stdout + uncaught.stderr
    assert "NOT CAUGHT: sim:defect-sgai-top-variant" in uncaught.stdout


@pytest.mark.parametrize("args,message", [
    (["--check", "--seeds", "1..2"], "--check judges single runs"),
    (["--profile", "conformance/profiles/default.json"], "--profile sets the checks' thresholds: give it with --check"),
    (["--check", "--profile", "nope.json"], "nope.json"),
])
def test_check_usage_errors_are_clear(ssai, tmp_path, args, message):
    r = ssai("sim", "fixtures/scenarios/conformance/cue_out_two_breaks.json", "--build", "kv-hybrid", *args,
             "--quiet", "--out", tmp_path)
    assert r.returncode == 2
    assert message in r.stderr


def test_check_judges_a_population_by_a_sample_of_its_cohorts(ssai, tmp_path):
    """`ssai sim --check` on a population scenario (issue 18): channel 0's cohorts are sampled
    (--check-sample per group, default 1), each judged as one viewer "{pop}/cohort-{i}"; the
    simulator's part of the report is the one without --check, the checks block is deterministic,
    a correct build passes and a defect build is caught."""
    fixture = "fixtures/scenarios/default.json"
    settings = ["--seed", "2", "--set", "duration_s=120"]
    assert_check_passes_catches_and_keeps_the_run(ssai, tmp_path, fixture, "kv-channel-state", "defect-ignore-end",
                                                  settings)
    common = ["--build", "kv-channel-state,defect-ignore-end", *settings, "--quiet"]
    # The sample: default.json has 3 POPs x 3 renditions (SSAI) per channel, one cohort of each.
    checks = json.loads((tmp_path / "a" / "checks" / "report.json").read_text())
    fetches = {run["target"]: run["stats"]["fetches"] for run in checks["runs"]}
    assert fetches["sim:kv-channel-state"] > 9 * 40  # 9 viewers reloading every 2-4 s for 120 s
    # Three cohorts per group: three times the viewers, the same simulation.
    more = ssai("sim", fixture, *common, "--check", "--check-sample", "3", "--out", tmp_path / "d")
    assert more.returncode == 0, more.stdout + more.stderr
    more_checks = json.loads((tmp_path / "d" / "checks" / "report.json").read_text())
    more_fetches = {run["target"]: run["stats"]["fetches"] for run in more_checks["runs"]}
    assert 2.5 * fetches["sim:kv-channel-state"] < more_fetches["sim:kv-channel-state"] < 3.5 * fetches["sim:kv-channel-state"]


@pytest.mark.parametrize("args,message", [
    (["--check", "--check-sample", "0"], "--check-sample: Value 0 not in range 1 to 64"),
    (["--check", "--check-sample", "65"], "--check-sample: Value 65 not in range 1 to 64"),
    (["--check", "--check-sample", "99999999999999999999"], "--check-sample: Value 99999999999999999999 not in range 1 to 64"),
    (["--check", "--check-sample", "two"], "--check-sample: Value two not in range 1 to 64"),
    (["--check-sample", "2"], "--check-sample sets how many cohorts the checks observe: give it with --check"),
])
def test_check_sample_errors_are_clear(ssai, scenario, tmp_path, args, message):
    r = ssai("sim", scenario, "--build", "kv-hybrid", *args, "--quiet", "--out", tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr


def test_check_sample_too_large_to_record_is_refused_before_running(ssai, tmp_path):
    # perf-100ch's 640 cohorts of channel 0 over its hour: millions of recorded playlists.
    r = ssai("sim", "fixtures/scenarios/perf-100ch.json", "--check", "--check-sample", "16", "--quiet", "--out", tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "check_sample: 640 sampled cohorts of channel 0 could record up to" in r.stderr
    assert "lower the sample (ssai sim --check-sample) or duration_s" in r.stderr
    assert not (tmp_path / "report.json").exists()


def test_check_needs_what_the_checks_judge(ssai, scenario, tmp_path):
    # Listed viewers are all judged: no sample to take.
    r = ssai("sim", "fixtures/scenarios/conformance/cue_out_two_breaks.json", "--build", "kv-hybrid", "--check",
             "--check-sample", "2", "--quiet", "--out", tmp_path)
    assert r.returncode == 2
    assert "--check-sample samples a population's cohorts" in r.stderr and "lists its viewers" in r.stderr
    # What the checks cannot tell from a build's doing is refused by name (the simulator's fault
    # windows: an origin 404 window would fail every build).
    r = ssai("sim", scenario, "--build", "kv-hybrid", "--check", "--set", "origin.not_found=[{\"start_s\": 5, \"end_s\": 9}]",
             "--quiet", "--out", tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "ssai sim --check:" in r.stderr and "scenario.origin.not_found" in r.stderr
