#include "reference/media/cues/normalizer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <utility>
#include <variant>

namespace ssai::cues {

namespace {

constexpr size_t kNoEvent = static_cast<size_t>(-1);
constexpr DurationMicros kBoundaryTolerance = 1000;  // 1 ms: EXTINF rounding at boundaries
constexpr size_t kRecentBreaks = 16;

// 90 kHz ticks → microseconds, rounded to nearest (ticks may be 40-bit segmentation durations).
DurationMicros TicksToMicros(int64_t ticks) { return (ticks * 100 + 4) / 9; }

std::string Hex2(uint8_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", v);
  return buf;
}

bool IsBreakStartType(uint8_t t) {
  return t == 0x22 || t == 0x30 || t == 0x32 || t == 0x34 || t == 0x36;
}
bool IsBreakEndType(uint8_t t) {
  return t == 0x23 || t == 0x31 || t == 0x33 || t == 0x35 || t == 0x37;
}
// Nesting rank of a break start type: a break (0x22) holds placement opportunities (0x34/0x36),
// which hold advertisements (0x30/0x32).
int Rank(uint8_t t) {
  switch (t) {
    case 0x22:
      return 3;
    case 0x34:
    case 0x36:
      return 2;
    case 0x30:
    case 0x32:
      return 1;
    default:
      return 0;
  }
}
// Lower is stronger (scte35.md §4 precedence; an actual DATERANGE DURATION beats all plans).
int Precedence(DurationSource s) {
  switch (s) {
    case DurationSource::kDaterangeDuration:
      return 0;
    case DurationSource::kBreakDuration:
      return 1;
    case DurationSource::kSegmentationDuration:
      return 2;
    case DurationSource::kCueOut:
      return 3;
    case DurationSource::kCueOutCont:
      return 4;
    case DurationSource::kDaterangePlanned:
      return 5;
    case DurationSource::kMeasured:
      return 6;
    case DurationSource::kNone:
      return 7;
  }
  return 7;
}

// EXTINF seconds → microseconds, bounded like marker durations so sums cannot overflow.
DurationMicros SegmentMicros(double s) {
  if (!(s > 0)) return 0;
  return SecondsToMicros(std::min(s, kMaxMarkerSeconds));
}

std::string FormatSeconds(DurationMicros us) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3f s", MicrosToSeconds(us));
  return buf;
}

}  // namespace

std::string_view EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kStart:
      return "start";
    case EventKind::kEnd:
      return "end";
    case EventKind::kCancel:
      return "cancel";
  }
  return "";
}

std::string_view DurationSourceName(DurationSource source) {
  switch (source) {
    case DurationSource::kNone:
      return "";
    case DurationSource::kBreakDuration:
      return "splice_insert.break_duration";
    case DurationSource::kSegmentationDuration:
      return "segmentation_duration";
    case DurationSource::kCueOut:
      return "cue_out";
    case DurationSource::kDaterangePlanned:
      return "daterange_planned";
    case DurationSource::kDaterangeDuration:
      return "daterange_duration";
    case DurationSource::kCueOutCont:
      return "cue_out_cont";
    case DurationSource::kMeasured:
      return "measured";
  }
  return "";
}

std::string_view TimeSourceName(TimeSource source) {
  switch (source) {
    case TimeSource::kProgramDateTime:
      return "pdt";
    case TimeSource::kDateRange:
      return "daterange_start_date";
    case TimeSource::kSynthetic:
      return "synthetic";
  }
  return "";
}

std::string_view EndReasonName(EndReason reason) {
  switch (reason) {
    case EndReason::kNone:
      return "";
    case EndReason::kIn:
      return "in";
    case EndReason::kDuration:
      return "duration";
    case EndReason::kNextOut:
      return "next_out";
    case EndReason::kFinish:
      return "finish";
    case EndReason::kCancel:
      return "cancel";
  }
  return "";
}

// One thing a marker says, ready for the state machine.
struct Normalizer::Signal {
  Action action = Action::kOut;
  std::string raw_id;  // "" = no id (derived "cue-<msn>" if it opens a break)
  IdKind id_kind = IdKind::kDerived;
  std::string key;  // identity for dedupe; "" = position dedupe only
  UnixMicros time = 0;
  TimeSource time_source = TimeSource::kProgramDateTime;
  int64_t msn = 0;
  int line = 0;
  Flavour flavour = Flavour::kCueOut;
  std::optional<DurationMicros> duration;
  DurationSource duration_source = DurationSource::kNone;
  bool auto_end = true;
  std::optional<int64_t> pts;
  uint8_t seg_type = 0;
  std::optional<DurationMicros> elapsed;  // kCont
  // DATERANGE IN without its own START-DATE: ends at the open break's start + this.
  std::optional<DurationMicros> end_after_start;
  size_t segment_index = 0;
  size_t seq = 0;
  int Order() const {
    switch (action) {
      case Action::kIn:
        return 0;
      case Action::kCancel:
        return 1;
      case Action::kOut:
        return id_kind == IdKind::kDerived ? 3 : 2;
      case Action::kCont:
        return 4;
    }
    return 5;
  }
};

