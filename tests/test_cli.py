"""The `ssai` front door: usage errors and help."""


def test_no_subcommand_is_a_usage_error(ssai):
    r = ssai()
    assert r.returncode == 2
    assert "subcommand" in (r.stderr + r.stdout).lower()


def test_help_lists_areas(ssai):
    r = ssai("--help")
    assert r.returncode == 0
    for area in ("hls", "scte35"):
        assert area in r.stdout


def test_unknown_option_is_a_usage_error(ssai):
    r = ssai("scte35", "decode", "--no-such-flag")
    assert r.returncode == 2
