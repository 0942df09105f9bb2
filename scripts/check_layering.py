#!/usr/bin/python3
"""Fails when a source file includes a module its layer may not depend on (DESIGN.md "Layering").

Run by the build (the `layering` target, part of ALL) and as a unit test, so a violation fails
the build rather than waiting for a reviewer. Rules are per top-level module; a test or fuzzer
(`*_test.cc`, `*_fuzzer.cc`) may also use the modules listed under TEST_EXTRA.

usage: check_layering.py [ROOT]      exit 0: clean, 1: violations (each printed as file:line)
"""
import os
import re
import sys

# Module -> the modules its production code may include (its own always allowed). Order matters
# only for prefix matching: the longest prefix names a file's module.
ALLOWED = {
    "reference/base": [],
    "reference/io": ["reference/base"],
    "reference/media": ["reference/base"],
    # The sans-I/O core: no server, simulator, conformance, no test fakes.
    "reference/ssai": ["reference/base", "reference/media"],
    # Fakes of the core's interfaces, for tests only (the builtin conformance target is the
    # simulator's run since issue 18).
    "reference/ssai/testing": ["reference/base", "reference/media", "reference/ssai"],
    "reference/server": ["reference/base", "reference/io", "reference/media", "reference/ssai"],
    # The harness's world: the ground truth every harness judges by (world/README.md).
    "world": ["reference/base", "reference/media", "reference/ssai"],
    # The simulator fills the harness's record of a run (conformance/observations.h, a module of
    # its own) for `ssai sim --check` and the sim:BUILD conformance target (issue 18).
    "simulator": ["reference/base", "reference/io", "reference/media", "reference/ssai", "world",
                  "conformance/observations.h", "conformance/sgai_assets.h", "conformance/player_choice.h"],
    # The checks library (catalogue, evaluator, ground truth): judges Observations against a
    # Scenario and nothing else, so it can judge any target's run (no server, no test fakes).
    # The conformance headers it reads are modules of their own, with their own rules.
    "conformance/checks": ["reference/base", "reference/media", "reference/ssai", "world",
                           "conformance/observations.h", "conformance/profile.h", "conformance/scenario.h"],
    "conformance/observations.h": ["reference/base", "reference/ssai"],
    # What an SGAI viewer fetches (one model for every harness's viewers, the simulator's too).
    "conformance/sgai_assets.h": ["reference/base", "reference/media", "reference/ssai", "conformance/observations.h"],
    # What a viewer loads from a multivariant playlist (one rule for every harness's viewers).
    "conformance/player_choice.h": ["reference/base", "reference/media"],
    "conformance/profile.h": ["reference/base"],
    "conformance/scenario.h": ["reference/base", "reference/media", "reference/ssai", "world", "conformance/profile.h"],
    "conformance": ["reference/base", "reference/io", "reference/media", "reference/ssai",
                    "reference/server", "world", "simulator"],
    # `ssai fidelity`: a simulator scenario deployed with the real server and measured (issue 18).
    "fidelity": ["reference/base", "reference/io", "reference/media", "reference/ssai", "reference/server",
                 "world", "simulator"],
    "bench/load": ["reference/base", "reference/io", "simulator"],
    "bench/micro": ["reference/base", "reference/io", "reference/media", "reference/ssai",
                    "reference/ssai/testing", "reference/server", "simulator", "conformance"],
    "bench/soak": ["reference/base", "reference/io", "reference/media", "reference/ssai",
                   "reference/server", "simulator"],
    "cli": ["reference/base", "reference/io", "reference/media", "reference/ssai", "reference/server",
            "simulator", "conformance", "bench/load", "fidelity"],
}
# The conformance modules inside conformance/: whoever may include conformance may include them.
CONFORMANCE_PARTS = ["conformance/checks", "conformance/observations.h", "conformance/profile.h",
                     "conformance/scenario.h", "conformance/sgai_assets.h",
                     "conformance/player_choice.h"]
for _module, _deps in ALLOWED.items():
    if _module == "conformance" or "conformance" in _deps:
        _deps.extend(p for p in CONFORMANCE_PARTS if p != _module and p not in _deps)

# What tests and fuzzers may use besides their module's own dependencies.
TEST_EXTRA = ["reference/io", "reference/ssai/testing", "reference/server"]

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
SKIP_DIRS = {".git", "node_modules", "reports", "fixtures", "tests"}


def module_of(path):
    best = None
    for m in ALLOWED:
        if path == m or path.startswith(m + "/"):
            if best is None or len(m) > len(best):
                best = m
    return best


def violations(root):
    found = []
    for d, dirs, files in os.walk(root):
        rel_dir = os.path.relpath(d, root)
        dirs[:] = [x for x in dirs if x not in SKIP_DIRS and not x.startswith("build")]
        for name in sorted(files):
            if not name.endswith((".h", ".cc")):
                continue
            rel = os.path.normpath(os.path.join(rel_dir, name))
            mod = module_of(rel)
            if mod is None:
                continue
            allowed = set(ALLOWED[mod]) | {mod}
            if name.endswith(("_test.cc", "_fuzzer.cc")) or "/testing/" in rel:
                allowed |= set(TEST_EXTRA)
            with open(os.path.join(d, name), encoding="utf-8", errors="replace") as f:
                for lineno, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    target = module_of(m.group(1))
                    if target is not None and target not in allowed:
                        found.append(f"{rel}:{lineno}: {mod} may not include {m.group(1)} ({target}); "
                                     f"allowed: {', '.join(sorted(allowed - {mod})) or 'nothing'}")
    return found


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    found = violations(root)
    for v in found:
        print(v, file=sys.stderr)
    if found:
        print(f"layering: {len(found)} include(s) break DESIGN.md's layering (scripts/check_layering.py)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