Normalizer::Normalizer(NormalizerOptions options) : options_(options) {}

Normalizer::Timeline Normalizer::BuildTimeline(const hls::MediaPlaylist& playlist,
                                               NormalizeResult* r) {
  Timeline tl;
  const auto& segments = playlist.segments();
  const size_t n = segments.size();
  tl.segs.resize(n);
  bool has_pdt = false;
  DurationMicros total = 0;
  for (size_t i = 0; i < n; ++i) {
    tl.segs[i].msn = playlist.SequenceNumberOf(i);
    tl.segs[i].duration = SegmentMicros(segments[i].duration_s());
    tl.segs[i].line = segments[i].line();
    total += tl.segs[i].duration;
    if (segments[i].program_date_time()) has_pdt = true;
  }
  tl.next_msn = playlist.SequenceNumberOf(n);
  if (n > 0) {
    tl.nominal = total / static_cast<DurationMicros>(n);
  }
  if (tl.nominal <= 0) {
    std::optional<int64_t> td = playlist.target_duration_s();
    tl.nominal = td && *td > 0 ? *td * kMicrosPerSecond : 6 * kMicrosPerSecond;
  }
  if (n > 0 && last_first_msn_ && tl.segs[0].msn < *last_first_msn_) {
    r->warnings.push_back({0, "EXT-X-MEDIA-SEQUENCE went backwards (" +
                                  std::to_string(tl.segs[0].msn) + " after " +
                                  std::to_string(*last_first_msn_) +
                                  "; RFC 8216 §6.2.2): dedupe by sequence number may misfire"});
  }
  if (n > 0) last_first_msn_ = tl.segs[0].msn;

  if (has_pdt) {
    tl.source = TimeSource::kProgramDateTime;
    const std::vector<std::optional<UnixMicros>> starts = playlist.SegmentStartTimes();
    for (size_t i = 0; i < n; ++i) tl.segs[i].start = starts[i].value_or(0);
  } else {
    tl.source = TimeSource::kSynthetic;
    if (!noted_synthetic_) {
      noted_synthetic_ = true;
      r->notes.push_back({0,
                          "no EXT-X-PROGRAM-DATE-TIME: times are on a synthetic timeline "
                          "(first observed segment = 1970-01-01T00:00:00Z)"});
    }
    // Anchor on the first segment already known by msn; else continue after the last known one.
    std::optional<UnixMicros> base;  // start of segment 0
    DurationMicros before = 0;
    for (size_t i = 0; i < n && !base; ++i) {
      auto it = synthetic_.find(tl.segs[i].msn);
      if (it != synthetic_.end()) base = it->second.first - before;
      before += tl.segs[i].duration;
    }
    if (!base && n > 0) {
      if (synthetic_.empty()) {
        base = 0;
      } else {
        const auto& [last_msn, last] = *synthetic_.rbegin();
        // Segments skipped between reloads: assume nominal durations (bounded: a wild jump in
        // EXT-X-MEDIA-SEQUENCE must not overflow the arithmetic).
        int64_t gap = std::clamp<int64_t>(tl.segs[0].msn - last_msn - 1, 0, 1'000'000);
        base = last.first + last.second + gap * tl.nominal;
      }
    }
    UnixMicros t = base.value_or(0);
    for (size_t i = 0; i < n; ++i) {
      tl.segs[i].start = t;
      t += tl.segs[i].duration;
      synthetic_[tl.segs[i].msn] = {tl.segs[i].start, tl.segs[i].duration};
    }
    if (n > 0) {
      int64_t horizon = tl.segs[0].msn - 64;
      while (!synthetic_.empty() && synthetic_.begin()->first < horizon) {
        synthetic_.erase(synthetic_.begin());
      }
    }
  }
  if (n > 0) {
    tl.end = tl.segs.back().start + tl.segs.back().duration;
  } else if (have_timeline_) {
    tl.end = last_timeline_.end;
  }
  return tl;
}

