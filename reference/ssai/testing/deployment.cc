#include "reference/ssai/testing/deployment.h"

#include <algorithm>
#include <utility>

#include "reference/base/strings.h"
#include "reference/media/hls/vod_playlist.h"

namespace ssai::testing {
namespace {

std::string OriginUrl(const std::string& rendition) { return "http://origin/live/" + rendition + ".m3u8"; }

std::string AdPlaylist(const std::string& name, int segments, double segment_s) {
  hls::VodTrack t;
  t.duration_s = segments * segment_s;
  t.segment_s = segment_s;
  t.segment_prefix = name + "_";
  return hls::VodPlaylist(t);
}

}  // namespace

Deployment::Deployment(const BuildSpec& build_spec, origin::SyntheticStreamSpec stream)
    : build(build_spec), spec(std::move(stream)), sched(spec.start_time), kv(&sched),
      durable(&sched), origin(&sched), decision(&sched) {
  channel.org = "demo";
  channel.channel = "sports";
  for (const origin::Rendition& r : spec.renditions) {
    channel.renditions.push_back({r.name, r.bandwidth_bps, OriginUrl(r.name), r.codecs, r.resolution});
  }
  channel.slate = {"http://ads/slate.ts", spec.segment_duration_s};
  // Demuxed alternates (issue 14), spliced in lockstep: audio slate "http://ads/slate_audio.m4s"
  // (init "http://ads/slate_audio_init.mp4" on CMAF), subtitles blank "http://ads/blank.vtt".
  const bool cmaf = spec.container == "cmaf";
  for (const origin::AlternateRendition& a : spec.audio) {
    RenditionConfig r{a.id, 0, OriginUrl(a.id)};
    r.kind = RenditionKind::kAudio;
    r.group_id = "aud";
    r.language = a.language;
    r.is_default = a.is_default;
    r.slate = {cmaf ? "http://ads/slate_audio.m4s" : "http://ads/slate_audio.aac", 0,
               {cmaf ? "URI=\"http://ads/slate_audio_init.mp4\"" : "", {}}};
    channel.alternates.push_back(std::move(r));
  }
  for (const origin::AlternateRendition& a : spec.subtitles) {
    RenditionConfig r{a.id, 0, OriginUrl(a.id)};
    r.kind = RenditionKind::kSubtitles;
    r.group_id = "sub";
    r.language = a.language;
    r.is_default = a.is_default;
    r.slate = {"http://ads/blank.vtt", 0};
    channel.alternates.push_back(std::move(r));
  }
  decision.decision.pod_id = "pod";
}

void Deployment::AddAd(const std::string& id, const std::vector<int64_t>& bitrates_bps,
                       int segments, double segment_s) {
  AdItem item{id, segments * segment_s, {}};
  for (int64_t bps : bitrates_bps) {
    const std::string url = "http://ads/" + id + "/" + std::to_string(bps) + ".m3u8";
    origin.Set(url, AdPlaylist(id + "_" + std::to_string(bps), segments, segment_s));
    item.variants.push_back({bps, url});
  }
  decision.decision.items.push_back(std::move(item));
}

void Deployment::AddCreative(const std::string& id, const std::vector<int64_t>& bitrates_bps,
                             double duration_s, double segment_s) {
  AdItem item{id, duration_s, {}};
  item.segment_duration_s = segment_s;
  for (int64_t bps : bitrates_bps) {
    const std::string url = "http://ads/" + id + "/" + std::to_string(bps) + ".m3u8";
    hls::VodTrack t;
    t.duration_s = duration_s;
    t.segment_s = segment_s;
    t.segment_prefix = id + "_" + std::to_string(bps) + "_";
    origin.Set(url, hls::VodPlaylist(t));
    item.variants.push_back({bps, url});
  }
  decision.decision.items.push_back(std::move(item));
}

Status Deployment::Start() {
  coordinator = std::make_unique<Coordinator>(
      channel, CoordinatorEnv{&sched, &kv, &durable, &origin, &decision}, CoordinatorOptionsFor(build, {}));
  Publish();
  Status started = Status::Internal("coordinator did not start");
  coordinator->Start([&](Status s) { started = s; });
  sched.RunDue();
  client.Add(coordinator.get());
  edge = std::make_unique<ManifestPath>(build, std::vector<ChannelConfig>{channel},
                                        ManifestPathEnv{&sched, &kv, &client, &origin, nullptr, &beacons});
  return started;
}

void Deployment::Publish() {
  for (const origin::Rendition& r : spec.renditions) {
    origin.Set(OriginUrl(r.name), origin::MediaPlaylistAt(spec, r, sched.Now()));
  }
  for (const origin::AlternateRendition& a : spec.audio) {
    origin.Set(OriginUrl(a.id), origin::AlternatePlaylistAt(spec, a, false, sched.Now()));
  }
  for (const origin::AlternateRendition& a : spec.subtitles) {
    origin.Set(OriginUrl(a.id), origin::AlternatePlaylistAt(spec, a, true, sched.Now()));
  }
}

void Deployment::AdvanceTo(UnixMicros t) {
  while (sched.Now() < t) {
    sched.AdvanceTo(std::min(t, sched.Now() + 250'000));
    Publish();
  }
}

std::optional<ManifestResponse> Deployment::Get(const std::string& file,
                                                std::optional<InsertionMode> mode, const std::string& session) {
  std::optional<ManifestResponse> out;
  edge->Handle({channel.org, channel.channel, file, mode, session}, [&](ManifestResponse r) { out = std::move(r); });
  sched.RunDue();
  return out;
}

}  // namespace ssai::testing
