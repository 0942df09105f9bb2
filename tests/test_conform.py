"""`ssai conform`: the catalogue, the build list, one builtin run with its three reports, exit codes,
and the real-time targets: serve:BUILD (our server in-process) and http (a target profile pointing at
an `ssai serve` this test starts by hand)."""
import json
import os
import pathlib
import socket
import subprocess
import time
import xml.etree.ElementTree as ET

from procs import free_port, start, stop

SCENARIOS = "fixtures/scenarios/conformance"
# One format (issue 18): a conformance scenario is a simulator scenario, whose defaults are the
# simulator's; these state the conformance fixtures' world (2 ms KV, propagation 0, fresh lists).
WORLD_KV = {"write_latency_ms": 2, "hot_read_ms": 2, "cold_read_ms": 2, "propagation_ms": 0, "list_staleness_s": 0}


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


def test_defect_build_caught_is_an_expected_failure(ssai, tmp_path):
    """A defect build exists to be caught: its error failures are reported as expected (JUnit
    skipped, pytest's xfail) and the run exits 0."""
    out = tmp_path / "conform"
    r = ssai("conform", "--target", "builtin:defect-ignore-bitrate", "--scenario",
             f"{SCENARIOS}/cue_out_two_breaks.json", "--out", out, "--quiet")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "defect builds caught: 1 of 1" in r.stdout
    suites = ET.parse(out / "junit.xml").getroot()
    assert suites.get("failures") == "0"
    case = next(tc for tc in suites.iter("testcase") if tc.get("name") == "splice.ad_bitrate_matches_rendition")
    skipped = case.find("skipped")
    assert skipped is not None and case.find("failure") is None
    assert skipped.get("message").startswith("expected failure: defect build defect-ignore-bitrate ")
    assert skipped.get("message").endswith(" is meant to fail splice.ad_bitrate_matches_rendition")
    report = json.loads((out / "report.json").read_text())
    assert report["runs"][0]["target"] == "builtin:defect-ignore-bitrate"
    assert report["verdict"] == "pass" and report["unexpected_failures"] == 0
    assert report["defect_builds"][0]["caught"] is True
    check = next(c for c in report["runs"][0]["checks"] if c["id"] == "splice.ad_bitrate_matches_rendition")
    assert check["outcome"] == "fail" and check["expected"].startswith("expected failure: defect build")
    html = (out / "index.html").read_text()
    assert "<script src" not in html and "splice.ad_bitrate_matches_rendition" in html
    assert "<b>PASS</b>" in html and "expected failure: defect build" in html


def test_defect_build_not_caught_is_a_failure(ssai, tmp_path):
    """defect-drop-cue-in only shows with an early CUE-IN: on a scenario without one nothing
    catches it, and that is a real failure (the suite would miss the bug)."""
    out = tmp_path / "conform"
    r = ssai("conform", "--target", "builtin:defect-drop-cue-in", "--scenario",
             f"{SCENARIOS}/cue_out_two_breaks.json", "--out", out, "--quiet")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "NOT CAUGHT: builtin:defect-drop-cue-in" in r.stdout
    suites = ET.parse(out / "junit.xml").getroot()
    assert suites.get("failures") == "1"
    case = next(tc for tc in suites.iter("testcase") if tc.get("name") == "builtin:defect-drop-cue-in")
    assert "was not caught" in case.find("failure").get("message")
    assert json.loads((out / "report.json").read_text())["verdict"] == "fail"