void Normalizer::Locate(UnixMicros t, const Timeline& tl, int64_t* msn, int* line) const {
  *line = 0;
  if (tl.segs.empty()) {
    *msn = tl.next_msn;
    return;
  }
  const UnixMicros probe = t + kBoundaryTolerance;
  if (probe < tl.segs.front().start) {
    DurationMicros gap = tl.segs.front().start - probe;
    *msn = tl.segs.front().msn - (gap + tl.nominal - 1) / tl.nominal;
    return;
  }
  for (size_t i = tl.segs.size(); i-- > 0;) {
    const Seg& s = tl.segs[i];
    if (s.start <= probe) {
      if (probe < s.start + s.duration || i + 1 < tl.segs.size()) {
        *msn = s.msn;
        *line = s.line;
      } else {
        *msn = tl.next_msn + (probe - tl.end) / tl.nominal;
      }
      return;
    }
  }
  *msn = tl.segs.front().msn;
}

std::vector<Normalizer::Signal> Normalizer::SignalsOf(const Marker& m, const Timeline& tl,
                                                      NormalizeResult* r) const {
  std::vector<Signal> out;
  Signal base;
  base.time = m.segment_index < tl.segs.size() ? tl.segs[m.segment_index].start : tl.end;
  base.time_source = tl.source;
  base.msn = m.msn;
  base.line = m.line;
  base.flavour = m.flavour;
  base.segment_index = m.segment_index;

  // What the SCTE-35 section says, as signals (SCTE 35 §9.7.3 splice_insert, §9.7.4 time_signal
  // with §10.3.3 segmentation descriptors).
  auto section_signals = [&](const scte35::SpliceInfoSection& sec) {
    std::vector<Signal> sigs;
    std::optional<int64_t> pts = scte35::EffectiveSplicePtsTicks(sec);
    const std::string pts_text = pts ? std::to_string(*pts) : "immediate";
    if (const auto* si = std::get_if<scte35::SpliceInsert>(&sec.command)) {
      Signal s = base;
      s.raw_id = std::to_string(si->splice_event_id);
      s.id_kind = IdKind::kScte35;
      s.pts = pts;
      if (si->splice_event_cancel_indicator) {
        s.action = Action::kCancel;
        s.key = "si:" + s.raw_id + ":cancel";
        s.pts.reset();
      } else if (si->out_of_network_indicator) {
        s.action = Action::kOut;
        s.key = "si:" + s.raw_id + ":out:" + pts_text;
        if (si->break_duration) {
          s.duration = TicksToMicros(si->break_duration->duration_ticks);
          s.duration_source = DurationSource::kBreakDuration;
          s.auto_end = si->break_duration->auto_return;  // §9.8.2: 0 = wait for an explicit IN
        }
      } else {
        s.action = Action::kIn;  // out_of_network_indicator = 0: return to the network
        s.key = "si:" + s.raw_id + ":in:" + pts_text;
      }
      sigs.push_back(std::move(s));
    } else if (std::holds_alternative<scte35::TimeSignal>(sec.command)) {
      bool any_segmentation = false;
      for (const scte35::SpliceDescriptor& d : sec.descriptors) {
        const auto* seg = std::get_if<scte35::SegmentationDescriptor>(&d);
        if (seg == nullptr) continue;
        any_segmentation = true;
        Signal s = base;
        s.raw_id = std::to_string(seg->segmentation_event_id);
        s.id_kind = IdKind::kScte35;
        s.pts = pts;
        if (seg->segmentation_event_cancel_indicator) {
          s.action = Action::kCancel;
          s.key = "seg:" + s.raw_id + ":cancel";
          s.pts.reset();
          sigs.push_back(std::move(s));
          continue;
        }
        const uint8_t t = seg->segmentation_type_id;
        s.seg_type = t;
        s.key = "seg:" + s.raw_id + ":" + Hex2(t) + ":" + pts_text;
        if (IsBreakStartType(t)) {
          s.action = Action::kOut;
          if (seg->segmentation_duration_ticks) {
            s.duration = TicksToMicros(static_cast<int64_t>(*seg->segmentation_duration_ticks));
            s.duration_source = DurationSource::kSegmentationDuration;
          }
          sigs.push_back(std::move(s));
        } else if (IsBreakEndType(t)) {
          s.action = Action::kIn;
          sigs.push_back(std::move(s));
        } else {
          r->notes.push_back(
              {m.line, std::string(FlavourName(m.flavour)) + ": time_signal segmentation type " +
                           Hex2(t) + " (" + std::string(scte35::SegmentationTypeName(t)) +
                           "), event " + s.raw_id + ", is not an ad break; ignored"});
        }
      }
      if (!any_segmentation) {
        r->notes.push_back({m.line, std::string(FlavourName(m.flavour)) +
                                        ": time_signal without segmentation descriptors; ignored"});
      }
    } else {
      r->notes.push_back(
          {m.line, std::string(FlavourName(m.flavour)) + ": " +
                       std::string(scte35::SpliceCommandName(scte35::CommandType(sec.command))) +
                       " carries no ad-break information; ignored"});
    }
    return sigs;
  };

  // A marker whose HLS syntax alone says OUT / IN / CONT (no usable SCTE-35).
  auto plain = [&](Direction dir) {
    Signal s = base;
    if (!m.id.empty()) {
      s.raw_id = m.id;
      s.id_kind = IdKind::kNamed;
    }
    switch (dir) {
      case Direction::kOut:
        s.action = Action::kOut;
        if (m.duration_s) {
          s.duration = SecondsToMicros(*m.duration_s);
          s.duration_source = DurationSource::kCueOut;
        }
        break;
      case Direction::kIn:
        s.action = Action::kIn;
        break;
      case Direction::kCont:
        s.action = Action::kCont;
        if (m.elapsed_s) s.elapsed = SecondsToMicros(*m.elapsed_s);
        if (m.duration_s) {
          s.duration = SecondsToMicros(*m.duration_s);
          s.duration_source = DurationSource::kCueOutCont;
        }
        break;
      case Direction::kSignal:
        return;
    }
    out.push_back(std::move(s));
  };

  if (m.flavour == Flavour::kDateRange) {
    // RFC 8216 §4.3.2.7.1: START-DATE of the OUT is the splice time; the IN (same ID) carries the
    // actual DURATION or END-DATE.
    if (tl.source == TimeSource::kSynthetic && m.start_date) {
      r->warnings.push_back({m.line,
                             "EXT-X-DATERANGE: START-DATE ignored: the playlist has no "
                             "EXT-X-PROGRAM-DATE-TIME (RFC 8216 §4.3.2.7 requires one)"});
    }
    const bool dates = tl.source != TimeSource::kSynthetic;
    if (m.direction == Direction::kSignal) {  // SCTE35-CMD: the section decides
      if (m.scte35) {
        for (Signal& s : section_signals(*m.scte35)) {
          if (dates && m.start_date) {
            s.time = *m.start_date;
            s.time_source = TimeSource::kDateRange;
            int line;
            Locate(s.time, tl, &s.msn, &line);
          }
          out.push_back(std::move(s));
        }
      }
      return out;
    }
    Signal s = base;
    if (!m.id.empty()) {
      s.raw_id = m.id;
      s.id_kind = IdKind::kNamed;
      // (ID, direction, dates): a tag repeated or rewritten with its actual DURATION is the same
      // signal; an ID reused for a later break (RFC 8216 §4.3.2.7 forbids it) is not.
      s.key = "dr:" + m.id + (m.direction == Direction::kOut ? ":out:" : ":in:") +
              (m.start_date ? std::to_string(*m.start_date) : "") + ":" +
              (m.direction == Direction::kIn && m.end_date ? std::to_string(*m.end_date) : "");
    }
    std::vector<Signal> from_section;
    if (m.scte35) from_section = section_signals(*m.scte35);
    for (const Signal& f : from_section) {
      if (f.action == Action::kCancel) {
        s.action = Action::kCancel;
        out.push_back(s);
        return out;
      }
    }
    if (m.direction == Direction::kOut) {
      s.action = Action::kOut;
      if (dates && m.start_date) {
        s.time = *m.start_date;
        s.time_source = TimeSource::kDateRange;
        int line;
        Locate(s.time, tl, &s.msn, &line);
      }
      for (const Signal& f : from_section) {
        if (f.action != Action::kOut) continue;
        s.pts = f.pts;
        s.seg_type = f.seg_type;
        s.auto_end = f.auto_end;
        if (f.duration) {
          s.duration = f.duration;
          s.duration_source = f.duration_source;
        }
        break;
      }
      if (m.daterange_duration_s) {
        s.duration = SecondsToMicros(*m.daterange_duration_s);
        s.duration_source = DurationSource::kDaterangeDuration;
        s.auto_end = true;
      } else if (!s.duration && m.planned_duration_s) {
        s.duration = SecondsToMicros(*m.planned_duration_s);
        s.duration_source = DurationSource::kDaterangePlanned;
      }
    } else {
      s.action = Action::kIn;
      for (const Signal& f : from_section) {
        if (f.action == Action::kIn) s.pts = f.pts;
      }
      if (dates && m.start_date && m.daterange_duration_s) {
        s.time = *m.start_date + SecondsToMicros(*m.daterange_duration_s);
        s.time_source = TimeSource::kDateRange;
      } else if (dates && m.end_date) {
        s.time = *m.end_date;
        s.time_source = TimeSource::kDateRange;
      } else if (m.daterange_duration_s) {
        s.end_after_start = SecondsToMicros(*m.daterange_duration_s);
      }
      if (s.time_source == TimeSource::kDateRange) {
        int line;
        Locate(s.time, tl, &s.msn, &line);
      }
    }
    out.push_back(std::move(s));
    return out;
  }

  if (m.scte35) {
    std::vector<Signal> sigs = section_signals(*m.scte35);
    if (m.direction == Direction::kCont) {
      // CUE-OUT-CONT SCTE35= / EXT-X-SCTE35 CUE-OUT=CONT: a copy of the OUT that opened the break.
      Signal s = base;
      s.action = Action::kCont;
      if (m.elapsed_s) s.elapsed = SecondsToMicros(*m.elapsed_s);
      if (m.duration_s) {
        s.duration = SecondsToMicros(*m.duration_s);
        s.duration_source = DurationSource::kCueOutCont;
      }
      for (const Signal& f : sigs) {
        if (f.action != Action::kOut) continue;
        s.raw_id = f.raw_id;
        s.id_kind = f.id_kind;
        s.key = f.key;
        s.pts = f.pts;
        s.seg_type = f.seg_type;
        s.auto_end = f.auto_end;
        if (f.duration) {
          s.duration = f.duration;
          s.duration_source = f.duration_source;
        }
        break;
      }
      out.push_back(std::move(s));
      return out;
    }
    if (sigs.empty()) {
      plain(m.direction);  // e.g. EXT-X-SCTE35 CUE-OUT=YES with a splice_null
      return out;
    }
    for (Signal& s : sigs) {
      if ((m.direction == Direction::kOut && s.action == Action::kIn) ||
          (m.direction == Direction::kIn && s.action == Action::kOut)) {
        // E.g. EXT-X-SCTE35:CUE-IN=YES carrying a copy of the OUT section. The tag's explicit
        // direction wins; the section only lends its event id (and is not a dedupe identity,
        // or the IN would be dropped as a repeat of the OUT).
        r->warnings.push_back({m.line, std::string(FlavourName(m.flavour)) + ": the tag says " +
                                           std::string(DirectionName(m.direction)) +
                                           " but its SCTE-35 section says the opposite; "
                                           "following the tag"});
        s.action = m.direction == Direction::kIn ? Action::kIn : Action::kOut;
        s.key.clear();
        s.pts.reset();
        s.seg_type = 0;
        s.duration.reset();
        s.duration_source = DurationSource::kNone;
        s.auto_end = true;
      }
      if (s.action == Action::kOut && !s.duration && m.duration_s) {
        s.duration = SecondsToMicros(*m.duration_s);
        s.duration_source = DurationSource::kCueOut;
      }
      out.push_back(std::move(s));
    }
    return out;
  }
  plain(m.direction);
  return out;
}

