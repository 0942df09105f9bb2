// Writes the golden cue fixture streams: fixtures/streams/<name>/NNN.m3u8, successive reloads of a
// live media playlist (sliding window, PDT on every segment unless the stream is about its
// absence). SCTE-35 payloads are the published vectors of scte35.md §2 or sections built here with
// the ssai_scte35 encoder. expected_cues.jsonl is NOT written here: it is `ssai hls cues` output,
// checked by hand (see fixtures/streams/README.md).
//
// Usage (from the repository root): cues_make_fixtures [OUT_DIR]   (default fixtures/streams)
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "reference/base/encoding.h"
#include "reference/base/time.h"
#include "reference/media/scte35/splice_info_section.h"

namespace {

namespace s35 = ssai::scte35;
using ssai::UnixMicros;

// Published vectors (Comcast scte35-go TestDecodeBase64; scte35.md §2).
constexpr const char* kVec14_1_PoStart =
    "/DA0AAAAAAAA///wBQb+cr0AUAAeAhxDVUVJSAAAjn/PAAGlmbAICAAAAAAsoKGKNAIAmsnRfg==";
constexpr const char* kVec14_2_SpliceInsert =
    "/DAvAAAAAAAA///wFAVIAACPf+/+c2nALv4AUsz1AAAAAAAKAAhDVUVJAAABNWLbowo=";
constexpr const char* kVec14_3_PoEnd =
    "/DAvAAAAAAAA///wBQb+dGKQoAAZAhdDVUVJSAAAjn+fCAgAAAAALKChijUCAKnMZ1g=";
constexpr const char* kVec14_4_ProgramStartEnd =
    "/DBIAAAAAAAA///wBQb+ek2ItgAyAhdDVUVJSAAAGH+fCAgAAAAALMvDRBEAAAIXQ1VFSUgAABl/"
    "nwgIAAAAACyk26AQAACZcuND";

const UnixMicros kPdt0 = *ssai::ParseIso8601("2026-01-15T12:00:00.000Z");

s35::SpliceInfoSection WithCommand(s35::SpliceCommand command, int64_t pts_adjustment = 0) {
  s35::SpliceInfoSection s;
  s.pts_adjustment_ticks = pts_adjustment;
  s.command = std::move(command);
  s.splice_command_type = s35::CommandType(s.command);
  return s;
}

s35::SpliceInfoSection InsertOut(uint32_t id, int64_t pts, std::optional<double> duration_s,
                                 bool auto_return = true, int64_t pts_adjustment = 0) {
  s35::SpliceInsert si;
  si.splice_event_id = id;
  si.out_of_network_indicator = true;
  si.splice_time = {true, pts};
  if (duration_s)
    si.break_duration = s35::BreakDuration{auto_return, s35::SecondsToTicks(*duration_s)};
  si.unique_program_id = 1;
  return WithCommand(si, pts_adjustment);
}

s35::SpliceInfoSection InsertIn(uint32_t id, int64_t pts, int64_t pts_adjustment = 0) {
  s35::SpliceInsert si;
  si.splice_event_id = id;
  si.out_of_network_indicator = false;
  si.splice_time = {true, pts};
  si.unique_program_id = 1;
  return WithCommand(si, pts_adjustment);
}

s35::SpliceInfoSection InsertCancel(uint32_t id) {
  s35::SpliceInsert si;
  si.splice_event_id = id;
  si.splice_event_cancel_indicator = true;
  return WithCommand(si);
}

s35::SpliceInfoSection Segmentation(int64_t pts, uint32_t id, uint8_t type,
                                    std::optional<double> duration_s) {
  s35::TimeSignal ts;
  ts.splice_time = {true, pts};
  s35::SegmentationDescriptor d;
  d.segmentation_event_id = id;
  d.segmentation_type_id = type;
  if (duration_s)
    d.segmentation_duration_ticks = static_cast<uint64_t>(s35::SecondsToTicks(*duration_s));
  d.upid.type = 0x0F;  // URI
  const std::string uri = "urn:ssai-lab:break:" + std::to_string(id);
  d.upid.value.assign(uri.begin(), uri.end());
  d.segment_num = 1;
  d.segments_expected = 1;
  s35::SpliceInfoSection s = WithCommand(ts);
  s.descriptors.push_back(d);
  return s;
}

std::string B64(const s35::SpliceInfoSection& s) {
  auto r = s35::EncodeBase64(s);
  if (!r.ok()) {
    std::cerr << "encode: " << r.status().ToString() << "\n";
    std::exit(1);
  }
  return *r;
}

std::string Hex(const s35::SpliceInfoSection& s) {
  auto r = s35::Encode(s);
  if (!r.ok()) {
    std::cerr << "encode: " << r.status().ToString() << "\n";
    std::exit(1);
  }
  std::string h = ssai::HexEncode(*r);
  for (char& c : h) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "0x" + h;
}

std::string Fixed3(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

struct Seg {
  std::vector<std::string> tags;  // marker lines, written before PDT/EXTINF
  bool announce = false;          // also written in the trailer of the reload just before it
};

struct Stream {
  std::string name;
  double seg_s = 2.0;
  int target_s = 2;
  int64_t first_msn = 0;
  bool pdt = true;
  int window = 6;
  int step = 1;
  std::vector<Seg> segs;

  Stream(std::string n, double seg, int target, int64_t msn, int count)
      : name(std::move(n)), seg_s(seg), target_s(target), first_msn(msn), segs(count) {}
  UnixMicros Pdt(int i) const { return kPdt0 + ssai::SecondsToMicros(seg_s * i); }
  std::string PdtText(int i) const { return ssai::FormatIso8601Millis(Pdt(i)); }
  // A 90 kHz PTS for segment i (content PTS starts at 10 s).
  int64_t Pts(int i) const { return s35::SecondsToTicks(10.0 + seg_s * i); }
  void Add(int i, std::string tag) { segs.at(i).tags.push_back(std::move(tag)); }
};

void Write(const Stream& s, const std::filesystem::path& root) {
  std::filesystem::path dir = root / s.name;
  std::filesystem::create_directories(dir);
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".m3u8") std::filesystem::remove(e.path());
  }
  const int n = static_cast<int>(s.segs.size());
  int file = 0;
  for (int first = 0; first + s.window <= n; first += s.step, ++file) {
    const int last = first + s.window - 1;
    std::string out =
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:" + std::to_string(s.target_s) +
        "\n#EXT-X-MEDIA-SEQUENCE:" + std::to_string(s.first_msn + first) + "\n";
    for (int i = first; i <= last; ++i) {
      for (const std::string& t : s.segs[i].tags) out += t + "\n";
      if (s.pdt) out += "#EXT-X-PROGRAM-DATE-TIME:" + s.PdtText(i) + "\n";
      out += "#EXTINF:" + Fixed3(s.seg_s) + ",\n";
      out += "segment" + std::to_string(s.first_msn + i) + ".ts\n";
    }
    if (last + 1 < n && s.segs[last + 1].announce) {
      for (const std::string& t : s.segs[last + 1].tags) out += t + "\n";
    }
    char name[16];
    std::snprintf(name, sizeof name, "%03d.m3u8", file);
    std::ofstream(dir / name, std::ios::binary) << out;
  }
  std::cout << s.name << ": " << file << " reloads\n";
}

