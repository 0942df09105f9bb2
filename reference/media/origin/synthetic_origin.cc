#include "reference/media/origin/synthetic_origin.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>

#include <nlohmann/json.hpp>

#include "reference/base/encoding.h"
#include "reference/base/json_input.h"
#include "reference/base/strings.h"
#include "reference/media/scte35/splice_info_section.h"

namespace ssai::origin {

namespace {

using Json = nlohmann::json;

// Times beyond this (year ~2286) are refused so that tick arithmetic cannot overflow.
constexpr UnixMicros kMaxAbsTimeUs = 10'000'000'000'000'000;  // 1e16 µs
constexpr double kMaxSegmentDurationS = 60;
constexpr double kMaxBreakDurationS = 24 * 3600;
constexpr int kMaxWindowSegments = 10'000;

UnixMicros BreakEnd(const ScheduledBreak& b) { return b.start_time + SecondsToMicros(b.duration_s); }

// Microseconds on the 90 kHz clock (SCTE 35 §9.7.1) whose 0 is the stream start, mod 2^33.
int64_t PtsTicksAt(const SyntheticStreamSpec& spec, UnixMicros t) {
  const int64_t us = t - spec.start_time;
  const int64_t ticks = (us / 100) * 9 + ((us % 100) * 9) / 100;
  return scte35::EffectivePts((ticks + spec.pts_offset_ticks % scte35::kPtsWrap + scte35::kPtsWrap) % scte35::kPtsWrap, 0);
}

std::vector<uint8_t> InsertSection(const SyntheticStreamSpec& spec, const ScheduledBreak& brk,
                                   bool out) {
  scte35::SpliceInsert insert;
  insert.splice_event_id = brk.event_id;
  if (brk.cancelled) {
    insert.splice_event_cancel_indicator = true;  // SCTE 35 §9.7.3: no further fields
    scte35::SpliceInfoSection section;
    section.command = insert;
    Result<Bytes> bytes = scte35::Encode(section);
    return bytes.ok() ? std::move(bytes).value() : std::vector<uint8_t>{};
  }
  insert.out_of_network_indicator = out;
  insert.program_splice_flag = true;
  insert.splice_immediate_flag = false;
  insert.splice_time.time_specified_flag = true;
  const UnixMicros in_time = brk.in_after_s > 0 ? brk.start_time + SecondsToMicros(brk.in_after_s) : BreakEnd(brk);
  insert.splice_time.pts_time_ticks = PtsTicksAt(spec, out ? brk.start_time : in_time);
  if (out) {
    scte35::BreakDuration d;
    d.auto_return = true;
    d.duration_ticks = scte35::SecondsToTicks(std::max(0.0, brk.duration_s)) % scte35::kPtsWrap;
    insert.break_duration = d;
  }
  insert.unique_program_id = 1;
  scte35::SpliceInfoSection section;
  section.command = insert;
  Result<Bytes> bytes = scte35::Encode(section);
  return bytes.ok() ? std::move(bytes).value() : std::vector<uint8_t>{};
}

std::string UpperHex(const Bytes& bytes) {
  std::string hex = HexEncode(bytes);
  for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "0x" + hex;
}

// One break as the playlist writer needs it.
struct BreakMarkers {
  const ScheduledBreak* brk;
  int64_t out_msn;  // first segment starting at or after the break start (daterange: the one it falls in)
  int64_t in_msn;   // first segment starting at or after the break end
  BreakMarkerText text;
};

void AppendLine(std::string* out, std::string_view a, std::string_view b = {}) {
  out->append(a);
  out->append(b);
  out->push_back('\n');
}

// ---- JSON --------------------------------------------------------------------------------------

Status FieldError(const std::string& path, std::string_view what) {
  return Status::InvalidArgument("synthetic stream spec: " + path + ": " + std::string(what));
}

// The one field reader (json_input.h), its errors under this document's name.
Status Spec(Status s) { return s.ok() ? s : Status::InvalidArgument("synthetic stream spec: " + s.message()); }

// A required ISO 8601 time, field `field` of the object at `parent`.
Status GetTime(const Json& obj, const char* field, const std::string& parent, UnixMicros* out) {
  std::string text;
  SSAI_RETURN_IF_ERROR(Spec(JsonFields(obj, parent).String(field, &text, /*required=*/true)));
  Result<UnixMicros> t = ParseIso8601(text);
  if (!t.ok()) return FieldError(JsonPath(parent, field), t.status().message());
  *out = *t;
  return Status::Ok();
}

}  // namespace

namespace {
std::string DateRangeId(const BreakMarkerText& m) {
  return m.daterange_id.empty() ? "splice-" + std::to_string(m.event_id) : m.daterange_id;
}
}  // namespace

BreakMarkerText MakeBreakMarkerText(uint32_t event_id, UnixMicros start_time, double duration_s,
                                    const Bytes& out_section, const Bytes& in_section, bool cancelled) {
  BreakMarkerText m;
  m.event_id = event_id;
  m.start_time = start_time;
  m.cancelled = cancelled;
  m.out_b64 = Base64Encode(out_section);
  m.in_b64 = Base64Encode(in_section);
  m.out_hex = UpperHex(out_section);
  m.in_hex = UpperHex(in_section);
  AppendDouble(duration_s, &m.duration_text);
  return m;
}

void AppendOutMarker(CueFlavour flavour, const BreakMarkerText& m, std::string* out) {
  if (m.cancelled) {  // the cancel section alone, in the tags that carry one
    if (flavour == CueFlavour::kOatcls) AppendLine(out, "#EXT-OATCLS-SCTE35:", m.out_b64);
    if (flavour == CueFlavour::kSplicepoint) AppendLine(out, "#EXT-X-SPLICEPOINT-SCTE35:", m.out_b64);
    if (flavour == CueFlavour::kExtXScte35) {
      AppendLine(out, "#EXT-X-SCTE35:CUE=\"" + m.out_b64 + "\",ID=\"" + std::to_string(m.event_id) + "\"");
    }
    return;
  }
  switch (flavour) {
    case CueFlavour::kNone:
      break;
    case CueFlavour::kCueOut:
      AppendLine(out, "#EXT-X-CUE-OUT:DURATION=", m.duration_text);
      break;
    case CueFlavour::kOatcls:
      AppendLine(out, "#EXT-OATCLS-SCTE35:", m.out_b64);
      AppendLine(out, "#EXT-X-CUE-OUT:", m.duration_text);
      break;
    case CueFlavour::kDateRange: {
      // RFC 8216 §4.3.2.7.1 / bis §4.4.5.1.1: START-DATE is the splice time; the OUT tag carries
      // the out_of_network=1 section and, the end not being known yet, a PLANNED-DURATION.
      std::string line = "#EXT-X-DATERANGE:ID=\"" + DateRangeId(m) + "\",START-DATE=\"";
      AppendIso8601Millis(m.start_time, &line);
      line += "\",PLANNED-DURATION=" + m.duration_text + ",SCTE35-OUT=" + m.out_hex;
      AppendLine(out, line);
      break;
    }
    case CueFlavour::kExtXScte35:
      AppendLine(out, "#EXT-X-SCTE35:CUE=\"" + m.out_b64 + "\",ID=\"" +
                          std::to_string(m.event_id) + "\",CUE-OUT=YES,DURATION=",
                 m.duration_text);
      break;
    case CueFlavour::kSplicepoint:
      AppendLine(out, "#EXT-X-SPLICEPOINT-SCTE35:", m.out_b64);
      break;
  }
}

void AppendContMarker(CueFlavour flavour, const BreakMarkerText& m, double elapsed_s, std::string* out) {
  if (m.cancelled) return AppendOutMarker(flavour, m, out);  // the cancel, repeated
  std::string elapsed;
  AppendFixed(elapsed_s, 3, &elapsed);
  switch (flavour) {
    case CueFlavour::kNone:
      break;
    case CueFlavour::kCueOut:
    case CueFlavour::kOatcls:
      AppendLine(out, "#EXT-X-CUE-OUT-CONT:ElapsedTime=" + elapsed + ",Duration=" +
                          m.duration_text + ",SCTE35=",
                 m.out_b64);
      break;
    case CueFlavour::kDateRange:
    case CueFlavour::kSplicepoint:
      AppendOutMarker(flavour, m, out);  // the same tag again (identical attributes)
      break;
    case CueFlavour::kExtXScte35:
      AppendLine(out, "#EXT-X-SCTE35:CUE=\"" + m.out_b64 + "\",ID=\"" +
                          std::to_string(m.event_id) + "\",CUE-OUT=CONT,ELAPSED=" + elapsed +
                          ",DURATION=",
                 m.duration_text);
      break;
  }
}

void AppendInMarker(CueFlavour flavour, const BreakMarkerText& m, std::string* out) {
  switch (flavour) {
    case CueFlavour::kNone:
      break;
    case CueFlavour::kCueOut:
      AppendLine(out, "#EXT-X-CUE-IN");
      break;
    case CueFlavour::kOatcls:
      AppendLine(out, "#EXT-OATCLS-SCTE35:", m.in_b64);
      AppendLine(out, "#EXT-X-CUE-IN");
      break;
    case CueFlavour::kDateRange: {
      // The IN tag repeats START-DATE unchanged and adds the actual DURATION (bis §4.4.5.1.1).
      std::string line = "#EXT-X-DATERANGE:ID=\"" + DateRangeId(m) + "\",START-DATE=\"";
      AppendIso8601Millis(m.start_time, &line);
      line += "\",DURATION=" + (m.in_duration_text.empty() ? m.duration_text : m.in_duration_text) + ",SCTE35-IN=" + m.in_hex;
      AppendLine(out, line);
      break;
    }
    case CueFlavour::kExtXScte35:
      AppendLine(out, "#EXT-X-SCTE35:CUE=\"" + m.in_b64 + "\",ID=\"" +
                          std::to_string(m.event_id) + "\",CUE-IN=YES");
      break;
    case CueFlavour::kSplicepoint:
      AppendLine(out, "#EXT-X-SPLICEPOINT-SCTE35:", m.in_b64);
      break;
  }
}

std::string_view CueFlavourName(CueFlavour flavour) {
  switch (flavour) {
    case CueFlavour::kNone: return "none";
    case CueFlavour::kCueOut: return "cue_out";
    case CueFlavour::kOatcls: return "oatcls";
    case CueFlavour::kDateRange: return "daterange";
    case CueFlavour::kExtXScte35: return "ext_x_scte35";
    case CueFlavour::kSplicepoint: return "splicepoint";
  }
  return "none";
}

std::optional<CueFlavour> CueFlavourFromName(std::string_view name) {
  for (CueFlavour f : {CueFlavour::kNone, CueFlavour::kCueOut, CueFlavour::kOatcls,
                       CueFlavour::kDateRange, CueFlavour::kExtXScte35, CueFlavour::kSplicepoint}) {
    if (CueFlavourName(f) == name) return f;
  }
  return std::nullopt;
}

Status ValidateSpec(const SyntheticStreamSpec& spec) {
  auto err = [](const std::string& path, std::string_view what) { return FieldError(path, what); };
  if (!std::isfinite(spec.segment_duration_s) || spec.segment_duration_s < 0.001 ||
      spec.segment_duration_s > kMaxSegmentDurationS) {
    return err("segment_duration_s", "must be between 0.001 and 60");
  }
  if (spec.window_segments < 1 || spec.window_segments > kMaxWindowSegments) {
    return err("window_segments", "must be between 1 and 10000");
  }
  if (spec.start_time < -kMaxAbsTimeUs || spec.start_time > kMaxAbsTimeUs) {
    return err("start_time", "is out of range");
  }
  if (spec.start_time % kMicrosPerMilli != 0) {
    return err("start_time", "must be a whole millisecond (PROGRAM-DATE-TIME has ms precision)");
  }
  if (spec.target_duration_s < 0 || spec.target_duration_s > 3600) {
    return err("target_duration_s", "must be between 0 (auto) and 3600");
  }
  if (spec.target_duration_s > 0 &&
      std::lround(MicrosToSeconds(SegmentDurationMicros(spec))) > spec.target_duration_s) {
    return err("target_duration_s",
               "is below the segment duration rounded to the nearest integer (RFC 8216 §4.3.3.1)");
  }
  if (spec.renditions.empty()) return err("renditions", "must list at least one rendition");
  for (size_t i = 0; i < spec.renditions.size(); ++i) {
    const Rendition& r = spec.renditions[i];
    const std::string p = "renditions[" + std::to_string(i) + "]";
    if (r.name.empty()) return err(p + ".name", "must not be empty");
    for (char c : r.name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
        return err(p + ".name", "may contain only letters, digits, '_' and '-'");
      }
    }
    if (r.bandwidth_bps <= 0) return err(p + ".bandwidth_bps", "must be positive");
    if (r.cue_offset_segments < 0 || r.cue_offset_segments > kMaxWindowSegments) {
      return err(p + ".cue_offset_segments", "must be between 0 and 10000");
    }
    if (r.codecs.find('"') != std::string::npos) return err(p + ".codecs", "must not contain '\"'");
    for (size_t j = 0; j < i; ++j) {
      if (spec.renditions[j].name == r.name) return err(p + ".name", "is used twice");
    }
  }
  for (size_t i = 0; i < spec.breaks.size(); ++i) {
    const ScheduledBreak& b = spec.breaks[i];
    const std::string p = "breaks[" + std::to_string(i) + "]";
    if (b.start_time < -kMaxAbsTimeUs || b.start_time > kMaxAbsTimeUs) {
      return err(p + ".start_time", "is out of range");
    }
    if (!std::isfinite(b.duration_s) || b.duration_s <= 0 || b.duration_s > kMaxBreakDurationS) {
      return err(p + ".duration_s", "must be positive and at most one day");
    }
    if (!std::isfinite(b.in_after_s) || b.in_after_s < 0 || b.in_after_s > b.duration_s) {
      return err(p + ".in_after_s", "must be between 0 and duration_s");
    }
    if (i > 0 && b.start_time < BreakEnd(spec.breaks[i - 1])) {
      return err(p + ".start_time", "must not be before the end of the previous break");
    }
    for (size_t j = 0; j < i; ++j) {
      if (spec.breaks[j].event_id == b.event_id) return err(p + ".event_id", "is used twice");
    }
  }
  if (spec.segment_uri_template.find("{msn}") == std::string::npos) {
    return err("segment_uri_template", "must contain {msn}");
  }
  if (spec.media != "none" && spec.media != "ffmpeg") {
    return err("media", "'" + spec.media + "' is not one of none, ffmpeg");
  }
  if (spec.container != "ts" && spec.container != "cmaf") {
    return err("container", "'" + spec.container + "' is not one of ts, cmaf");
  }
  if (spec.encryption != "none" && spec.encryption != "aes-128" && spec.encryption != "sample-aes") {
    return err("encryption", "'" + spec.encryption + "' is not one of none, aes-128, sample-aes");
  }
  if (spec.key_rotation_segments < 0 || spec.key_rotation_segments > 1'000'000'000) {
    return err("key_rotation_segments", "must be between 0 and 1000000000");
  }
  if (spec.init_uri_template.empty() || spec.init_uri_template.find_first_of("\"\r\n") != std::string::npos) {
    return err("init_uri_template", "must be non-empty, without '\"' or a line break");
  }
  for (int kind = 0; kind < 2; ++kind) {
    const std::vector<AlternateRendition>& alts = kind == 0 ? spec.audio : spec.subtitles;
    const std::string field = kind == 0 ? "audio" : "subtitles";
    if (alts.size() > kMaxRenditions) return err(field, "at most 64 renditions");
    int defaults = 0;
    for (size_t i = 0; i < alts.size(); ++i) {
      const AlternateRendition& a = alts[i];
      const std::string p = field + "[" + std::to_string(i) + "]";
      if (a.id.empty() || a.id.size() > 64) return err(p + ".id", "must be 1 to 64 characters");
      for (char c : a.id) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
          return err(p + ".id", "may contain only letters, digits, '_' and '-'");
        }
      }
      if (FindRendition(spec, a.id) != nullptr) return err(p + ".id", "is also a rendition's name");
      for (const std::string* v : {&a.name, &a.language}) {
        if (v->find_first_of("\"\r\n") != std::string::npos) return err(p, "name and language must not contain '\"' or a line break");
      }
      if (a.name.empty()) return err(p + ".name", "must not be empty (EXT-X-MEDIA NAME is required)");
      for (size_t j = 0; j < i; ++j) {
        if (alts[j].name == a.name) return err(p + ".name", "is used twice in the group (bis §4.4.6.1.1)");
      }
      defaults += a.is_default ? 1 : 0;
    }
    if (defaults > 1) return err(field, "at most one rendition may be default (bis §4.4.6.1.1)");
  }
  for (size_t i = 0; i < spec.audio.size(); ++i) {
    for (const AlternateRendition& sub : spec.subtitles) {
      if (sub.id == spec.audio[i].id) return err("subtitles", "id '" + sub.id + "' is also an audio id");
    }
  }
  // What `media: "ffmpeg"` can back with real bytes (reference/server/media_library.h).
  if (spec.media == "ffmpeg" && spec.encryption == "sample-aes") {
    return err("encryption", "media \"ffmpeg\" serves clear or AES-128 segments; SAMPLE-AES is playlists only "
                             "(media \"none\")");
  }
  if (spec.media == "ffmpeg" && spec.container == "cmaf" && spec.encryption == "aes-128" &&
      spec.key_rotation_segments > 0) {
    // The KEY before the MAP encrypts the init too (bis §4.4.4.4): with rotation the key in force
    // at the MAP changes as the window slides, but the init URI does not.
    return err("key_rotation_segments", "media \"ffmpeg\" with cmaf + aes-128 needs one key (0): the init "
                                        "segment is encrypted with the key declared before its EXT-X-MAP");
  }
  // WebVTT's X-TIMESTAMP-MAP maps cue time 0 to MPEGTS:{pts_offset_ticks} (RFC 8216 §3.5), the
  // spec's clock. ffmpeg's media keeps its own: fMP4 from tfdt 0, MPEG-TS from PTS 126000 (the
  // muxer's 1.4 s delay). Only CMAF with the offset 0 lines cues up with real media; anything else
  // would show every cue 1.4 s (or the offset) off, so it is refused by name, not served wrong.
  if (spec.media == "ffmpeg" && !spec.subtitles.empty() && spec.container == "ts") {
    return err("subtitles", "media \"ffmpeg\" with container \"ts\": WebVTT X-TIMESTAMP-MAP would say MPEGTS:" +
                                std::to_string(spec.pts_offset_ticks) + " but ffmpeg's MPEG-TS starts at PTS 126000, "
                                "so cues would be 1.4 s off; use container \"cmaf\" (or media \"none\")");
  }
  if (spec.media == "ffmpeg" && !spec.subtitles.empty() && spec.pts_offset_ticks != 0) {
    return err("subtitles", "media \"ffmpeg\" starts its fMP4 at time 0, not at pts_offset_ticks " +
                                std::to_string(spec.pts_offset_ticks) + ": WebVTT X-TIMESTAMP-MAP would be off; "
                                "use pts_offset_ticks 0 with subtitles");
  }
  if (spec.media == "ffmpeg" && spec.container == "ts" && !spec.audio.empty()) {
    return err("audio", "media \"ffmpeg\" serves demuxed audio as CMAF only (packed audio .aac is not served); "
                        "use container \"cmaf\"");
  }
  return Status::Ok();
}