std::string Normalizer::MakeEventId(const std::string& raw_id, int64_t msn) {
  std::string base = raw_id.empty() ? "cue-" + std::to_string(msn) : raw_id;
  std::string id = base;
  if (used_ids_.count(id)) {
    id = base + "#" + std::to_string(msn);
    for (int k = 2; used_ids_.count(id); ++k) {
      id = base + "#" + std::to_string(msn) + "." + std::to_string(k);
    }
  }
  used_ids_.insert(base);
  used_ids_.insert(id);
  return id;
}

void Normalizer::Open(const Signal& s, UnixMicros start, int64_t msn, const Timeline& tl,
                      NormalizeResult* r) {
  OpenBreak b;
  b.raw_id = s.raw_id;
  b.id_kind = s.id_kind;
  b.event_id = MakeEventId(s.raw_id, msn);
  b.start = start;
  b.time_source = s.time_source;
  b.duration = s.duration;
  b.duration_source = s.duration_source;
  b.auto_end = s.auto_end;
  b.flavour = s.flavour;
  b.msn = msn;
  b.pts = s.pts;
  b.seg_type = s.seg_type;
  BreakEvent e;
  e.kind = EventKind::kStart;
  e.event_id = b.event_id;
  e.splice_time = start;
  e.time_source = s.time_source;
  if (s.duration) e.duration_s = MicrosToSeconds(*s.duration);
  e.duration_source = s.duration_source;
  e.flavour = s.flavour;
  e.msn = msn;
  e.line = s.line;
  e.pts_ticks = s.pts;
  if (s.seg_type) e.segmentation_type_id = s.seg_type;
  b.start_event = r->events.size();
  r->events.push_back(std::move(e));
  open_ = std::move(b);
}

