// Helpers shared by markers_test.cc and normalizer_test.cc: SCTE-35 sections built with the
// ssai_scte35 encoder, and live playlists built from marker lines.
#ifndef SSAI_REFERENCE_MEDIA_CUES_CUES_TEST_UTIL_H_
#define SSAI_REFERENCE_MEDIA_CUES_CUES_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reference/base/encoding.h"
#include "reference/base/time.h"
#include "reference/media/hls/playlist.h"
#include "reference/media/scte35/splice_info_section.h"

namespace ssai::cues::testing {

namespace s35 = ::ssai::scte35;

// Published vectors (scte35.md §2).
inline constexpr const char* kVecSpliceInsert =  // 14.2: evt 0x4800008F, 60.293567 s auto_return
    "/DAvAAAAAAAA///wFAVIAACPf+/+c2nALv4AUsz1AAAAAAAKAAhDVUVJAAABNWLbowo=";
inline constexpr const char* kVecInvalidCrc =
    "/DA4AAAAAAAAAP/wFAUABDEAf+//mWEhzP4Azf5gAQAAAAATAhFDVUVJAAAAAX+/AQIwNAEAAKeYO3Q=";
inline constexpr const char* kVecSpliceNull = "/DARAAAAAAAAAP/wAAAAAHpPv/8=";
inline constexpr const char* kVecProgramStartEnd =  // 14.4: 0x11 + 0x10, not an ad break
    "/DBIAAAAAAAA///wBQb+ek2ItgAyAhdDVUVJSAAAGH+fCAgAAAAALMvDRBEAAAIXQ1VFSUgAABl/"
    "nwgIAAAAACyk26AQAACZcuND";

inline s35::SpliceInfoSection WithCommand(s35::SpliceCommand command, int64_t adjustment = 0) {
  s35::SpliceInfoSection s;
  s.pts_adjustment_ticks = adjustment;
  s.command = std::move(command);
  s.splice_command_type = s35::CommandType(s.command);
  return s;
}

inline s35::SpliceInfoSection InsertOut(uint32_t id, std::optional<int64_t> pts,
                                        std::optional<double> duration_s, bool auto_return = true) {
  s35::SpliceInsert si;
  si.splice_event_id = id;
  si.out_of_network_indicator = true;
  if (pts) {
    si.splice_time = {true, *pts};
  } else {
    si.splice_immediate_flag = true;
  }
  if (duration_s)
    si.break_duration = s35::BreakDuration{auto_return, s35::SecondsToTicks(*duration_s)};
  return WithCommand(si);
}

inline s35::SpliceInfoSection InsertIn(uint32_t id, int64_t pts) {
  s35::SpliceInsert si;
  si.splice_event_id = id;
  si.out_of_network_indicator = false;
  si.splice_time = {true, pts};
  return WithCommand(si);
}

inline s35::SpliceInfoSection InsertCancel(uint32_t id) {
  s35::SpliceInsert si;
  si.splice_event_id = id;
  si.splice_event_cancel_indicator = true;
  return WithCommand(si);
}

struct Seg35 {
  uint32_t id;
  uint8_t type;
  std::optional<double> duration_s;
  bool cancel = false;
};

inline s35::SpliceInfoSection Segmentation(int64_t pts, const std::vector<Seg35>& descs) {
  s35::TimeSignal ts;
  ts.splice_time = {true, pts};
  s35::SpliceInfoSection s = WithCommand(ts);
  for (const Seg35& d : descs) {
    s35::SegmentationDescriptor sd;
    sd.segmentation_event_id = d.id;
    sd.segmentation_event_cancel_indicator = d.cancel;
    sd.segmentation_type_id = d.type;
    if (d.duration_s)
      sd.segmentation_duration_ticks = static_cast<uint64_t>(s35::SecondsToTicks(*d.duration_s));
    s.descriptors.push_back(sd);
  }
  return s;
}

inline std::string B64(const s35::SpliceInfoSection& s) {
  Result<std::string> r = s35::EncodeBase64(s);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::string();
}

inline std::string Hex(const s35::SpliceInfoSection& s) {
  Result<Bytes> r = s35::Encode(s);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return "";
  std::string h = HexEncode(*r);
  for (char& c : h) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "0x" + h;
}

// 2 s segments; segment msn starts at kT0 + 2 s × (msn - 1000), so reloads agree.
inline const UnixMicros kT0 = *ParseIso8601("2026-01-15T12:00:00Z");
inline UnixMicros TimeOf(int64_t msn) { return kT0 + (msn - 1000) * 2 * kMicrosPerSecond; }
inline int64_t PtsOf(int64_t msn) { return (msn - 1000) * 2 * s35::kTicksPerSecond + 900000; }

// A live media playlist: `tags[i]` are the marker lines before segment first_msn + i.
inline std::string LiveText(int64_t first_msn, const std::vector<std::vector<std::string>>& tags,
                            const std::vector<std::string>& trailer = {}, bool pdt = true) {
  std::string out = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:" +
                    std::to_string(first_msn) + "\n";
  for (size_t i = 0; i < tags.size(); ++i) {
    const int64_t msn = first_msn + static_cast<int64_t>(i);
    for (const std::string& t : tags[i]) out += t + "\n";
    if (pdt) out += "#EXT-X-PROGRAM-DATE-TIME:" + FormatIso8601Millis(TimeOf(msn)) + "\n";
    out += "#EXTINF:2.000,\nseg" + std::to_string(msn) + ".ts\n";
  }
  for (const std::string& t : trailer) out += t + "\n";
  return out;
}

inline hls::MediaPlaylist Live(int64_t first_msn, const std::vector<std::vector<std::string>>& tags,
                               const std::vector<std::string>& trailer = {}, bool pdt = true) {
  Result<hls::MediaPlaylist> p = hls::ParseMedia(LiveText(first_msn, tags, trailer, pdt));
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(p).value() : hls::MediaPlaylist();
}

// A stream of `count` segments from msn 1000 with markers at given msns, and its reloads with a
// sliding window of `window` segments (one reload per new segment).
struct LiveStream {
  int count = 20;
  int window = 6;
  bool pdt = true;
  std::vector<std::vector<std::string>> tags;
  explicit LiveStream(int n) : count(n), tags(n) {}
  void Add(int64_t msn, std::string tag) {
    tags.at(static_cast<size_t>(msn - 1000)).push_back(std::move(tag));
  }
  std::vector<hls::MediaPlaylist> Reloads() const {
    std::vector<hls::MediaPlaylist> out;
    for (int first = 0; first + window <= count; ++first) {
      std::vector<std::vector<std::string>> w(tags.begin() + first, tags.begin() + first + window);
      out.push_back(Live(1000 + first, w, {}, pdt));
    }
    return out;
  }
};

}  // namespace ssai::cues::testing

#endif  // SSAI_REFERENCE_MEDIA_CUES_CUES_TEST_UTIL_H_
