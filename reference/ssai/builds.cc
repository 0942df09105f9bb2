#include "reference/ssai/builds.h"

namespace ssai {

std::string_view ReadPathName(ReadPath path) {
  switch (path) {
    case ReadPath::kCoordinatorOnly: return "coordinator";
    case ReadPath::kKvListThenCoordinator: return "kv-list+coordinator";
    case ReadPath::kKvKeyThenCoordinator: return "kv-key+coordinator";
    case ReadPath::kKvListOnly: return "kv-list";
    case ReadPath::kChannelState: return "kv-channel-state+probe";
  }
  return "?";
}

bool Defects::any() const {
  return ignore_end_time || reset_media_sequence || no_discontinuity_on_return ||
         trust_cached_miss || no_cue_dedupe || misaligned_renditions || ignore_cue_in ||
         ignore_bitrate || no_discontinuity_ledger || no_creative_discontinuity ||
         ads_inherit_content_media || audio_not_spliced || subtitles_keep_content || beacons_on_decision ||
         unlimited_wrappers || sgai_top_variant_asset;
}

namespace {

BuildSpec Make(std::string name, std::string description, ReadPath path) {
  BuildSpec b;
  b.name = std::move(name);
  b.description = std::move(description);
  b.read_path = path;
  return b;
}

std::vector<BuildSpec> MakeBuilds() {
  std::vector<BuildSpec> builds;
  BuildSpec b = Make("do-only", "every request asks the coordinator (the seed's 'before')",
                     ReadPath::kCoordinatorOnly);
  b.write_break_keys = false;
  builds.push_back(b);
  builds.push_back(Make("kv-hybrid", "KV list-by-prefix first, coordinator on a miss (the seed's Phase 1)",
                        ReadPath::kKvListThenCoordinator));
  builds.push_back(Make("kv-hybrid-direct",
                        "KV get of the key the origin's SCTE-35 markers name, coordinator on a miss",
                        ReadPath::kKvKeyThenCoordinator));
  b = Make("kv-stateless", "KV only; the coordinator polls origins and writes ahead (the seed's Phase 2)",
           ReadPath::kKvListOnly);
  b.coordinator_polls_origin = true;
  builds.push_back(b);
  b = Make("kv-channel-state",
           "one versioned channel document in KV; coordinator only on a miss or an unexplained marker",
           ReadPath::kChannelState);
  b.write_break_keys = false;
  b.write_channel_state = true;
  // An API cue leaves no origin marker to probe on; edges learn of it from their once-a-second
  // background refresh (ManifestPathOptions::channel_state_refresh_us) or from KV. Announcing
  // the break that refresh interval plus one target duration ahead means every edge knows it
  // before its first slot is published (R3 in conformance/matrix_test.cc).
  b.api_cue_lead_us = 1 * kMicrosPerSecond;
  builds.push_back(b);

  // Defect builds: our best build with one bug each.
  const BuildSpec base = builds.back();
  auto defect = [&](std::string name, std::string description, auto set) {
    BuildSpec d = base;
    d.name = "defect-" + name;
    d.description = std::move(description);
    set(d.defects);
    builds.push_back(d);
  };
  defect("ignore-end", "shows the ad until the KV TTL runs out, ignoring endTime",
         [](Defects& d) { d.ignore_end_time = true; });
  defect("reset-media-sequence", "restarts MEDIA-SEQUENCE at 0 during a break",
         [](Defects& d) { d.reset_media_sequence = true; });
  defect("no-discontinuity-on-return", "omits EXT-X-DISCONTINUITY before content returns",
         [](Defects& d) { d.no_discontinuity_on_return = true; });
  defect("trust-cached-miss", "an edge caches 'no break' forever",
         [](Defects& d) { d.trust_cached_miss = true; });
  defect("double-break", "a repeated cue makes a second break",
         [](Defects& d) { d.no_cue_dedupe = true; });
  defect("misaligned-renditions", "renditions after the first splice one segment late",
         [](Defects& d) { d.misaligned_renditions = true; });
  defect("drop-cue-in", "ignores an early CUE-IN", [](Defects& d) { d.ignore_cue_in = true; });
  defect("ignore-bitrate", "serves the highest ad bitrate to every rendition",
         [](Defects& d) { d.ignore_bitrate = true; });
  defect("no-discontinuity-ledger", "DISCONTINUITY-SEQUENCE forgets earlier breaks",
         [](Defects& d) { d.no_discontinuity_ledger = true; });
  defect("no-creative-discontinuity",
         "stitches a pod's creatives (and its slate) without EXT-X-DISCONTINUITY between them",
         [](Defects& d) { d.no_creative_discontinuity = true; });
  // CMAF / encrypted streams (issue 14).
  defect("ads-inherit-map-key",
         "lets ad segments inherit the content's EXT-X-MAP and EXT-X-KEY (no ad init, no METHOD=NONE, "
         "nothing restored on return)",
         [](Defects& d) { d.ads_inherit_content_media = true; });
  defect("audio-not-spliced",
         "splices the video variants but serves the demuxed audio renditions unspliced (content audio under ad "
         "video)",
         [](Defects& d) { d.audio_not_spliced = true; });
  defect("subtitles-keep-content",
         "numbers the subtitle renditions like the variants but keeps the content's cues in the break's slots",
         [](Defects& d) { d.subtitles_keep_content = true; });
  // Issue 15: server-side tracking and VAST.
  defect("beacons-on-decision",
         "fires every impression and quartile beacon of a pod as soon as a session sees the break, not as its "
         "segments are delivered",
         [](Defects& d) { d.beacons_on_decision = true; });
  defect("unlimited-wrappers", "follows VAST wrapper chains without a depth limit",
         [](Defects& d) { d.unlimited_wrappers = true; });
  // Issue 16: SGAI assets.
  defect("sgai-top-variant",
         "names each creative's top-bitrate variant in the SGAI asset list, whatever the viewer's variant",
         [](Defects& d) { d.sgai_top_variant_asset = true; });
  return builds;
}

}  // namespace

const std::vector<BuildSpec>& AllBuilds() {
  static const std::vector<BuildSpec>* builds = new std::vector<BuildSpec>(MakeBuilds());
  return *builds;
}

const BuildSpec* FindBuild(std::string_view name) {
  for (const BuildSpec& b : AllBuilds()) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

CoordinatorOptions CoordinatorOptionsFor(const BuildSpec& build, CoordinatorOptions base) {
  base.poll_origin = build.coordinator_polls_origin;
  base.write_break_keys = build.write_break_keys;
  base.write_channel_state = build.write_channel_state;
  base.defect_no_cue_dedupe = build.defects.no_cue_dedupe;
  base.defect_ignore_cue_in = build.defects.ignore_cue_in;
  base.api_cue_lead_us = build.api_cue_lead_us;
  return base;
}

}  // namespace ssai