DurationMicros SegmentDurationMicros(const SyntheticStreamSpec& spec) {
  if (!std::isfinite(spec.segment_duration_s)) return kMicrosPerSecond;
  const double ms = std::round(std::clamp(spec.segment_duration_s, 0.001, kMaxSegmentDurationS) * 1000);
  return static_cast<DurationMicros>(ms) * kMicrosPerMilli;
}

int64_t TargetDurationSeconds(const SyntheticStreamSpec& spec) {
  if (spec.target_duration_s > 0) return spec.target_duration_s;
  return std::max<int64_t>(1, std::lround(MicrosToSeconds(SegmentDurationMicros(spec))));
}

UnixMicros SegmentStart(const SyntheticStreamSpec& spec, int64_t msn) {
  return spec.start_time + msn * SegmentDurationMicros(spec);
}

int64_t LiveEdgeMsn(const SyntheticStreamSpec& spec, UnixMicros now) {
  const DurationMicros d = SegmentDurationMicros(spec);
  if (now < spec.start_time) return -1;
  return (now - spec.start_time) / d - 1;
}

int64_t FirstSegmentAtOrAfter(const SyntheticStreamSpec& spec, UnixMicros t) {
  if (t <= spec.start_time) return 0;
  const DurationMicros d = SegmentDurationMicros(spec);
  return (t - spec.start_time + d - 1) / d;
}