void Normalizer::Close(UnixMicros end, EndReason reason, const Signal* s, const Timeline& tl,
                       NormalizeResult* r) {
  OpenBreak& b = *open_;
  end = std::max(end, b.start);
  BreakEvent e;
  e.kind = EventKind::kEnd;
  e.event_id = b.event_id;
  e.splice_time = end;
  e.time_source = s != nullptr ? s->time_source : b.time_source;
  e.duration_s = MicrosToSeconds(end - b.start);
  e.duration_source = (reason == EndReason::kDuration || reason == EndReason::kFinish)
                          ? b.duration_source
                          : DurationSource::kMeasured;
  e.reason = reason;
  e.flavour = s != nullptr ? s->flavour : b.flavour;
  int line = 0;
  Locate(end, tl, &e.msn, &line);
  e.line = s != nullptr ? s->line : line;
  if (s != nullptr && s->time == end && s->time_source != TimeSource::kDateRange) e.msn = s->msn;
  if (s != nullptr) {
    e.pts_ticks = s->pts;
    if (s->seg_type) e.segmentation_type_id = s->seg_type;
  }
  r->events.push_back(std::move(e));
  recent_.push_back({b.raw_id, b.start, end});
  while (recent_.size() > kRecentBreaks) recent_.pop_front();
  open_.reset();
}

