"""`ssai serve` with decision.format "vast" against the harness's ad server (`ssai decision`, its
/vast/ routes) as real processes on loopback: a pod of three creatives (15 s, 30 s, 7.5 s) reached
through two wrappers plays with a DISCONTINUITY between creatives; a VAST failure fills the break
with slate and the ad server receives the Error ping with the VAST code."""
import json
import os
import time

import pytest

from procs import get as _get_any, start as _start, stop as _stop
from test_serve import TOKEN, _post_cue


@pytest.fixture
def vast_deployment(ssai_bin, root, tmp_path):
    """start(ad_tag_path) -> serve base URL; also yields the ad server's base URL."""
    procs = []
    try:
        origin, origin_url = _start([ssai_bin, "origin", "--synthetic", str(root / "fixtures/serve/origin.json"),
                                     "--listen", "127.0.0.1:0"], cwd=root)
        procs.append(origin)
        ads, ads_url = _start([ssai_bin, "decision", "--catalogue", str(root / "fixtures/serve/catalogue.json"),
                               "--listen", "127.0.0.1:0"], cwd=root)
        procs.append(ads)

        def start(ad_tag_path):
            config = json.loads((root / "fixtures/serve/vast.json").read_text())
            config["listen"] = "127.0.0.1:0"
            config["journal_path"] = str(tmp_path / f"journal-{len(procs)}.jsonl")
            config["decision"]["url"] = ads_url + ad_tag_path
            for ch in config["channels"]:
                ch["origin_base_url"] = origin_url
                ch["slate"]["uri"] = origin_url + "/slate.ts"
            path = tmp_path / f"serve-{len(procs)}.json"
            path.write_text(json.dumps(config))
            serve, serve_url = _start([ssai_bin, "serve", "--config", str(path)], cwd=root,
                                      env=dict(os.environ, SSAI_CUE_TOKEN=TOKEN))
            procs.append(serve)
            return serve_url

        yield start, ads_url
    finally:
        for p in reversed(procs):
            _stop(p)


def _playlist(base, rendition="v720"):
    status, _, body = _get_any(f"{base}/demo/sports/{rendition}.m3u8")
    assert status == 200, body
    return body


def test_pod_of_three_creatives_through_wrappers(vast_deployment):
    start, ads_url = vast_deployment
    base = start("/vast/wrapper/2/{pod}.xml")
    code, cue = _post_cue(base, {"org": "demo", "channel": "sports", "duration": 60}, TOKEN)
    assert code == 200, cue
    items = cue["adBreak"]["decision"]["items"]
    assert [(i["id"], i["duration"], i.get("segmentDuration")) for i in items] == \
        [("c15", 15, 2), ("c30", 30, 2), ("c7", 7.5, 2)]
    # The junction c15 -> c30 is published ~15 s after the break starts (it starts ~3-5 s after
    # the cue); its first c30 segment carries a DISCONTINUITY, and renditions agree.
    deadline = time.monotonic() + 30
    body = ""
    while time.monotonic() < deadline:
        body = _playlist(base)
        if "/ads/c30/2500000_0.ts" in body:
            break
        time.sleep(0.5)
    lines = body.splitlines()
    assert "/ads/c30/2500000_0.ts" in body, body
    i = next(n for n, l in enumerate(lines) if l.endswith("/ads/c30/2500000_0.ts"))
    segment_tags = []
    for l in reversed(lines[:i]):
        if not l.startswith("#"):
            break
        segment_tags.append(l)
    assert "#EXT-X-DISCONTINUITY" in segment_tags, body
    assert any("/ads/c15/2500000_7.ts" in l for l in lines), body  # c15's 1 s tail segment
    assert "#EXTINF:1.000," in lines, body
    assert "/ads/c30/800000_" in _playlist(base, "v360")  # the rendition's own bitrate
    received = json.loads(_get_any(ads_url + "/vast/received")[2])["pings"]
    assert [p for p in received if p["kind"] == "error"] == []


def test_empty_vast_fills_with_slate_and_fires_303(vast_deployment):
    start, ads_url = vast_deployment
    base = start("/vast/empty.xml")
    code, cue = _post_cue(base, {"org": "demo", "channel": "sports", "duration": 10}, TOKEN)
    assert code == 200, cue
    assert cue["adBreak"]["decision"]["items"] == []
    deadline = time.monotonic() + 5
    pings = []
    while time.monotonic() < deadline:
        pings = json.loads(_get_any(ads_url + "/vast/received")[2])["pings"]
        if pings:
            break
        time.sleep(0.1)
    # Each ping also says when it came and which viewer session it named (none for Error pings).
    assert [(p["kind"], p["query"], p["session"]) for p in pings] == [("error", "ad=none&code=303", "")]
    assert all(p["at_ms"] > 0 for p in pings)
    deadline = time.monotonic() + 12
    body = ""
    while time.monotonic() < deadline and "slate.ts" not in body:
        body = _playlist(base)
        time.sleep(0.5)
    assert "slate.ts" in body, body