std::string SegmentUri(const SyntheticStreamSpec& spec, std::string_view rendition, int64_t msn) {
  std::string out;
  const std::string& t = spec.segment_uri_template;
  out.reserve(t.size() + 16);
  for (size_t i = 0; i < t.size();) {
    if (t.compare(i, 11, "{rendition}") == 0) {
      out.append(rendition);
      i += 11;
    } else if (t.compare(i, 5, "{msn}") == 0) {
      out += std::to_string(msn);
      i += 5;
    } else {
      out.push_back(t[i++]);
    }
  }
  return out;
}

const Rendition* FindRendition(const SyntheticStreamSpec& spec, std::string_view name) {
  for (const Rendition& r : spec.renditions) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

std::vector<uint8_t> BreakOutSection(const SyntheticStreamSpec& spec, const ScheduledBreak& brk) {
  return InsertSection(spec, brk, /*out=*/true);
}

std::vector<uint8_t> BreakInSection(const SyntheticStreamSpec& spec, const ScheduledBreak& brk) {
  return InsertSection(spec, brk, /*out=*/false);
}

std::string KeyUri(int64_t k) { return "key_" + std::to_string(k) + ".bin"; }

std::string KeyBytes(int64_t k) {
  std::string out(16, '\0');
  for (int i = 0; i < 16; ++i) out[static_cast<size_t>(i)] = static_cast<char>((k * 31 + i) & 0xff);
  return out;
}

std::string KeyTagValue(const SyntheticStreamSpec& spec, int64_t k) {
  if (spec.encryption == "none") return "";
  char iv[40];
  std::snprintf(iv, sizeof(iv), "0x%032llx", static_cast<unsigned long long>(k));
  std::string v = spec.encryption == "aes-128" ? "METHOD=AES-128" : "METHOD=SAMPLE-AES";
  v += ",URI=\"" + KeyUri(k) + "\",IV=" + iv;
  if (spec.encryption == "sample-aes") v += ",KEYFORMAT=\"identity\",KEYFORMATVERSIONS=\"1\"";
  return v;
}

namespace {

// How one media playlist of the presentation is written (variants and alternates share the
// timeline, markers and keys; bis §6.2.4).
enum class PlaylistKind { kVariant, kAudio, kSubtitles };

std::string PlaylistAt(const SyntheticStreamSpec& spec, const Rendition& rendition, PlaylistKind kind,
                       UnixMicros now) {
  const DurationMicros d = SegmentDurationMicros(spec);
  const int64_t last = LiveEdgeMsn(spec, now);
  const int64_t window = std::clamp(spec.window_segments, 1, kMaxWindowSegments);
  const int64_t first = std::max<int64_t>(0, last - window + 1);

  std::string out;
  out.reserve(static_cast<size_t>(window) * 160 + 128);
  AppendLine(&out, "#EXTM3U");
  // Float EXTINF needs 3, SAMPLE-AES/KEYFORMAT 5, EXT-X-MAP 6 (RFC 8216 §7; bis §8); no higher.
  const bool vtt = kind == PlaylistKind::kSubtitles;
  const bool cmaf = spec.container == "cmaf" && !vtt;
  const bool encrypted = spec.encryption != "none" && !vtt;  // subtitles stay clear
  const int version = cmaf ? 6 : encrypted && spec.encryption == "sample-aes" ? 5 : 3;
  AppendLine(&out, "#EXT-X-VERSION:", std::to_string(version));
  AppendLine(&out, "#EXT-X-TARGETDURATION:", std::to_string(TargetDurationSeconds(spec)));
  AppendLine(&out, "#EXT-X-MEDIA-SEQUENCE:", std::to_string(first));

  // Breaks whose markers can fall in [first, last].
  std::vector<BreakMarkers> markers;
  if (spec.cue_flavour != CueFlavour::kNone) {
    for (const ScheduledBreak& b : spec.breaks) {
      const UnixMicros in_time = b.in_after_s > 0 ? b.start_time + SecondsToMicros(b.in_after_s) : BreakEnd(b);
      BreakMarkers m{&b, FirstSegmentAtOrAfter(spec, b.start_time), FirstSegmentAtOrAfter(spec, in_time), {}};
      if (m.out_msn >= m.in_msn) continue;  // covers no segment start: no markers
      // A DATERANGE carries its splice time (START-DATE) rather than marking a segment: it goes
      // with the segment that START-DATE falls in, as a packager that knows the splice announces
      // it no later than that segment (RFC 8216bis §4.4.5.1). The splicer then takes a boundary
      // up to its tolerance before START-DATE (splicer.h "Slots") without rewriting a slot it
      // already served as content. Tagged flavours mark the first segment at or after the start.
      if (spec.cue_flavour == CueFlavour::kDateRange) {
        m.out_msn = std::max<int64_t>(0, FirstSegmentAtOrAfter(spec, b.start_time + 1) - 1);
      }
      m.out_msn += std::max(0, rendition.cue_offset_segments);  // a rendition cut later
      m.in_msn += std::max(0, rendition.cue_offset_segments);
      if (m.in_msn < first || m.out_msn > last) continue;
      m.text = MakeBreakMarkerText(b.event_id, b.start_time, b.duration_s, BreakOutSection(spec, b),
                                   BreakInSection(spec, b), b.cancelled);
      markers.push_back(std::move(m));
    }
  }

  std::string extinf;
  AppendFixed(MicrosToSeconds(d), 3, &extinf);
  for (int64_t msn = first; msn <= last; ++msn) {
    for (const BreakMarkers& m : markers) {
      if (msn == m.in_msn && !spec.omit_cue_in && !m.brk->cancelled) {
        AppendInMarker(spec.cue_flavour, m.text, &out);
      } else if (msn == m.out_msn) {
        AppendOutMarker(spec.cue_flavour, m.text, &out);
      } else if (spec.repeat_cue && msn > m.out_msn && msn < m.in_msn) {
        AppendContMarker(spec.cue_flavour, m.text, MicrosToSeconds((msn - m.out_msn) * d), &out);
      }
    }
    // KEY before MAP: a KEY applies to the MAP's init too (bis §4.4.4.4). Both on the window's
    // first segment (they must be in force for every listed segment), the KEY again where it
    // rotates.
    const int64_t rot = spec.key_rotation_segments;
    if (encrypted && (msn == first || (rot > 0 && msn % rot == 0))) {
      AppendLine(&out, "#EXT-X-KEY:", KeyTagValue(spec, rot > 0 ? msn / rot : 0));
    }
    if (cmaf && msn == first) {
      std::string init = spec.init_uri_template;
      if (size_t at = init.find("{rendition}"); at != std::string::npos) init.replace(at, 11, rendition.name);
      AppendLine(&out, "#EXT-X-MAP:URI=\"" + init + "\"");
    }
    if (spec.pdt_on_every_segment || msn == first) {
      out.append("#EXT-X-PROGRAM-DATE-TIME:");
      AppendIso8601Millis(SegmentStart(spec, msn), &out);
      out.push_back('\n');
    }
    AppendLine(&out, "#EXTINF:" + extinf + ",");
    if (kind == PlaylistKind::kVariant || cmaf) {
      AppendLine(&out, SegmentUri(spec, rendition.name, msn));
    } else {
      AppendLine(&out, rendition.name + "_" + std::to_string(msn) + (vtt ? ".vtt" : ".aac"));
    }
  }
  return out;
}

}  // namespace

std::string MediaPlaylistAt(const SyntheticStreamSpec& spec, const Rendition& rendition,
                            UnixMicros now) {
  return PlaylistAt(spec, rendition, PlaylistKind::kVariant, now);
}

const AlternateRendition* FindAlternate(const SyntheticStreamSpec& spec, std::string_view id, bool* subtitles) {
  for (int kind = 0; kind < 2; ++kind) {
    for (const AlternateRendition& a : kind == 0 ? spec.audio : spec.subtitles) {
      if (a.id == id) {
        if (subtitles != nullptr) *subtitles = kind == 1;
        return &a;
      }
    }
  }
  return nullptr;
}

std::string AlternatePlaylistAt(const SyntheticStreamSpec& spec, const AlternateRendition& alt, bool subtitles,
                                UnixMicros now) {
  Rendition r;
  r.name = alt.id;
  return PlaylistAt(spec, r, subtitles ? PlaylistKind::kSubtitles : PlaylistKind::kAudio, now);
}

namespace {

std::string WebVttHeader(const SyntheticStreamSpec& spec) {
  const int64_t ticks = ((spec.pts_offset_ticks % (int64_t{1} << 33)) + (int64_t{1} << 33)) % (int64_t{1} << 33);
  return "WEBVTT\nX-TIMESTAMP-MAP=LOCAL:00:00:00.000,MPEGTS:" + std::to_string(ticks) + "\n\n";
}

}  // namespace

std::string BlankWebVtt(const SyntheticStreamSpec& spec) { return WebVttHeader(spec); }

std::string WebVttSegment(const SyntheticStreamSpec& spec, const AlternateRendition& alt, int64_t msn) {
  // Cue times are on the segment timeline (cue 0 = 90 kHz tick pts_offset_ticks = start_time),
  // the same clock the fMP4/TS segments' timestamps use.
  const DurationMicros d = SegmentDurationMicros(spec);
  auto ts = [](DurationMicros us) {
    const int64_t ms = us / 1000;
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%02lld:%02lld:%02lld.%03lld", static_cast<long long>(ms / 3600000),
                  static_cast<long long>(ms / 60000 % 60), static_cast<long long>(ms / 1000 % 60),
                  static_cast<long long>(ms % 1000));
    return std::string(buf);
  };
  std::string out = WebVttHeader(spec);
  out += ts(msn * d) + " --> " + ts((msn + 1) * d) + "\n";
  out += (alt.language.empty() ? alt.name : alt.language) + " " + std::to_string(msn) + "\n";
  return out;
}

