"""The `ssai` command line as its ecosystem expects it (issue 19): --version, unknown commands and
options with a did-you-mean, negative values for unsigned options refused, defaults in --help,
reasons a user can act on, and progress lines that do not fill logs with carriage returns."""
import os
import pty
import re
import socket
import subprocess


def test_version(ssai):
    r = ssai("--version")
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(r"ssai \d+\.\d+\.\d+(\+\S+)?\n", r.stdout), r.stdout


def test_unknown_command_says_so_with_a_suggestion(ssai):
    r = ssai("simm", "x.json")
    assert r.returncode == 2
    assert "unknown command 'simm'" in r.stderr and "did you mean 'sim'?" in r.stderr, r.stderr
    r = ssai("hls", "lnt", "x.m3u8")
    assert r.returncode == 2 and "ssai hls: unknown command 'lnt' (did you mean 'lint'?)" in r.stderr, r.stderr
    r = ssai("frobnicate")
    assert r.returncode == 2 and "unknown command 'frobnicate'" in r.stderr and "commands: " in r.stderr


def test_unknown_option_suggests_the_closest(ssai):
    r = ssai("sim", "fixtures/scenarios/default.json", "--sed", "3")
    assert r.returncode == 2
    assert "ssai sim: unknown option '--sed' (did you mean '--seed'?)" in r.stderr, r.stderr
    r = ssai("conform", "--targte", "builtin:all")
    assert r.returncode == 2 and "did you mean '--target'?" in r.stderr, r.stderr


def test_negative_values_for_unsigned_options_are_refused(ssai):
    for args in (("sim", "fixtures/scenarios/default.json", "--seed", "-1"),
                 ("sim", "fixtures/scenarios/default.json", "--seed=-1"),
                 ("bench", "--target", "http://127.0.0.1:9/", "--seed", "-1"),
                 ("bench", "report", "--seed", "-1"),
                 ("bench", "--target", "http://127.0.0.1:9/", "--connections", "-1"),
                 ("capture", "http://127.0.0.1:9/x.m3u8", "--out", "/nonexistent/x", "--timeout-ms", "-5")):
        r = ssai(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "18446744073709551615" not in r.stderr + r.stdout
        flag = next(a for a in args if a.startswith("--seed") or a in ("--connections", "--timeout-ms"))
        assert flag.split("=")[0] in r.stderr and "-" in r.stderr, (args, r.stderr)


def test_help_shows_defaults(ssai):
    text = ssai("sim", "--help").stdout
    assert re.search(r"--seed UINT=1\b", text), text
    assert "--out TEXT=reports/sim" in text
    text = ssai("bench", "--help").stdout
    assert "=16" in text and "--arrival TEXT=constant" in text, text
    assert "=[]" not in ssai("sim", "--help").stdout


def test_capture_first_fetch_failure_names_url_and_reason(ssai, tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/master.m3u8"
    r = ssai("capture", url, "--duration", "2", "--out", tmp_path / "cap")
    assert r.returncode != 0
    assert f"{url}: first fetch failed: cannot connect to 127.0.0.1:{port}: Connection refused" in r.stderr, r.stderr


def test_sim_missing_file_names_it_and_the_reason(ssai):
    r = ssai("sim", "no-such-scenario.json")
    assert r.returncode == 2
    assert "no-such-scenario.json: cannot read: No such file or directory" in r.stderr, r.stderr


SWEEP = ("sim", "fixtures/scenarios/default.json", "--build", "all", "--seeds", "1..6")


def test_progress_is_plain_lines_when_not_a_tty(ssai, tmp_path):
    """stderr a pipe (a CI log): progress as plain lines, no carriage return."""
    r = ssai(*SWEEP, "--out", tmp_path / "sim", timeout=120)
    assert r.returncode == 0, r.stderr
    assert "\r" not in r.stderr
    assert re.search(r"^\[run \d+/30\] +[\d.]+% of all runs$", r.stderr, re.M), r.stderr


def test_progress_rewrites_one_line_on_a_tty(ssai_bin, root, tmp_path):
    primary, secondary = pty.openpty()
    try:
        p = subprocess.run([ssai_bin, *SWEEP, "--out", str(tmp_path / "sim")], stdout=subprocess.DEVNULL,
                           stderr=secondary, cwd=root, timeout=120)
    finally:
        os.close(secondary)
    data = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    os.close(primary)
    assert p.returncode == 0
    assert b"\r[run " in data, data[:200]