std::string Cont(double elapsed, double duration) {
  return "#EXT-X-CUE-OUT-CONT:ElapsedTime=" + Fixed3(elapsed) + ",Duration=" + Fixed3(duration);
}

std::vector<Stream> Streams() {
  std::vector<Stream> all;
  {  // CUE-OUT:DURATION= (MediaTailor), announced in the trailer one reload early.
    Stream s("cue_out_duration", 2.0, 2, 100, 20);
    s.Add(6, "#EXT-X-CUE-OUT:DURATION=10");
    s.segs[6].announce = true;
    for (int i = 7; i <= 10; ++i) s.Add(i, Cont(2.0 * (i - 6), 10));
    s.Add(11, "#EXT-X-CUE-IN");
    all.push_back(s);
  }
  {  // Elemental: CUE-OUT:30.000 and CUE-OUT-CONT:elapsed/duration.
    Stream s("cue_out_colon", 6.0, 6, 2000, 16);
    s.Add(5, "#EXT-X-CUE-OUT:30.000");
    for (int i = 6; i <= 9; ++i) s.Add(i, "#EXT-X-CUE-OUT-CONT:" + Fixed3(6.0 * (i - 5)) + "/30");
    s.Add(10, "#EXT-X-CUE-IN");
    all.push_back(s);
  }
  {  // Bare CUE-OUT: the duration arrives later, in CUE-OUT-CONT.
    Stream s("cue_out_bare_with_cont", 2.0, 2, 300, 18);
    s.Add(6, "#EXT-X-CUE-OUT");
    for (int i = 7; i <= 11; ++i) s.Add(i, Cont(2.0 * (i - 6), 12));
    s.Add(12, "#EXT-X-CUE-IN");
    all.push_back(s);
  }
  {  // AWS "SCTE-35 enhanced": OATCLS + ASSET + CUE-OUT, CONT with SCTE35=; vector 14.2.
    Stream s("oatcls_scte35", 6.0, 6, 500, 17);
    s.Add(3, std::string("#EXT-OATCLS-SCTE35:") + kVec14_2_SpliceInsert);
    s.Add(3, "#EXT-X-ASSET:CAID=0x0000000020FB6501");
    s.Add(3, "#EXT-X-CUE-OUT:60.294");
    for (int i = 4; i <= 12; ++i) {
      s.Add(i, "#EXT-X-CUE-OUT-CONT:ElapsedTime=" + Fixed3(6.0 * (i - 3)) +
                   ",Duration=60.294,SCTE35=" + kVec14_2_SpliceInsert);
    }
    s.Add(13, "#EXT-X-CUE-IN");
    all.push_back(s);
  }
  {  // RFC 8216 §4.3.2.7.1: DATERANGE SCTE35-OUT (announced one segment early) / SCTE35-IN.
    Stream s("daterange_scte35", 2.0, 2, 700, 16);
    const std::string start = "START-DATE=\"" + s.PdtText(5) + "\"";
    s.Add(4, "#EXT-X-DATERANGE:ID=\"splice-1001\"," + start +
                 ",PLANNED-DURATION=10.000,SCTE35-OUT=" + Hex(InsertOut(1001, s.Pts(5), 10.0)));
    s.Add(10, "#EXT-X-DATERANGE:ID=\"splice-1001\"," + start +
                  ",DURATION=10.000,SCTE35-IN=" + Hex(InsertIn(1001, s.Pts(10))));
    all.push_back(s);
  }
  {  // EXT-X-SCTE35 with CUE-OUT=YES / CONT / CUE-IN=YES.
    Stream s("ext_x_scte35", 2.0, 2, 900, 14);
    const std::string out = B64(InsertOut(42, s.Pts(4), 8.0));
    s.Add(4, "#EXT-X-SCTE35:CUE=\"" + out + "\",ID=\"42\",CUE-OUT=YES,DURATION=8.000");
    for (int i = 5; i <= 7; ++i) {
      s.Add(i, "#EXT-X-SCTE35:CUE=\"" + out + "\",ID=\"42\",CUE-OUT=CONT,ELAPSED=" +
                   Fixed3(2.0 * (i - 4)) + ",DURATION=8.000");
    }
    s.Add(8, "#EXT-X-SCTE35:CUE=\"" + B64(InsertIn(42, s.Pts(8))) + "\",ID=\"42\",CUE-IN=YES");
    all.push_back(s);
  }
  {  // EXT-X-SPLICEPOINT-SCTE35: time_signal Break Start 0x22 / Break End 0x23.
    Stream s("splicepoint_scte35", 6.0, 6, 1200, 12);
    s.Add(3, "#EXT-X-SPLICEPOINT-SCTE35:" + B64(Segmentation(s.Pts(3), 5001, 0x22, 24.0)));
    s.Add(7, "#EXT-X-SPLICEPOINT-SCTE35:" + B64(Segmentation(s.Pts(7), 5001, 0x23, std::nullopt)));
    all.push_back(s);
  }
  {  // OATCLS and CONT SCTE35= repeated on every segment, OATCLS even after CUE-IN (until the
     // next cue arrives: globocom/m3u8 PR #398), two breaks.
    Stream s("cue_repeated_every_segment", 2.0, 2, 1500, 22);
    const std::string a = B64(InsertOut(777, s.Pts(4), 10.0));
    const std::string b = B64(InsertOut(778, s.Pts(14), 4.0));
    for (int i = 4; i <= 13; ++i) s.Add(i, "#EXT-OATCLS-SCTE35:" + a);
    s.Add(4, "#EXT-X-CUE-OUT:10.000");
    for (int i = 5; i <= 8; ++i) {
      s.Add(i, "#EXT-X-CUE-OUT-CONT:ElapsedTime=" + Fixed3(2.0 * (i - 4)) +
                   ",Duration=10.000,SCTE35=" + a);
    }
    s.Add(9, "#EXT-X-CUE-IN");
    for (int i = 14; i <= 21; ++i) s.Add(i, "#EXT-OATCLS-SCTE35:" + b);
    s.Add(14, "#EXT-X-CUE-OUT:4.000");
    s.Add(15, "#EXT-X-CUE-OUT-CONT:ElapsedTime=2.000,Duration=4.000,SCTE35=" + b);
    s.Add(16, "#EXT-X-CUE-IN");
    all.push_back(s);
  }
  {  // Joined mid-break: the CUE-OUT slid out before the first reload.
    Stream s("cue_out_cont_only", 2.0, 2, 1800, 16);
    for (int i = 0; i <= 3; ++i) s.Add(i, Cont(4.0 + 2.0 * i, 12));
    s.Add(4, "#EXT-X-CUE-IN");
    s.Add(8, "#EXT-X-CUE-OUT:4.000");
    s.Add(9, "#EXT-X-CUE-OUT-CONT:2.000/4");
    s.Add(10, "#EXT-X-CUE-IN");
    all.push_back(s);
  }
  {  // No CUE-IN: ends by duration; the second break is still running at end of input.
    Stream s("missing_cue_in", 2.0, 2, 2100, 17);
    s.Add(4, "#EXT-X-CUE-OUT:DURATION=8");
    for (int i = 5; i <= 7; ++i) s.Add(i, Cont(2.0 * (i - 4), 8));
    s.Add(13, "#EXT-X-CUE-OUT:DURATION=30");
    for (int i = 14; i <= 16; ++i) s.Add(i, Cont(2.0 * (i - 13), 30));
    all.push_back(s);
  }
  {  // CUE-IN 18 s into a 30 s break.
    Stream s("early_cue_in", 6.0, 6, 2400, 12);
    s.Add(3, "#EXT-X-CUE-OUT:30.000");
    s.Add(4, "#EXT-X-CUE-OUT-CONT:6.000/30");
    s.Add(5, "#EXT-X-CUE-OUT-CONT:12.000/30");
    s.Add(6, "#EXT-X-CUE-IN");
    all.push_back(s);
  }
  {  // splice_event_cancel_indicator=1 for event 3001 (repeated), then a normal break 3002.
    Stream s("cancelled_splice", 2.0, 2, 2700, 16);
    const std::string cancel = B64(InsertCancel(3001));
    s.Add(3, "#EXT-OATCLS-SCTE35:" + cancel);
    s.Add(4, "#EXT-OATCLS-SCTE35:" + cancel);
    s.Add(8, "#EXT-OATCLS-SCTE35:" + B64(InsertOut(3002, s.Pts(8), 6.0)));
    s.Add(8, "#EXT-X-CUE-OUT:6.000");
    s.Add(9, Cont(2, 6));
    s.Add(10, Cont(4, 6));
    s.Add(11, "#EXT-X-CUE-IN");
    all.push_back(s);
  }
  {  // time_signal Provider Placement Opportunity Start/End (vectors 14.1 / 14.3, 307 s), plus a
     // Program Start/End signal (14.4) that is not an ad break. Polled every 5 segments.
    Stream s("time_signal_segmentation", 6.006, 6, 3000, 60);
    s.step = 5;
    s.Add(1, std::string("#EXT-OATCLS-SCTE35:") + kVec14_4_ProgramStartEnd);
    s.Add(4, std::string("#EXT-OATCLS-SCTE35:") + kVec14_1_PoStart);
    s.Add(55, std::string("#EXT-OATCLS-SCTE35:") + kVec14_3_PoEnd);
    all.push_back(s);
  }
  {  // pts_time + pts_adjustment crosses 2^33: effective PTS 2 s (OUT) and 12 s (IN).
    Stream s("pts_wrap", 2.0, 2, 3300, 15);
    const int64_t adjustment = 5 * s35::kTicksPerSecond;
    const int64_t out_pts = s35::kPtsWrap - 3 * s35::kTicksPerSecond;
    const int64_t in_pts = (out_pts + 10 * s35::kTicksPerSecond) % s35::kPtsWrap;
    const std::string out = B64(InsertOut(4001, out_pts, 10.0, true, adjustment));
    s.Add(4, "#EXT-OATCLS-SCTE35:" + out);
    s.Add(4, "#EXT-X-CUE-OUT:10.000");
    for (int i = 5; i <= 8; ++i) {
      s.Add(i, "#EXT-X-CUE-OUT-CONT:ElapsedTime=" + Fixed3(2.0 * (i - 4)) +
                   ",Duration=10.000,SCTE35=" + out);
    }
    s.Add(9, "#EXT-OATCLS-SCTE35:" + B64(InsertIn(4001, in_pts, adjustment)));
    s.Add(9, "#EXT-X-CUE-IN");
    all.push_back(s);
  }
  {  // No EXT-X-PROGRAM-DATE-TIME: synthetic timeline.
    Stream s("no_pdt", 2.0, 2, 4000, 12);
    s.pdt = false;
    s.Add(3, "#EXT-X-CUE-OUT:6.000");
    s.Add(4, "#EXT-X-CUE-OUT-CONT:2.000/6");
    s.Add(5, "#EXT-X-CUE-OUT-CONT:4.000/6");
    s.Add(6, "#EXT-X-CUE-IN");
    all.push_back(s);
  }
  {  // Adobe EXT-X-CUE SpliceOut, no SpliceIn (AWS MediaLive docs): ends by duration.
    Stream s("adobe_cue", 6.0, 6, 4200, 12);
    s.Add(3, "#EXT-X-CUE:ID=\"ad-7\",TYPE=\"SpliceOut\",DURATION=18.000,TIME=" +
                 Fixed3(static_cast<double>(s.Pdt(3)) / 1e6));
    all.push_back(s);
  }
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path root = argc > 1 ? argv[1] : "fixtures/streams";
  for (const Stream& s : Streams()) Write(s, root);
  return 0;
}