std::string MasterPlaylist(const SyntheticStreamSpec& spec) {
  // No EXT-X-VERSION: its tags need version 1 (RFC 8216 §7), which needs no tag; a higher one
  // SHOULD NOT be declared (bis §6.2.1). The media playlists declare 3 (float EXTINF).
  std::string out = "#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n";
  // Demuxed audio and subtitles (bis §4.4.6.1): AUTOSELECT=YES on all (DEFAULT=YES requires it).
  for (int kind = 0; kind < 2; ++kind) {
    for (const AlternateRendition& a : kind == 0 ? spec.audio : spec.subtitles) {
      out += std::string("#EXT-X-MEDIA:TYPE=") + (kind == 0 ? "AUDIO,GROUP-ID=\"aud\"" : "SUBTITLES,GROUP-ID=\"sub\"") +
             ",NAME=\"" + a.name + "\"";
      if (!a.language.empty()) out += ",LANGUAGE=\"" + a.language + "\"";
      out += std::string(",DEFAULT=") + (a.is_default ? "YES" : "NO") + ",AUTOSELECT=YES,URI=\"" + a.id + ".m3u8\"\n";
    }
  }
  for (const Rendition& r : spec.renditions) {
    out += "#EXT-X-STREAM-INF:BANDWIDTH=" + std::to_string(r.bandwidth_bps);
    if (!r.resolution.empty()) out += ",RESOLUTION=" + r.resolution;
    if (!r.codecs.empty()) out += ",CODECS=\"" + r.codecs + "\"";
    if (!spec.audio.empty()) out += ",AUDIO=\"aud\"";
    if (!spec.subtitles.empty()) out += ",SUBTITLES=\"sub\"";
    out += "\n" + r.name + ".m3u8\n";
  }
  return out;
}

