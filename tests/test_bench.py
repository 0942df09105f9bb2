"""`ssai bench`: the open-loop load generator against real processes on loopback (2-second runs).
Every process is stopped, also on failure; ports are picked by the OS."""
import json


from procs import start, stop as _stop


def _start_origin(ssai_bin, root):
    return start([ssai_bin, "origin", "--synthetic", str(root / "fixtures/serve/origin.json"),
                  "--listen", "127.0.0.1:0"], cwd=root)


def test_bench_url_target_two_seconds(ssai, ssai_bin, root, tmp_path):
    origin, url = _start_origin(ssai_bin, root)
    try:
        out = tmp_path / "bench.json"
        r = ssai("bench", "--target", url + "/v720.m3u8", "--rate", "100", "--duration", "2",
                 "--connections", "4", "--arrival", "poisson", "--seed", "3", "--out", out, timeout=60)
        assert r.returncode == 0, r.stderr
        assert "latency from intended send" in r.stdout
        j = json.loads(out.read_text())
        assert j["arrival"] == "poisson" and j["seed"] == 3
        assert 140 <= j["scheduled"] <= 260  # Poisson(200)
        assert j["ok"] == j["scheduled"], j["errors"]
        assert j["status_counts"] == {"200": j["ok"]}
        assert 0 < j["latency"]["p50_ms"] <= j["latency"]["p99_ms"] <= j["latency"]["max_ms"]
        assert j["latency_histogram_us"]["count"] == j["scheduled"]
    finally:
        _stop(origin)


def test_bench_serve_target_counts_state_sources(ssai, tmp_path):
    out = tmp_path / "bench.json"
    r = ssai("bench", "--target", "serve:kv-channel-state", "--rate", "50", "--duration", "2",
             "--connections", "4", "--out", out, timeout=90)
    assert r.returncode == 0, r.stderr
    j = json.loads(out.read_text())
    assert j["scheduled"] == 100 and j["ok"] >= 90, j["errors"]
    # Mid-break (the bench cues a break first): every playlist answer came from the KV.
    assert set(j["header_counts"]) == {"kv-hit"}, j["header_counts"]
    assert j["server_metrics"]['ssai_manifest_requests_total{source="kv-hit"}'] >= j["ok"]


def test_bench_bad_input_is_named(ssai):
    r = ssai("bench", "--target", "ftp://x", "--duration", "1")
    assert r.returncode == 2 and "http://" in r.stderr
    r = ssai("bench", "--target", "http://127.0.0.1:9/", "--arrival", "bursty", "--duration", "1")
    assert r.returncode == 2 and "arrival" in r.stderr
    r = ssai("bench", "--target", "serve:no-such-build", "--duration", "1", timeout=60)
    assert r.returncode == 2 and "no-such-build" in r.stderr


def test_bench_thresholds_set_the_exit_code(ssai, ssai_bin, root, tmp_path):
    """k6-style thresholds: each printed with a check mark or a cross; any failing one exits 1."""
    origin, url = _start_origin(ssai_bin, root)
    try:
        out = tmp_path / "bench.json"
        base = ["bench", "--target", url + "/v720.m3u8", "--rate", "50", "--duration", "1", "--connections", "2"]
        r = ssai(*base, "--threshold", "p99<2s", "--threshold", "error_rate<1%", "--out", out, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "\u2713 p99<2s  (p99 = " in r.stdout and "\u2713 error_rate<1%  (error_rate = 0.000 %)" in r.stdout
        j = json.loads(out.read_text())
        assert [t["passed"] for t in j["thresholds"]] == [True, True]
        assert j["thresholds"][0]["limit"] == 2000 and j["thresholds"][0]["value"] < 2000
        # 50 requests/s cannot reach 1,000 responses/s: that threshold fails the run.
        r = ssai(*base, "--threshold", "p99<2s", "--threshold", "rate>=1000", timeout=60)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "\u2717 rate>=1000  (rate = " in r.stdout
    finally:
        _stop(origin)
    r = ssai("bench", "--target", "http://127.0.0.1:9/", "--threshold", "p98<1", "--duration", "1")
    assert r.returncode == 2 and "unknown metric 'p98'" in r.stderr
