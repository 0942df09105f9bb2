"""Process and HTTP helpers shared by the end-to-end tests: start an `ssai` (or any) server that
prints "listening on http://127.0.0.1:PORT", stop it, pick a free loopback port, GET a URL.
Every wait is bounded."""
import os
import re
import select
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


def start(cmd, cwd, env=None, timeout_s=10.0):
    """Starts `cmd` and waits (at most timeout_s) for its "listening on" line: (proc, base_url).
    Fails the test with the process's stderr if it exits or never says it listens."""
    # stderr goes to an unlinked temporary file, read back through proc.stderr: a server that logs
    # (`ssai serve`, reference/server/log.h) never blocks on a pipe nobody drains, and whatever
    # it wrote is still there when a test reads it after the process ended.
    with tempfile.NamedTemporaryFile("w", prefix="ssai-stderr-", delete=False) as sink:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=sink, text=True)
        proc.stderr = open(sink.name, encoding="utf-8", errors="replace")
    os.unlink(sink.name)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            m = _LISTENING.search(proc.stdout.readline())
            if m:
                return proc, m.group(1)
        if proc.poll() is not None:
            break
    stop(proc)
    pytest.fail(f"{' '.join(map(str, cmd[1:3]))} did not start: "
                f"{proc.stderr.read() if proc.stderr else ''}")


def stop(proc):
    """SIGTERM (graceful shutdown), then SIGKILL after 10 s. Returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    return proc.returncode


def free_port():
    """A loopback port free right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, timeout_s=5):
    """(status, headers, body text); HTTP errors are answers too, not exceptions."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()