void Normalizer::ExpireBefore(UnixMicros t, const Timeline& tl, NormalizeResult* r) {
  if (!open_ || !open_->auto_end || !open_->duration) return;
  const UnixMicros end = open_->start + *open_->duration;
  if (end + options_.expiry_grace_us < t) Close(end, EndReason::kDuration, nullptr, tl, r);
}

void Normalizer::Process(const Signal& s, const Timeline& tl, NormalizeResult* r) {
  ExpireBefore(s.time, tl, r);
  if (!s.key.empty()) {
    auto [it, inserted] = seen_signals_.emplace(s.key, s.msn);
    if (!inserted) {
      it->second = std::max(it->second, s.msn);
      // RFC 8216 §6.2.1: the server SHOULD add the actual DURATION to the DATERANGE once known.
      if (s.action == Action::kOut && s.duration_source == DurationSource::kDaterangeDuration &&
          open_ && open_->id_kind == s.id_kind && open_->raw_id == s.raw_id &&
          open_->duration_source != DurationSource::kDaterangeDuration) {
        open_->duration = s.duration;
        open_->duration_source = s.duration_source;
        open_->auto_end = true;
      }
      return;
    }
  }
  const std::string where = std::string(FlavourName(s.flavour)) + ": ";
  switch (s.action) {
    case Action::kOut: {
      if (open_) {
        OpenBreak& b = *open_;
        if (std::llabs(s.time - b.start) <= options_.same_break_tolerance_us) {
          // The same splice announced by a second marker (CUE-OUT beside OATCLS, DATERANGE, ...).
          const bool pending = b.start_event != kNoEvent;
          if (s.duration && Precedence(s.duration_source) < Precedence(b.duration_source) &&
              (pending || !b.duration)) {
            b.duration = s.duration;
            b.duration_source = s.duration_source;
            b.auto_end = s.auto_end;
            if (pending) {
              r->events[b.start_event].duration_s = MicrosToSeconds(*s.duration);
              r->events[b.start_event].duration_source = s.duration_source;
            }
          }
          if (pending && b.id_kind == IdKind::kDerived && s.id_kind != IdKind::kDerived) {
            used_ids_.erase(b.event_id);
            b.raw_id = s.raw_id;
            b.id_kind = s.id_kind;
            b.event_id = MakeEventId(s.raw_id, b.msn);
            r->events[b.start_event].event_id = b.event_id;
          }
          if (!b.pts && s.pts) b.pts = s.pts;
          if (!b.seg_type && s.seg_type) b.seg_type = s.seg_type;
          // Another event at the same splice (a 0x34 beside its 0x22): its end must not close
          // or be reported against this break.
          if (s.id_kind == b.id_kind && s.raw_id != b.raw_id) b.nested_ids.insert(s.raw_id);
          return;
        }
        if (s.id_kind == IdKind::kDerived) {
          // A plain OUT (no id) is told from a repeat by time only: inside the open break's
          // planned span it repeats it; from same_break_tolerance_us before its planned end on it
          // is the next break (back-to-back pods: the second CUE-OUT sits where the first break
          // ends, before expiry_grace_us has expired the first). Never by closeness to the end.
          const UnixMicros planned_end = b.duration ? b.start + *b.duration : 0;
          if (!b.duration || s.time + options_.same_break_tolerance_us < planned_end) {
            r->notes.push_back({s.line, where + "OUT while break " + b.event_id +
                                            " is open: a repeat, not a new break; ignored"});
            return;
          }
          if (b.auto_end && s.time >= planned_end) {
            Close(planned_end, EndReason::kDuration, nullptr, tl, r);
          } else {
            Close(s.time, EndReason::kNextOut, &s, tl, r);
          }
          Open(s, s.time, s.msn, tl, r);
          return;
        }
        if (b.seg_type && s.seg_type && Rank(s.seg_type) < Rank(b.seg_type)) {
          b.nested_ids.insert(s.raw_id);
          r->notes.push_back({s.line, where + "segmentation " + Hex2(s.seg_type) + " event " +
                                          s.raw_id + " is nested in break " + b.event_id});
          return;
        }
        if (s.id_kind == b.id_kind && s.raw_id == b.raw_id) {
          r->notes.push_back({s.line, where + "OUT for event " + s.raw_id +
                                          " repeats the open break at another time; ignored"});
          return;
        }
        Close(s.time, EndReason::kNextOut, &s, tl, r);
      }
      for (const ClosedBreak& c : recent_) {
        if (std::llabs(s.time - c.start) <= options_.same_break_tolerance_us) {
          r->notes.push_back({s.line, where + "OUT repeats a break that already ended; ignored"});
          return;
        }
      }
      Open(s, s.time, s.msn, tl, r);
      return;
    }
    case Action::kIn: {
      if (!open_) {
        r->notes.push_back({s.line, where + "IN with no open break; ignored"});
        return;
      }
      OpenBreak& b = *open_;
      if (s.id_kind != IdKind::kDerived && s.id_kind == b.id_kind && s.raw_id != b.raw_id) {
        if (b.nested_ids.count(s.raw_id)) return;  // end of a nested ad / PO
        r->warnings.push_back({s.line, where + "IN for event " + s.raw_id +
                                           " does not match the open break " + b.event_id +
                                           "; ignored"});
        return;
      }
      if (s.seg_type && b.seg_type && s.seg_type != b.seg_type + 1) {
        r->warnings.push_back({s.line, where + "segmentation end type " + Hex2(s.seg_type) +
                                           " does not pair with start type " + Hex2(b.seg_type) +
                                           " (SCTE 35 Table 22)"});
      }
      UnixMicros end = s.time;
      if (s.end_after_start) end = b.start + *s.end_after_start;
      if (s.pts && b.pts) {
        // PTS arithmetic is modulo 2^33 (SCTE 35 §9.6 pts_adjustment; wrap at 95443.717678 s).
        int64_t ticks = (*s.pts - *b.pts) % scte35::kPtsWrap;
        if (ticks < 0) ticks += scte35::kPtsWrap;
        const DurationMicros by_pts = TicksToMicros(ticks);
        const DurationMicros by_time = end - b.start;
        if (std::llabs(by_pts - by_time) > options_.pts_mismatch_warn_us) {
          r->warnings.push_back({s.line, where + "SCTE-35 PTS says the break lasted " +
                                             FormatSeconds(by_pts) + ", the playlist timeline " +
                                             FormatSeconds(by_time)});
        }
      }
      Close(end, EndReason::kIn, &s, tl, r);
      return;
    }
    case Action::kCancel: {
      if (open_ && open_->nested_ids.count(s.raw_id)) return;
      BreakEvent e;
      e.kind = EventKind::kCancel;
      e.event_id = s.raw_id;
      e.splice_time = s.time;
      e.time_source = s.time_source;
      e.reason = EndReason::kCancel;
      e.flavour = s.flavour;
      e.msn = s.msn;
      e.line = s.line;
      if (open_ && open_->id_kind == s.id_kind && open_->raw_id == s.raw_id) {
        // SCTE 35 §9.7.3: a cancel withdraws the event; the break it opened is void.
        e.event_id = open_->event_id;
        recent_.push_back({open_->raw_id, open_->start, s.time});
        open_.reset();
      }
      r->events.push_back(std::move(e));
      return;
    }
    case Action::kCont: {
      if (open_) {
        OpenBreak& b = *open_;
        if (s.duration && !b.duration) {
          b.duration = s.duration;
          b.duration_source = s.duration_source;
          b.auto_end = s.auto_end;
          if (b.start_event != kNoEvent) {
            r->events[b.start_event].duration_s = MicrosToSeconds(*s.duration);
            r->events[b.start_event].duration_source = s.duration_source;
          }
        }
        return;
      }
      // A player (or poller) joining mid-break: the OUT has slid out of the window.
      UnixMicros start = s.time;
      if (s.elapsed) {
        start -= *s.elapsed;
      } else {
        r->warnings.push_back({s.line, where + "continuation without elapsed time and no open "
                                               "break: break start taken as this segment"});
      }
      for (const ClosedBreak& c : recent_) {
        if (std::llabs(start - c.start) <= options_.same_break_tolerance_us ||
            (start >= c.start && start < c.end)) {
          return;  // continuation of a break that already ended (by duration or an early IN)
        }
      }
      int64_t msn;
      int line;
      Locate(start, tl, &msn, &line);
      Open(s, start, msn, tl, r);
      return;
    }
  }
}

