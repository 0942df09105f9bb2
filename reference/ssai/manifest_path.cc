#include "reference/ssai/manifest_path.h"

#include <algorithm>
#include <limits>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

#include "reference/base/encoding.h"
#include "reference/base/strings.h"
#include "reference/base/url.h"
#include "reference/media/hls/playlist.h"
#include "reference/ssai/read_paths/read_path.h"

namespace ssai {

std::string_view StateSourceName(StateSource source) {
  switch (source) {
    case StateSource::kNone: return "none";
    case StateSource::kKvHit: return "kv-hit";
    case StateSource::kKvMiss: return "kv-miss";
    case StateSource::kCoordinator: return "coordinator";
  }
  return "none";
}

namespace {

constexpr std::string_view kMasterFile = "master.m3u8";
constexpr std::string_view kAssetListPrefix = "al-";  // al-{hex(event id)}.json (SGAI)
// am-{hex(event id)}-{item}.m3u8: one creative's multivariant asset playlist (SGAI, issue 16).
constexpr std::string_view kAssetMasterPrefix = "am-";
constexpr size_t kMaxAssetMasterName = 512;  // am- + hex of an event id (≤ 250 bytes) + -item

// Messages quote request and origin bytes (an asset list's event id, a playlist's parse error):
// what is not UTF-8 becomes "\xHH", since nlohmann refuses to serialise it (type_error.316).
std::string JsonError(std::string_view message) {
  return nlohmann::json{{"error", EscapeInvalidUtf8(message)}}.dump();
}

ManifestResponse ErrorResponse(int http_status, std::string_view message) {
  ManifestResponse r;
  r.http_status = http_status;
  r.body = JsonError(message);
  r.content_type = "application/json";
  return r;
}

// Where the quoted URI attribute of a tag value (EXT-X-MEDIA) sits: offset and length; nullopt
// when there is none (audio in the variant) or the value does not parse.
std::optional<std::pair<size_t, size_t>> QuotedUriSpan(std::string_view value) {
  Result<hls::AttributeList> a = hls::AttributeList::Parse(value);
  if (!a.ok()) return std::nullopt;
  const hls::Attribute* uri = a->Find("URI");
  if (uri == nullptr || !uri->quoted) return std::nullopt;
  return std::pair<size_t, size_t>(static_cast<size_t>(uri->value.data() - value.data()), uri->value.size());
}

}  // namespace

// The shared machinery of every build: the origin, the coordinator call, pods, splicing and
// their memos. Where a build gets its state is its read path (read_paths/read_path.h).
struct ManifestPath::Impl : read_paths::ReadHost {
  using ChannelMemo = read_paths::ChannelMemo;
  using Op = read_paths::ManifestOp;
  using OpPtr = read_paths::OpPtr;

  BuildSpec build;
  std::vector<ChannelConfig> channels;
  ManifestPathEnv env;
  ManifestPathOptions options;
  std::unique_ptr<read_paths::StateReadPath> read_path;  // the build's

  struct LastGood {
    std::shared_ptr<const OriginDoc> doc;
    UnixMicros fetched_at = 0;
  };
  PlaylistMemo own_memo;  // when env.memo is null
  std::string splice_key;  // what else a splice output depends on: the build, the URI option
  PlaylistMemo& playlist_memo() { return env.memo ? *env.memo : own_memo; }
  std::unordered_map<std::string, LastGood> last_good;     // by origin URL (looked up, never iterated)
  std::map<std::string, ChannelMemo, std::less<>> memo;    // by channel id
  std::vector<ChannelMemo*> memo_of;                       // by index in `channels`, as met
  std::map<std::string, std::vector<AdSegment>, std::less<>> ad_playlists;  // by URL (VOD)
  BeaconTracker beacon_tracker;  // server-side tracking per viewer session (beacons.h)

  // ReadHost
  UnixMicros Now() const override { return env.scheduler->Now(); }
  KvStore& Kv() override { return *env.kv; }
  CoordinatorClient& Coordinator() override { return *env.coordinator; }
  const BuildSpec& Build() const override { return build; }
  const ManifestPathOptions& Options() const override { return options; }
  void CallCoordinator(OpPtr op, StateSource source) override;
  void FinishState(OpPtr op, StateSource source, read_paths::StatePtr state) override;

  // Channels by name (`channels` does not change after construction; the views point into it):
  // a scan of a 100-channel list's names was ~5 % of a simulator run.
  std::unordered_map<std::string_view, const ChannelConfig*> by_channel;
  const ChannelConfig* FindChannel(std::string_view org, std::string_view channel) const {
    auto it = by_channel.find(channel);
    if (it != by_channel.end() && it->second->org == org) return it->second;
    // Two orgs with one channel name: the map holds the first; the others are found in order.
    for (const ChannelConfig& c : channels) {
      if (c.org == org && c.channel == channel) return &c;
    }
    return nullptr;
  }

  void Handle(const ManifestRequest& request, std::function<void(ManifestResponse)> done);

  // --- origin ---
  // Fetches and parses `url`; on failure falls back to the last good playlist if it is fresh
  // enough (`stale` says so).
  void FetchOrigin(const std::string& url, std::function<void(Result<hls::Playlist>, bool stale)> cb);
  // The same, without copying: the memo's shared parse.
  void FetchOriginDoc(const std::string& url,
                      std::function<void(Result<std::shared_ptr<const OriginDoc>>, bool stale)> cb);
  void HandleMaster(OpPtr op);
  void HandleAssetList(OpPtr op, std::string_view file);
  void HandleAssetMaster(OpPtr op, std::string_view name);

