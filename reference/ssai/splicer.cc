#include "reference/ssai/splicer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "reference/base/strings.h"
#include "reference/base/url.h"
#include "reference/media/cues/markers.h"
#include "reference/media/hls/lint.h"

namespace ssai {

namespace {

using hls::MediaPlaylist;
using hls::MediaSegment;
using hls::Tag;
using hls::TagType;

constexpr UnixMicros kNever = std::numeric_limits<UnixMicros>::max();

// A slot found by time: its index relative to the window (negative = before the first window
// slot, extrapolated; segments().size() = not published yet) and its start.
struct SlotRef {
  int64_t index = 0;
  UnixMicros start = 0;
};

// Slot start times and how to find slots by time, including slots that already left the window.
class SlotTimeline {
 public:
  SlotTimeline(const MediaPlaylist& p, std::vector<UnixMicros>* starts_buffer,
               std::vector<DurationMicros>* durations_buffer)
      : starts_(*starts_buffer), durations_(*durations_buffer) {
    const auto& segs = p.segments();
    const size_t n = segs.size();
    starts_.assign(n, 0);
    durations_.assign(n, 0);
    size_t first_pdt = n;
    for (size_t i = 0; i < n; ++i) {
      durations_[i] = SecondsToMicros(segs[i].duration_s());
      if (first_pdt == n && segs[i].Has(TagType::kProgramDateTime)) {
        if (segs[i].program_date_time()) first_pdt = i;
      }
    }
    if (first_pdt == n) return;
    has_pdt_ = true;
    // RFC 8216 §4.3.2.6: a PDT applies to its segment; later ones follow by EXTINF durations.
    // Before the first PDT, times are found by subtracting durations (as players do).
    starts_[first_pdt] = *segs[first_pdt].program_date_time();
    for (size_t i = first_pdt; i-- > 0;) starts_[i] = starts_[i + 1] - durations_[i];
    for (size_t i = first_pdt + 1; i < n; ++i) {
      std::optional<UnixMicros> pdt;
      if (segs[i].Has(TagType::kProgramDateTime)) pdt = segs[i].program_date_time();
      starts_[i] = pdt ? *pdt : starts_[i - 1] + durations_[i - 1];
    }
    // Slots before the window are extrapolated with the first slot's duration: packagers cut
    // segments of one duration, so the slot grid continues backwards.
    grid_us_ = durations_[0] > 0 ? durations_[0]
                                 : std::max<int64_t>(1, p.target_duration_s().value_or(1)) *
                                       kMicrosPerSecond;
  }

  bool has_pdt() const { return has_pdt_; }
  size_t size() const { return starts_.size(); }
  UnixMicros start(size_t i) const { return starts_[i]; }
  DurationMicros duration(size_t i) const { return durations_[i]; }

  // The first slot whose start is >= t.
  SlotRef FirstAtOrAfter(UnixMicros t) const {
    const UnixMicros w0 = starts_[0];
    if (t <= w0) {
      const int64_t k = (w0 - t) / grid_us_;
      return {-k, w0 - k * grid_us_};
    }
    for (size_t i = 1; i < starts_.size(); ++i) {
      if (starts_[i] >= t) return {static_cast<int64_t>(i), starts_[i]};
    }
    return {static_cast<int64_t>(starts_.size()), kNever};
  }

  // Same, but a slot not published yet gets the start it will have on the slot grid (the end of
  // the last segment plus whole grid steps) instead of kNever: SGAI announces a break before its
  // first slot exists, and writes that slot's start.
  SlotRef FirstAtOrAfterOnGrid(UnixMicros t) const {
    SlotRef r = FirstAtOrAfter(t);
    if (r.start != kNever) return r;
    const UnixMicros end = starts_.back() + durations_.back();
    if (t <= end) return {r.index, end};
    const int64_t k = (t - end + grid_us_ - 1) / grid_us_;
    return {r.index + k, end + k * grid_us_};
  }