namespace {

// Every key of the spec; anything else is a typo that would silently fall back to a default
// (issue 13: "omit_cue_ins" turned a failure scenario into a green run).
Status CheckSpecKeys(const Json& obj, const std::string& path, std::initializer_list<std::string_view> keys) {
  Status s = CheckKnownKeys(obj, path, keys);
  return s.ok() ? s : Status::InvalidArgument("synthetic stream spec: " + s.message());
}

// The "audio" and "subtitles" arrays of a spec object (issue 14); ParseSpec and ParseAlternates.
Status ParseAlternatesJson(const Json& j, SyntheticStreamSpec* out) {
  SyntheticStreamSpec& spec = *out;
  for (const char* field : {"audio", "subtitles"}) {
    auto as = j.find(field);
    if (as == j.end()) continue;
    if (!as->is_array() || as->size() > kMaxRenditions) {
      return FieldError(field, "must be an array of at most " + std::to_string(kMaxRenditions));
    }
    std::vector<AlternateRendition>& dst = std::string_view(field) == "audio" ? spec.audio : spec.subtitles;
    for (size_t i = 0; i < as->size(); ++i) {
      const Json& aj = (*as)[i];
      const std::string p = std::string(field) + "[" + std::to_string(i) + "]";
      if (!aj.is_object()) return FieldError(p, "must be an object");
      SSAI_RETURN_IF_ERROR(CheckSpecKeys(aj, p, {"id", "name", "language", "default"}));
      AlternateRendition a;
      if (aj.find("id") == aj.end()) return FieldError(p + ".id", "missing");
      SSAI_RETURN_IF_ERROR(Spec(JsonFields(aj, p).String("id", &a.id)));
      a.name = a.id;
      SSAI_RETURN_IF_ERROR(Spec(JsonFields(aj, p).String("name", &a.name)));
      SSAI_RETURN_IF_ERROR(Spec(JsonFields(aj, p).String("language", &a.language)));
      SSAI_RETURN_IF_ERROR(Spec(JsonFields(aj, p).Bool("default", &a.is_default)));
      dst.push_back(std::move(a));
    }
  }
  return Status::Ok();
}

Result<SyntheticStreamSpec> ParseSpecJson(const Json& j) {
  if (!j.is_object()) return Status::InvalidArgument("synthetic stream spec: must be a JSON object");
  SSAI_RETURN_IF_ERROR(CheckSpecKeys(j, "", {"segment_duration_s", "window_segments", "start_time",
                                             "target_duration_s", "cue_flavour", "repeat_cue", "omit_cue_in",
                                             "pdt_on_every_segment", "segment_uri_template", "media",
                                             "pts_offset_ticks", "renditions", "breaks", "container",
                                             "encryption", "key_rotation_segments", "init_uri_template",
                                             "audio", "subtitles"}));
  SyntheticStreamSpec spec;
  if (j.find("segment_duration_s") == j.end()) return FieldError("segment_duration_s", "missing");
  SSAI_RETURN_IF_ERROR(Spec(JsonFields(j, "").Number("segment_duration_s", &spec.segment_duration_s)));
  int64_t window = spec.window_segments;
  SSAI_RETURN_IF_ERROR(Spec(JsonFields(j, "").Integer("window_segments", &window)));
  if (window < 1 || window > kMaxWindowSegments) {
    return FieldError("window_segments", "must be between 1 and 10000");
  }
  spec.window_segments = static_cast<int>(window);
  SSAI_RETURN_IF_ERROR(GetTime(j, "start_time", "", &spec.start_time));
  SSAI_RETURN_IF_ERROR(Spec(JsonFields(j, "").Integer("target_duration_s", &spec.target_duration_s)));
  std::string flavour(CueFlavourName(spec.cue_flavour));
  SSAI_RETURN_IF_ERROR(Spec(JsonFields(j, "").String("cue_flavour", &flavour)));
  std::optional<CueFlavour> f = CueFlavourFromName(flavour);
  if (!f) {
    return FieldError("cue_flavour", "'" + flavour +
                                         "' is not one of none, cue_out, oatcls, daterange, "
                                         "ext_x_scte35, splicepoint");
  }
  spec.cue_flavour = *f;
  SSAI_RETURN_IF_ERROR(Spec(JsonFields(j, "").Bool("repeat_cue", &spec.repeat_cue)));
  SSAI_RETURN_IF_ERROR(Spec(JsonFields(j, "").Bool("omit_cue_in", &spec.omit_cue_in)));
  SSAI_RETURN_IF_ERROR(
      Spec(JsonFields(j, "").Bool("pdt_on_every_segment", &spec.pdt_on_every_segment)));
  SSAI_RETURN_IF_ERROR(
      Spec(JsonFields(j, "").String("segment_uri_template", &spec.segment_uri_template)));
  SSAI_RETURN_IF_ERROR(Spec(JsonFields(j, "").String("media", &spec.media)));
  SSAI_RETURN_IF_ERROR(Spec(JsonFields(j, "").Integer("pts_offset_ticks", &spec.pts_offset_ticks)));
  SSAI_RETURN_IF_ERROR(Spec(JsonFields(j, "").String("container", &spec.container)));
  SSAI_RETURN_IF_ERROR(Spec(JsonFields(j, "").String("encryption", &spec.encryption)));
  SSAI_RETURN_IF_ERROR(
      Spec(JsonFields(j, "").Integer("key_rotation_segments", &spec.key_rotation_segments)));
  SSAI_RETURN_IF_ERROR(Spec(JsonFields(j, "").String("init_uri_template", &spec.init_uri_template)));

  auto rs = j.find("renditions");
  if (rs == j.end()) return FieldError("renditions", "missing");
  if (!rs->is_array() || rs->size() > kMaxRenditions) {
    return FieldError("renditions", "must be an array of at most " + std::to_string(kMaxRenditions));
  }
  for (size_t i = 0; i < rs->size(); ++i) {
    const Json& rj = (*rs)[i];
    const std::string p = "renditions[" + std::to_string(i) + "]";
    if (!rj.is_object()) return FieldError(p, "must be an object");
    SSAI_RETURN_IF_ERROR(CheckSpecKeys(rj, p, {"name", "bandwidth_bps", "resolution", "codecs", "cue_offset_segments"}));
    Rendition r;
    if (rj.find("name") == rj.end()) return FieldError(p + ".name", "missing");
    SSAI_RETURN_IF_ERROR(Spec(JsonFields(rj, p).String("name", &r.name)));
    if (rj.find("bandwidth_bps") == rj.end()) return FieldError(p + ".bandwidth_bps", "missing");
    SSAI_RETURN_IF_ERROR(Spec(JsonFields(rj, p).Integer("bandwidth_bps", &r.bandwidth_bps)));
    SSAI_RETURN_IF_ERROR(Spec(JsonFields(rj, p).String("resolution", &r.resolution)));
    SSAI_RETURN_IF_ERROR(Spec(JsonFields(rj, p).String("codecs", &r.codecs)));
    int64_t cue_offset = 0;
    SSAI_RETURN_IF_ERROR(Spec(JsonFields(rj, p).Integer("cue_offset_segments", &cue_offset)));
    if (cue_offset < 0 || cue_offset > kMaxWindowSegments) {
      return FieldError(p + ".cue_offset_segments", "must be between 0 and 10000");
    }
    r.cue_offset_segments = static_cast<int>(cue_offset);
    spec.renditions.push_back(std::move(r));
  }
  SSAI_RETURN_IF_ERROR(ParseAlternatesJson(j, &spec));
  if (auto bs = j.find("breaks"); bs != j.end()) {
    if (!bs->is_array() || bs->size() > kMaxBreaks) {
      return FieldError("breaks", "must be an array of at most " + std::to_string(kMaxBreaks));
    }
    for (size_t i = 0; i < bs->size(); ++i) {
      const Json& bj = (*bs)[i];
      const std::string p = "breaks[" + std::to_string(i) + "]";
      if (!bj.is_object()) return FieldError(p, "must be an object");
      SSAI_RETURN_IF_ERROR(CheckSpecKeys(bj, p, {"start_time", "duration_s", "event_id", "in_after_s", "cancelled"}));
      ScheduledBreak b;
      SSAI_RETURN_IF_ERROR(GetTime(bj, "start_time", p, &b.start_time));
      if (bj.find("duration_s") == bj.end()) return FieldError(p + ".duration_s", "missing");
      SSAI_RETURN_IF_ERROR(Spec(JsonFields(bj, p).Number("duration_s", &b.duration_s)));
      int64_t id = 0;
      if (bj.find("event_id") == bj.end()) return FieldError(p + ".event_id", "missing");
      SSAI_RETURN_IF_ERROR(Spec(JsonFields(bj, p).Integer("event_id", &id)));
      if (id < 0 || id > std::numeric_limits<uint32_t>::max()) {
        return FieldError(p + ".event_id", "must fit 32 bits (SCTE 35 splice_event_id)");
      }
      b.event_id = static_cast<uint32_t>(id);
      SSAI_RETURN_IF_ERROR(Spec(JsonFields(bj, p).Number("in_after_s", &b.in_after_s)));
      SSAI_RETURN_IF_ERROR(Spec(JsonFields(bj, p).Bool("cancelled", &b.cancelled)));
      spec.breaks.push_back(b);
    }
  }
  SSAI_RETURN_IF_ERROR(ValidateSpec(spec));
  return spec;
}

}  // namespace

