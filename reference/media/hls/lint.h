// HLS linter: checks a parsed playlist (and successive reloads of one media playlist) against the
// rules of RFC 8216 / draft-pantos-hls-rfc8216bis that SSAI output most often breaks.
//
// Every rule has a stable dotted id (hls.target_duration.bound, ...), the spec section it enforces
// and a severity; LintRules() is the catalogue. Single-playlist rules run in LintMedia/LintMaster;
// rules that compare two versions of one media playlist (bis §6.2.1, §6.2.2) run in ReloadLinter.
//
// Pure: no I/O, no clock. Callers read files and parse; findings carry the playlist's 1-based
// source line (Tag::line, MediaSegment::line()/uri_line()), or 0 when the playlist was built in
// code. Linear in the size of the playlist(s).
#ifndef SSAI_REFERENCE_MEDIA_HLS_LINT_H_
#define SSAI_REFERENCE_MEDIA_HLS_LINT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/media/hls/playlist.h"

namespace ssai::hls {

enum class Severity : uint8_t {
  kError,    // a MUST / MUST NOT of the spec (or a failure players are known to hit)
  kWarning,  // a SHOULD, or a pattern that is legal but known to break players
};

// "error" / "warning".
std::string_view SeverityName(Severity severity);

// Which linter runs a rule.
enum class RuleScope : uint8_t {
  kMedia,   // LintMedia
  kMaster,  // LintMaster
  kBoth,    // LintMedia and LintMaster
  kReload,  // ReloadLinter (compares successive reloads)
};

struct RuleInfo {
  std::string_view id;       // "hls.target_duration.bound"
  std::string_view section;  // "RFC 8216 §4.3.3.1 / bis §4.4.3.1, §6.2.1"
  Severity severity;
  RuleScope scope;
  std::string_view description;  // one line
};

struct Finding {
  std::string rule_id;
  int line = 0;  // 1-based line in the playlist the finding is about (the newer one for reloads)
  Severity severity = Severity::kError;
  std::string message;
  std::string file;  // set by callers that know it (the CLI); empty from the library
};

// The rule catalogue, in a stable order (single-playlist rules first, then reload rules).
const std::vector<RuleInfo>& LintRules();
// nullptr for an unknown id.
const RuleInfo* FindRule(std::string_view id);

// Single-playlist rules. Findings are ordered by line (then catalogue order).
std::vector<Finding> LintMedia(const MediaPlaylist& playlist);
std::vector<Finding> LintMaster(const MasterPlaylist& playlist);
std::vector<Finding> LintPlaylist(const Playlist& playlist);

// Reload rules over successive versions of one media playlist (bis §6.2.1, §6.2.2): feed each
// reload in order. Observe returns only reload-rule findings (run LintMedia for the others); the
// first call returns none. Lines refer to `next`.
//
// Playlist Delta Updates (EXT-X-SKIP, bis §6.2.5.1) are compared on the segments they list; the
// discontinuity-sequence and date-range removal checks are skipped for them, since the skipped
// part is not visible.
class ReloadLinter {
 public:
  std::vector<Finding> Observe(const MediaPlaylist& next);
  void Reset();
  size_t observed() const { return observed_; }

 private:
  // Merged attributes of one date range across every reload seen so far.
  struct DateRangeRecord {
    std::map<std::string, std::string, std::less<>> attributes;  // name -> raw value ('"' kept)
  };
  std::optional<MediaPlaylist> prev_;
  std::map<std::string, DateRangeRecord, std::less<>> date_ranges_;
  size_t observed_ = 0;
};

// "RULE_ID line N: message", prefixed with "FILE: " when finding.file is not empty.
std::string FormatFinding(const Finding& finding);

// The lowest EXT-X-VERSION a media playlist tag needs by itself (bis §8; the model behind
// hls.version.min_for_features): 6 for EXT-X-MAP outside an I-frame playlist, 2 for a KEY with IV,
// 5 for KEYFORMAT or SAMPLE-AES, ... 1 for tags that need nothing. For writers that add tags
// (the splicer) and must raise the version no further than needed.
int MinVersionForTag(const Tag& tag, bool i_frames_only = false);

}  // namespace ssai::hls

#endif  // SSAI_REFERENCE_MEDIA_HLS_LINT_H_