NormalizeResult Normalizer::Push(const hls::MediaPlaylist& playlist) {
  NormalizeResult r;
  Timeline tl = BuildTimeline(playlist, &r);
  ExtractResult ex = ExtractMarkers(playlist);
  r.warnings.insert(r.warnings.end(), ex.warnings.begin(), ex.warnings.end());

  std::vector<Signal> signals;
  for (const Marker& m : ex.markers) {
    std::string position = std::to_string(m.msn) + "|" + m.text;
    if (!seen_positions_.emplace(std::move(position), m.msn).second) continue;  // reload repeat
    for (Signal& s : SignalsOf(m, tl, &r)) {
      s.seq = signals.size();
      signals.push_back(std::move(s));
    }
  }
  std::stable_sort(signals.begin(), signals.end(), [](const Signal& a, const Signal& b) {
    if (a.segment_index != b.segment_index) return a.segment_index < b.segment_index;
    if (a.Order() != b.Order()) return a.Order() < b.Order();
    return a.seq < b.seq;
  });
  for (const Signal& s : signals) Process(s, tl, &r);
  ExpireBefore(tl.end, tl, &r);

  if (!tl.segs.empty()) {
    const int64_t first = tl.segs.front().msn;
    for (auto it = seen_positions_.begin(); it != seen_positions_.end();) {
      it = it->second < first ? seen_positions_.erase(it) : std::next(it);
    }
    const int64_t horizon = first - 2 * static_cast<int64_t>(tl.segs.size());
    for (auto it = seen_signals_.begin(); it != seen_signals_.end();) {
      it = it->second < horizon ? seen_signals_.erase(it) : std::next(it);
    }
  }
  if (open_) open_->start_event = kNoEvent;
  last_timeline_ = std::move(tl);
  have_timeline_ = true;
  return r;
}