namespace {

// An error of the spec's parser inside another document: "scenario.origin.omit_cue_ins: unknown
// key (...)" rather than "synthetic stream spec: omit_cue_ins: ...".
Status InDocument(const Status& error, std::string_view path) {
  constexpr std::string_view kPrefix = "synthetic stream spec: ";
  std::string m = error.message();
  if (m.rfind(kPrefix, 0) == 0) m.erase(0, kPrefix.size());
  const bool field_first = m.find(": ") != std::string::npos && m.find(' ') > m.find(':');
  return Status::InvalidArgument(std::string(path) + (field_first ? "." : ": ") + m);
}

}  // namespace

Result<SyntheticStreamSpec> ParseSpec(std::string_view json, std::string_view path) {
  Result<SyntheticStreamSpec> spec = [&]() -> Result<SyntheticStreamSpec> {
    SSAI_ASSIGN_OR_RETURN(Json j, ParseJsonInput(json, "synthetic stream spec"));  // bounded nesting
    return CatchJsonErrors("synthetic stream spec", [&] { return ParseSpecJson(j); });
  }();
  if (spec.ok() || path.empty()) return spec;
  return InDocument(spec.status(), path);
}

Status ParseAlternates(const nlohmann::json& object, std::string_view path, SyntheticStreamSpec* spec) {
  if (!object.is_object()) return Status::InvalidArgument(std::string(path) + ": must be a JSON object");
  SyntheticStreamSpec parsed;
  Status s = CatchJsonErrors("synthetic stream spec", [&]() -> Result<bool> {
    SSAI_RETURN_IF_ERROR(ParseAlternatesJson(object, &parsed));
    return true;
  }).status();
  if (!s.ok()) return InDocument(s, path);
  spec->audio = std::move(parsed.audio);
  spec->subtitles = std::move(parsed.subtitles);
  return Status::Ok();
}