  // --- state: the build's read path (read_paths/), then FinishState ---
  void GetState(OpPtr op) { read_path->Read(*this, op); }

  // --- pods and splicing ---
  void ResolvePods(OpPtr op);
  // The ad media playlists of one break's items for this rendition, in item order.
  std::vector<std::string> AdPlaylistUrls(const Op& op, std::string_view event_id) const;
  // One item's ad media playlist for the op's rendition: the variant its bandwidth picks (video),
  // the audio of its language (audio), none (subtitles, or an item without media for it): "".
  std::string AdPlaylistUrl(const Op& op, const AdItem& item) const;
  void AssemblePodsAndSplice(OpPtr op);
  void Splice(OpPtr op);
  // Server-side tracking: the beacons this delivery makes due for the request's session.
  void FireBeacons(Op& op, const SpliceOutput& output);
};

ManifestPath::ManifestPath(BuildSpec build, std::vector<ChannelConfig> channels,
                           ManifestPathEnv env, ManifestPathOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->build = std::move(build);
  impl_->read_path = read_paths::MakeReadPath(impl_->build.read_path);
  impl_->channels = std::move(channels);
  for (const ChannelConfig& c : impl_->channels) impl_->by_channel.emplace(c.channel, &c);
  impl_->memo_of.assign(impl_->channels.size(), nullptr);
  impl_->env = env;
  impl_->options = options;
  impl_->beacon_tracker = BeaconTracker(options.beacons);
  impl_->splice_key = impl_->build.name + (options.absolute_content_uris ? "|absolute" : "|relative");
}

ManifestPath::~ManifestPath() = default;

const BuildSpec& ManifestPath::build() const { return impl_->build; }

const ChannelConfig* ManifestPath::FindChannel(std::string_view org, std::string_view channel) const {
  return impl_->FindChannel(org, channel);
}

const BeaconTracker& ManifestPath::beacon_tracker() const { return impl_->beacon_tracker; }

int ManifestPath::StartDueRefresh(size_t index) {
  if (index >= impl_->memo_of.size() || impl_->memo_of[index] == nullptr) return 0;
  return impl_->read_path->RefreshIfDue(*impl_, *impl_->memo_of[index], impl_->channels[index].channel_id()) ? 1 : 0;
}

std::optional<ManifestPath::ChannelView> ManifestPath::ChannelViewOf(size_t index) const {
  if (index >= impl_->memo_of.size() || impl_->memo_of[index] == nullptr) return std::nullopt;
  const read_paths::ChannelMemo& m = *impl_->memo_of[index];
  const DurationMicros interval = impl_->options.channel_state_refresh_us;
  return ChannelView{m.generation, m.probe_in_flight,
                     interval > 0 ? m.last_refresh + interval : std::numeric_limits<UnixMicros>::max()};
}

void ManifestPath::Handle(const ManifestRequest& request, std::function<void(ManifestResponse)> done) {
  impl_->Handle(request, std::move(done));
}

void ManifestPath::Impl::Handle(const ManifestRequest& request,
                                std::function<void(ManifestResponse)> done) {
  // Names are checked before they reach a key or a URL (no traversal, no odd characters).
  if (!IsValidName(request.org)) return done(ErrorResponse(400, "org: invalid name"));
  if (!IsValidName(request.channel)) return done(ErrorResponse(400, "channel: invalid name"));
  if (!request.session.empty() && !IsValidSessionId(request.session)) {
    return done(ErrorResponse(400, "session: must match [A-Za-z0-9._-]{1,64}"));
  }
  const ChannelConfig* channel = FindChannel(request.org, request.channel);
  if (channel == nullptr) {
    return done(ErrorResponse(404, "unknown channel '" + request.org + "/" + request.channel + "'"));
  }
  auto op = std::make_shared<Op>();
  op->request = request;
  op->channel = channel;
  // The channel's memo, found by name once per channel (map nodes are stable).
  ChannelMemo*& channel_memo = memo_of[static_cast<size_t>(channel - channels.data())];
  if (channel_memo == nullptr) channel_memo = &memo[channel->channel_id()];
  op->channel_memo = channel_memo;
  op->mode = request.mode.value_or(channel->default_mode);
  op->done = std::move(done);
  const std::string& file = request.file;
  if (file == kMasterFile) return HandleMaster(op);
  if (file.starts_with(kAssetListPrefix) && file.ends_with(".json")) return HandleAssetList(op, file);
  constexpr std::string_view kExt = ".m3u8";
  if (!file.ends_with(kExt)) return op->done(ErrorResponse(404, "file: not a playlist"));
  const std::string_view name = std::string_view(file).substr(0, file.size() - kExt.size());
  // A creative's asset playlist names its break in hex (am-{hex}-{i}): longer than a rendition
  // name may be (a 32-byte event id is 64 hex digits), so it is routed before that check and
  // HandleAssetMaster checks its own form.
  const bool valid_name = IsValidName(name);
  op->rendition = valid_name ? channel->FindRendition(name) : nullptr;
  if (op->rendition == nullptr && name.starts_with(kAssetMasterPrefix) && name.size() <= kMaxAssetMasterName) {
    return HandleAssetMaster(op, name);
  }
  if (!valid_name) return op->done(ErrorResponse(400, "file: invalid name"));
  if (op->rendition == nullptr) {
    return op->done(ErrorResponse(404, "unknown rendition '" + std::string(name) + "'"));
  }
  // Alternates number after the variants (the misaligned-renditions defect shifts index > 0).
  op->rendition_index = op->rendition->kind == RenditionKind::kVideo
                            ? static_cast<size_t>(op->rendition - channel->renditions.data())
                            : channel->renditions.size() + static_cast<size_t>(op->rendition - channel->alternates.data());

  FetchOriginDoc(op->rendition->origin_url, [this, op](Result<std::shared_ptr<const OriginDoc>> doc, bool stale) {
    if (!doc.ok()) {
      const int status = doc.status().code() == StatusCode::kDeadlineExceeded ? 504 : 502;
      return op->done(ErrorResponse(status, "origin: " + doc.status().message()));
    }
    if ((*doc)->media() == nullptr) {
      return op->done(ErrorResponse(502, "origin: a multivariant playlist where a media playlist belongs"));
    }
    op->response.served_stale_origin = stale;
    op->origin_doc = std::move(doc).value();
    GetState(op);
  });
}

void ManifestPath::Impl::FetchOrigin(const std::string& url,
                                     std::function<void(Result<hls::Playlist>, bool)> cb) {
  FetchOriginDoc(url, [cb = std::move(cb)](Result<std::shared_ptr<const OriginDoc>> doc, bool stale) {
    if (!doc.ok()) return cb(doc.status(), stale);
    cb((*doc)->playlist(), stale);
  });
}

void ManifestPath::Impl::FetchOriginDoc(
    const std::string& url, std::function<void(Result<std::shared_ptr<const OriginDoc>>, bool)> cb) {
  env.origin->Fetch(url, [this, url, cb = std::move(cb)](Result<OriginClient::Response> r) {
    Status problem;
    if (r.ok() && r->http_status == 200) {
      // Only playlists that parse become the fallback, so it is always servable. An unchanged
      // response (same version, or same text) is not parsed again (playlist_memo.h).
      Result<std::shared_ptr<const OriginDoc>> parsed = playlist_memo().Parse(url, r->version, r->body);
      if (parsed.ok()) {
        LastGood& lg = last_good[url];
        lg.doc = *parsed;
        lg.fetched_at = Now();
        return cb(std::move(parsed), false);
      }
      problem = Status::InvalidArgument("playlist: " + parsed.status().message());
    } else if (r.ok()) {
      problem = Status::Unavailable("origin answered HTTP " + std::to_string(r->http_status));
    } else {
      problem = r.status();
    }
    auto it = last_good.find(url);
    if (it != last_good.end() && Now() - it->second.fetched_at <= options.origin_last_good_max_age_us) {
      return cb(it->second.doc, true);
    }
    cb(problem, false);
  });
}

void ManifestPath::Impl::HandleMaster(OpPtr op) {
  const ChannelConfig& ch = *op->channel;
  if (ch.origin_master_url.empty()) {
    // No origin master: one from the configured renditions. RFC 8216 §4.3.4.2: CODECS (a
    // quoted-string) SHOULD be on every EXT-X-STREAM-INF, RESOLUTION on video variants; written
    // when configured (attribute order as the synthetic origin writes them). No EXT-X-VERSION:
    // nothing here needs more than version 1 (RFC 8216 §7 lists no version for these tags and
    // attributes), a version-1 playlist needs no tag (§7), and it SHOULD NOT be higher than the
    // playlist needs (bis §6.2.1). The media playlists declare their own (3: float EXTINF).
    std::string body = "#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n";
    // Demuxed alternates (issue 14): one EXT-X-MEDIA each (bis §4.4.6.1: TYPE, GROUP-ID, NAME
    // required; URI required for SUBTITLES; DEFAULT=YES needs AUTOSELECT=YES), pointing at us.
    std::string audio_group, subtitle_group;
    for (const RenditionConfig& a : ch.alternates) {
      const bool audio = a.kind == RenditionKind::kAudio;
      (audio ? audio_group : subtitle_group) = a.group_id;
      body += std::string("#EXT-X-MEDIA:TYPE=") + (audio ? "AUDIO" : "SUBTITLES") + ",GROUP-ID=\"" + a.group_id +
              "\",NAME=\"" + a.name + "\"";
      if (!a.language.empty()) body += ",LANGUAGE=\"" + a.language + "\"";
      body += std::string(",DEFAULT=") + (a.is_default ? "YES" : "NO") + ",AUTOSELECT=YES,URI=\"" + a.name +
              ".m3u8" + (op->request.session.empty() ? "" : "?session=" + op->request.session) + "\"\n";
    }
    for (const RenditionConfig& r : ch.renditions) {
      body += "#EXT-X-STREAM-INF:BANDWIDTH=" + std::to_string(r.bandwidth_bps);
      if (!r.resolution.empty()) body += ",RESOLUTION=" + r.resolution;
      if (!r.codecs.empty()) body += ",CODECS=\"" + r.codecs + "\"";
      if (!audio_group.empty()) body += ",AUDIO=\"" + audio_group + "\"";
      if (!subtitle_group.empty()) body += ",SUBTITLES=\"" + subtitle_group + "\"";
      body += "\n" + r.name + ".m3u8" + (op->request.session.empty() ? "" : "?session=" + op->request.session) + "\n";
    }
    op->response.body = std::move(body);
    return op->done(std::move(op->response));
  }
  FetchOrigin(ch.origin_master_url, [op](Result<hls::Playlist> playlist, bool stale) {
    if (!playlist.ok()) {
      const int status = playlist.status().code() == StatusCode::kDeadlineExceeded ? 504 : 502;
      return op->done(ErrorResponse(status, "origin: " + playlist.status().message()));
    }
    auto* master = std::get_if<hls::MasterPlaylist>(&*playlist);
    if (master == nullptr) {
      return op->done(ErrorResponse(502, "origin: a media playlist where the multivariant playlist belongs"));
    }
    // Variants we serve point at us (relative: "{rendition}.m3u8"); anything else at the origin.
    const std::string& base = op->channel->origin_master_url;
    const std::string session_query = op->request.session.empty() ? "" : "?session=" + op->request.session;
    for (hls::MasterItem& item : master->mutable_items()) {
      // Demuxed audio/subtitle renditions (EXT-X-MEDIA URI) the channel lists are spliced in
      // lockstep with the variants (issue 14) and point at us like them; the others and I-frame
      // playlists stay the origin's, absolute, or a relative URI would reach us.
      if (item.tag.type == hls::TagType::kMedia || item.tag.type == hls::TagType::kIFrameStreamInf) {
        item.tag.value = ResolveTagUri(item.tag.value, base);
        if (item.tag.type != hls::TagType::kMedia) continue;
        const std::optional<std::pair<size_t, size_t>> span = QuotedUriSpan(item.tag.value);
        if (!span) continue;  // audio in the variant (bis §4.4.6.1: no URI)
        const std::string uri = item.tag.value.substr(span->first, span->second);
        for (const RenditionConfig& a : op->channel->alternates) {
          if (ResolveUrl(base, a.origin_url) == uri) {
            item.tag.value.replace(span->first, span->second, a.name + ".m3u8" + session_query);
            break;
          }
        }
        continue;
      }
      if (item.tag.type != hls::TagType::kStreamInf) continue;
      const std::string absolute = ResolveUrl(base, item.uri);
      item.uri = absolute;
      for (const RenditionConfig& r : op->channel->renditions) {
        if (ResolveUrl(base, r.origin_url) == absolute) {
          item.uri = r.name + ".m3u8" + session_query;
        }
      }
    }
    op->response.served_stale_origin = stale;
    op->response.body = hls::Serialize(*master);
    op->done(std::move(op->response));
  });
}

void ManifestPath::Impl::HandleAssetList(OpPtr op, std::string_view file) {
  // SGAI X-ASSET-LIST (bis Appendix D.2): {"ASSETS":[{"URI":..,"DURATION":..}]} for one break.
  const std::string_view hex = file.substr(kAssetListPrefix.size(), file.size() - kAssetListPrefix.size() - 5);
  Result<Bytes> id_bytes = HexDecode(hex);
  if (!id_bytes.ok() || id_bytes->empty()) return op->done(ErrorResponse(400, "asset list: bad event id"));
  const std::string event_id(id_bytes->begin(), id_bytes->end());
  op->response.content_type = "application/json";
  // The asset list needs the decision: use the coordinator's view (asset lists are fetched once
  // per break per player, not on every reload).
  env.coordinator->GetChannelState(op->channel->channel_id(), [this, op, event_id](Result<ChannelState> st) {
    if (!st.ok()) return op->done(ErrorResponse(502, "asset list: " + st.status().message()));
    for (const AdBreakState& b : st->breaks) {
      if (b.event_id != event_id) continue;
      nlohmann::json assets = nlohmann::json::array();
      const std::string hex_id = HexEncode(Bytes(event_id.begin(), event_id.end()));
      for (size_t i = 0; i < b.decision.items.size(); ++i) {
        const AdItem& item = b.decision.items[i];
        if (item.variants.empty()) continue;
        // Each creative as a multivariant playlist (am-{hex}-{i}.m3u8, relative to this list):
        // the player picks the variant that fits the one it plays (bis Appendix D.2: an asset
        // is played like any other playlist). One list for every viewer, so the DATERANGE naming
        // it stays identical across variants (bis §4.4.5.1; variants.dateranges_identical).
        // DEFECT(sgai_top_variant_asset): the top variant's media playlist for everyone.
        const std::string uri = build.defects.sgai_top_variant_asset
                                    ? item.variants.back().url
                                    : op->request.public_base_url + std::string(kAssetMasterPrefix) + hex_id + "-" +
                                          std::to_string(i) + ".m3u8";
        assets.push_back({{"URI", uri}, {"DURATION", item.duration_s}});
      }
      op->response.body = nlohmann::json{{"ASSETS", assets}}.dump();
      op->response.coordinator_calls = 1;
      return op->done(std::move(op->response));
    }
    op->done(ErrorResponse(404, "asset list: no break '" + event_id + "'"));
  });
}

void ManifestPath::Impl::HandleAssetMaster(OpPtr op, std::string_view name) {
  // am-{hex(event id)}-{item}: the creative's variants as a multivariant playlist (RFC 8216
  // §4.3.4.2), so an SGAI player chooses the one its bandwidth allows (issue 16).
  const std::string_view rest = name.substr(kAssetMasterPrefix.size());
  const size_t dash = rest.rfind('-');
  if (dash == std::string_view::npos) return op->done(ErrorResponse(404, "unknown rendition '" + std::string(name) + "'"));
  Result<Bytes> id_bytes = HexDecode(rest.substr(0, dash));
  const std::optional<int64_t> item_index = ParseInt64(rest.substr(dash + 1));
  if (!id_bytes.ok() || id_bytes->empty() || !item_index || *item_index < 0) {
    return op->done(ErrorResponse(404, "unknown rendition '" + std::string(name) + "'"));
  }
  const std::string event_id(id_bytes->begin(), id_bytes->end());
  const size_t index = static_cast<size_t>(*item_index);
  env.coordinator->GetChannelState(op->channel->channel_id(), [op, event_id, index](Result<ChannelState> st) {
    if (!st.ok()) return op->done(ErrorResponse(502, "asset: " + st.status().message()));
    for (const AdBreakState& b : st->breaks) {
      if (b.event_id != event_id) continue;
      if (index >= b.decision.items.size() || b.decision.items[index].variants.empty()) break;
      // The ads are transcoded to the channel's ladder (DESIGN.md Splicer): a variant of a
      // rendition's bandwidth gets that rendition's RESOLUTION and CODECS (§4.3.4.2: SHOULD).
      std::string body = "#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n";
      for (const AdVariant& v : b.decision.items[index].variants) {
        body += "#EXT-X-STREAM-INF:BANDWIDTH=" + std::to_string(v.bitrate_bps);
        for (const RenditionConfig& r : op->channel->renditions) {
          if (r.bandwidth_bps != v.bitrate_bps) continue;
          if (!r.resolution.empty()) body += ",RESOLUTION=" + r.resolution;
          if (!r.codecs.empty()) body += ",CODECS=\"" + r.codecs + "\"";
          break;
        }
        body += "\n" + v.url + "\n";
      }
      op->response.body = std::move(body);
      op->response.coordinator_calls = 1;
      return op->done(std::move(op->response));
    }
    op->done(ErrorResponse(404, "asset: no creative " + std::to_string(index) + " in break '" + event_id + "'"));
  });
}

void ManifestPath::Impl::CallCoordinator(OpPtr op, StateSource source) {
  ++op->response.coordinator_calls;
  const std::string channel_id = op->channel->channel_id();
  memo[channel_id].probe_in_flight = true;
  env.coordinator->GetChannelState(channel_id, [this, op, source, channel_id](Result<ChannelState> r) {
    ChannelMemo& m = memo[channel_id];
    m.probe_in_flight = false;
    auto waiters = std::move(m.probe_waiters);
    m.probe_waiters.clear();
    if (!r.ok()) {
      // Coordinator down or overloaded: serve the stream without ads rather than fail it.
      op->response.warnings.push_back("coordinator: " + r.status().message());
      FinishState(op, StateSource::kNone, m.freshest);
      for (auto& [waiter, doc] : waiters) FinishState(waiter, StateSource::kKvHit, std::move(doc));
      return;
    }
    auto answer = std::make_shared<const ChannelState>(std::move(r).value());
    if (!m.freshest || m.freshest->version <= answer->version) {
      if (!m.freshest || !ChannelMemo::SameForAnswers(*m.freshest, *answer)) m.Changed();
      m.freshest = answer;
    }
    for (auto& [waiter, doc] : waiters) FinishState(waiter, StateSource::kKvMiss, m.freshest);
    FinishState(op, source, std::move(answer));
  });
}

void ManifestPath::Impl::FinishState(OpPtr op, StateSource source, read_paths::StatePtr state) {
  op->response.source = source;
  ChannelMemo& m = *op->channel_memo;
  if (state) {
    if (state->discontinuities_total >= m.ledger_seen) {
      m.ledger_seen = state->discontinuities_total;
      m.msn_ledger_seen = state->media_sequence_total;
    }
  } else if (m.ledger_seen > 0) {
    // No state: keep numbering with the ledger this edge has seen, so DISCONTINUITY-SEQUENCE
    // never goes back (the no-state builds need this once break keys expire).
    ChannelState s;
    s.channel_id = op->channel->channel_id();
    s.discontinuities_total = m.ledger_seen;
    s.media_sequence_total = m.msn_ledger_seen;
    state = std::make_shared<const ChannelState>(std::move(s));
  }
  op->state = std::move(state);
  read_path->AfterState(*this, *op);  // kv-stateless holds back what KV does not explain
  ResolvePods(op);
}

void ManifestPath::Impl::ResolvePods(OpPtr op) {
  op->breaks.clear();
  if (build.defects.audio_not_spliced && op->rendition->kind == RenditionKind::kAudio) {
    op->state.reset();  // DEFECT(audio_not_spliced): the origin's audio, content under ad video
    return Splice(op);
  }
  if (op->state) {
    const std::vector<hls::MediaSegment>& segs = op->origin().segments();
    std::optional<UnixMicros> window_start = segs.empty() ? std::nullopt : op->origin_doc->FirstSegmentStart();
    for (const AdBreakState& b : op->state->breaks) {
      SpliceBreak sb;
      sb.event_id = b.event_id;
      sb.start_time = b.start_time;
      sb.end_time = b.end_time;
      if (build.defects.ignore_end_time) {
        // DEFECT(ignore_end_time): the break lasts as long as its KV key.
        sb.end_time = b.start_time + AdBreakTtlSeconds(b.duration_s) * kMicrosPerSecond;
      }
      if (build.defects.misaligned_renditions && op->rendition_index > 0) {
        // DEFECT(misaligned_renditions): this rendition splices one segment late.
        const DurationMicros shift = op->origin().target_duration_s().value_or(6) * kMicrosPerSecond;
        sb.start_time += shift;
        sb.end_time += shift;
      }
      // Breaks wholly before the window only count through the ledger.
      if (window_start && sb.end_time <= *window_start - kSpliceToleranceUs) continue;
      if (op->mode == InsertionMode::kSgai) {
        sb.asset_list_uri = std::string(kAssetListPrefix) +
                            HexEncode(Bytes(b.event_id.begin(), b.event_id.end())) + ".json";
      }
      op->breaks.push_back(std::move(sb));
    }
  }
  if (op->mode == InsertionMode::kSgai || op->breaks.empty()) return Splice(op);
  // SSAI: each item's media playlist for this rendition's bandwidth; fetch those not cached yet
  // (all at once), then assemble the pods in item order.
  std::vector<std::string> missing;
  for (const SpliceBreak& sb : op->breaks) {
    for (const std::string& url : AdPlaylistUrls(*op, sb.event_id)) {
      if (!ad_playlists.count(url) && std::find(missing.begin(), missing.end(), url) == missing.end()) {
        missing.push_back(url);
      }
    }
  }
  if (missing.empty()) return AssemblePodsAndSplice(op);
  op->response.reuse_generation = 0;  // what the fetches bring (or fail to) is not a pure function
  op->pending_fetches = static_cast<int>(missing.size());
  for (const std::string& url : missing) {
    env.origin->Fetch(url, [this, op, url](Result<OriginClient::Response> r) {
      if (r.ok() && r->http_status == 200) {
        Result<hls::MediaPlaylist> p = hls::ParseMedia(r->body);
        if (p.ok()) {
          std::vector<AdSegment> segments;
          // fMP4 / encrypted ads: the init and keys each segment needs (splicer.h).
          std::vector<AdMedia> media = AdMediaOf(*p, url);
          for (size_t i = 0; i < p->segments().size(); ++i) {
            const hls::MediaSegment& s = p->segments()[i];
            segments.push_back({ResolveUrl(url, s.uri()), s.duration_s(), std::move(media[i])});
          }
          ad_playlists[url] = std::move(segments);
        } else {
          op->response.warnings.push_back("ad playlist " + url + ": " + p.status().message());
        }
      } else {
        op->response.warnings.push_back(
            "ad playlist " + url + ": " +
            (r.ok() ? "HTTP " + std::to_string(r->http_status) : r.status().message()));
      }
      if (--op->pending_fetches == 0) AssemblePodsAndSplice(op);
    });
  }
}

std::vector<std::string> ManifestPath::Impl::AdPlaylistUrls(const Op& op, std::string_view event_id) const {
  std::vector<std::string> urls;
  for (const AdBreakState& b : op.state->breaks) {
    if (b.event_id != event_id) continue;
    for (const AdItem& item : b.decision.items) {
      std::string url = AdPlaylistUrl(op, item);
      if (!url.empty()) urls.push_back(std::move(url));
    }
  }
  return urls;
}

std::string ManifestPath::Impl::AdPlaylistUrl(const Op& op, const AdItem& item) const {
  switch (op.rendition->kind) {
    case RenditionKind::kVideo: {
      if (item.variants.empty()) return "";
      std::vector<int64_t> bitrates;
      for (const AdVariant& v : item.variants) bitrates.push_back(v.bitrate_bps);
      int pick = PickVariant(bitrates, op.rendition->bandwidth_bps);
      // DEFECT(ignore_bitrate): the highest bitrate for everyone.
      if (build.defects.ignore_bitrate) pick = static_cast<int>(item.variants.size()) - 1;
      return item.variants[static_cast<size_t>(pick)].url;
    }
    case RenditionKind::kAudio:
      // The ad's audio in this rendition's language, else its default (the first): an ad in one
      // language is heard in it on every audio rendition (MediaTailor copies the ad's default audio
      // into every alternate). No audio at all: the rendition's slate plays its time.
      for (const AdAudio& a : item.audio) {
        if (!op.rendition->language.empty() && a.language == op.rendition->language) return a.url;
      }
      return item.audio.empty() ? "" : item.audio.front().url;
    case RenditionKind::kSubtitles:
      return "";  // blank during the break (README "Demuxed audio and subtitles")
  }
  return "";
}

void ManifestPath::Impl::AssemblePodsAndSplice(OpPtr op) {
  for (SpliceBreak& sb : op->breaks) {
    const AdBreakState* state = nullptr;
    for (const AdBreakState& b : op->state->breaks) {
      if (b.event_id == sb.event_id) state = &b;
    }
    if (state != nullptr && state->decision.IsPod()) {
      // A pod of creatives (splicer.h): each creative keeps its timeline; its URIs come from this
      // rendition's variant of it (a failed fetch leaves none: slate plays in its time).
      for (const AdItem& item : state->decision.items) {
        PodCreative c;
        c.id = item.id;
        c.duration_s = item.duration_s;
        c.segment_duration_s = item.segment_duration_s.value_or(0);
        if (const std::string url = AdPlaylistUrl(*op, item); !url.empty()) {
          auto it = ad_playlists.find(url);
          if (it != ad_playlists.end()) {
            for (const AdSegment& a : it->second) c.segment_uris.push_back(a.uri);
            // One init and key per creative rendition, as packagers write an ad's playlist.
            if (!it->second.empty()) c.media = it->second.front().media;
          }
        }
        sb.creatives.push_back(std::move(c));
      }
      continue;
    }
    for (const std::string& url : AdPlaylistUrls(*op, sb.event_id)) {
      auto it = ad_playlists.find(url);
      if (it == ad_playlists.end()) continue;  // failed to load: slate fills its time
      sb.ad_segments.insert(sb.ad_segments.end(), it->second.begin(), it->second.end());
    }
  }
  Splice(op);
}

void ManifestPath::Impl::Splice(OpPtr op) {
  SpliceOptions splice_options;
  splice_options.mode = op->mode;
  splice_options.slate = op->channel->slate;
  if (op->rendition->kind != RenditionKind::kVideo) {
    // An alternate's own slate (silence, a blank WebVTT segment) on the variants' slate timing,
    // so a pod's slate pieces lay out the same in every rendition (splicer.h LayOutPod).
    splice_options.slate.uri = op->rendition->slate.uri;
    splice_options.slate.media = op->rendition->slate.media;
    splice_options.blank_ads = op->rendition->kind == RenditionKind::kSubtitles;
  }
  if (op->state) {
    // The ledgers before the first break passed to the splicer; all of them when none is passed.
    splice_options.inserted_discontinuities_before = op->state->discontinuities_total;
    splice_options.media_sequence_offset_before = op->state->media_sequence_total;
    if (!op->breaks.empty()) {
      for (const AdBreakState& b : op->state->breaks) {
        if (b.event_id == op->breaks.front().event_id) {
          splice_options.inserted_discontinuities_before = b.discontinuities_before.value_or(0);
          splice_options.media_sequence_offset_before = b.media_sequence_before.value_or(0);
          break;
        }
      }
    }
  }
  // DEFECT(no_discontinuity_ledger): earlier breaks forgotten.
  if (build.defects.no_discontinuity_ledger) splice_options.inserted_discontinuities_before = 0;

  // The output is a pure function of (origin parse, breaks, options, rendition, build): reuse
  // it when another request (this edge's or, with a shared memo, another POP's) spliced the same.
  ManifestResponse& resp = op->response;
  if (const hls::MediaPlaylist& o = op->origin(); !o.segments().empty()) {
    resp.newest_slot_msn = o.SequenceNumberOf(o.segments().size() - 1);
  }
  PlaylistMemo& pm = playlist_memo();
  const std::string& url = op->rendition->origin_url;
  if (const SpliceOutput* hit = pm.FindSplice(url, op->origin_doc.get(), splice_key, op->breaks, splice_options)) {
    resp.in_break = hit->in_break;
    resp.ad_segments = hit->ad_segments;
    resp.slate_segments = hit->slate_segments;
    resp.warnings.insert(resp.warnings.end(), hit->warnings.begin(), hit->warnings.end());
    resp.event_id = hit->event_id;
    resp.body = hit->body;
    FireBeacons(*op, *hit);
    return op->done(std::move(resp));
  }
  hls::MediaPlaylist origin = op->origin();
  if (options.absolute_content_uris) {
    for (hls::MediaSegment& s : origin.mutable_segments()) {
      if (!HasScheme(s.uri())) s.set_uri(ResolveUrl(op->rendition->origin_url, s.uri()));
      // The init segment and key URIs are relative to the origin playlist too.
      for (hls::Tag& t : s.mutable_tags()) {
        if (t.type == hls::TagType::kMap || t.type == hls::TagType::kKey) {
          t.value = ResolveTagUri(t.value, op->rendition->origin_url);
        }
      }
    }
  }
  Result<SpliceResult> spliced = ssai::Splice(std::move(origin), op->breaks, splice_options);
  if (!spliced.ok()) {
    // The origin's playlist cannot carry the break (no PDT): the origin is at fault, a 502 like
    // any other unusable origin answer. Anything else is a bad state or configuration: ours.
    if (spliced.status().code() == StatusCode::kFailedPrecondition) {
      return op->done(ErrorResponse(502, "origin: " + spliced.status().message()));
    }
    return op->done(ErrorResponse(500, "splice: " + spliced.status().message()));
  }
  SpliceResult& result = *spliced;
  hls::MediaPlaylist& out = result.playlist;

  if (build.defects.reset_media_sequence && result.in_break) {
    out.SetMediaSequence(0);  // DEFECT(reset_media_sequence)
  }
  // The defect builds' view of the output: an ad, creative or slate segment of this op's breaks.
  auto is_ad = [&](const hls::MediaSegment& s) {
    if (s.uri() == splice_options.slate.uri) return true;
    for (const SpliceBreak& b : op->breaks) {
      for (const AdSegment& a : b.ad_segments) {
        if (a.uri == s.uri()) return true;
      }
      for (const PodCreative& c : b.creatives) {
        for (const std::string& u : c.segment_uris) {
          if (u == s.uri()) return true;
        }
      }
    }
    return false;
  };
  if (build.defects.no_discontinuity_on_return) {
    // DEFECT(no_discontinuity_on_return): drop the tag on content that follows an ad or slate.
    std::vector<hls::MediaSegment>& segs = out.mutable_segments();
    for (size_t i = 1; i < segs.size(); ++i) {
      if (segs[i].discontinuity() && !is_ad(segs[i]) && is_ad(segs[i - 1])) segs[i].SetDiscontinuity(false);
    }
  }

  if (build.defects.no_creative_discontinuity) {
    // DEFECT(no_creative_discontinuity): a pod stitched as one timeline: the DISCONTINUITY of
    // every creative but the first, and of the slate, dropped.
    std::vector<hls::MediaSegment>& segs = out.mutable_segments();
    auto in_pod = [&](const hls::MediaSegment& s) {
      if (s.uri() == splice_options.slate.uri) return true;
      for (const SpliceBreak& b : op->breaks) {
        for (const PodCreative& c : b.creatives) {
          for (const std::string& u : c.segment_uris) {
            if (u == s.uri()) return true;
          }
        }
      }
      return false;
    };
    for (size_t i = 1; i < segs.size(); ++i) {
      if (segs[i].discontinuity() && in_pod(segs[i]) && in_pod(segs[i - 1])) segs[i].SetDiscontinuity(false);
    }
  }

  if (build.defects.ads_inherit_content_media) {
    // DEFECT(ads_inherit_content_media): the MAP/KEY declarations the splicer made for ads, and
    // the content's again on return, dropped: the content's init and key stay in force.
    std::vector<hls::MediaSegment>& segs = out.mutable_segments();
    bool after_ad = false;
    for (size_t i = 0; i < segs.size(); ++i) {
      const bool ad = is_ad(segs[i]);
      if (ad || after_ad) {
        segs[i].RemoveTags(hls::TagType::kMap);
        segs[i].RemoveTags(hls::TagType::kKey);
      }
      after_ad = ad;
    }
  }

  if (build.defects.subtitles_keep_content && op->rendition->kind == RenditionKind::kSubtitles) {
    // DEFECT(subtitles_keep_content): each blank segment of the break replaced by the content cue
    // segment the origin has at that time: numbering and DISCONTINUITYs right, content cues shown.
    const hls::MediaPlaylist& in = op->origin();
    std::vector<hls::MediaSegment>& segs = out.mutable_segments();
    for (size_t i = 0; i < segs.size(); ++i) {
      if (segs[i].uri() != splice_options.slate.uri) continue;
      const std::optional<UnixMicros> t = out.SegmentStartTime(i);
      for (size_t k = 0; t && k < in.segments().size(); ++k) {
        const std::optional<UnixMicros> o = in.SegmentStartTime(k);
        if (o && *t >= *o - kSpliceToleranceUs && *t < *o + SecondsToMicros(in.segments()[k].duration_s()) - kSpliceToleranceUs) {
          segs[i].set_uri(options.absolute_content_uris ? ResolveUrl(op->rendition->origin_url, in.segments()[k].uri())
                                                        : in.segments()[k].uri());
          break;
        }
      }
    }
  }

  SpliceOutput output;
  output.in_break = result.in_break;
  output.ad_segments = result.ad_segments;
  output.slate_segments = result.slate_segments;
  output.warnings = std::move(result.warnings);
  if (result.in_break && !out.segments().empty()) {
    std::optional<UnixMicros> last = out.SegmentStartTime(out.segments().size() - 1);
    for (const SpliceBreak& b : op->breaks) {
      if (last && *last >= b.start_time - kSpliceToleranceUs && *last < b.end_time - kSpliceToleranceUs) {
        output.event_id = b.event_id;
      }
    }
  }
  output.body = hls::Serialize(out);
  output.pod_segments = std::move(result.pod_segments);
  output.target_duration_s = out.target_duration_s().value_or(0);
  if (!out.segments().empty()) {
    if (std::optional<UnixMicros> last = out.SegmentStartTime(out.segments().size() - 1)) {
      output.window_end = *last + SecondsToMicros(out.segments().back().duration_s());
    }
  }
  FireBeacons(*op, output);
  resp.in_break = output.in_break;
  resp.ad_segments = output.ad_segments;
  resp.slate_segments = output.slate_segments;
  resp.warnings.insert(resp.warnings.end(), output.warnings.begin(), output.warnings.end());
  resp.event_id = output.event_id;
  resp.body = output.body;
  pm.PutSplice(url, op->origin_doc, splice_key, op->breaks, splice_options, std::move(output));
  op->done(std::move(resp));
}

void ManifestPath::Impl::FireBeacons(Op& op, const SpliceOutput& output) {
  // Every playlist of a session counts, ads or not: the session joins at its first playlist, so
  // an edge that learns of a break late still fires for the pod segments it then lists (the
  // viewer has been playing since before them).
  if (env.beacons == nullptr || op.request.session.empty() || op.mode != InsertionMode::kSsai) return;
  // A player loads one variant and its alternates under one session: the variant's playlists
  // carry the delivery (the alternates have the same layout, issue 14).
  if (op.rendition->kind != RenditionKind::kVideo) return;
  static const std::vector<AdBreakState> kNoBreaks;
  const std::vector<AdBreakState>& breaks = op.state ? op.state->breaks : kNoBreaks;
  std::vector<Beacon> due =
      build.defects.beacons_on_decision
          // DEFECT(beacons_on_decision): everything as soon as the session sees the break.
          ? beacon_tracker.OnDecision(op.request.session, Now(), output.pod_segments, breaks)
          : beacon_tracker.OnPlaylist(op.request.session, Now(), output.window_end, output.target_duration_s,
                                      output.pod_segments, breaks);
  op.response.beacons += static_cast<int>(due.size());
  for (Beacon& b : due) {
    b.device_ip = op.request.device_ip;
    b.device_user_agent = op.request.device_user_agent;
    env.beacons->Fire(std::move(b));
  }
}

}  // namespace ssai