NormalizeResult Normalizer::Finish() {
  NormalizeResult r;
  if (open_) {
    if (open_->duration) {
      Close(open_->start + *open_->duration,
            open_->auto_end ? EndReason::kDuration : EndReason::kFinish, nullptr, last_timeline_,
            &r);
    } else {
      r.warnings.push_back({0, "break " + open_->event_id +
                                   " is still open at end of input: no IN and no duration"});
      open_.reset();
    }
  }
  return r;
}

NormalizeResult NormalizeReloads(const std::vector<hls::MediaPlaylist>& reloads,
                                 NormalizerOptions options) {
  Normalizer n(options);
  NormalizeResult all;
  auto append = [&all](NormalizeResult r) {
    for (auto& e : r.events) all.events.push_back(std::move(e));
    for (auto& w : r.warnings) all.warnings.push_back(std::move(w));
    for (auto& w : r.notes) all.notes.push_back(std::move(w));
  };
  for (const hls::MediaPlaylist& p : reloads) append(n.Push(p));
  append(n.Finish());
  return all;
}

std::string EventToJsonLine(const BreakEvent& e, std::string_view file) {
  nlohmann::ordered_json j;
  j["kind"] = EventKindName(e.kind);
  j["event_id"] = e.event_id;
  j["splice_time"] = FormatIso8601Millis(e.splice_time);
  j["time_source"] = TimeSourceName(e.time_source);
  j["duration_s"] = e.duration_s ? nlohmann::ordered_json(*e.duration_s) : nullptr;
  j["duration_source"] = e.duration_source == DurationSource::kNone
                             ? nlohmann::ordered_json(nullptr)
                             : nlohmann::ordered_json(DurationSourceName(e.duration_source));
  if (e.reason != EndReason::kNone) j["reason"] = EndReasonName(e.reason);
  j["flavour"] = FlavourName(e.flavour);
  j["msn"] = e.msn;
  j["file"] = file;
  j["line"] = e.line;
  if (e.pts_ticks) j["pts_ticks"] = *e.pts_ticks;
  if (e.segmentation_type_id) j["segmentation_type_id"] = Hex2(*e.segmentation_type_id);
  return j.dump();
}

}  // namespace ssai::cues
