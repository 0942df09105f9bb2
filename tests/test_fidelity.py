"""`ssai fidelity` end to end (issue 18): fixtures/scenarios/fidelity-short.json as a real loopback
deployment — redis-server primary + replica (started and stopped by the command, replication
through its delaying proxy), a coordinator, one edge per POP with its RTT injected, the origin, the
decision service, 16 viewers — and the simulator on the same scenario. Bounded (the scenario is
~2.5 min of wall clock; the test gives it 6) and cleaned up: the command stops Redis on every
path (and Redis dies with it: PR_SET_PDEATHSIG); the test checks no redis-server of this run is
left. Asserts the report's structure and that the verdict follows from the numbers in it; whether
the verdict is PASS is what the run measured (docs/fidelity.md has the figures)."""
import json
import os
import shutil
import subprocess

import pytest

SCENARIO = "fixtures/scenarios/fidelity-short.json"


def _redis_pids_under(path):
    """redis-server processes whose --dir is under `path` (this run's)."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if args and args[0].endswith(b"redis-server") and any(str(path).encode() in a for a in args):
            pids.append(int(pid))
    return pids


def _within(row):
    p, m, tol = row["predicted"], row["measured"], row["tolerance"]
    if p is None or m is None:
        return False
    if "points" in tol:
        return abs(m - p) <= tol["points"] / 100 + 1e-9
    return abs(m - p) <= tol["fraction"] * abs(p) + 1e-9


def test_fidelity_short_end_to_end(ssai_bin, root, tmp_path):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server not installed (Debian redis-server; scripts/bootstrap.sh installs it)")
    out = tmp_path / "fid"
    r = subprocess.run([ssai_bin, "fidelity", SCENARIO, "--build", "kv-hybrid", "--out", str(out), "--seed", "3"],
                       capture_output=True, text=True, timeout=360, cwd=root)
    assert r.returncode in (0, 1), r.stderr
    assert not _redis_pids_under(out), "redis-server left running"
    report = json.loads((out / "report.json").read_text())
    html = (out / "index.html").read_text()

    # Structure: prediction and measurement per POP, the comparison rows, the verdict.
    assert report["scenario_name"] == "fidelity-short" and report["build"] == "kv-hybrid"
    measured, predicted, comparison = report["measured"], report["predicted"], report["comparison"]
    assert [p["name"] for p in measured["pops"]] == ["near", "far"]
    assert [p["name"] for p in predicted["pops"]] == ["near", "far"]
    for p in measured["pops"]:
        assert p["requests"] > 100 and p["errors"] == 0, p
        assert 0 <= p["kv_hit_rate"] <= 1
        # 8 viewers per POP, two breaks each: every viewer saw each break once.
        assert p["viewer_ad_visibility_lag_s"]["count"] == 16, p
        assert 0 < p["viewer_ad_visibility_lag_s"]["p50"] <= p["viewer_ad_visibility_lag_s"]["p95"] < 30
        assert p["coordinator_calls"] >= 0
    assert measured["kv"]["writes"] > 0
    assert measured["ads"]["scheduled_ad_viewer_s"] > 0
    # The deployment really was one: Redis replication went through the proxy, per-POP RTTs.
    dep = report["deployment"]
    assert dep["replication_bytes_delayed"] > 0
    assert [e["coordinator_latency_ms"] for e in dep["edges"]] == [[10, 10], [60, 100]]

    metrics = {(row["metric"], row["pop"]) for row in comparison["rows"]}
    for pop in ("near", "far"):
        for m in ("kv_hit_rate", "viewer_ad_visibility_lag_s.p50", "viewer_ad_visibility_lag_s.p95",
                  "coordinator_calls", "latency_ms.p50", "latency_ms.p95"):
            assert (m, pop) in metrics
    assert measured["origin_fetches"]["total"] == measured["origin_fetches"]["edges"] + measured["origin_fetches"]["coordinator"]
    for m in ("coordinator_calls", "kv_writes", "origin_fetches", "coordinator_origin_fetches", "missed_ad_viewer_s",
              "ghost_ad_viewer_s"):
        assert (m, "all") in metrics

    # The rows carry the report's own numbers, and the verdict follows from them.
    by_pop = {p["name"]: p for p in measured["pops"]}
    failed = []
    for row in comparison["rows"]:
        if row["pop"] != "all" and row["metric"] == "kv_hit_rate":
            assert row["measured"] == by_pop[row["pop"]]["kv_hit_rate"]
            assert row["predicted"] == next(p for p in predicted["pops"] if p["name"] == row["pop"])["kv_hit_rate"]
        if row["metric"] == "coordinator_calls" and row["pop"] == "all":
            assert row["measured"] == measured["coordinator"]["calls"]
        if row["judged"]:
            assert row["within"] == _within(row), row
            if not row["within"]:
                failed.append(f'{row["metric"]}@{row["pop"]}')
        else:
            assert row["within"] is None
    assert comparison["verdict"]["failed"] == failed
    assert comparison["verdict"]["pass"] == (not failed)
    assert r.returncode == (0 if not failed else 1)
    assert ("PASS" if not failed else "FAIL") in r.stdout
    assert "class='verdict" in html and "prediction vs measurement" in html


def test_fidelity_bad_input_names_the_problem(ssai, root, tmp_path):
    r = ssai("fidelity", "fixtures/scenarios/default.json", "--out", tmp_path / "x")
    assert r.returncode == 2
    # default.json: 4,000 viewers are not started for real.
    assert "scenario.viewers.viewers_per_channel" in r.stderr and "at most 200" in r.stderr, r.stderr
    # Workers KV's per-POP propagation is not what one Redis replica does.
    per_pop = tmp_path / "per_pop.json"
    scenario = json.loads((root / SCENARIO).read_text())
    scenario["kv"]["propagation_model"] = "per_pop"
    per_pop.write_text(json.dumps(scenario))
    r = ssai("fidelity", per_pop, "--out", tmp_path / "x")
    assert r.returncode == 2 and "scenario.kv.propagation_model" in r.stderr and "shared_fifo" in r.stderr, r.stderr
    r = ssai("fidelity", "fixtures/scenarios/fidelity-short.json", "--build", "nope", "--out", tmp_path / "x")
    assert r.returncode == 2 and "'nope'" in r.stderr
    r = ssai("fidelity", tmp_path / "missing.json", "--out", tmp_path / "x")
    assert r.returncode == 2 and "missing.json" in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"kv": {"cache_ttl_s": 10}}))
    r = ssai("fidelity", bad, "--out", tmp_path / "x")
    assert r.returncode == 2 and "scenario.kv.cache_ttl_s" in r.stderr, r.stderr


def _listed_pod(s):
    for k in ("ads_per_pod", "ad_duration_s"):
        s["decision"].pop(k, None)
    s["decision"]["ads"] = [{"id": "a1", "duration_s": 20}]


@pytest.mark.parametrize("field,why,change", [
    ("scenario.viewers:", "listed viewers are not deployed",
     lambda s: s.update(viewers=[{"pop": s["pops"][0]["name"]}])),
    ("scenario.decision.ads:", "a listed pod is not deployed", _listed_pod),
    ("scenario.decision.behaviour:", "the decision service answers",
     lambda s: s["decision"].update(behaviour="fail")),
])
def test_fidelity_refuses_what_the_deployment_ignores(ssai, root, tmp_path, field, why, change):
    # Parts a conformance scenario gives that the simulator plays but the deployment would not
    # (listed viewers, the exact pod, the ad server's behaviour): refused by name before anything
    # starts, so the prediction and the measurement are of the same world.
    scenario = json.loads((root / SCENARIO).read_text())
    change(scenario)
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario))
    r = ssai("fidelity", path, "--out", tmp_path / "x")
    assert r.returncode == 2, r.stderr
    assert f"{field} {why}" in r.stderr, r.stderr
    assert not (tmp_path / "x").exists()