def test_all_is_the_correct_builds_and_passes_on_the_tree(ssai, tmp_path):
    """builtin:all = the correct builds (as in `ssai sim`): exit 0 on a healthy tree; the known
    findings of the Phase 1/2 designs (kv-hybrid, kv-stateless) are expected failures with their
    reason, every test case has a measured time."""
    out = tmp_path / "all"
    r = ssai("conform", "--target", "builtin:all", "--scenario", SCENARIOS, "--out", out, "--quiet", timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads((out / "report.json").read_text())
    assert not any(run["defect_build"] for run in report["runs"])
    assert {run["target"] for run in report["runs"]} >= {"builtin:kv-channel-state", "builtin:kv-stateless"}
    assert report["defect_builds"] == [] and report["verdict"] == "pass"
    suites = ET.parse(out / "junit.xml").getroot()
    assert suites.get("failures") == "0" and suites.get("errors") == "0"
    xfail = [tc for tc in suites.iter("testcase") if (tc.find("skipped") is not None and
                                                       tc.find("skipped").get("type") == "xfail")]
    assert xfail and all("known finding of kv-" in tc.find("skipped").get("message") for tc in xfail)
    times = [float(tc.get("time")) for tc in suites.iter("testcase")]
    assert all(t > 0 for t in times), "every test case carries its measured time"


def test_all_plus_defects_passes_and_catches_every_defect_build(ssai, tmp_path):
    out = tmp_path / "defects"
    r = ssai("conform", "--target", "builtin:all+defects", "--scenario", SCENARIOS, "--out", out, "--quiet",
             timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads((out / "report.json").read_text())
    defects = report["defect_builds"]
    assert len(defects) >= 9 and all(d["caught"] for d in defects)
    assert report["unexpected_failures"] == 0 and report["expected_failures"] > 0
    suites = ET.parse(out / "junit.xml").getroot()
    assert suites.get("failures") == "0"
    assert sum(1 for tc in suites.iter("testcase") if tc.find("failure") is not None) == 0


def test_builtin_and_sim_are_the_same_runs_and_compare_conform_says_so(ssai, root, tmp_path):
    # Issue 18: builtin: is the simulator's run of the scenario; sim: names the same runs.
    # scripts/compare_conform.py matches runs by build and scenario across the two names.
    reports = {}
    for family in ("builtin", "sim"):
        out = tmp_path / family
        r = ssai("conform", "--target", f"{family}:kv-hybrid,defect-ignore-end", "--scenario",
                 f"{SCENARIOS}/cue_out_two_breaks.json", "--out", out, "--quiet", timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        reports[family] = out / "report.json"
    compare = [str(root / "scripts" / "compare_conform.py")]
    same = subprocess.run(["/usr/bin/python3", *compare, reports["builtin"], reports["sim"]],
                          capture_output=True, text=True, timeout=60)
    assert same.returncode == 0, same.stdout + same.stderr
    assert "2 runs in both: 2 equal, 0 differ" in same.stdout, same.stdout
    # A run that fails one more error check differs, and says which.
    changed = json.loads(reports["sim"].read_text())
    run = next(r for r in changed["runs"] if r["target"] == "sim:kv-hybrid")
    check = next(c for c in run["checks"] if c["id"] == "splice.ad_starts_within")
    check["outcome"], check["severity"] = "fail", "error"
    (tmp_path / "changed.json").write_text(json.dumps(changed))
    diff = subprocess.run(["/usr/bin/python3", *compare, "--errors-only", reports["builtin"], tmp_path / "changed.json"],
                          capture_output=True, text=True, timeout=60)
    assert diff.returncode == 1, diff.stdout + diff.stderr
    assert "kv-hybrid | cue_out_two_breaks: only before [], only after ['splice.ad_starts_within']" in diff.stdout, diff.stdout
    bad = subprocess.run(["/usr/bin/python3", *compare, "/dev/null", reports["sim"]], capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 2 and "not an ssai conform report.json" in bad.stderr, bad.stderr
    (tmp_path / "latin1.json").write_bytes(b'{"runs": ["\xff"]}')
    bad = subprocess.run(["/usr/bin/python3", *compare, tmp_path / "latin1.json", reports["sim"]], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and "can't decode byte 0xff" in bad.stderr, bad.stderr


def test_k_selects_checks_by_substring(ssai, tmp_path):
    out = tmp_path / "k"
    r = ssai("conform", "--target", "builtin:kv-channel-state", "--scenario", f"{SCENARIOS}/early_cue_in.json",
             "--out", out, "--quiet", "-k", "ttl.", "-k", "splice.ad_starts")
    assert r.returncode == 0, r.stdout + r.stderr
    ids = {c["id"] for c in json.loads((out / "report.json").read_text())["runs"][0]["checks"]}
    assert ids and all(i.startswith("ttl.") or i.startswith("splice.ad_starts") for i in ids), ids
    assert "splice.ad_starts_within" in ids
    listed = ssai("conform", "--list", "-k", "ttl.").stdout.splitlines()
    assert listed and all(line.startswith("ttl.") for line in listed)
    r = ssai("conform", "--list", "-k", "no-such-check")
    assert r.returncode == 2 and "selects no check" in r.stderr


def test_bad_inputs_exit_2(ssai, tmp_path):
    assert ssai("conform", "--target", "builtin:nope", "--scenario", SCENARIOS, "--out", tmp_path).returncode == 2
    r = ssai("conform", "--target", "http", "--scenario", SCENARIOS, "--out", tmp_path)
    assert r.returncode == 2 and "--target-profile" in r.stderr
    r = ssai("conform", "--target", "serve:nope", "--scenario", SCENARIOS, "--out", tmp_path)
    assert r.returncode == 2 and "serve:nope" in r.stderr
    profile = json.loads((pathlib.Path(__file__).parent.parent / "fixtures/targets/ssai-serve.json").read_text())
    del profile["cue"]["url"]
    bad_profile = tmp_path / "target.json"
    bad_profile.write_text(json.dumps(profile))
    r = ssai("conform", "--target", "http", "--target-profile", bad_profile, "--scenario", SCENARIOS, "--out", tmp_path)
    assert r.returncode == 2 and "cue.url: missing" in r.stderr, r.stderr
    bad = tmp_path / "bad.json"
    # One format (issue 18): the simulator's defaults (2 channels, a population) are refused by
    # name for the conformance targets, as is a bad origin.
    bad.write_text('{"name": "x"}')
    r = ssai("conform", "--target", "builtin:kv-hybrid", "--scenario", bad, "--out", tmp_path)
    assert r.returncode == 2 and "scenario.channels: the conformance targets run one channel" in r.stderr, r.stderr
    bad.write_text('{"name": "x", "channels": 1, "viewers": [], "origin": {"segment_duration_s": "2"}}')
    r = ssai("conform", "--target", "builtin:kv-hybrid", "--scenario", bad, "--out", tmp_path)
    assert r.returncode == 2 and "scenario.origin.segment_duration_s" in r.stderr, r.stderr


def junit_cases(path):
    """test case name -> "pass" | "fail" | "skip" for the one run in junit.xml."""
    out = {}
    for tc in ET.parse(path).getroot().iter("testcase"):
        out[tc.get("name")] = ("fail" if tc.find("failure") is not None else
                               "skip" if tc.find("skipped") is not None else "pass")
    return out


def assert_real_time_run(r, out):
    assert r.returncode == 0, r.stdout + r.stderr
    cases = junit_cases(out / "junit.xml")
    for check in ("hls.response.ok", "splice.ad_starts_within", "splice.no_content_in_break",
                  "api.cue.valid_accepted", "api.cue.duplicate_acknowledged", "api.cue.start_announced",
                  "api.auth.missing_token", "api.auth.wrong_token", "api.error.json", "api.cue.body_size"):
        assert cases.get(check) == "pass", (check, cases.get(check))
    # KV writes and expiry are inside the target: reported as skipped with the reason, never passed.
    for check in ("ttl.min_60", "kv.document_valid", "kv.write_rate_per_key"):
        assert cases.get(check) == "skip", (check, cases.get(check))
    report = json.loads((out / "report.json").read_text())
    run = report["runs"][0]
    notes = {c["id"]: c.get("note", "") for c in run["checks"]}
    assert "KV" in notes["ttl.min_60"]
    assert run["stats"]["unanswered"] == 0 and run["stats"]["decision_requests"] >= 1


def test_serve_target_runs_the_short_scenario_in_real_time(ssai, tmp_path):
    """serve:kv-channel-state: the reference server in-process against the harness's origin and
    decision service, ~40 s of real time (fixtures/scenarios/conformance/serve_short.json)."""
    out = tmp_path / "serve"
    t0 = time.monotonic()
    r = ssai("conform", "--target", "serve:kv-channel-state", "--scenario",
             f"{SCENARIOS}/serve_short.json", "--out", out, "--quiet", timeout=90)
    assert time.monotonic() - t0 <= 60
    assert_real_time_run(r, out)
    assert json.loads((out / "report.json").read_text())["runs"][0]["target"] == "serve:kv-channel-state"


def _listening_ports(pid):
    """The TCP ports process `pid` listens on (/proc/net/tcp{,6} LISTEN sockets whose inode is one
    of its fds)."""
    inodes = set()
    for fd in pathlib.Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in pathlib.Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] == "0A" and cols[9] in inodes:  # 0A: LISTEN
                ports.add(int(cols[1].split(":")[1], 16))
    return ports


def _children(pid):
    return [p.name for p in pathlib.Path("/proc").iterdir() if p.name.isdigit()
            and _ppid(p) == pid]


def _ppid(proc_dir):
    try:
        return int((proc_dir / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def test_serve_target_deploys_each_pop_with_its_settings(ssai_bin, root, tmp_path):
    """Issue 18: serve: runs one coordinator and one edge per POP, each POP's viewers on their
    edge, with the POP's coordinator RTT, KV propagation, KV latency and read cache honoured (it
    used to run one server for every POP and drop them). Each setting shows in the POP's own
    numbers; every port is closed and no child process is left when the run ends."""
    scenario = json.loads((root / SCENARIOS / "serve_short.json").read_text())
    scenario.update(name="serve_pops", duration_s=16, api_cues=[])
    scenario["expect"].pop("api_probes", None)
    scenario["origin"]["breaks"] = [{"at_s": 8, "duration_s": 4, "event_id": 77}]
    scenario["pops"] = [
        # KV in every POP at once, but each read takes 150 ms: answered from KV, never under 150 ms.
        {"name": "near", "coordinator_rtt_ms": 0, "kv_propagation_s": 0, "kv_latency_ms": 150, "kv_cache": False},
        # The channel document reaches it 8 s after it is written, and its first read caches the
        # miss (cacheTtl 60 s): every answer comes from the coordinator, 400 ms away.
        {"name": "far", "coordinator_rtt_ms": 400, "kv_propagation_s": 8, "kv_latency_ms": 1, "kv_cache": True},
        # The same without the cache: KV hits start once the document has propagated.
        {"name": "far_nocache", "coordinator_rtt_ms": 400, "kv_propagation_s": 8, "kv_latency_ms": 1, "kv_cache": False},
    ]
    scenario["viewers"] = [{"pop": p, "join_s": 0.1} for p in ("near", "far", "far_nocache")]
    (tmp_path / "scenario.json").write_text(json.dumps(scenario))
    out = tmp_path / "serve"
    proc = subprocess.Popen([ssai_bin, "conform", "--target", "serve:kv-channel-state", "--scenario",
                             str(tmp_path / "scenario.json"), "--out", str(out), "--quiet"],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Mid-run: the harness, the coordinator and three edges listen; nothing is a child process
        # (no redis-server: the POPs share one in-process KV store).
        ports, children = set(), []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(ports) < 5 and proc.poll() is None:
            time.sleep(0.5)
            ports = _listening_ports(proc.pid)
            children = _children(proc.pid)
        assert len(ports) == 5, ports
        assert children == []
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode in (0, 1), stdout + stderr
    assert "not applied" not in stderr
    for port in ports:  # all closed
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, port
    stats = json.loads((out / "report.json").read_text())["runs"][0]["stats"]
    assert stats["pop_edges"] == 3 and stats["unanswered"] == 0
    for pop in ("near", "far", "far_nocache"):
        assert stats[f"fetches.{pop}"] >= 6, (pop, stats)
    # near: KV answers everything, each after its KV latency, far less than a coordinator round trip.
    # (The multivariant playlist is not a KV read; a few playlists near the break may ask the coordinator.)
    assert stats["kv_hits.near"] >= 0.8 * stats["fetches.near"], stats
    assert 150_000 <= stats["latency_p50_us.near"] < 400_000, stats
    # far: the cached miss hides the document for the whole run; every answer pays the RTT.
    assert stats["kv_hits.far"] == 0, stats
    assert stats["latency_p50_us.far"] >= 400_000, stats
    # far_nocache: no KV hit before the document propagated (written before the run's start,
    # at most ~3 s before: the servers start 1-2 s ahead), then hits.
    assert 0 < stats["kv_hits.far_nocache"] < stats["fetches.far_nocache"], stats
    assert stats["first_kv_hit_ms.far_nocache"] >= 4000, stats


def test_http_target_against_ssai_serve_started_by_hand(ssai_bin, ssai, root, tmp_path):
    """The worked example of conformance/README.md with free ports: `ssai serve` started here from
    fixtures/targets/ssai-serve.config.json, then `ssai conform --target http --target-profile`.
    A 20 s cut of serve_short (its API cue, repeat and probes) keeps it quick."""
    serve_port, harness_port = free_port(), free_port()
    fixed = lambda text: text.replace("18080", str(serve_port)).replace("18081", str(harness_port))
    config = tmp_path / "serve.json"
    config.write_text(fixed((root / "fixtures/targets/ssai-serve.config.json").read_text()))
    profile = tmp_path / "target.json"
    profile.write_text(fixed((root / "fixtures/targets/ssai-serve.json").read_text()))
    scenario = json.loads((root / SCENARIOS / "serve_short.json").read_text())
    scenario.update(name="serve_short_20s", duration_s=20)
    scenario["origin"]["breaks"] = []
    scenario_file = tmp_path / "scenario.json"
    scenario_file.write_text(json.dumps(scenario))
    env = dict(os.environ, SSAI_CUE_TOKEN="conform-test-token")
    serve, _ = start([ssai_bin, "serve", "--config", str(config)], cwd=root, env=env)
    try:
        out = tmp_path / "http"
        r = subprocess.run([ssai_bin, "conform", "--target", "http", "--target-profile", str(profile),
                            "--scenario", str(scenario_file), "--out", str(out), "--quiet"],
                           capture_output=True, text=True, timeout=60, env=env, cwd=root)
        assert_real_time_run(r, out)
        assert json.loads((out / "report.json").read_text())["runs"][0]["target"] == "http:ssai-serve"
    finally:
        stop(serve)


def test_http_target_sends_each_pop_to_its_own_edge(ssai_bin, root, tmp_path):
    """Per-POP URLs in a target profile (fixtures/targets/ssai-serve-pops.json, with free ports): a
    split `ssai serve` deployment started here, a coordinator (the cue API) and two edges, one per
    POP of serve_short (near, far), each its own process and port, logging every request it
    answers. Each POP's viewers play their own edge: report.json says which URL each POP used, and
    each edge answered exactly its POP's playlist requests and nothing of the other's."""
    coord_port, harness_port, near_port, far_port = free_port(), free_port(), free_port(), free_port()
    edge_port = {"near": near_port, "far": far_port}

    def fixed(text):
        return (text.replace("18080", str(coord_port)).replace("18081", str(harness_port))
                .replace("18082", str(near_port)).replace("18083", str(far_port)))

    base = json.loads(fixed((root / "fixtures/targets/ssai-serve.config.json").read_text()))
    coordinator = dict(base, role="coordinator", journal_path=str(tmp_path / "journal.jsonl"))
    (tmp_path / "coordinator.json").write_text(json.dumps(coordinator))
    for pop, port in edge_port.items():
        edge = dict(base, role="edge", listen=f"127.0.0.1:{port}", coordinator_url=f"http://127.0.0.1:{coord_port}",
                    log={"level": "info", "format": "json", "path": str(tmp_path / f"edge-{pop}.log"),
                         "access_log": True})
        edge.pop("auth")  # the cue API is the coordinator's
        (tmp_path / f"edge-{pop}.json").write_text(json.dumps(edge))
    profile = tmp_path / "target.json"
    profile.write_text(fixed((root / "fixtures/targets/ssai-serve-pops.json").read_text()))
    scenario = json.loads((root / SCENARIOS / "serve_short.json").read_text())
    scenario.update(name="serve_short_pops_20s", duration_s=20)
    scenario["origin"]["breaks"] = []
    scenario_file = tmp_path / "scenario.json"
    scenario_file.write_text(json.dumps(scenario))
    assert sorted(p["name"] for p in scenario["pops"]) == sorted(edge_port)

    env = dict(os.environ, SSAI_CUE_TOKEN="conform-test-token")
    procs = []
    try:
        procs.append(start([ssai_bin, "serve", "--config", str(tmp_path / "coordinator.json")], cwd=root, env=env)[0])
        for pop in edge_port:
            procs.append(start([ssai_bin, "serve", "--config", str(tmp_path / f"edge-{pop}.json")], cwd=root, env=env)[0])
        out = tmp_path / "http"
        t0 = time.monotonic()
        r = subprocess.run([ssai_bin, "conform", "--target", "http", "--target-profile", str(profile),
                            "--scenario", str(scenario_file), "--out", str(out), "--quiet"],
                           capture_output=True, text=True, timeout=60, env=env, cwd=root)
        assert time.monotonic() - t0 < 45
        assert_real_time_run(r, out)
    finally:
        for proc in reversed(procs):
            stop(proc)  # SIGTERM: the edges flush their logs
    run = json.loads((out / "report.json").read_text())["runs"][0]
    assert run["target"] == "http:ssai-serve-pops"
    html = (out / "index.html").read_text()
    assert "<h2>POP URLs</h2>" in html and f"http://127.0.0.1:{far_port}/conf/ch1/master.m3u8" in html
    stats = run["stats"]
    for pop, port in edge_port.items():
        urls = run["pop_urls"][pop]["ssai"]
        assert urls["from"] == f"pops.{pop}.ssai", urls
        assert urls["variant_url"] == f"http://127.0.0.1:{port}/conf/ch1/{{rendition}}.m3u8?mode=ssai", urls
        assert urls["master_url"] == f"http://127.0.0.1:{port}/conf/ch1/master.m3u8", urls
        # The edge's own log: every playlist request it answered, and only its POP's viewers' (the
        # harness counts each POP's answered fetches; nobody else asks the edges).
        lines = [json.loads(line) for line in (tmp_path / f"edge-{pop}.log").read_text().splitlines()]
        access = [a for a in lines if a.get("event") == "http.access"]
        assert stats[f"fetches.{pop}"] >= 10, stats
        assert len(access) == stats[f"fetches.{pop}"], (pop, len(access), stats)
        assert all(a["route"] == "manifest" and a["path"].startswith("/conf/ch1/") and a["status"] == 200
                   for a in access), access[:3]


def test_http_target_harness_serves_the_ts_origin_segments(ssai_bin, root, tmp_path):
    """origin.ts behind a third-party target (issue 17): the harness's origin serves the packager's
    segment bytes, so a player of the target's output fetches real TS. `ssai serve` started by hand
    as in the worked example; while `ssai conform --target http` runs ts_cue_out_breaks (20 s),
    this test plays the target's variant like a player: the content segments it lists (at the
    harness's origin) answer 200 with MPEG-TS (0x47 every 188 bytes) that ffprobe demuxes (H.264
    frames with their PTS) when it is installed."""
    import shutil
    import urllib.parse
    import urllib.request
    serve_port, harness_port = free_port(), free_port()
    fixed = lambda text: text.replace("18080", str(serve_port)).replace("18081", str(harness_port))
    config = tmp_path / "serve.json"
    config.write_text(fixed((root / "fixtures/targets/ssai-serve.config.json").read_text()))
    profile = tmp_path / "target.json"
    profile.write_text(fixed((root / "fixtures/targets/ssai-serve.json").read_text()))
    scenario = json.loads((root / SCENARIOS / "ts_cue_out_breaks.json").read_text())
    scenario.update(name="ts_http_20s", duration_s=20)
    scenario["origin"]["ts"] = str(root / SCENARIOS / "ts_breaks.ts")
    scenario_file = tmp_path / "scenario.json"
    scenario_file.write_text(json.dumps(scenario))
    env = dict(os.environ, SSAI_CUE_TOKEN="conform-test-token")
    serve, _ = start([ssai_bin, "serve", "--config", str(config)], cwd=root, env=env)
    conform = subprocess.Popen([ssai_bin, "conform", "--target", "http", "--target-profile", str(profile),
                                "--scenario", str(scenario_file), "--out", str(tmp_path / "http"), "--quiet"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=root)
    try:
        variant = f"http://127.0.0.1:{serve_port}/conf/ch1/v720.m3u8?mode=ssai"
        segments = {}
        deadline = time.monotonic() + 15
        while len(segments) < 2 and time.monotonic() < deadline and conform.poll() is None:
            time.sleep(0.5)
            try:
                with urllib.request.urlopen(variant, timeout=5) as r:
                    text = r.read().decode()
            except OSError:
                continue  # the harness's origin is not up yet
            for line in text.splitlines():
                url = urllib.parse.urljoin(variant, line)
                if line and not line.startswith("#") and "/origin/" in url and url not in segments:
                    with urllib.request.urlopen(url, timeout=5) as r:
                        segments[url] = (r.status, r.headers.get("Content-Type"), r.read())
        assert len(segments) >= 2, segments.keys()
        ffprobe = shutil.which("ffprobe")
        for url, (status, content_type, body) in segments.items():
            assert url.startswith(f"http://127.0.0.1:{harness_port}/origin/v720_") and url.endswith(".ts"), url
            assert status == 200 and content_type == "video/mp2t", (url, status, content_type)
            assert len(body) >= 3 * 188 and len(body) % 188 == 0, (url, len(body))
            assert all(body[i] == 0x47 for i in range(0, len(body), 188)), url
            if ffprobe:
                seg = tmp_path / "segment.ts"
                seg.write_bytes(body)
                # The fixture's frames are stub NAL units (tests/ts_fixtures.py): demuxed, not decoded.
                p = subprocess.run([ffprobe, "-v", "quiet", "-f", "mpegts", "-show_entries",
                                    "stream=codec_name,codec_type:packet=pts", "-of", "csv=p=0", str(seg)],
                                   capture_output=True, text=True, timeout=20)
                lines = [x.strip(",") for x in p.stdout.split()]
                assert p.returncode == 0 and "h264,video" in lines, (url, p.stdout, p.stderr)
                assert any(x.isdigit() for x in lines), (url, p.stdout)  # video PES with their PTS
        out, err = conform.communicate(timeout=60)
        assert conform.returncode == 0, out + err
        cases = junit_cases(tmp_path / "http" / "junit.xml")
        assert cases.get("hls.response.ok") == "pass", cases.get("hls.response.ok")
    finally:
        if conform.poll() is None:
            conform.kill()
            conform.wait(timeout=10)
        stop(serve)


def test_serve_target_over_a_ts_origin(ssai, tmp_path):
    """origin.ts on the real-time target (issue 17): the TS packager is the harness's origin, its
    SCTE-35 cues (a splice_insert break at 10 s for 8 s, cued 4 s ahead; a cancelled one at 22 s)
    the ground truth; ~30 s of real time."""
    import ts_fixtures as tf
    at = lambda s: 900000 + s * tf.SECOND
    cues = [
        (6, tf.splice_info_section(tf.splice_insert(501, out=True, pts=at(10), duration=8 * tf.SECOND))),
        (16, tf.splice_info_section(tf.splice_insert(502, out=True, pts=at(22), duration=4 * tf.SECOND))),
        (18, tf.splice_info_section(tf.splice_insert(502, out=True, cancel=True))),
    ]
    (tmp_path / "short.ts").write_bytes(tf.synthetic_ts(60, cues))
    scenario = {
        "name": "ts_serve_short", "duration_s": 28,
        "start_time": "2026-01-01T00:00:00Z", "channels": 1, "warmup_s": 0, "kv": WORLD_KV,
        "origin": {"ts": "short.ts", "segment_duration_s": 2, "window_segments": 6,
                   "cue_flavour": "ext_x_scte35",
                   "renditions": [{"name": "v720", "bandwidth_bps": 2500000, "codecs": "avc1.42c01e"}]},
        "pops": [{"name": "near", "coordinator_rtt_ms": 10, "kv_propagation_s": 1}],
        "viewers": [{"pop": "near", "join_s": 0.1}],
        "decision": {"latency_ms": 20, "ads": [{"id": "a1", "duration_s": 8}, {"id": "a2", "duration_s": 8}]},
    }
    (tmp_path / "scenario.json").write_text(json.dumps(scenario))
    out = tmp_path / "serve"
    r = ssai("conform", "--target", "serve:kv-channel-state", "--scenario", tmp_path / "scenario.json",
             "--out", out, "--quiet", timeout=90)
    assert r.returncode == 0, r.stdout + r.stderr
    cases = junit_cases(out / "junit.xml")
    for check in ("hls.response.ok", "splice.ad_starts_within", "splice.no_content_in_break",
                  "splice.content_resumes_at_pdt"):
        assert cases.get(check) == "pass", (check, cases.get(check))
    run = json.loads((out / "report.json").read_text())["runs"][0]
    assert run["scenario"] == "ts_serve_short"
    # One break (the cancelled one is not in the truth, and nothing asked a decision for it).
    assert run["stats"]["unanswered"] == 0 and run["stats"]["decision_requests"] == 1, run["stats"]


def test_serve_target_over_a_cmaf_encrypted_origin(ssai, tmp_path):
    """Issue 14 on the real-time target: a CMAF + AES-128 origin (key rotated every 6 segments) and
    fMP4 ads and slate with their own init, through our server over HTTP: each ad declares its own
    init and METHOD=NONE, the content's KEY and MAP come back on return (hls.map.*, hls.key.*),
    and the defect build that lets ads inherit them is caught the same way; ~2 x 26 s."""
    scenario = {
        "name": "cmaf_serve_short", "duration_s": 26,
        "start_time": "2026-01-01T00:00:00Z", "channels": 1, "warmup_s": 0, "kv": WORLD_KV,
        "origin": {"segment_duration_s": 2, "window_segments": 6,
                   "cue_flavour": "cue_out", "container": "cmaf", "encryption": "aes-128",
                   "key_rotation_segments": 6, "segment_uri_template": "seg_{rendition}_{msn}.m4s",
                   "renditions": [{"name": "v720", "bandwidth_bps": 2500000, "codecs": "avc1.64001f,mp4a.40.2"}],
                   "breaks": [{"at_s": 8, "duration_s": 10, "event_id": 1405}]},
        "pops": [{"name": "near", "coordinator_rtt_ms": 10, "kv_propagation_s": 1}],
        "viewers": [{"pop": "near", "join_s": 0.1}, {"pop": "near", "join_s": 13.3}],
        "decision": {"latency_ms": 20, "ads": [{"id": "a1", "duration_s": 6}]},
    }
    (tmp_path / "scenario.json").write_text(json.dumps(scenario))
    ids = ("hls.map.ad_has_own_init", "hls.map.content_init_restored",
           "hls.key.ad_key_declared", "hls.key.content_key_restored")
    out = tmp_path / "serve"
    r = ssai("conform", "--target", "serve:kv-channel-state", "--scenario", tmp_path / "scenario.json",
             "--out", out, "--quiet", timeout=90)
    assert r.returncode == 0, r.stdout + r.stderr
    cases = junit_cases(out / "junit.xml")
    for check in ("hls.response.ok", "splice.ad_starts_within", "splice.content_resumes_at_pdt") + ids:
        assert cases.get(check) == "pass", (check, cases.get(check))
    out = tmp_path / "defect"
    r = ssai("conform", "--target", "serve:defect-ads-inherit-map-key", "--scenario", tmp_path / "scenario.json",
             "--out", out, "--quiet", timeout=90)
    # Over serve: a defect build is judged like any target (no expected failures): exit 1, and the
    # four MAP/KEY checks are exactly what fails.
    assert r.returncode == 1, r.stdout + r.stderr
    run = json.loads((out / "report.json").read_text())["runs"][0]
    failing = {c["id"] for c in run["checks"] if c["outcome"] == "fail" and c["severity"] == "error"}
    assert failing == set(ids), failing


def test_serve_target_judges_demuxed_renditions(ssai_bin, root, tmp_path):
    """Issues 14/16 on the real-time target: each viewer reads our server's multivariant playlist and
    loads the audio and subtitle renditions it chooses there (player_choice.h; viewers take the
    languages in turn) in lockstep with its variant, so variants.audio_aligned and
    variants.subtitles_aligned are judged, not skipped: the correct build passes them and the two
    defect builds are caught by exactly the check that names their bug. Three ~26 s runs at once."""
    scenario = {
        "name": "cmaf_demuxed_serve_short", "duration_s": 26,
        "start_time": "2026-01-01T00:00:00Z", "channels": 1, "warmup_s": 0, "kv": WORLD_KV,
        "origin": {"segment_duration_s": 2, "window_segments": 6,
                   "cue_flavour": "cue_out", "container": "cmaf", "segment_uri_template": "seg_{rendition}_{msn}.m4s",
                   "renditions": [{"name": "v720", "bandwidth_bps": 2500000, "codecs": "avc1.64001f"}],
                   "audio": [{"id": "aud_en", "name": "English", "language": "en", "default": True},
                             {"id": "aud_fr", "name": "Francais", "language": "fr"}],
                   "subtitles": [{"id": "sub_en", "name": "English", "language": "en"}],
                   "breaks": [{"at_s": 8, "duration_s": 10, "event_id": 1406}]},
        "pops": [{"name": "near", "coordinator_rtt_ms": 10, "kv_propagation_s": 1}],
        "viewers": [{"pop": "near", "join_s": 0.1}, {"pop": "near", "join_s": 0.2}],
        "decision": {"latency_ms": 20,
                     "ads": [{"id": "a1", "duration_s": 6}, {"id": "a2", "duration_s": 4, "audio_languages": ["en"]}]},
    }
    (tmp_path / "scenario.json").write_text(json.dumps(scenario))
    builds = ("do-only", "defect-audio-not-spliced", "defect-subtitles-keep-content")
    procs = [subprocess.Popen([ssai_bin, "conform", "--target", f"serve:{b}", "--scenario", str(tmp_path / "scenario.json"),
                               "--out", str(tmp_path / b), "--quiet"], cwd=root, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for b in builds]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    aligned = ("variants.audio_aligned", "variants.subtitles_aligned")
    assert procs[0].returncode == 0, outs[0]
    cases = junit_cases(tmp_path / "do-only" / "junit.xml")
    for check in ("hls.response.ok", "splice.ad_starts_within", "hls.map.ad_has_own_init") + aligned:
        assert cases.get(check) == "pass", (check, cases.get(check))
    run = json.loads((tmp_path / "do-only" / "report.json").read_text())["runs"][0]
    evaluated = {c["id"]: c.get("evaluated", 0) for c in run["checks"]}
    assert evaluated["variants.audio_aligned"] > 10 and evaluated["variants.subtitles_aligned"] > 10, evaluated
    for build, check, out in zip(builds[1:], aligned, outs[1:]):
        r = [p for p, b in zip(procs, builds) if b == build][0]
        assert r.returncode == 1, out
        run = json.loads((tmp_path / build / "report.json").read_text())["runs"][0]
        failing = {c["id"] for c in run["checks"] if c["outcome"] == "fail" and c["severity"] == "error"}
        assert check in failing, (build, failing)


def test_serve_target_over_a_capture_origin(ssai, root, tmp_path):
    """origin.capture on the real-time target (issue 17): the recorded cue_out capture replayed as
    the origin, moved to now (its PROGRAM-DATE-TIMEs with it); its break (10 s in, 12 s) is the
    truth. ~30 s of real time."""
    scenario = json.loads((root / SCENARIOS / "capture_cue_out.json").read_text())
    scenario.update(name="capture_serve_short", duration_s=28)
    scenario["origin"]["capture"] = str(root / "fixtures/captures/cue_out")
    (tmp_path / "scenario.json").write_text(json.dumps(scenario))
    out = tmp_path / "serve"
    r = ssai("conform", "--target", "serve:kv-channel-state", "--scenario", tmp_path / "scenario.json",
             "--out", out, "--quiet", timeout=90)
    assert r.returncode == 0, r.stdout + r.stderr
    cases = junit_cases(out / "junit.xml")
    for check in ("hls.response.ok", "splice.ad_starts_within", "splice.no_content_in_break",
                  "splice.content_resumes_at_pdt"):
        assert cases.get(check) == "pass", (check, cases.get(check))
    run = json.loads((out / "report.json").read_text())["runs"][0]
    assert run["stats"]["unanswered"] == 0 and run["stats"]["decision_requests"] == 1, run["stats"]


def test_http_target_in_another_vendors_dialect(ssai_bin, root, tmp_path):
    """A deployment whose API and URLs are not ours (tests/foreign_ssai.py in front of `ssai serve`):
    SGAI by path, a viewer token header, its own cue body and paths, times in epoch milliseconds,
    no duplicate flag, refusals in its own words (401/403/404/422, problem+json). Described by
    fixtures/targets/foreign.json, it passes the API checks by class, and what it cannot show is
    skipped with the reason."""
    from foreign_ssai import API_KEY, VIEWER_TOKEN, ForeignFront
    serve_port, harness_port, front_port = free_port(), free_port(), free_port()
    config = tmp_path / "serve.json"
    config.write_text((root / "fixtures/targets/ssai-serve.config.json").read_text()
                      .replace("18080", str(serve_port)).replace("18081", str(harness_port)))
    profile = tmp_path / "target.json"
    profile.write_text((root / "fixtures/targets/foreign.json").read_text()
                       .replace("18090", str(front_port)).replace("18081", str(harness_port)))
    scenario = json.loads((root / SCENARIOS / "serve_short.json").read_text())
    scenario.update(name="serve_short_foreign", duration_s=20)
    scenario["origin"]["breaks"] = []
    scenario_file = tmp_path / "scenario.json"
    scenario_file.write_text(json.dumps(scenario))
    env = dict(os.environ, SSAI_CUE_TOKEN="conform-test-token", FOREIGN_API_KEY=API_KEY,
               FOREIGN_VIEWER_TOKEN=VIEWER_TOKEN)
    serve, _ = start([ssai_bin, "serve", "--config", str(config)], cwd=root, env=env)
    try:
        with ForeignFront(front_port, f"http://127.0.0.1:{serve_port}", "conform-test-token") as front:
            out = tmp_path / "foreign"
            r = subprocess.run([ssai_bin, "conform", "--target", "http", "--target-profile", str(profile),
                                "--scenario", str(scenario_file), "--out", str(out), "--quiet"],
                               capture_output=True, text=True, timeout=60, env=env, cwd=root)
        assert r.returncode == 0, r.stdout + r.stderr
        cases = junit_cases(out / "junit.xml")
        for check in ("hls.response.ok", "splice.ad_starts_within", "api.cue.valid_accepted",
                      "api.cue.start_announced", "api.auth.missing_token", "api.auth.wrong_token",
                      "api.error.json", "api.cue.invalid_json", "api.cue.missing_field", "api.cue.wrong_type",
                      "api.cue.duration_range", "api.cue.unknown_channel"):
            assert cases.get(check) == "pass", (check, cases.get(check))
        notes = {c["id"]: c.get("note", "") for c in json.loads((out / "report.json").read_text())["runs"][0]["checks"]}
        for check, reason in (("api.cue.duplicate_acknowledged", "duplicate_pointer"),
                              ("api.cue.pod_id_length", "strict"), ("api.cue.body_size", "strict")):
            assert cases.get(check) == "skip" and reason in notes[check], (check, cases.get(check), notes[check])
        # The viewers used the vendor's URLs and token (a request without it is refused with 403).
        assert any(m == "GET" and p.startswith("/live/conf/ch1/") for m, p in front.requests)
        assert any(p == "/api/v1/channels/ch1/breaks" for m, p in front.requests)
        # The scenario's stop went the vendor's way (cue.stop: DELETE .../breaks/current) and was accepted.
        assert ("DELETE", "/api/v1/channels/ch1/breaks/current") in front.requests
    finally:
        stop(serve)


def short_vast_scenario(root, name, tag, expect_error_code=0):
    """A real-time cut of the VAST scenarios (issue 15): one 16 s break at 8 s, a pod of an 8 s and
    a 6 s creative at 2 s segments, two viewers, 34 s in all."""
    s = json.loads((root / SCENARIOS / "vast_wrapper_chain.json").read_text())
    s.update(name=name, duration_s=34)
    s["origin"]["breaks"] = [{"at_s": 8, "duration_s": 16, "event_id": 8201}]
    s["pops"] = [{"name": "near", "coordinator_rtt_ms": 10}]
    s["viewers"] = [{"pop": "near", "join_s": 0.1}, {"pop": "near", "join_s": 0.5, "leave_s": 16}]
    s["decision"] = {"pod_id": "vast-pod", "vast": {"tag": tag}, "latency_ms": 20,
                     "ads": [{"id": "c8", "duration_s": 8, "segment_duration_s": 2},
                             {"id": "c6", "duration_s": 6, "segment_duration_s": 2}]}
    if expect_error_code:
        s["decision"]["vast"]["expect_error_code"] = expect_error_code
    return s


def test_serve_target_vast_beacons_and_wrapper_limit(ssai, root, tmp_path):
    """serve:kv-channel-state with decisions from the harness's VAST ad server (decision.format
    vast): through 3 wrappers the pod plays and the server fires each creative's beacons once per
    viewer session as its segments are delivered (beacon.*, read back from the ad server's log);
    through 6 wrappers the server stops at 5, fires 302 and plays slate (vast.*)."""
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    for s in (short_vast_scenario(root, "vast_chain_rt", "wrapper/3/default.xml"),
              short_vast_scenario(root, "vast_too_deep_rt", "wrapper/6/default.xml", 302)):
        (scenarios / (s["name"] + ".json")).write_text(json.dumps(s))
    out = tmp_path / "serve"
    r = ssai("conform", "--target", "serve:kv-channel-state", "--scenario", scenarios, "--out", out,
             "--quiet", timeout=150)
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads((out / "report.json").read_text())
    outcomes = {(run["scenario"], c["id"]): c["outcome"] for run in report["runs"] for c in run["checks"]}
    for check in ("beacon.impression_once_per_delivery", "beacon.quartiles_in_order",
                  "beacon.none_for_unserved_ad", "vast.wrapper_depth", "splice.creative_discontinuity"):
        assert outcomes[("vast_chain_rt", check)] == "pass", check
    for check in ("vast.wrapper_depth", "vast.error_url_fired", "splice.slate_fills_short_pod"):
        assert outcomes[("vast_too_deep_rt", check)] == "pass", check


def test_serve_target_sgai_assets_match_each_viewers_variant(ssai, root, tmp_path):
    """Issue 16: our server's SGAI asset list names one multivariant playlist per creative (the same
    list for every variant), so splice.sgai_asset_matches_rendition passes for the 800 kb/s viewer
    too, and the DATERANGEs stay identical across variants. A 24 s cut of sgai_interstitials."""
    s = json.loads((root / SCENARIOS / "sgai_interstitials.json").read_text())
    s.update(name="sgai_rt", duration_s=24)
    s["origin"]["breaks"] = [{"at_s": 8, "duration_s": 10, "event_id": 3101}]
    s["pops"] = [{"name": "near", "coordinator_rtt_ms": 10}]
    s["viewers"] = [{"pop": "near", "join_s": 0.1}, {"pop": "near", "join_s": 0.4, "renditions": ["v360"]}]
    (tmp_path / "sgai_rt.json").write_text(json.dumps(s))
    out = tmp_path / "sgai"
    r = ssai("conform", "--target", "serve:kv-channel-state", "--scenario", tmp_path / "sgai_rt.json",
             "--out", out, "--quiet", timeout=90)
    assert r.returncode == 0, r.stdout + r.stderr
    checks = {c["id"]: c for c in json.loads((out / "report.json").read_text())["runs"][0]["checks"]}
    for check in ("splice.sgai_asset_matches_rendition", "splice.sgai_interstitial_at_cue",
                  "variants.dateranges_identical"):
        assert checks[check]["outcome"] == "pass", (check, checks[check])
    # Both viewers fetched the list and both creatives' multivariant playlists.
    assert checks["splice.sgai_asset_matches_rendition"]["evaluated"] >= 4, checks["splice.sgai_asset_matches_rendition"]


def test_http_target_decision_vast_points_a_real_server_at_the_harness_ad_server(ssai_bin, root, tmp_path):
    """Issue 16: target profile `decision: "vast"`. `ssai serve` started by hand with
    decision.format vast and its URL at the harness's fixed tag (GET /vast/tag.xml?event=...): the
    scenario's VAST tag (3 wrappers) is served there; the decision checks judge the tag fetches,
    and vast.*/beacon.* are read from the harness's ad server log."""
    serve_port, harness_port = free_port(), free_port()
    fixed = lambda text: text.replace("18080", str(serve_port)).replace("18081", str(harness_port))
    config = json.loads(fixed((root / "fixtures/targets/ssai-serve.config.json").read_text()))
    config["decision"] = {"url": f"http://127.0.0.1:{harness_port}/vast/tag.xml?event={{event}}",
                          "format": "vast", "ad_segment_duration_s": 2}
    (tmp_path / "serve.json").write_text(json.dumps(config))
    profile = json.loads(fixed((root / "fixtures/targets/ssai-serve.json").read_text()))
    profile.update(name="ssai-serve-vast", decision="vast", session_param="session")
    (tmp_path / "target.json").write_text(json.dumps(profile))
    s = short_vast_scenario(root, "vast_http_rt", "wrapper/3/default.xml")
    (tmp_path / "scenario.json").write_text(json.dumps(s))
    env = dict(os.environ, SSAI_CUE_TOKEN="conform-test-token")
    serve, _ = start([ssai_bin, "serve", "--config", str(tmp_path / "serve.json")], cwd=root, env=env)
    try:
        out = tmp_path / "vast"
        r = subprocess.run([ssai_bin, "conform", "--target", "http", "--target-profile", str(tmp_path / "target.json"),
                            "--scenario", str(tmp_path / "scenario.json"), "--out", str(out), "--quiet"],
                           capture_output=True, text=True, timeout=90, env=env, cwd=root)
    finally:
        stop(serve)
    assert r.returncode == 0, r.stdout + r.stderr
    run = json.loads((out / "report.json").read_text())["runs"][0]
    checks = {c["id"]: c for c in run["checks"]}
    assert run["stats"]["decision_requests"] == 1, run["stats"]
    for check in ("splice.no_duplicate_break", "splice.ad_starts_within", "splice.creative_discontinuity",
                  "splice.ad_bitrate_matches_rendition", "vast.wrapper_depth", "beacon.impression_once_per_delivery"):
        assert checks[check]["outcome"] == "pass", (check, checks[check])


def test_target_profile_decision_vast_is_parsed_and_unknown_values_named(ssai, tmp_path):
    p = tmp_path / "p.json"
    p.write_text(json.dumps({"org": "o", "channel": "c", "variant_url": "http://h/{rendition}.m3u8",
                             "cue": {"url": "http://h/cue"}, "decision": "openrtb"}))
    r = ssai("conform", "--target", "http", "--target-profile", p, "--scenario", SCENARIOS + "/serve_short.json",
             "--out", tmp_path / "o")
    assert r.returncode == 2 and "decision" in r.stderr and "vast" in r.stderr, r.stderr
