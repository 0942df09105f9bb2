// SCTE-35 cue intake (coordinator.h): turns the cue markers of the origin's playlists into break
// records, sans-I/O.
//
// The playlist goes through cues::Normalizer (one OUT/IN/cancel event per marker sequence,
// however many reloads show it); each event becomes an edit of a StagedBreaks: a new break
// (event id = the normalizer's, "#<msn>" added when it is taken), the end of one (an early IN),
// or its cancellation (SCTE 35 §9.7.3 splice_event_cancel_indicator). A repeated OUT of a break
// already held is a duplicate, not a new break. The caller makes the staged change durable and
// rolls the normalizer back (Rollback) when that fails, so the events come again.
#ifndef SSAI_REFERENCE_SSAI_SCTE35_INTAKE_H_
#define SSAI_REFERENCE_SSAI_SCTE35_INTAKE_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "reference/base/status.h"
#include "reference/base/time.h"
#include "reference/media/cues/normalizer.h"
#include "reference/media/hls/playlist.h"
#include "reference/ssai/break_records.h"
#include "reference/ssai/coordinator.h"

namespace ssai {

class Scte35Intake {
 public:
  struct Options {
    std::string channel_id;
    std::string default_pod_id;   // the pod asked for an SCTE-35 break
    bool defect_no_cue_dedupe = false;  // CoordinatorOptions' defect switches
    bool defect_ignore_cue_in = false;
  };
  // Two SCTE-35 OUTs for one event id whose splice times differ by at most this are one break
  // (the normalizer's same_break_tolerance_us default).
  static constexpr DurationMicros kSameBreakToleranceUs = 1'000'000;

  // `stats`: duplicate_cues is counted there.
  Scte35Intake(Options options, CoordinatorStats* stats) : options_(std::move(options)), stats_(stats) {}

  // The origin playlist, parsed. The origin usually answers with the text it gave last time: it
  // is parsed once (only text that parsed is remembered).
  Result<std::shared_ptr<const hls::MediaPlaylist>> Parse(std::string_view text);

  // Runs `playlist` through the normalizer and applies its events to `staged` at `now` (breaks
  // starting at or before `retired_through` are older than the ledger's horizon and ignored),
  // then resolves overlaps. Returns the normalizer as it was, for Rollback.
  cues::Normalizer Observe(const hls::MediaPlaylist& playlist, StagedBreaks* staged, UnixMicros now,
                           std::optional<UnixMicros> retired_through);
  void Rollback(cues::Normalizer saved) {
    normalizer_ = std::move(saved);
    observed_.reset();
  }
  // Forgets every marker seen (a restart: what the store holds is the truth).
  void Reset() {
    normalizer_ = cues::Normalizer();
    observed_.reset();
  }
  // True when `playlist` (as Parse returned it) is the reload the normalizer took last, with no
  // Rollback or Reset since: observing it again finds no event and leaves the normalizer as it is
  // (every marker position is already seen, the timeline and the expiry are the same:
  // cues::Normalizer::Push of a repeated reload), so Observe would change nothing in the staged
  // records beyond ResolveOverlaps. False under defect_no_cue_dedupe (it resets the normalizer
  // every reload).
  bool IsRepeat(const hls::MediaPlaylist& playlist) const {
    return !options_.defect_no_cue_dedupe && observed_ != nullptr && observed_.get() == &playlist;
  }

 private:
  void ApplyStart(const cues::BreakEvent& e, StagedBreaks* s, UnixMicros now,
                  std::optional<UnixMicros> retired_through);
  void ApplyEnd(const cues::BreakEvent& e, StagedBreaks* s);
  void ApplyCancel(const cues::BreakEvent& e, StagedBreaks* s, UnixMicros now);

  Options options_;
  CoordinatorStats* stats_;
  cues::Normalizer normalizer_;
  std::string last_parsed_text_;
  std::shared_ptr<const hls::MediaPlaylist> last_parsed_;
  // The parsed reload the normalizer took last (IsRepeat); held, so its address is not reused.
  std::shared_ptr<const hls::MediaPlaylist> observed_;
};

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_SCTE35_INTAKE_H_
