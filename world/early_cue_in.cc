#include "world/early_cue_in.h"

#include <utility>

#include "reference/base/strings.h"

namespace ssai::world {

std::string AnnouncePlannedDurations(std::string text, const std::vector<origin::ScheduledBreak>& breaks,
                                     const std::map<uint32_t, double>& planned_s) {
  for (const auto& [event_id, planned_duration_s] : planned_s) {
    double actual_s = 0;
    for (const origin::ScheduledBreak& b : breaks) {
      if (b.event_id == event_id) actual_s = b.duration_s;
    }
    const std::string actual = FormatDouble(actual_s), planned = FormatDouble(planned_duration_s);
    std::vector<std::pair<std::string, std::string>> rewrites = {
        {"#EXT-X-CUE-OUT:DURATION=" + actual + "\n", "#EXT-X-CUE-OUT:DURATION=" + planned + "\n"},
        {",Duration=" + actual + "\n", ",Duration=" + planned + "\n"},
        {",PLANNED-DURATION=" + actual + ",", ",PLANNED-DURATION=" + planned + ","},
    };
    // CUE-OUT-CONT lines also carry the OUT's SCTE-35 (whose break_duration is the actual one):
    // announce the plan and drop the contradicting binary.
    const std::string cont = ",Duration=" + actual + ",SCTE35=";
    for (size_t at = text.find(cont); at != std::string::npos; at = text.find(cont, at)) {
      const size_t eol = text.find('\n', at);
      text.replace(at, (eol == std::string::npos ? text.size() : eol) - at, ",Duration=" + planned);
    }
    for (const auto& [from, to] : rewrites) {
      for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
      }
    }
  }
  return text;
}

}  // namespace ssai::world
