#include "reference/ssai/playlist_memo.h"

#include <utility>

namespace ssai {

namespace {

bool SameAdSegments(const std::vector<AdSegment>& a, const std::vector<AdSegment>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].duration_s != b[i].duration_s || a[i].uri != b[i].uri || !(a[i].media == b[i].media)) return false;
  }
  return true;
}

bool SameCreatives(const std::vector<PodCreative>& a, const std::vector<PodCreative>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].id != b[i].id || a[i].duration_s != b[i].duration_s ||
        a[i].segment_duration_s != b[i].segment_duration_s || a[i].segment_uris != b[i].segment_uris ||
        !(a[i].media == b[i].media)) {
      return false;
    }
  }
  return true;
}

bool SameBreaks(std::span<const SpliceBreak> a, const std::vector<SpliceBreak>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const SpliceBreak& x = a[i];
    const SpliceBreak& y = b[i];
    if (x.start_time != y.start_time || x.end_time != y.end_time || x.event_id != y.event_id ||
        x.asset_uri != y.asset_uri || x.asset_list_uri != y.asset_list_uri ||
        !SameAdSegments(x.ad_segments, y.ad_segments) || !SameCreatives(x.creatives, y.creatives)) {
      return false;
    }
  }
  return true;
}

bool SameOptions(const SpliceOptions& a, const SpliceOptions& b) {
  return a.mode == b.mode && a.inserted_discontinuities_before == b.inserted_discontinuities_before &&
         a.media_sequence_offset_before == b.media_sequence_offset_before &&
         a.slate.duration_s == b.slate.duration_s && a.slate.uri == b.slate.uri &&
         a.slate.media == b.slate.media && a.blank_ads == b.blank_ads;
}

}  // namespace

const cues::ExtractResult& OriginDoc::Markers() const {
  if (!markers_) {
    const hls::MediaPlaylist* m = media();
    markers_ = m ? cues::ExtractMarkers(*m) : cues::ExtractResult{};
  }
  return *markers_;
}

std::optional<UnixMicros> OriginDoc::FirstSegmentStart() const {
  if (!first_start_) {
    const hls::MediaPlaylist* m = media();
    first_start_ = m && !m->segments().empty() ? m->SegmentStartTime(0) : std::nullopt;
  }
  return *first_start_;
}

Result<std::shared_ptr<const OriginDoc>> PlaylistMemo::Parse(const std::string& url, uint64_t version,
                                                            std::string_view body) {
  auto it = entries_.find(url);
  if (it != entries_.end() && it->second.doc) {
    const Entry& e = it->second;
    if (version != 0 ? e.version == version : (e.version == 0 && e.text == body)) {
      ++stats_.parse_hits;
      return e.doc;
    }
  }
  ++stats_.parses;
  Result<hls::Playlist> parsed = hls::Parse(body);
  if (!parsed.ok()) return parsed.status();
  Entry& e = it != entries_.end() ? it->second : entries_[url];
  e.version = version;
  if (version == 0) {
    e.text.assign(body);
  } else {
    e.text.clear();
  }
  e.doc = std::make_shared<const OriginDoc>(std::move(parsed).value());
  e.splices.clear();  // they were outputs of the previous parse
  return e.doc;
}

const SpliceOutput* PlaylistMemo::FindSplice(const std::string& url, const OriginDoc* origin,
                                             std::string_view key, std::span<const SpliceBreak> breaks,
                                             const SpliceOptions& options) {
  auto it = entries_.find(url);
  if (it == entries_.end() || it->second.doc.get() != origin) return nullptr;
  for (const Splice& s : it->second.splices) {
    if (s.key == key && SameOptions(s.options, options) && SameBreaks(breaks, s.breaks)) {
      ++stats_.splice_hits;
      return &s.output;
    }
  }
  return nullptr;
}

void PlaylistMemo::PutSplice(const std::string& url, std::shared_ptr<const OriginDoc> origin,
                             std::string_view key, std::vector<SpliceBreak> breaks,
                             const SpliceOptions& options, SpliceOutput output) {
  auto it = entries_.find(url);
  // Only outputs of the current parse: an older one can no longer be asked for.
  if (it == entries_.end() || it->second.doc != origin) return;
  std::vector<Splice>& splices = it->second.splices;
  if (splices.size() >= kSplicesPerUrl) splices.erase(splices.begin());
  splices.push_back(Splice{std::string(key), std::move(breaks), options, std::move(output)});
  ++stats_.splices;
}

}  // namespace ssai
