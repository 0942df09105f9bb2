"""Shared fixtures for the end-to-end tests: they drive the built `ssai` binary as a user would."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def ssai_bin():
    path = pathlib.Path(os.environ.get("SSAI_BIN", ROOT / "build" / "cli" / "ssai"))
    if not path.exists():
        pytest.fail(f"{path} not built; run `make build` (or `make pytest`)")
    return str(path)


@pytest.fixture
def ssai(ssai_bin):
    """ssai(*args, input=None) -> CompletedProcess with text stdout/stderr; never hangs."""

    def run(*args, input=None, timeout=60):
        return subprocess.run([ssai_bin, *map(str, args)], input=input, capture_output=True,
                              text=True, timeout=timeout, cwd=ROOT)

    return run