std::string SerializeSpec(const SyntheticStreamSpec& spec) {
  Json j = Json::object();
  j["segment_duration_s"] = spec.segment_duration_s;
  j["window_segments"] = spec.window_segments;
  j["start_time"] = FormatIso8601Millis(spec.start_time);
  j["target_duration_s"] = spec.target_duration_s;
  j["cue_flavour"] = std::string(CueFlavourName(spec.cue_flavour));
  j["repeat_cue"] = spec.repeat_cue;
  j["omit_cue_in"] = spec.omit_cue_in;
  j["pdt_on_every_segment"] = spec.pdt_on_every_segment;
  j["segment_uri_template"] = spec.segment_uri_template;
  j["media"] = spec.media;
  if (spec.pts_offset_ticks != 0) j["pts_offset_ticks"] = spec.pts_offset_ticks;
  if (spec.container != "ts") j["container"] = spec.container;
  if (spec.encryption != "none") j["encryption"] = spec.encryption;
  if (spec.key_rotation_segments != 0) j["key_rotation_segments"] = spec.key_rotation_segments;
  if (spec.init_uri_template != "init_{rendition}.mp4") j["init_uri_template"] = spec.init_uri_template;
  for (int kind = 0; kind < 2; ++kind) {
    const std::vector<AlternateRendition>& alts = kind == 0 ? spec.audio : spec.subtitles;
    if (alts.empty()) continue;
    Json as = Json::array();
    for (const AlternateRendition& a : alts) {
      as.push_back({{"id", a.id}, {"name", a.name}, {"language", a.language}, {"default", a.is_default}});
    }
    j[kind == 0 ? "audio" : "subtitles"] = std::move(as);
  }
  Json rs = Json::array();
  for (const Rendition& r : spec.renditions) {
    rs.push_back({{"name", r.name},
                  {"bandwidth_bps", r.bandwidth_bps},
                  {"resolution", r.resolution},
                  {"codecs", r.codecs}});
    if (r.cue_offset_segments != 0) rs.back()["cue_offset_segments"] = r.cue_offset_segments;
  }
  j["renditions"] = std::move(rs);
  Json bs = Json::array();
  for (const ScheduledBreak& b : spec.breaks) {
    bs.push_back({{"start_time", FormatIso8601Millis(b.start_time)},
                  {"duration_s", b.duration_s},
                  {"event_id", b.event_id}});
    if (b.in_after_s > 0) bs.back()["in_after_s"] = b.in_after_s;
    if (b.cancelled) bs.back()["cancelled"] = true;
  }
  j["breaks"] = std::move(bs);
  return j.dump(2);
}

}  // namespace ssai::origin