 private:
  std::vector<UnixMicros>& starts_;
  std::vector<DurationMicros>& durations_;
  DurationMicros grid_us_ = kMicrosPerSecond;
  bool has_pdt_ = false;
};

// Where one break lands on the slot timeline.
struct BreakSlots {
  SlotRef out;  // first ad slot (the splice point)
  SlotRef in;   // first content slot after the break (the return)
  bool has_slots() const { return out.index < in.index; }
};

BreakSlots Locate(const SlotTimeline& t, const SpliceBreak& b) {
  return {t.FirstAtOrAfter(b.start_time - kSpliceToleranceUs),
          t.FirstAtOrAfter(b.end_time - kSpliceToleranceUs)};
}

// Locate() with the starts of unpublished slots extrapolated on the grid (SGAI).
BreakSlots LocateOnGrid(const SlotTimeline& t, const SpliceBreak& b) {
  return {t.FirstAtOrAfterOnGrid(b.start_time - kSpliceToleranceUs),
          t.FirstAtOrAfterOnGrid(b.end_time - kSpliceToleranceUs)};
}

bool HasLineBreak(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

Status ValidateBreaks(std::span<const SpliceBreak> breaks, const SpliceOptions& options) {
  if (options.inserted_discontinuities_before < 0) {
    return Status::InvalidArgument("inserted_discontinuities_before must be >= 0, got " +
                                   std::to_string(options.inserted_discontinuities_before));
  }
  if (options.mode == InsertionMode::kSsai && HasLineBreak(options.slate.uri)) {
    return Status::InvalidArgument("slate URI contains a line break");
  }
  for (size_t i = 0; i < breaks.size(); ++i) {
    const SpliceBreak& b = breaks[i];
    const std::string where = "break " + std::to_string(i) + " ('" + b.event_id + "')";
    if (b.end_time <= b.start_time) {
      return Status::InvalidArgument(where + ": end_time must be after start_time");
    }
    if (i > 0 && b.start_time < breaks[i - 1].end_time) {
      return Status::InvalidArgument(where + ": breaks must be sorted by start_time and not overlap");
    }
    if (options.mode == InsertionMode::kSgai) {
      if (b.event_id.empty() || b.event_id.find('"') != std::string::npos ||
          HasLineBreak(b.event_id)) {
        return Status::InvalidArgument(
            where + ": event_id must be a non-empty quoted-string value (bis §4.4.5.1 ID)");
      }
      const bool uri = !b.asset_uri.empty(), list = !b.asset_list_uri.empty();
      if (uri == list) {
        return Status::InvalidArgument(
            where + ": needs exactly one of asset_uri and asset_list_uri (bis Appendix D.2)");
      }
      const std::string& a = uri ? b.asset_uri : b.asset_list_uri;
      if (a.find('"') != std::string::npos || HasLineBreak(a)) {
        return Status::InvalidArgument(where + ": asset URI must not contain '\"' or a line break");
      }
    } else {
      for (size_t j = 0; j < b.creatives.size(); ++j) {
        const PodCreative& c = b.creatives[j];
        const std::string cw = where + ": creative " + std::to_string(j) + " ('" + c.id + "')";
        if (!std::isfinite(c.duration_s) || c.duration_s <= 0 || c.duration_s > 3600) {
          return Status::InvalidArgument(cw + ": duration must be in (0, 3600] s");
        }
        if (!std::isfinite(c.segment_duration_s) || c.segment_duration_s <= 0 ||
            c.segment_duration_s > 3600) {
          return Status::InvalidArgument(cw + ": segment duration must be in (0, 3600] s");
        }
        for (const std::string& u : c.segment_uris) {
          if (u.empty() || HasLineBreak(u)) {
            return Status::InvalidArgument(cw + ": segment URIs must be non-empty, on one line");
          }
        }
      }
      for (size_t j = 0; j < b.ad_segments.size(); ++j) {
        const AdSegment& ad = b.ad_segments[j];
        if (!std::isfinite(ad.duration_s) || ad.duration_s <= 0 || ad.duration_s > 3600) {
          return Status::InvalidArgument(where + ": ad segment " + std::to_string(j) +
                                         " duration must be in (0, 3600] s");
        }
        if (ad.uri.empty() || HasLineBreak(ad.uri)) {
          return Status::InvalidArgument(where + ": ad segment " + std::to_string(j) +
                                         " URI must be non-empty, on one line");
        }
      }
    }
  }
  return Status::Ok();
}

bool KeptOnAdSlot(TagType type) {
  switch (type) {
    case TagType::kInf:              // replaced by the ad's own
    case TagType::kByteRange:        // ranges of the content resource
    case TagType::kProgramDateTime:  // rewritten to the slot's start
    case TagType::kGap:
    case TagType::kBitrate:
    case TagType::kPart:
    case TagType::kKey:  // the content's init and key: declared again per segment (DeclareMedia)
    case TagType::kMap:
      return false;
    default:
      return true;
  }
}

Tag PdtTag(UnixMicros t) {
  std::string value;
  value.reserve(24);
  AppendIso8601Millis(t, &value);
  return Tag::Make(TagType::kProgramDateTime, std::move(value));
}

// Replaces the content of slot `seg` with `ad`, keeping the origin's markers (and any tag that
// carries state to later segments, such as EXT-X-KEY), putting the slot's PDT on it.
void ReplaceSlot(MediaSegment* seg, const AdSegment& ad, double duration_s, UnixMicros start,
                 bool discontinuity) {
  std::vector<Tag>& tags = seg->mutable_tags();
  Tag pdt;
  bool have_pdt = false;
  size_t kept = 0;
  for (size_t i = 0; i < tags.size(); ++i) {
    if (tags[i].type == TagType::kProgramDateTime && !have_pdt) {
      pdt = std::move(tags[i]);  // same instant as the slot's start: keep the origin's text
      have_pdt = true;
      continue;
    }
    if (!KeptOnAdSlot(tags[i].type)) continue;
    if (kept != i) tags[kept] = std::move(tags[i]);
    ++kept;
  }
  tags.resize(kept);
  if (discontinuity && !seg->discontinuity()) {
    tags.insert(tags.begin(), Tag::Make(TagType::kDiscontinuity));
  }
  tags.push_back(have_pdt ? std::move(pdt) : PdtTag(start));
  std::string inf;
  inf.reserve(12);
  AppendFixed(duration_s, 3, &inf);
  inf.push_back(',');
  tags.push_back(Tag::Make(TagType::kInf, std::move(inf)));
  seg->set_uri(ad.uri);
  (void)seg->Refresh();  // EXTINF was written just above: cannot fail
}

// The first content slot after a break: RFC 8216 §4.3.2.3 / bis §4.4.4.3, timestamps change back
// (DISCONTINUITY); bis §6.2.1 SHOULD: a PDT of its own.
void MarkReturn(MediaSegment* seg, const SlotRef& slot) {
  std::vector<Tag>& tags = seg->mutable_tags();
  if (!seg->discontinuity()) tags.insert(tags.begin(), Tag::Make(TagType::kDiscontinuity));
  if (!seg->Has(TagType::kProgramDateTime)) seg->AddTag(PdtTag(slot.start));
}

// ---- EXT-X-MAP / EXT-X-KEY in force (splicer.h "Media initialization and keys") -------------

using MediaState = hls::MediaInitState;

void ApplyKey(std::string_view value, MediaState* s) { s->Apply(Tag::Make(TagType::kKey, std::string(value))); }

void ApplyTags(const MediaSegment& seg, MediaState* s) {
  for (const Tag& t : seg.tags()) s->Apply(t);
}

MediaState StateOf(const AdMedia& m) {
  MediaState s;
  s.map = m.map;
  for (const std::string& k : m.keys) ApplyKey(k, &s);
  return s;
}

bool HasMedia(const AdMedia& m) { return !m.map.empty() || !m.keys.empty(); }

// The content's media state entering each origin slot (before its own tags), and after the last.
struct ContentMedia {
  std::vector<MediaState> states;  // distinct states in order; states[0] = none
  std::vector<uint32_t> entering;  // per slot, index into states; empty when the origin has no KEY/MAP
};

ContentMedia ContentMediaOf(const MediaPlaylist& p) {
  ContentMedia c;
  c.states.emplace_back();
  bool any = false;
  for (const MediaSegment& seg : p.segments()) any = any || seg.Has(TagType::kMap) || seg.Has(TagType::kKey);
  if (!any) return c;  // MPEG-TS in the clear: nothing to track (the common, fast case)
  c.entering.reserve(p.segments().size());
  for (const MediaSegment& seg : p.segments()) {
    c.entering.push_back(static_cast<uint32_t>(c.states.size() - 1));
    if (!seg.Has(TagType::kMap) && !seg.Has(TagType::kKey)) continue;
    MediaState next = c.states.back();
    ApplyTags(seg, &next);
    if (!(next == c.states.back())) c.states.push_back(std::move(next));
  }
  return c;
}

// What each output segment is, for DeclareMedia: content entering state `content`, or an ad.
struct SegmentMedia {
  uint32_t content = 0;
  const AdMedia* ad = nullptr;  // set for ad and slate segments
};

// Inserts the tags that move the output from `declared` to `want` at `seg` (after its
// DISCONTINUITY), KEY before MAP. Returns the highest version the inserted tags need.
int Declare(const MediaState& declared, const MediaState& want, MediaSegment* seg) {
  std::vector<Tag> add;
  if (!(MediaState{{}, declared.keys} == MediaState{{}, want.keys})) {
    bool none = want.keys.empty();
    for (const auto& d : declared.keys) {
      bool kept = false;
      for (const auto& w : want.keys) kept = kept || w.first == d.first;
      none = none || !kept;
    }
    if (none && !declared.keys.empty()) add.push_back(Tag::Make(TagType::kKey, "METHOD=NONE"));
    for (const auto& w : want.keys) {
      bool same = false;
      if (!none) {
        for (const auto& d : declared.keys) same = same || d == w;
      }
      if (!same) add.push_back(Tag::Make(TagType::kKey, w.second));
    }
  }
  if (declared.map != want.map && !want.map.empty()) add.push_back(Tag::Make(TagType::kMap, want.map));
  if (add.empty()) return 1;
  int version = 1;
  for (const Tag& t : add) version = std::max(version, hls::MinVersionForTag(t));
  std::vector<Tag>& tags = seg->mutable_tags();
  size_t at = 0;
  for (size_t i = 0; i < tags.size(); ++i) {
    if (tags[i].type == TagType::kDiscontinuity) {
      at = i + 1;
      break;
    }
  }
  tags.insert(tags.begin() + static_cast<std::ptrdiff_t>(at), std::make_move_iterator(add.begin()),
              std::make_move_iterator(add.end()));
  return version;
}

// Walks the output and declares, where the state in force differs from what a segment needs,
// the ad's or the content's MAP and KEYs (splicer.h). `media` is parallel to the segments.
void DeclareMedia(MediaPlaylist* p, const ContentMedia& content, std::span<const SegmentMedia> media,
                  SpliceResult* result) {
  auto& segs = p->mutable_segments();
  MediaState declared;
  int version = 1;
  bool warned_ts_ad = false, warned_ts_content = false;
  const AdMedia* last_ad = nullptr;  // consecutive segments of one creative share their AdMedia
  MediaState want;
  for (size_t j = 0; j < segs.size(); ++j) {
    MediaSegment& seg = segs[j];
    const SegmentMedia& m = media[j];
    if (m.ad != nullptr) {
      if (m.ad != last_ad) want = StateOf(*m.ad);
      last_ad = m.ad;
      if (!declared.map.empty() && want.map.empty() && !warned_ts_ad) {
        warned_ts_ad = true;
        result->warnings.push_back("ad segment " + seg.uri() +
                                   " has no init segment (MPEG-TS) after fMP4 content: the "
                                   "content's EXT-X-MAP stays in force for it (RFC 8216 §4.3.2.5); "
                                   "give the ad an fMP4 rendition");
      }
      version = std::max(version, Declare(declared, want, &seg));
      ApplyTags(seg, &declared);
      // A TS ad leaves the content's MAP formally in force; declare it again on the return anyway.
      if (want.map.empty()) declared.map.clear();
      continue;
    }
    // Content: what the origin had in force entering this slot, then the slot's own tags.
    const MediaState& entering = content.states[m.content];
    if (!seg.Has(TagType::kMap) && !seg.Has(TagType::kKey)) {
      if (declared == entering) continue;  // most content segments: no copy
    } else {
      MediaState after = declared;
      ApplyTags(seg, &after);
      MediaState target = entering;
      ApplyTags(seg, &target);
      if (after == target) {
        declared = std::move(after);
        continue;
      }
    }
    if (!declared.map.empty() && entering.map.empty() && !warned_ts_content) {
      warned_ts_content = true;
      result->warnings.push_back("content segment " + seg.uri() +
                                 " has no init segment (MPEG-TS) after an fMP4 ad: the ad's "
                                 "EXT-X-MAP stays in force for it (RFC 8216 §4.3.2.5)");
    }
    version = std::max(version, Declare(declared, entering, &seg));
    ApplyTags(seg, &declared);  // the inserted tags (-> entering), then the slot's own
  }
  if (version > p->version()) p->SetVersion(version);
}

// A pod break's output segments replacing window slots [first, end), applied after the loop.
struct PodReplacement {
  int64_t first = 0;
  int64_t end = 0;
  std::vector<MediaSegment> segments;
  std::vector<const AdMedia*> media;  // parallel to segments
};

std::vector<PodTiming> Timings(const SpliceBreak& b) {
  std::vector<PodTiming> v;
  v.reserve(b.creatives.size());
  for (const PodCreative& c : b.creatives) v.push_back({c.duration_s, c.segment_duration_s});
  return v;
}

// Pod mode for one break (splicer.h "Pods of creatives"). Counts its discontinuities before the
// window, moves the MEDIA-SEQUENCE ledger, and builds the segments that replace its window slots.
Status SplicePod(MediaPlaylist* p, const SlotTimeline& t, const SpliceBreak& b,
                 const BreakSlots& s, const SpliceOptions& options, SpliceResult* result,
                 int64_t* last_disc_index, int64_t* disc_before, bool* disc_in_window,
                 int64_t* msn_ledger, std::optional<int64_t>* first_msn,
                 std::vector<PodReplacement>* replacements) {
  auto& segs = p->mutable_segments();
  const int64_t n = static_cast<int64_t>(segs.size());
  const SlotRef in = t.FirstAtOrAfterOnGrid(b.end_time - kSpliceToleranceUs);
  const DurationMicros span_us = in.start - s.out.start;
  const DurationMicros slate_us = options.slate.duration_s > 0
                                      ? SecondsToMicros(options.slate.duration_s)
                                      : t.duration(0);
  const std::vector<PodTiming> timings = Timings(b);
  const std::vector<PodLayoutSegment> layout = LayOutPod(timings, span_us, slate_us);
  const int64_t k = static_cast<int64_t>(layout.size());
  const int64_t m = in.index - s.out.index;
  const UnixMicros window_start = t.start(0);
  const UnixMicros window_end = t.start(static_cast<size_t>(n - 1)) + t.duration(static_cast<size_t>(n - 1));
  auto abs_end = [&](const PodLayoutSegment& l) { return s.out.start + l.offset_us + l.duration_us; };
  auto before = [&](const PodLayoutSegment& l) { return abs_end(l) <= window_start; };
  auto included = [&](const PodLayoutSegment& l) {
    return !before(l) && abs_end(l) <= window_end + kSpliceToleranceUs;
  };
  // Discontinuities: the first piece's sits on the splice slot (shared with the return of a
  // break just before), the others inside the break, then the return slot's.
  for (size_t j = 0; j < layout.size(); ++j) {
    if (!layout[j].discontinuity) continue;
    if (j == 0) {
      if (s.out.index == *last_disc_index) continue;
      *last_disc_index = s.out.index;
    }
    if (before(layout[j])) {
      ++*disc_before;
    } else if (included(layout[j])) {
      *disc_in_window = true;
    }
  }
  if (in.index != *last_disc_index) {
    *last_disc_index = in.index;
    if (in.index < 0) {
      ++*disc_before;
    } else if (in.index < n) {
      *disc_in_window = true;
    }
  }
  // MEDIA-SEQUENCE: a break wholly before the window moves the ledger; one that holds the first
  // window slot numbers the output's first segment.
  if (in.index <= 0) {
    *msn_ledger += k - m;
  } else if (s.out.index <= 0 && !first_msn->has_value()) {
    int64_t j0 = 0;
    while (j0 < k && before(layout[static_cast<size_t>(j0)])) ++j0;
    *first_msn = p->media_sequence() + s.out.index + *msn_ledger + j0;
  }
  const int64_t first = std::max<int64_t>(s.out.index, 0);
  const int64_t end = std::min<int64_t>(in.index, n);
  if (in.index >= 0 && in.index < n) MarkReturn(&segs[static_cast<size_t>(in.index)], in);
  if (first >= end) return Status::Ok();
  if (end == n) result->in_break = true;

  // Marker tags of the replaced slots, by the layout segment playing at each slot's start. A
  // segment that starts before its slot (a creative's short last segment moved the grid) gets the
  // marker's elapsed time moved back by as much, so CUE-OUT-CONT ElapsedTime stays the time since
  // the CUE-OUT at the segment it is on (hls.cue.cont_elapsed_increasing).
  std::vector<std::vector<Tag>> markers(layout.size());
  for (int64_t i = first; i < end; ++i) {
    const UnixMicros slot_start = t.start(static_cast<size_t>(i));
    size_t j = 0;
    while (j < layout.size() && abs_end(layout[j]) - kSpliceToleranceUs <= slot_start) ++j;
    if (j == layout.size()) continue;
    const DurationMicros shift_us = s.out.start + layout[j].offset_us - slot_start;
    for (Tag& tag : segs[static_cast<size_t>(i)].mutable_tags()) {
      if (!KeptOnAdSlot(tag.type) || tag.type == TagType::kDiscontinuity) continue;
      bool dup = false;
      for (const Tag& have : markers[j]) dup = dup || have.type == tag.type;
      if (dup) continue;
      if (shift_us != 0) {
        if (std::optional<Tag> moved = cues::ShiftElapsed(tag, MicrosToSeconds(shift_us))) tag = std::move(*moved);
      }
      markers[j].push_back(std::move(tag));
    }
  }
  const int64_t target_s = p->target_duration_s().value_or(0);
  bool warned_target = false;
  PodReplacement rep;
  rep.first = first;
  rep.end = end;
  for (size_t j = 0; j < layout.size(); ++j) {
    const PodLayoutSegment& l = layout[j];
    if (!included(l)) continue;
    std::string uri;
    if (l.creative >= 0) {
      const PodCreative& c = b.creatives[static_cast<size_t>(l.creative)];
      if (static_cast<size_t>(l.index) < c.segment_uris.size()) {
        uri = c.segment_uris[static_cast<size_t>(l.index)];
        ++result->ad_segments;
        if (l.cut) ++result->truncated_creatives;
        // Server-side tracking (beacons.h): where in its creative this segment plays.
        DurationMicros creative_start = l.offset_us;
        for (const PodLayoutSegment& o : layout) {
          if (o.creative == l.creative) {
            creative_start = o.offset_us;
            break;
          }
        }
        result->pod_segments.push_back({b.event_id, l.creative, s.out.start + l.offset_us, l.duration_us,
                                        l.offset_us - creative_start, l.cut});
      } else if (!options.blank_ads) {
        result->warnings.push_back("break '" + b.event_id + "': creative '" + c.id + "' has " +
                                   std::to_string(c.segment_uris.size()) +
                                   " segments for this rendition, its duration needs segment " +
                                   std::to_string(l.index + 1) + "; slate plays in its place");
      }
    }
    const bool slate = uri.empty();
    if (slate) {
      if (options.slate.uri.empty()) {
        return Status::InvalidArgument("break '" + b.event_id +
                                       "': the pod does not fill the break and no slate is "
                                       "configured (SpliceOptions::slate)");
      }
      uri = options.slate.uri;
      ++result->slate_segments;
    }
    const double duration_s = MicrosToSeconds(l.duration_us);
    if (!warned_target && target_s > 0 && std::llround(duration_s) > target_s) {
      warned_target = true;
      result->warnings.push_back("break '" + b.event_id + "': " + uri + " (" +
                                 FormatDouble(duration_s) + " s) exceeds EXT-X-TARGETDURATION " +
                                 std::to_string(target_s) +
                                 " (hls.target_duration.bound); TARGETDURATION is kept, since it "
                                 "must not change between reloads");
    }
    MediaSegment seg(duration_s, std::move(uri));
    if (l.discontinuity) seg.AddTag(Tag::Make(TagType::kDiscontinuity));
    for (Tag& tag : markers[j]) seg.AddTag(std::move(tag));
    seg.AddTag(PdtTag(s.out.start + l.offset_us));
    rep.segments.push_back(std::move(seg));
    rep.media.push_back(slate ? &options.slate.media : &b.creatives[static_cast<size_t>(l.creative)].media);
  }
  replacements->push_back(std::move(rep));
  return Status::Ok();
}

// SSAI: rewrites the slots, returns the count of inserted discontinuities before the window.
Status SpliceSsai(MediaPlaylist* p, const SlotTimeline& t, std::span<const SpliceBreak> breaks,
                  const SpliceOptions& options, SpliceResult* result, int64_t* disc_before,
                  bool* disc_in_window) {
  int64_t msn_ledger = options.media_sequence_offset_before;
  std::optional<int64_t> first_msn;
  std::vector<PodReplacement> replacements;
  auto& segs = p->mutable_segments();
  const int64_t n = static_cast<int64_t>(segs.size());
  const int64_t target_s = p->target_duration_s().value_or(0);
  std::vector<DurationMicros> pod_end_us;  // prefix sums of the pod timeline
  int64_t last_disc_index = std::numeric_limits<int64_t>::min();
  // EXT-X-MAP / EXT-X-KEY: tracked only when the origin or an ad has any (splicer.h).
  const ContentMedia content = ContentMediaOf(*p);
  bool need_media = !content.entering.empty() || HasMedia(options.slate.media);
  for (const SpliceBreak& b : breaks) {
    for (const AdSegment& a : b.ad_segments) need_media = need_media || HasMedia(a.media);
    for (const PodCreative& c : b.creatives) need_media = need_media || HasMedia(c.media);
  }
  std::vector<SegmentMedia> media;
  if (need_media) {
    media.resize(segs.size());
    for (size_t i = 0; i < content.entering.size(); ++i) media[i].content = content.entering[i];
  }
  for (const SpliceBreak& b : breaks) {
    const BreakSlots s = Locate(t, b);
    if (!s.has_slots()) continue;
    if (!b.creatives.empty()) {
      SSAI_RETURN_IF_ERROR(SplicePod(p, t, b, s, options, result, &last_disc_index, disc_before,
                                     disc_in_window, &msn_ledger, &first_msn, &replacements));
      continue;
    }
    // Discontinuity slots, counted once each (back-to-back breaks share the junction slot).
    for (const SlotRef& d : {s.out, s.in}) {
      if (d.index == last_disc_index) continue;
      last_disc_index = d.index;
      if (d.index < 0) {
        ++*disc_before;
      } else if (d.index < n) {
        MediaSegment& seg = segs[static_cast<size_t>(d.index)];
        if (seg.discontinuity()) {
          result->warnings.push_back("break '" + b.event_id + "': origin segment " + seg.uri() +
                                     " already has EXT-X-DISCONTINUITY at a splice point; kept "
                                     "once, DISCONTINUITY-SEQUENCE will be off by one after it "
                                     "slides out");
        }
        *disc_in_window = true;
      }
    }
    const int64_t first = std::max<int64_t>(s.out.index, 0);
    const int64_t end = std::min<int64_t>(s.in.index, n);
    if (first >= end) {
      // Only the return slot (or nothing) is in the window.
      if (s.in.index >= 0 && s.in.index < n) MarkReturn(&segs[static_cast<size_t>(s.in.index)], s.in);
      continue;
    }
    pod_end_us.clear();
    DurationMicros total_us = 0;
    for (const AdSegment& ad : b.ad_segments) {
      total_us += SecondsToMicros(ad.duration_s);
      pod_end_us.push_back(total_us);
    }
    bool warned_duration = false, warned_target = false;
    for (int64_t i = first; i < end; ++i) {
      const size_t si = static_cast<size_t>(i);
      // The ad segment playing at the slot's midpoint on the pod timeline, which starts at the
      // splice point (the first ad slot).
      const DurationMicros mid_us = t.start(si) - s.out.start + t.duration(si) / 2;
      const AdSegment* ad = nullptr;
      double duration_s = 0;
      if (mid_us >= 0 && mid_us < total_us) {
        const size_t j = static_cast<size_t>(
            std::upper_bound(pod_end_us.begin(), pod_end_us.end(), mid_us) - pod_end_us.begin());
        ad = &b.ad_segments[j];
        duration_s = ad->duration_s;
        ++result->ad_segments;
      } else {
        if (options.slate.uri.empty()) {
          return Status::InvalidArgument("break '" + b.event_id +
                                         "': the pod does not fill the break and no slate is "
                                         "configured (SpliceOptions::slate)");
        }
        ad = &options.slate;
        duration_s = options.slate.duration_s > 0 ? options.slate.duration_s
                                                  : MicrosToSeconds(t.duration(si));
        ++result->slate_segments;
      }
      const DurationMicros diff_us = SecondsToMicros(duration_s) - t.duration(si);
      if (!warned_duration && (diff_us > kSpliceToleranceUs || diff_us < -kSpliceToleranceUs)) {
        warned_duration = true;
        result->warnings.push_back("break '" + b.event_id + "': " + ad->uri + " lasts " +
                                   FormatDouble(duration_s) + " s in a " +
                                   FormatDouble(MicrosToSeconds(t.duration(si))) +
                                   " s slot; ads should be conditioned to the channel's segment "
                                   "duration");
      }
      if (!warned_target && target_s > 0 && std::llround(duration_s) > target_s) {
        warned_target = true;
        result->warnings.push_back("break '" + b.event_id + "': " + ad->uri + " (" +
                                   FormatDouble(duration_s) +
                                   " s) exceeds EXT-X-TARGETDURATION " + std::to_string(target_s) +
                                   " (hls.target_duration.bound); TARGETDURATION is kept, since it "
                                   "must not change between reloads");
      }
      if (need_media) media[si].ad = &ad->media;
      ReplaceSlot(&segs[si], *ad, duration_s, t.start(si), /*discontinuity=*/i == s.out.index);
      if (i == n - 1) result->in_break = true;
    }
    if (s.in.index < n) MarkReturn(&segs[static_cast<size_t>(s.in.index)], s.in);
  }
  // Pod breaks change the number of segments: replace their slots, last first, and number the
  // output (splicer.h).
  for (auto it = replacements.rbegin(); it != replacements.rend(); ++it) {
    segs.erase(segs.begin() + it->first, segs.begin() + it->end);
    segs.insert(segs.begin() + it->first, std::make_move_iterator(it->segments.begin()),
                std::make_move_iterator(it->segments.end()));
    if (need_media) {
      media.erase(media.begin() + it->first, media.begin() + it->end);
      std::vector<SegmentMedia> pod(it->media.size());
      for (size_t j = 0; j < pod.size(); ++j) pod[j].ad = it->media[j];
      media.insert(media.begin() + it->first, pod.begin(), pod.end());
    }
  }
  if (need_media) DeclareMedia(p, content, media, result);
  const int64_t msn = first_msn.value_or(p->media_sequence() + msn_ledger);
  if (msn < 0) {
    return Status::FailedPrecondition("MEDIA-SEQUENCE would be negative (" + std::to_string(msn) +
                                      "): the MEDIA-SEQUENCE ledger does not fit this origin");
  }
  if (msn != p->media_sequence()) p->SetMediaSequence(msn);
  if ((result->ad_segments > 0 || result->slate_segments > 0) && p->version() < 3) {
    p->SetVersion(3);  // EXTINF with decimals (RFC 8216 §7)
  }
  return Status::Ok();
}

void SpliceSgai(MediaPlaylist* p, const SlotTimeline& t, std::span<const SpliceBreak> breaks,
                SpliceResult* result) {
  auto& segs = p->mutable_segments();
  const int64_t n = static_cast<int64_t>(segs.size());
  // (slot, tag) in break order; tags for the same slot keep that order.
  std::vector<std::pair<int64_t, Tag>> placed;
  for (const SpliceBreak& b : breaks) {
    // The interstitial covers exactly the slots SSAI would replace: it starts at the splice point
    // (the first slot at or after start - tolerance) and ends at the return slot (the first slot
    // at or after end - tolerance), both segment boundaries of the primary. bis Appendix D.2
    // (X-SNAP=OUT,IN) leaves a START-DATE between boundaries to the client, which "SHOULD locate
    // the segment boundary closest to the START-DATE": that can be the boundary before the cue,
    // not SSAI's. hls.js 1.7.4 live stalls ~50 ms before a mid-segment START-DATE and never starts
    // the interstitial (tests/README.md). On a boundary there is nothing to snap, and SSAI and
    // SGAI viewers leave and rejoin the content at the same instant.
    const BreakSlots s = LocateOnGrid(t, b);
    if (!s.has_slots()) continue;  // the break covers no slot start: SSAI inserts nothing either
    if (s.out.index <= n - 1 && s.in.index > n - 1) result->in_break = true;
    // bis §6.2.1: a date range stays while any date in it maps to a segment in the playlist.
    bool covers = false;
    for (size_t i = 0; i < t.size() && !covers; ++i) {
      covers = t.start(i) < s.in.start && t.start(i) + t.duration(i) > s.out.start;
    }
    const bool future = s.out.index >= n;  // announced before its first slot is published
    if (!covers && !future) continue;
    const DurationMicros duration_us = s.in.start - s.out.start;
    const double duration_s = MicrosToSeconds(duration_us);
    hls::AttributeWriter w;
    // Prefixed so it never collides with an origin DATERANGE carrying the same SCTE-35 id.
    w.Quoted("ID", "ssai-" + b.event_id)
        .Quoted("CLASS", "com.apple.hls.interstitial")
        .Date("START-DATE", s.out.start)
        .Float("DURATION", duration_s);
    if (!b.asset_uri.empty()) {
      w.Quoted("X-ASSET-URI", b.asset_uri);
    } else {
      w.Quoted("X-ASSET-LIST", b.asset_list_uri);
    }
    // bis Appendix D.2: for live, resume where the break ends (the default, written out).
    w.Float("X-RESUME-OFFSET", duration_s)
        .Float("X-PLAYOUT-LIMIT", duration_s)
        .Quoted("X-SNAP", "OUT,IN")
        .Quoted("X-RESTRICT", "SKIP,JUMP");
    placed.emplace_back(std::clamp<int64_t>(s.out.index, 0, n), Tag::Make(TagType::kDateRange, w.Take()));
  }
  // Insert at the front of each slot's lines, keeping break order.
  for (size_t k = 0; k < placed.size();) {
    size_t e = k;
    while (e < placed.size() && placed[e].first == placed[k].first) ++e;
    std::vector<Tag>& dst = placed[k].first >= n
                                ? p->mutable_trailer()
                                : segs[static_cast<size_t>(placed[k].first)].mutable_tags();
    const auto pos = placed[k].first >= n ? dst.end() : dst.begin();
    std::vector<Tag> batch;
    batch.reserve(e - k);
    for (size_t j = k; j < e; ++j) batch.push_back(std::move(placed[j].second));
    dst.insert(pos, std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
    k = e;
  }
}

Result<SpliceResult> SpliceInPlace(MediaPlaylist&& origin, std::span<const SpliceBreak> breaks,
                                   const SpliceOptions& options) {
  SSAI_RETURN_IF_ERROR(ValidateBreaks(breaks, options));
  SpliceResult result;
  const int64_t origin_dsn = origin.discontinuity_sequence();
  result.playlist = std::move(origin);
  MediaPlaylist& p = result.playlist;
  const bool ssai = options.mode == InsertionMode::kSsai;
  const int64_t ledger = ssai ? options.inserted_discontinuities_before : 0;

  int64_t disc_before = 0;
  bool disc_in_window = false;
  if (!p.segments().empty() && !breaks.empty()) {
    thread_local std::vector<UnixMicros> starts;
    thread_local std::vector<DurationMicros> durations;
    SlotTimeline t(p, &starts, &durations);
    if (!t.has_pdt()) {
      return Status::FailedPrecondition(
          "the origin playlist has no EXT-X-PROGRAM-DATE-TIME, so ad breaks cannot be placed "
          "(RFC 8216 §4.3.2.6)");
    }
    if (ssai) {
      SSAI_RETURN_IF_ERROR(
          SpliceSsai(&p, t, breaks, options, &result, &disc_before, &disc_in_window));
    } else {
      SpliceSgai(&p, t, breaks, &result);
    }
  } else if (ssai && options.media_sequence_offset_before != 0) {
    // No break to place: the MEDIA-SEQUENCE ledger of earlier pod breaks still applies.
    const int64_t msn = p.media_sequence() + options.media_sequence_offset_before;
    if (msn < 0) {
      return Status::FailedPrecondition("MEDIA-SEQUENCE would be negative (" + std::to_string(msn) +
                                        "): the MEDIA-SEQUENCE ledger does not fit this origin");
    }
    p.SetMediaSequence(msn);
  }
  // RFC 8216 §4.3.3.3, §6.2.2: the first segment's discontinuity sequence number counts every
  // DISCONTINUITY that has slid out: the origin's own plus ours.
  const int64_t dsn = origin_dsn + ledger + disc_before;
  if (dsn != origin_dsn || disc_in_window) p.SetDiscontinuitySequence(dsn);
  return result;
}

}  // namespace

std::string_view InsertionModeName(InsertionMode mode) {
  return mode == InsertionMode::kSgai ? "sgai" : "ssai";
}

Result<SpliceResult> Splice(const hls::MediaPlaylist& origin, std::span<const SpliceBreak> breaks,
                            const SpliceOptions& options) {
  return SpliceInPlace(hls::MediaPlaylist(origin), breaks, options);
}

Result<SpliceResult> Splice(hls::MediaPlaylist&& origin, std::span<const SpliceBreak> breaks,
                            const SpliceOptions& options) {
  return SpliceInPlace(std::move(origin), breaks, options);
}

std::vector<PodLayoutSegment> LayOutPod(std::span<const PodTiming> creatives, DurationMicros span_us,
                                        DurationMicros slate_us) {
  std::vector<PodLayoutSegment> out;
  DurationMicros at = 0;
  for (size_t c = 0; c < creatives.size() && at < span_us; ++c) {
    const DurationMicros d = SecondsToMicros(creatives[c].duration_s);
    DurationMicros seg = SecondsToMicros(creatives[c].segment_duration_s);
    if (d < kMinPodSegmentUs) continue;
    if (seg <= 0) seg = d;
    const DurationMicros end = std::min(at + d, span_us);
    bool first = true;
    int idx = 0;
    for (DurationMicros o = at; o < end; o += seg, ++idx) {
      const DurationMicros len = std::min(seg, end - o);
      if (len < kMinPodSegmentUs) break;
      PodLayoutSegment l;
      l.creative = static_cast<int>(c);
      l.index = idx;
      l.offset_us = o;
      l.duration_us = len;
      l.discontinuity = first;
      l.cut = len < seg && o + len == span_us && at + d > span_us;
      out.push_back(l);
      first = false;
    }
    at = std::min(at + d, span_us);
  }
  if (slate_us <= 0) return out;
  bool first = true;
  int idx = 0;
  for (DurationMicros o = at; o < span_us; o += slate_us, ++idx) {
    const DurationMicros len = std::min(slate_us, span_us - o);
    if (len < kMinPodSegmentUs) break;
    PodLayoutSegment l;
    l.creative = -1;
    l.index = idx;
    l.offset_us = o;
    l.duration_us = len;
    l.discontinuity = first;
    out.push_back(l);
    first = false;
  }
  return out;
}

BreakNumbering PodBreakNumbering(std::span<const PodTiming> creatives, DurationMicros span_us,
                                 DurationMicros slot_us, DurationMicros slate_us) {
  if (span_us <= 0 || slot_us <= 0) return {2, 0};
  const std::vector<PodLayoutSegment> layout = LayOutPod(creatives, span_us, slate_us);
  BreakNumbering n;
  n.discontinuities = 1;  // the return
  for (const PodLayoutSegment& l : layout) n.discontinuities += l.discontinuity ? 1 : 0;
  const int64_t slots = (span_us + slot_us / 2) / slot_us;
  n.media_sequence_delta = static_cast<int64_t>(layout.size()) - slots;
  return n;
}

DurationMicros SpanOnGrid(UnixMicros start, UnixMicros end, UnixMicros grid_boundary,
                          DurationMicros slot_us) {
  if (slot_us <= 0) return end - start;
  auto at_or_after = [&](UnixMicros t) {
    const int64_t d = t - grid_boundary;
    int64_t k = d / slot_us;
    if (k * slot_us < d) ++k;  // ceil, for either sign
    return grid_boundary + k * slot_us;
  };
  return at_or_after(end - kSpliceToleranceUs) - at_or_after(start - kSpliceToleranceUs);
}

std::string ResolveTagUri(std::string_view value, std::string_view base) {
  Result<hls::AttributeList> a = hls::AttributeList::Parse(value);
  if (!a.ok()) return std::string(value);
  const hls::Attribute* uri = a->Find("URI");
  if (uri == nullptr || !uri->quoted || HasScheme(uri->value)) return std::string(value);
  // The attribute's value is a view into `value`: replace just those characters.
  const size_t at = static_cast<size_t>(uri->value.data() - value.data());
  std::string out(value.substr(0, at));
  out += ResolveUrl(base, uri->value);
  out += value.substr(at + uri->value.size());
  return out;
}

std::vector<AdMedia> AdMediaOf(const hls::MediaPlaylist& ad_playlist, std::string_view playlist_url) {
  std::vector<AdMedia> out;
  out.reserve(ad_playlist.segments().size());
  MediaState state;
  AdMedia current;
  for (const MediaSegment& seg : ad_playlist.segments()) {
    if (seg.Has(TagType::kMap) || seg.Has(TagType::kKey)) {
      ApplyTags(seg, &state);
      current.map = state.map.empty() ? std::string() : ResolveTagUri(state.map, playlist_url);
      current.keys.clear();
      for (const auto& k : state.keys) current.keys.push_back(ResolveTagUri(k.second, playlist_url));
    }
    out.push_back(current);
  }
  return out;
}

int PickVariant(std::span<const int64_t> bitrates_bps, int64_t rendition_bandwidth_bps) {
  int best = -1, lowest = -1;
  for (size_t i = 0; i < bitrates_bps.size(); ++i) {
    const int64_t b = bitrates_bps[i];
    const int idx = static_cast<int>(i);
    if (lowest < 0 || b < bitrates_bps[static_cast<size_t>(lowest)]) lowest = idx;
    if (b <= rendition_bandwidth_bps &&
        (best < 0 || b > bitrates_bps[static_cast<size_t>(best)])) {
      best = idx;
    }
  }
  return best >= 0 ? best : lowest;
}

}  // namespace ssai
