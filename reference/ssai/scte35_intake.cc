#include "reference/ssai/scte35_intake.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "reference/base/strings.h"

namespace ssai {

namespace {

// What scte35Data.signalType says for an event: the SCTE-35 command when the marker carried a
// decodable section, else the marker flavour ("cue_out", "daterange", ...).
std::string SignalTypeOf(const cues::BreakEvent& e) {
  if (e.segmentation_type_id) return "time_signal";
  if (e.pts_ticks) return "splice_insert";
  return std::string(cues::FlavourName(e.flavour));
}

std::string ResolveId(const StagedBreaks& s, const std::string& normalizer_id) {
  auto it = s.alias.find(normalizer_id);
  return it == s.alias.end() ? normalizer_id : it->second;
}

std::string UniqueId(const BreakRecords& recs, const std::string& base, const std::string& sep, int64_t hint) {
  if (!recs.count(base)) return base;
  std::string id = base + sep + std::to_string(hint);
  for (int n = 2; recs.count(id); ++n) id = base + sep + std::to_string(hint) + "." + std::to_string(n);
  return id;
}

}  // namespace

Result<std::shared_ptr<const hls::MediaPlaylist>> Scte35Intake::Parse(std::string_view text) {
  if (!last_parsed_ || last_parsed_text_ != text) {
    Result<hls::MediaPlaylist> parsed = hls::ParseMedia(text);
    if (!parsed.ok()) return parsed.status();
    last_parsed_ = std::make_shared<const hls::MediaPlaylist>(std::move(parsed).value());
    last_parsed_text_.assign(text);
  }
  return last_parsed_;
}

cues::Normalizer Scte35Intake::Observe(const hls::MediaPlaylist& playlist, StagedBreaks* staged, UnixMicros now,
                                       std::optional<UnixMicros> retired_through) {
  cues::Normalizer saved = normalizer_;
  if (options_.defect_no_cue_dedupe) normalizer_ = cues::Normalizer();  // DEFECT seam (see ApplyStart)
  cues::NormalizeResult result = normalizer_.Push(playlist);
  observed_ = last_parsed_ && last_parsed_.get() == &playlist ? last_parsed_ : nullptr;
  for (const cues::BreakEvent& e : result.events) {
    switch (e.kind) {
      case cues::EventKind::kStart:
        ApplyStart(e, staged, now, retired_through);
        break;
      case cues::EventKind::kEnd:
        ApplyEnd(e, staged);
        break;
      case cues::EventKind::kCancel:
        ApplyCancel(e, staged, now);
        break;
    }
  }
  ResolveOverlaps(staged);
  return saved;
}

void Scte35Intake::ApplyStart(const cues::BreakEvent& e, StagedBreaks* s, UnixMicros now,
                              std::optional<UnixMicros> retired_through) {
  const UnixMicros start = FloorMillis(e.splice_time);
  if (retired_through && start <= *retired_through) return;  // older than the ledger's horizon
  if (!options_.defect_no_cue_dedupe) {
    // The same OUT seen again (a restarted coordinator's fresh normalizer, or a repeat the
    // normalizer let through): same event id, same splice point => the same break.
    for (auto& [id, r] : s->records) {
      const bool same_id = id == e.event_id || id.rfind(e.event_id + "#", 0) == 0;
      if (same_id && std::llabs(r.state.start_time - start) <= kSameBreakToleranceUs) {
        s->alias[e.event_id] = id;
        ++stats_->duplicate_cues;
        return;
      }
    }
    // The same splice point under another id (conformance R6b). A fresh normalizer (a
    // restarted coordinator) that no longer sees the OUT joins the running break from
    // CUE-OUT-CONT at segment time - ElapsedTime, and takes the id of the SCTE-35 section the
    // CONT carries (splice_event_id, SCTE 35 §9.7.3) where the OUT it replaced was a plain
    // CUE-OUT ("cue-<msn>"), or the reverse. The held break already occupies that splice point
    // (breaks never overlap, and the normalizer merges OUTs within this tolerance into one
    // break): it is the same break. Making a new one would cancel the held break (same start:
    // ResolveOverlaps keeps the later) and ask the decision service again, so edges would swap
    // the pod already playing for another one (or slate) under a new event id.
    for (auto& [id, r] : s->records) {
      if (r.cancelled || r.state.source != BreakSource::kScte35) continue;
      if (std::llabs(r.state.start_time - start) <= kSameBreakToleranceUs && start < r.state.end_time) {
        s->alias[e.event_id] = id;
        ++stats_->duplicate_cues;
        return;
      }
    }
  }
  // DEFECT(defect_no_cue_dedupe): with the switch on, the check above is skipped and the
  // normalizer is reset before every reload (Observe), so every reload that still shows the
  // OUT makes a new break (id "<id>~<n>") that replaces the previous one.
  const std::string id = options_.defect_no_cue_dedupe ? UniqueId(s->records, e.event_id, "~", s->next_seq)
                                                       : UniqueId(s->records, e.event_id, "#", e.msn);
  BreakRecord r;
  r.seq = s->next_seq++;
  r.state.channel_id = options_.channel_id;
  r.state.event_id = id;
  r.state.source = BreakSource::kScte35;
  r.state.start_time = start;
  double d = e.duration_s.value_or(0);
  r.duration_known = std::isfinite(d) && d > 0;
  if (!r.duration_known) d = kDefaultScte35BreakS;
  d = std::min(d, kMaxBreakDurationS);
  r.state.end_time = FloorMillis(start + SecondsToMicros(d));
  if (r.state.end_time <= start) r.state.end_time = start + kMicrosPerMilli;
  r.state.duration_s = MicrosToSeconds(r.state.end_time - start);
  r.state.created_at = FloorMillis(now);
  r.state.scte35_data = Scte35Data{FormatIso8601Millis(e.splice_time), SignalTypeOf(e), e.event_id, e.msn};
  r.pod_request = options_.default_pod_id;
  r.requested_duration_s = r.state.duration_s;
  r.state.decision.pod_id = r.pod_request;
  s->alias[e.event_id] = id;
  s->created.push_back(id);
  s->records.emplace(id, std::move(r));
}

void Scte35Intake::ApplyEnd(const cues::BreakEvent& e, StagedBreaks* s) {
  auto it = s->records.find(ResolveId(*s, e.event_id));
  if (it == s->records.end() || it->second.cancelled) return;
  // DEFECT(defect_ignore_cue_in): an explicit IN does not end the break; it runs its planned
  // duration.
  if (options_.defect_ignore_cue_in && e.reason == cues::EndReason::kIn) return;
  BreakRecord& r = it->second;
  const UnixMicros end = FloorMillis(e.splice_time);
  if (end <= r.state.start_time) {
    // IN at the OUT's own splice point: no slot was ever in the break.
    CancelBreak(&r, s);
  } else if (end < r.state.end_time || (!r.duration_known && end != r.state.end_time)) {
    // Early CUE-IN (or the IN of a break whose length was unknown): the break ends there.
    SetBreakEnd(&r, end);
  }
}

void Scte35Intake::ApplyCancel(const cues::BreakEvent& e, StagedBreaks* s, UnixMicros now) {
  auto it = s->records.find(ResolveId(*s, e.event_id));
  if (it == s->records.end() || it->second.cancelled) return;
  BreakRecord& r = it->second;
  const UnixMicros now_ms = FloorMillis(now);
  if (now_ms < r.state.start_time) {
    // Cancelled before its start (SCTE 35 §9.7.3 splice_event_cancel_indicator): it goes away
    // and inserts no discontinuity.
    CancelBreak(&r, s);
  } else {
    // Already playing: it ends now (what has played stays played, and counts in the ledger).
    const UnixMicros end = std::max(now_ms, r.state.start_time + kMicrosPerMilli);
    if (end < r.state.end_time) SetBreakEnd(&r, end);
  }
}

}  // namespace ssai
