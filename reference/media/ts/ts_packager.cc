#include "reference/media/ts/ts_packager.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <span>
#include <utility>
#include <variant>

#include "reference/base/strings.h"
#include "reference/media/origin/ts_pool.h"
#include "reference/media/scte35/splice_info_section.h"
#include "reference/media/ts/ts_scan.h"

namespace ssai::ts {
namespace {

constexpr int64_t kWrap = scte35::kPtsWrap;
constexpr int64_t kHalfWrap = kWrap / 2;
constexpr int64_t kCutToleranceTicks = 900;  // 10 ms: a random access point this early still cuts
constexpr size_t kNalScanBytes = 4096;       // of each video PES, looked at for an IDR NAL unit

int64_t Mod(int64_t v, int64_t m) { return ((v % m) + m) % m; }

// (a × b) mod 2^33 for a, b >= 0 without overflow: both reduced to 33 bits, the product split.
int64_t MulModWrap(int64_t a, int64_t b) {
  const uint64_t x = static_cast<uint64_t>(Mod(a, kWrap)), y = static_cast<uint64_t>(Mod(b, kWrap));
  const uint64_t lo = x * (y & 0xFFFF), hi = (x * (y >> 16)) % static_cast<uint64_t>(kWrap);
  return static_cast<int64_t>((lo + (hi << 16)) % static_cast<uint64_t>(kWrap));
}

// Signed difference a - b of two 33-bit timestamps, in (-2^32, 2^32].
int64_t PtsDelta(int64_t a, int64_t b) {
  int64_t d = Mod(a - b, kWrap);
  return d > kHalfWrap ? d - kWrap : d;
}

Status ByteError(int64_t offset, std::string_view what) {
  return Status::InvalidArgument("byte " + std::to_string(offset) + ": " + std::string(what));
}

int64_t TicksToMicros(int64_t ticks) { return ticks / 9 * 100 + (ticks % 9) * 100 / 9; }
int64_t MicrosToTicks(int64_t us) { return us / 100 * 9 + (us % 100) * 9 / 100; }

// PTS of a PES header (ISO/IEC 13818-1 §2.4.3.7), when present.
std::optional<int64_t> PesPts(const uint8_t* d, int size) {
  if (size < 14 || d[0] != 0 || d[1] != 0 || d[2] != 1 || (d[7] & 0x80) == 0) return std::nullopt;
  return (int64_t{(d[9] >> 1) & 7} << 30) | (int64_t{d[10]} << 22) | (int64_t{d[11] >> 1} << 15) |
         (int64_t{d[12]} << 7) | (d[13] >> 1);
}

// An IDR / IRAP NAL unit or an MPEG-2 sequence header in the first bytes of an access unit.
bool HasRandomAccessNal(const std::string& b, uint8_t stream_type) {
  for (size_t i = 0; i + 3 < b.size(); ++i) {
    if (b[i] != 0 || b[i + 1] != 0 || b[i + 2] != 1) continue;
    const auto h = static_cast<uint8_t>(b[i + 3]);
    if (stream_type == 0x1B && (h & 0x1F) == 5) return true;
    if (stream_type == 0x24) {
      const int t = (h >> 1) & 0x3F;
      if (t >= 16 && t <= 21) return true;
    }
    if ((stream_type == 0x01 || stream_type == 0x02) && h == 0xB3) return true;
  }
  return false;
}

struct AccessUnit {
  int64_t offset = 0;  // packet where its PES starts
  int64_t pts = 0;     // 33 bits
  int64_t unwrapped = 0;
  bool random_access = false;
};

bool IsBreakStartType(uint8_t t) {
  return t == 0x22 || t == 0x30 || t == 0x32 || t == 0x34 || t == 0x36 || t == 0x38 || t == 0x3A ||
         t == 0x44 || t == 0x46;
}
bool IsBreakEndType(uint8_t t) { return t > 0 && IsBreakStartType(static_cast<uint8_t>(t - 1)); }

std::string HexByte(uint8_t b) {
  constexpr char kDigits[] = "0123456789ABCDEF";
  return {kDigits[b >> 4], kDigits[b & 15]};
}

std::string SecondsText(int64_t ticks) {
  std::string s;
  AppendDouble(std::round(static_cast<double>(ticks) / 90.0) / 1000.0, &s);
  return s;
}

}  // namespace

Result<TsPackager> TsPackager::Create(std::string ts, TsPackagerOptions options) {
  if (!(options.segment_s > 0) || options.segment_s > 60) {
    return Status::InvalidArgument("segment duration: must be in (0, 60] seconds");
  }
  if (options.window_segments < 1 || options.window_segments > 10000) {
    return Status::InvalidArgument("window: must be between 1 and 10000 segments");
  }
  if (options.name.empty()) return Status::InvalidArgument("name: must not be empty");
  TsPackager p;
  p.ts_ = std::move(ts);
  p.options_ = std::move(options);
  SSAI_RETURN_IF_ERROR(p.Segmentize());
  p.PlaceCues();
  return p;
}

Status TsPackager::Segmentize() {
  if (ts_.empty()) return Status::InvalidArgument("byte 0: empty input, not an MPEG-TS");
  const int64_t whole = static_cast<int64_t>(ts_.size()) / kPacketBytes * kPacketBytes;
  if (whole != static_cast<int64_t>(ts_.size())) {
    notes_.push_back("byte " + std::to_string(whole) + ": " + std::to_string(ts_.size() - whole) +
                     " trailing bytes are not a whole packet: dropped");
    ts_.resize(static_cast<size_t>(whole));
  }
  const auto* data = reinterpret_cast<const uint8_t*>(ts_.data());
  int pmt_pid = -1;
  int video_pid = -1;
  uint8_t video_type = 0;
  std::string pat_packet, pmt_packet;
  bool multi_program = false;
  std::set<uint16_t> program_pids;  // the packaged program's elementary streams
  std::string pmt_section, pmt_packets;  // the PMT being reassembled, and its packets
  std::vector<AccessUnit> aus;
  struct TimedPes {
    int64_t offset;
    uint16_t pid;
    int64_t pts;
  };
  std::vector<TimedPes> timed_pes;
  std::string nal;  // first bytes of the access unit being read
  bool open = false;
  AccessUnit current;
  auto close = [&] {
    if (!open) return;
    current.random_access = current.random_access || HasRandomAccessNal(nal, video_type);
    aus.push_back(current);
    open = false;
  };
  for (int64_t off = 0; off < whole; off += kPacketBytes) {
    const uint8_t* p = data + off;
    if (p[0] != kSyncByte) return ByteError(off, "lost sync: no 0x47 at a packet start (not an MPEG-TS?)");
    const int pid = ((p[1] & 0x1F) << 8) | p[2];
    const bool pusi = (p[1] & 0x40) != 0;
    const int afc = (p[3] >> 4) & 3;
    int payload_at = 4;
    bool rai = false;
    if (afc & 2) {
      if (4 + 1 + p[4] > kPacketBytes) return ByteError(off, "adaptation_field_length past the packet end");
      rai = p[4] > 0 && (p[5] & 0x40) != 0;
      payload_at = 5 + p[4];
    }
    if ((afc & 1) == 0) continue;
    const uint8_t* payload = p + payload_at;
    const int size = kPacketBytes - payload_at;
    if (pid == kPatPid && pusi && pmt_pid < 0) {
      // PAT (§2.4.4.3): the first program with a program_number other than 0 (network PID).
      if (size < 1 || 1 + payload[0] + 8 > size) return ByteError(off, "PAT: pointer_field past the packet end");
      const uint8_t* s = payload + 1 + payload[0];
      const int avail = size - 1 - payload[0];
      const int len = ((s[1] & 0x0F) << 8) | s[2];
      if (s[0] != 0x00 || 3 + len > avail) return ByteError(off, "PAT: not a PAT section in one packet");
      std::string others;
      for (int i = 8; i + 4 <= 3 + len - 4; i += 4) {
        const int program = (s[i] << 8) | s[i + 1];
        if (program == 0) continue;
        if (pmt_pid < 0) {
          pmt_pid = ((s[i + 2] & 0x1F) << 8) | s[i + 3];
          program_number_ = static_cast<uint16_t>(program);
        } else {
          others += (others.empty() ? "" : ", ") + std::to_string(program);
        }
      }
      if (pmt_pid < 0) return ByteError(off, "PAT: no program");
      if (!others.empty()) {
        // A multi-program TS (§2.4.4.3): the first program is packaged, as players pick it; the
        // others' packets ride along by position and their SCTE-35 cues are ignored.
        multi_program = true;
        notes_.push_back("byte " + std::to_string(off) + ": the PAT lists more programs (" + others +
                         "): packaging the first, program " + std::to_string(program_number_) +
                         " (remux another one into its own TS to package it)");
      }
      pat_packet.assign(reinterpret_cast<const char*>(p), kPacketBytes);
    } else if (pid == pmt_pid && video_pid < 0 && (pusi || !pmt_packets.empty())) {
      // PMT (§2.4.4.8): the first video elementary stream. The section may continue in the
      // PID's next packets (§2.4.4.1: many descriptors make a PMT longer than one packet).
      if (pusi) {
        if (size < 1 || 1 + payload[0] + 3 > size) return ByteError(off, "PMT: pointer_field past the packet end");
        pmt_section.assign(reinterpret_cast<const char*>(payload) + 1 + payload[0], static_cast<size_t>(size - 1 - payload[0]));
        pmt_packets.assign(reinterpret_cast<const char*>(p), kPacketBytes);
      } else {
        pmt_section.append(reinterpret_cast<const char*>(payload), static_cast<size_t>(size));
        pmt_packets.append(reinterpret_cast<const char*>(p), kPacketBytes);
      }
      const auto* s = reinterpret_cast<const uint8_t*>(pmt_section.data());
      const int len = ((s[1] & 0x0F) << 8) | s[2];
      if (s[0] != 0x02) return ByteError(off, "PMT: table_id 0x" + HexByte(s[0]) + " is not a PMT section");
      if (len < 13 || len > 1021) {
        return ByteError(off, "PMT: section_length " + std::to_string(len) + " outside [13, 1021]");
      }
      if (pmt_section.size() < static_cast<size_t>(3 + len)) continue;  // more in the PID's next packet
      const int pil = ((s[10] & 0x0F) << 8) | s[11];
      for (int i = 12 + pil; i + 5 <= 3 + len - 4;) {
        if (IsVideoStreamType(s[i]) && video_pid < 0) {
          video_pid = ((s[i + 1] & 0x1F) << 8) | s[i + 2];
          video_type = s[i];
          // Its stream_identifier_descriptor (tag 0x52, ETSI EN 300 468 §6.2.39): the component_tag
          // a component-mode splice_insert names it by (SCTE 35 §9.7.3.1).
          const int es_end = std::min(i + 5 + (((s[i + 3] & 0x0F) << 8) | s[i + 4]), 3 + len - 4);
          for (int j = i + 5; j + 2 <= es_end && j + 2 + s[j + 1] <= es_end; j += 2 + s[j + 1]) {
            if (s[j] == 0x52 && s[j + 1] >= 1) video_component_tag_ = s[j + 2];
          }
        }
        if (s[i] == kStreamTypeScte35) scte35_pids_.push_back(static_cast<uint16_t>(((s[i + 1] & 0x1F) << 8) | s[i + 2]));
        program_pids.insert(static_cast<uint16_t>(((s[i + 1] & 0x1F) << 8) | s[i + 2]));
        i += 5 + (((s[i + 3] & 0x0F) << 8) | s[i + 4]);
      }
      if (video_pid < 0) return ByteError(off, "PMT: no video stream (stream_type 0x01, 0x02, 0x1B or 0x24)");
      pmt_packet = std::move(pmt_packets);  // every packet of the section (prepended to segments)
      pmt_packets.clear();
    } else if (pid == video_pid) {
      if (pusi) {
        close();
        std::optional<int64_t> pts = PesPts(payload, size);
        if (pts) {
          open = true;
          current = AccessUnit{off, *pts, 0, rai};
          const int header = 9 + payload[8];
          nal.assign(reinterpret_cast<const char*>(payload) + std::min(header, size),
                     static_cast<size_t>(size - std::min(header, size)));
        }
      } else if (open && nal.size() < kNalScanBytes) {
        nal.append(reinterpret_cast<const char*>(payload), static_cast<size_t>(size));
      }
    } else if (pusi && size >= 4 && payload[0] == 0 && payload[1] == 0 && payload[2] == 1 && payload[3] >= 0xC0 &&
               payload[3] <= 0xEF) {
      // Another elementary stream's PES (audio 0xC0-0xDF, another video): where it starts, and its
      // PTS, to cut it by time rather than by position (below).
      // Another program's PES runs on its own clock: by position, not by our PTS.
      const bool ours = !multi_program || program_pids.count(static_cast<uint16_t>(pid)) != 0;
      if (std::optional<int64_t> pts = PesPts(payload, size); pts && ours) {
        timed_pes.push_back({off, static_cast<uint16_t>(pid), *pts});
      }
    }
  }
  close();
  if (pmt_pid < 0) return ByteError(0, "no PAT: not an MPEG-TS with a program");
  if (video_pid < 0) return ByteError(0, "no PMT for program PID " + std::to_string(pmt_pid));
  if (aus.empty()) return ByteError(0, "no video PES with a PTS on PID " + PidHex(static_cast<uint16_t>(video_pid)));
  video_pid_ = static_cast<uint16_t>(video_pid);
  psi_ = pat_packet + pmt_packet;
  aus[0].unwrapped = aus[0].pts;
  for (size_t i = 1; i < aus.size(); ++i) aus[i].unwrapped = aus[i - 1].unwrapped + PtsDelta(aus[i].pts, aus[i - 1].pts);
  size_t r0 = 0;
  while (r0 < aus.size() && !aus[r0].random_access) ++r0;
  if (r0 == aus.size()) {
    return ByteError(aus[0].offset, "no random access point (IDR frame or random_access_indicator) on video PID " +
                                        PidHex(video_pid_));
  }
  if (r0 > 0) {
    notes_.push_back("byte " + std::to_string(aus[0].offset) + ": " + std::to_string(r0) +
                     " video frames before the first random access point go in segment 0");
  }
  // Frame interval: the median positive step between sorted PTS values.
  std::vector<int64_t> sorted;
  for (const AccessUnit& a : aus) sorted.push_back(a.unwrapped);
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> steps;
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i] > sorted[i - 1]) steps.push_back(sorted[i] - sorted[i - 1]);
  }
  int64_t frame = 3600;  // 25 fps when there is a single frame
  if (!steps.empty()) {
    std::nth_element(steps.begin(), steps.begin() + static_cast<ptrdiff_t>(steps.size() / 2), steps.end());
    frame = steps[steps.size() / 2];
  }
  const int64_t target = static_cast<int64_t>(std::llround(options_.segment_s * 90000));
  std::vector<size_t> starts{r0};
  for (size_t i = r0 + 1; i < aus.size(); ++i) {
    if (aus[i].random_access && aus[i].unwrapped - aus[starts.back()].unwrapped >= target - kCutToleranceTicks) {
      starts.push_back(i);
    }
  }
  first_pts_ = aus[r0].pts;
  const int64_t base = aus[r0].unwrapped;
  for (size_t j = 0; j < starts.size(); ++j) {
    TsSegment s;
    s.pts_ticks = aus[starts[j]].pts;
    s.rel_ticks = aus[starts[j]].unwrapped - base;
    if (j == 0) {
      s.begin = 0;
    } else {
      // Back over the PAT/PMT packets written right before the random access point.
      int64_t b = aus[starts[j]].offset;
      while (b > segments_.back().begin) {
        const uint8_t* q = data + b - kPacketBytes;
        const int pid = ((q[1] & 0x1F) << 8) | q[2];
        if (pid != kPatPid && pid != pmt_pid) break;
        b -= kPacketBytes;
      }
      s.begin = b;
      segments_.back().end = b;
    }
    s.end = whole;
    const int first_pid = ((data[s.begin + 1] & 0x1F) << 8) | data[s.begin + 2];
    s.prepend_psi = first_pid != kPatPid;
    segments_.push_back(s);
  }
  int64_t last_pts = base;
  for (size_t i = starts.back(); i < aus.size(); ++i) last_pts = std::max(last_pts, aus[i].unwrapped);
  for (size_t j = 0; j < segments_.size(); ++j) {
    const int64_t next = j + 1 < segments_.size() ? segments_[j + 1].rel_ticks : last_pts - base + frame;
    segments_[j].duration_ticks = std::max<int64_t>(1, next - segments_[j].rel_ticks);
  }
  loop_ticks_ = segments_.back().rel_ticks + segments_.back().duration_ticks;
  // Which segment each packet goes to. Video, PSI, SCTE-35 and any other packet: by position (the
  // video cuts above). A PID whose PES carry a PTS (audio): by that PTS, into the segment whose
  // PTS range holds the PES's end, continuation packets with their PES. A muxer writes audio up to ~0.7 s
  // ahead of or behind the video it plays with; cut by position, a segment's audio would start
  // that much after its video and a player joining there (or coming back from an ad) meets a
  // hole. A PID never goes back to an earlier segment, so its packets keep their order and the
  // continuity counters stay continuous.
  {
    auto segment_of_rel = [this](int64_t rel) {
      auto it = std::upper_bound(segments_.begin(), segments_.end(), rel,
                                 [](int64_t v, const TsSegment& x) { return v < x.rel_ticks; });
      return std::max<int64_t>(0, static_cast<int64_t>(it - segments_.begin()) - 1);
    };
    // A PES that straddles a cut goes to the later segment, so each segment's audio covers the
    // start of its video (it leads by less than one PES; none is missing where a player joins).
    // A PES lasts about its PID's median PTS step.
    std::map<uint16_t, int64_t> step;
    {
      std::map<uint16_t, std::vector<int64_t>> pes_steps;
      std::map<uint16_t, int64_t> last;
      for (const TimedPes& t : timed_pes) {
        if (auto it = last.find(t.pid); it != last.end()) {
          const int64_t d = PtsDelta(t.pts, it->second);
          if (d > 0 && d < 10 * 90000) pes_steps[t.pid].push_back(d);
        }
        last[t.pid] = t.pts;
      }
      for (auto& [pid, v] : pes_steps) {
        std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(v.size() / 2), v.end());
        step[pid] = v[v.size() / 2];
      }
    }
    std::map<uint16_t, int64_t> pes_segment;  // PID -> segment of its current PES
    size_t next_pes = 0;
    size_t by_position = 0;
    runs_.assign(segments_.size(), {});
    for (int64_t off = 0; off < whole; off += kPacketBytes) {
      while (by_position + 1 < segments_.size() && off >= segments_[by_position + 1].begin) ++by_position;
      const uint16_t pid = static_cast<uint16_t>(((data[off + 1] & 0x1F) << 8) | data[off + 2]);
      if (next_pes < timed_pes.size() && timed_pes[next_pes].offset == off) {
        const int64_t length = step.count(pid) != 0 ? step[pid] : 1;
        int64_t k = segment_of_rel(PtsDelta(timed_pes[next_pes].pts, first_pts_) + length - 1);
        auto [it, fresh] = pes_segment.emplace(pid, k);
        if (!fresh) it->second = std::max(it->second, k);
        ++next_pes;
      }
      auto it = pes_segment.find(pid);
      const size_t k = it != pes_segment.end() ? static_cast<size_t>(it->second) : by_position;
      std::vector<std::pair<int64_t, int64_t>>& r = runs_[k];
      if (!r.empty() && r.back().second == off) {
        r.back().second = off + kPacketBytes;
      } else {
        r.emplace_back(off, off + kPacketBytes);
      }
    }
    for (size_t k = 0; k < segments_.size(); ++k) {
      const int64_t first = runs_[k].empty() ? segments_[k].begin : runs_[k].front().first;
      segments_[k].prepend_psi = (((data[first + 1] & 0x1F) << 8) | data[first + 2]) != kPatPid;
    }
  }
  // Payload packets per PID before each segment of the served stream, and in one loop of it
  // (continuity counters, §2.4.3.3; ts_pool.h).
  for (const TsSegment& s : segments_) {
    before_.push_back(per_loop_);
    SSAI_ASSIGN_OR_RETURN(origin::PidCounts c, origin::CountPayloadPackets(SegmentBytes(s)));
    for (const auto& [pid, n] : c) per_loop_[pid] += n;
  }
  return Status::Ok();
}

int64_t TsPackager::RelTicks(int64_t pts) const { return PtsDelta(Mod(pts, kWrap), first_pts_); }

std::optional<int64_t> TsPackager::SegmentForRelTicks(int64_t rel) const {
  if (rel < 0 || loop_ticks_ <= 0) return std::nullopt;
  const int64_t loop = rel / loop_ticks_;
  const int64_t r = rel % loop_ticks_;
  auto it = std::upper_bound(segments_.begin(), segments_.end(), r,
                             [](int64_t v, const TsSegment& s) { return v < s.rel_ticks; });
  const int64_t k = static_cast<int64_t>(it - segments_.begin()) - 1;
  return loop * static_cast<int64_t>(segments_.size()) + std::max<int64_t>(0, k);
}

std::optional<int64_t> TsPackager::SegmentForPts(int64_t pts_ticks) const {
  std::optional<int64_t> n = SegmentForRelTicks(RelTicks(pts_ticks));
  if (n && !options_.loop && *n >= static_cast<int64_t>(segments_.size())) return std::nullopt;
  return n;
}

void TsPackager::PlaceCues() {
  Result<ScanResult> scan = ScanAll(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(ts_.data()), ts_.size()));
  if (!scan.ok()) {  // Segmentize already refused a stream that loses sync
    notes_.push_back(scan.status().message());
    return;
  }
  for (const Issue& i : scan->issues) notes_.push_back(i.status.message());
  std::vector<TsBreak> placed;
  std::vector<uint8_t> start_types;  // per break: the segmentation type that opened it (0: splice_insert)
  auto where = [](const Cue& c) { return "byte " + std::to_string(c.packet_offset) + ": "; };
  auto find = [&](std::string_view kind, uint32_t id, bool open_only) -> TsBreak* {
    for (auto it = placed.rbegin(); it != placed.rend(); ++it) {
      if (it->kind == kind && it->event_id == id && (!open_only || !it->explicit_in)) return &*it;
    }
    return nullptr;
  };
  auto cancel = [&](const Cue& c, std::string_view kind, uint32_t id, int64_t pos) {
    for (size_t i = placed.size(); i-- > 0;) {
      if (placed[i].kind != kind || placed[i].event_id != id) continue;
      if (placed[i].out_rel_ticks > pos) {
        notes_.push_back(where(c) + std::string(kind) + " event " + std::to_string(id) + " cancelled before its splice time");
        placed.erase(placed.begin() + static_cast<ptrdiff_t>(i));
        start_types.erase(start_types.begin() + static_cast<ptrdiff_t>(i));
      } else {
        // Cancelled while in progress (SCTE 35 §9.7.3 / §10.3.3: the event no longer applies): the
        // break ends where the cancel is, with an IN made there (an IN the TS sends later is
        // superseded); a cancel after the break is over changes nothing.
        TsBreak& b = placed[i];
        const bool over = b.explicit_in ? b.in_rel_ticks <= pos
                                        : b.duration_s > 0 && b.out_rel_ticks + scte35::SecondsToTicks(b.duration_s) <= pos;
        if (over) {
          notes_.push_back(where(c) + "cancel of " + std::string(kind) + " event " + std::to_string(id) +
                           " after its break ended: ignored");
        } else {
          notes_.push_back(where(c) + "cancel of " + std::string(kind) + " event " + std::to_string(id) +
                           " during its break: the break ends here");
          b.in_rel_ticks = pos;
          b.explicit_in = true;
          b.cancelled_in = true;
          b.in_section.clear();
        }
      }
      return;
    }
    notes_.push_back(where(c) + "cancel of unknown " + std::string(kind) + " event " + std::to_string(id));
  };
  int64_t other_programs = 0;
  for (const Cue& c : scan->cues) {
    if (c.program_number != program_number_) {  // another program's clock and splices
      if (other_programs++ == 0) {
        notes_.push_back(where(c) + "SCTE-35 cues of program " + std::to_string(c.program_number) +
                         " (not the packaged program " + std::to_string(program_number_) + "): ignored");
      }
      continue;
    }
    const scte35::SpliceInfoSection& s = c.decoded;
    const int64_t pos = c.video_pts_ticks ? RelTicks(*c.video_pts_ticks) : 0;
    const std::optional<int64_t> at = scte35::EffectiveSplicePtsTicks(s);
    if (const auto* si = std::get_if<scte35::SpliceInsert>(&s.command)) {
      if (si->splice_event_cancel_indicator) {
        cancel(c, "splice_insert", si->splice_event_id, pos);
        continue;
      }
      std::optional<int64_t> when = at;
      if (!si->program_splice_flag && !si->splice_immediate_flag) {
        // Component mode (§9.7.3.1): a splice time per component. Segments are cut on the video,
        // so the video's component decides (its component_tag from the PMT); without one, the
        // earliest component. Components that disagree are noted.
        const scte35::InsertComponent* pick = nullptr;
        bool video = false;
        for (const scte35::InsertComponent& comp : si->components) {
          if (!comp.splice_time.time_specified_flag) continue;
          if (video_component_tag_ && comp.component_tag == *video_component_tag_) {
            pick = &comp;
            video = true;
            break;
          }
          if (pick == nullptr || RelTicks(scte35::EffectivePts(comp.splice_time.pts_time_ticks, s.pts_adjustment_ticks)) <
                                     RelTicks(scte35::EffectivePts(pick->splice_time.pts_time_ticks, s.pts_adjustment_ticks))) {
            pick = &comp;
          }
        }
        if (pick != nullptr) {
          when = scte35::EffectivePts(pick->splice_time.pts_time_ticks, s.pts_adjustment_ticks);
          bool differ = false;
          for (const scte35::InsertComponent& comp : si->components) {
            differ = differ || comp.splice_time.pts_time_ticks != pick->splice_time.pts_time_ticks;
          }
          if (differ) {
            notes_.push_back(where(c) + "splice_insert event " + std::to_string(si->splice_event_id) +
                             " in component mode: the components' splice times differ; placed at " +
                             (video ? "the video's (component_tag " : "the earliest (component_tag ") +
                             std::to_string(pick->component_tag) + ")");
          }
        }
      }
      if (!when && !si->splice_immediate_flag) {
        notes_.push_back(where(c) + "splice_insert without a splice time (no component with one): not placed");
        continue;
      }
      const int64_t rel = si->splice_immediate_flag ? pos : RelTicks(*when);
      if (si->out_of_network_indicator) {
        TsBreak b;
        b.kind = "splice_insert";
        b.event_id = si->splice_event_id;
        b.out_rel_ticks = rel;
        if (si->break_duration) b.duration_s = scte35::TicksToSeconds(si->break_duration->duration_ticks);
        b.out_packet_offset = c.packet_offset;
        b.out_section = c.section;
        placed.push_back(std::move(b));
        start_types.push_back(0);
      } else {
        TsBreak* b = find("splice_insert", si->splice_event_id, true);
        if (b == nullptr) {
          if (TsBreak* ended = find("splice_insert", si->splice_event_id, false); ended != nullptr && ended->cancelled_in) {
            notes_.push_back(where(c) + "splice_insert IN of event " + std::to_string(si->splice_event_id) +
                             " after its cancel ended the break: ignored");
            continue;
          }
          for (auto it = placed.rbegin(); it != placed.rend() && b == nullptr; ++it) {
            if (!it->explicit_in) b = &*it;
          }
        }
        if (b == nullptr) {
          notes_.push_back(where(c) + "splice_insert IN without an open break: ignored");
          continue;
        }
        b->in_rel_ticks = rel;
        b->explicit_in = true;
        b->in_section = c.section;
        if (b->event_id != si->splice_event_id) {
          // An IN with its own splice_event_id ends the latest open break; its section is written
          // with the OUT's id, so the markers of every flavour pair (cues/normalizer.h matches
          // an IN to the open break by id).
          notes_.push_back(where(c) + "splice_insert IN of event " + std::to_string(si->splice_event_id) +
                           " ends the open break of event " + std::to_string(b->event_id) +
                           ": its markers carry event " + std::to_string(b->event_id));
          scte35::SpliceInfoSection moved = s;
          std::get<scte35::SpliceInsert>(moved.command).splice_event_id = b->event_id;
          if (Result<Bytes> e = scte35::Encode(moved); e.ok()) b->in_section = std::move(e).value();
        }
      }
    } else if (std::holds_alternative<scte35::TimeSignal>(s.command)) {
      const int64_t rel = at ? RelTicks(*at) : pos;
      for (const scte35::SpliceDescriptor& d : s.descriptors) {
        const auto* sd = std::get_if<scte35::SegmentationDescriptor>(&d);
        if (sd == nullptr) continue;
        if (sd->segmentation_event_cancel_indicator) {
          cancel(c, "time_signal", sd->segmentation_event_id, pos);
          continue;
        }
        const uint8_t t = sd->segmentation_type_id;
        if (IsBreakStartType(t)) {
          if (TsBreak* open = find("time_signal", sd->segmentation_event_id, true);
              open != nullptr && open->out_rel_ticks == rel) {
            continue;  // the same signal repeated
          }
          TsBreak b;
          b.kind = "time_signal";
          b.event_id = sd->segmentation_event_id;
          b.out_rel_ticks = rel;
          if (sd->segmentation_duration_ticks) {
            b.duration_s = scte35::TicksToSeconds(static_cast<int64_t>(*sd->segmentation_duration_ticks));
          }
          b.out_packet_offset = c.packet_offset;
          b.out_section = c.section;
          placed.push_back(std::move(b));
          start_types.push_back(t);
        } else if (IsBreakEndType(t)) {
          TsBreak* b = find("time_signal", sd->segmentation_event_id, true);
          if (b == nullptr) {
            if (TsBreak* ended = find("time_signal", sd->segmentation_event_id, false); ended != nullptr && ended->cancelled_in) {
              continue;  // its cancel already ended the break (noted there)
            }
            notes_.push_back(where(c) + "segmentation end (type 0x" + HexByte(t) + ") of event " +
                             std::to_string(sd->segmentation_event_id) + " without a start: ignored");
            continue;
          }
          b->in_rel_ticks = rel;
          b->explicit_in = true;
          b->in_section = c.section;
        } else {
          notes_.push_back(where(c) + "segmentation type 0x" + HexByte(t) + " is not an ad break: not placed");
        }
      }
    }
  }
  const int64_t k = static_cast<int64_t>(segments_.size());
  for (size_t i = 0; i < placed.size(); ++i) {
    TsBreak& b = placed[i];
    const std::string what = "byte " + std::to_string(b.out_packet_offset) + ": " + b.kind + " event " +
                             std::to_string(b.event_id) + ": ";
    if (!b.explicit_in) {
      if (b.duration_s <= 0) {
        notes_.push_back(what + "no duration and no IN: not placed");
        continue;
      }
      b.in_rel_ticks = b.out_rel_ticks + scte35::SecondsToTicks(b.duration_s);
    }
    if (b.duration_s <= 0) b.duration_s = scte35::TicksToSeconds(b.in_rel_ticks - b.out_rel_ticks);
    std::optional<int64_t> out = SegmentForRelTicks(b.out_rel_ticks);
    std::optional<int64_t> in = SegmentForRelTicks(b.in_rel_ticks);
    if (!out) {
      notes_.push_back(what + "splice time before the first segment: not placed");
      continue;
    }
    if (!options_.loop && *out >= k) {
      notes_.push_back(what + "splice time after the end of the file: not placed");
      continue;
    }
    if (!in || *in <= *out) {
      notes_.push_back(what + "ends in the segment it starts in: not placed");
      continue;
    }
    if (options_.loop && b.in_rel_ticks - b.out_rel_ticks >= loop_ticks_) {
      // Each loop repeats the break: one as long as the file would overlap its own repeats.
      notes_.push_back(what + "not shorter than the looped file (" + SecondsText(loop_ticks_) + " s): not placed");
      continue;
    }
    b.out_segment = *out;
    b.in_segment = *in;
    if (b.in_section.empty()) {  // the IN the TS did not carry (auto-return break)
      scte35::SpliceInfoSection in_section;
      const int64_t pts = Mod(first_pts_ + b.in_rel_ticks, kWrap);
      if (start_types[i] == 0) {
        scte35::SpliceInsert si;
        si.splice_event_id = b.event_id;
        si.out_of_network_indicator = false;
        si.splice_time = {true, pts};
        si.unique_program_id = 1;
        in_section.command = si;
      } else {
        scte35::TimeSignal ts;
        ts.splice_time = {true, pts};
        in_section.command = ts;
        scte35::SegmentationDescriptor sd;
        sd.segmentation_event_id = b.event_id;
        sd.segmentation_type_id = static_cast<uint8_t>(start_types[i] + 1);
        in_section.descriptors.push_back(sd);
      }
      Result<Bytes> bytes = scte35::Encode(in_section);
      if (bytes.ok()) b.in_section = std::move(bytes).value();
    }
    breaks_.push_back(std::move(b));
  }
}

Status TsPackager::CheckUniformSegments(double segment_s) const {
  const int64_t want = std::llround(segment_s * 90000);
  for (size_t k = 0; k < segments_.size(); ++k) {
    const int64_t d = segments_[k].duration_ticks;
    if (std::llabs(d - want) > 90) {
      return Status::InvalidArgument("segment " + std::to_string(k) + " lasts " + FormatDouble(d / 90000.0) +
                                     " s, not segment_duration_s (cut at IDR frames: the GOPs must divide it)");
    }
  }
  return Status::Ok();
}

origin::ScheduledBreak TsPackager::MarkedBreakOf(const TsBreak& b, int64_t loop, UnixMicros pdt_start) const {
  origin::ScheduledBreak brk;
  brk.event_id = b.event_id;
  if (options_.flavour != origin::CueFlavour::kDateRange) {
    const int64_t k = static_cast<int64_t>(segments_.size());
    brk.start_time = SegmentStart(loop * k + b.out_segment, pdt_start);
    brk.duration_s = MicrosToSeconds(SegmentStart(loop * k + b.in_segment, pdt_start) - brk.start_time);
    return brk;
  }
  const int64_t us = ((loop * loop_ticks_ + b.out_rel_ticks) * 100 + 4) / 9;  // 90 kHz -> µs, rounded
  brk.start_time = pdt_start + (us + 500) / 1000 * 1000;
  brk.duration_s = static_cast<double>(b.in_rel_ticks - b.out_rel_ticks) / 90000;
  return brk;
}

int64_t TsPackager::TargetDurationS() const {
  int64_t t = 1;
  for (const TsSegment& s : segments_) t = std::max<int64_t>(t, std::llround(static_cast<double>(s.duration_ticks) / 90000));
  return t;
}

int64_t TsPackager::SegmentTicks(int64_t msn) const {
  const int64_t k = static_cast<int64_t>(segments_.size());
  return msn / k * loop_ticks_ + segments_[static_cast<size_t>(msn % k)].rel_ticks;
}

int64_t TsPackager::DurationTicks(int64_t msn) const {
  return segments_[static_cast<size_t>(msn % static_cast<int64_t>(segments_.size()))].duration_ticks;
}

UnixMicros TsPackager::SegmentStart(int64_t msn, UnixMicros pdt_start) const {
  return pdt_start + TicksToMicros(SegmentTicks(msn));
}

std::string TsPackager::SegmentUri(int64_t msn) const { return options_.name + "_" + std::to_string(msn) + ".ts"; }

std::optional<int64_t> TsPackager::ParseSegmentUri(std::string_view uri) const {
  const std::string prefix = options_.name + "_";
  if (!uri.starts_with(prefix) || !uri.ends_with(".ts")) return std::nullopt;
  std::string_view digits = uri.substr(prefix.size(), uri.size() - prefix.size() - 3);
  if (digits.empty() || digits.size() > 15) return std::nullopt;
  int64_t n = 0;
  for (char ch : digits) {
    if (ch < '0' || ch > '9') return std::nullopt;
    n = n * 10 + (ch - '0');
  }
  return n;
}

Result<std::string> TsPackager::Segment(int64_t msn) const {
  const int64_t k = static_cast<int64_t>(segments_.size());
  if (msn < 0 || (!options_.loop && msn >= k)) {
    return Status::NotFound("segment " + std::to_string(msn) + ": not in the stream (" + std::to_string(k) +
                            " segments" + (options_.loop ? "" : ", no loop") + ")");
  }
  const int64_t j = msn % k;
  origin::PidCounts before = before_[static_cast<size_t>(j)];
  const int64_t loop = msn / k;
  for (const auto& [pid, n] : per_loop_) before[pid] = (before[pid] + (loop % 16) * (n % 16)) % 16;
  const int64_t shift = MulModWrap(loop, loop_ticks_);
  SSAI_ASSIGN_OR_RETURN(std::string out, origin::RetimeTs(SegmentBytes(segments_[static_cast<size_t>(j)]), shift, before));
  if (shift != 0) MoveSpliceSections(&out, shift);
  return out;
}

// SCTE 35 §9.6: pts_adjustment exists so that a splice_info_section can follow its program
// through a retiming: each section that starts and ends in one packet of an SCTE-35 PID gets
// pts_adjustment += shift (mod 2^33) and a new CRC_32. A section spanning packets keeps its
// bytes (its splice time then names loop 0's PTS).
void TsPackager::MoveSpliceSections(std::string* ts, int64_t shift) const {
  auto* data = reinterpret_cast<uint8_t*>(ts->data());
  for (size_t off = 0; off + kPacketBytes <= ts->size(); off += kPacketBytes) {
    uint8_t* p = data + off;
    const uint16_t pid = static_cast<uint16_t>(((p[1] & 0x1F) << 8) | p[2]);
    if ((p[1] & 0x40) == 0 || std::find(scte35_pids_.begin(), scte35_pids_.end(), pid) == scte35_pids_.end()) continue;
    const int afc = (p[3] >> 4) & 3;
    if ((afc & 1) == 0) continue;
    int at = 4 + ((afc & 2) ? 1 + p[4] : 0);
    if (at >= kPacketBytes) continue;
    at += 1 + p[at];  // pointer_field
    while (at + 3 <= kPacketBytes && p[at] == scte35::kTableId) {
      const int len = ((p[at + 1] & 0x0F) << 8) | p[at + 2];
      if (len < 15 || at + 3 + len > kPacketBytes) break;  // spans packets (or too short)
      uint8_t* sec = p + at;
      int64_t adj = (int64_t{sec[4] & 1} << 32) | (int64_t{sec[5]} << 24) | (int64_t{sec[6]} << 16) |
                    (int64_t{sec[7]} << 8) | sec[8];
      adj = Mod(adj + shift, kWrap);
      sec[4] = static_cast<uint8_t>((sec[4] & 0xFE) | ((adj >> 32) & 1));
      sec[5] = static_cast<uint8_t>(adj >> 24);
      sec[6] = static_cast<uint8_t>(adj >> 16);
      sec[7] = static_cast<uint8_t>(adj >> 8);
      sec[8] = static_cast<uint8_t>(adj);
      const uint32_t crc = scte35::Crc32Mpeg2(std::span<const uint8_t>(sec, static_cast<size_t>(3 + len - 4)));
      sec[3 + len - 4] = static_cast<uint8_t>(crc >> 24);
      sec[3 + len - 3] = static_cast<uint8_t>(crc >> 16);
      sec[3 + len - 2] = static_cast<uint8_t>(crc >> 8);
      sec[3 + len - 1] = static_cast<uint8_t>(crc);
      at += 3 + len;
    }
  }
}

std::string TsPackager::SegmentBytes(const TsSegment& s) const {
  std::string b = s.prepend_psi ? psi_ : std::string();
  const size_t k = static_cast<size_t>(&s - segments_.data());
  for (const auto& [from, to] : runs_[k]) b.append(ts_, static_cast<size_t>(from), static_cast<size_t>(to - from));
  return b;
}

int64_t TsPackager::LiveEdgeMsn(UnixMicros now, UnixMicros pdt_start) const {
  const int64_t k = static_cast<int64_t>(segments_.size());
  if (now < pdt_start) return -1;
  const int64_t elapsed = MicrosToTicks(now - pdt_start);
  const int64_t loop = elapsed / loop_ticks_;
  const int64_t r = elapsed % loop_ticks_;
  int64_t in_loop = -1;
  for (int64_t i = 0; i < k; ++i) {
    const TsSegment& s = segments_[static_cast<size_t>(i)];
    if (s.rel_ticks + s.duration_ticks <= r) in_loop = i;
  }
  if (!options_.loop) return loop > 0 ? k - 1 : in_loop;
  return loop * k + in_loop;
}

std::string TsPackager::MediaPlaylistAt(UnixMicros now, UnixMicros pdt_start) const {
  const int64_t k = static_cast<int64_t>(segments_.size());
  const int64_t last = LiveEdgeMsn(now, pdt_start);
  const int64_t first = std::max<int64_t>(0, last - options_.window_segments + 1);
  std::string out = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:" + std::to_string(TargetDurationS()) +
                    "\n#EXT-X-MEDIA-SEQUENCE:" + std::to_string(first) + "\n";
  // The breaks of loop `l`, as marker text (the sections' pts_adjustment moved by the loops, so
  // their splice times match the retimed media).
  auto text = [&](const TsBreak& b, int64_t l) {
    const int64_t shift = MulModWrap(l, loop_ticks_);
    auto moved = [&](const Bytes& section) {
      if (shift == 0) return section;
      Result<scte35::SpliceInfoSection> s = scte35::Decode(section);
      if (!s.ok()) return section;
      s->pts_adjustment_ticks = Mod(s->pts_adjustment_ticks + shift, kWrap);
      Result<Bytes> e = scte35::Encode(*s);
      return e.ok() ? std::move(e).value() : section;
    };
    origin::BreakMarkerText m = origin::MakeBreakMarkerText(
        b.event_id, pdt_start + TicksToMicros(l * loop_ticks_ + b.out_rel_ticks), b.duration_s,
        moved(b.out_section), moved(b.in_section));
    m.in_duration_text = SecondsText(b.in_rel_ticks - b.out_rel_ticks);
    if (options_.loop) m.daterange_id = "splice-" + std::to_string(b.event_id) + "-" + std::to_string(l);
    return m;
  };
  for (int64_t msn = first; msn <= last; ++msn) {
    // IN markers first: a break that ends where the next one starts.
    for (int pass = 0; pass < 2; ++pass) {
      for (const TsBreak& b : breaks_) {
        const int64_t l_lo = options_.loop ? std::max<int64_t>(0, (msn - b.in_segment + k - 1) / k) : 0;
        const int64_t l_hi = options_.loop ? (msn - b.out_segment) / k : 0;
        for (int64_t l = l_lo; l <= l_hi && msn >= b.out_segment; ++l) {
          const int64_t out_msn = b.out_segment + l * k, in_msn = b.in_segment + l * k;
          if (pass == 0 && msn == in_msn) {
            origin::AppendInMarker(options_.flavour, text(b, l), &out);
          } else if (pass == 1 && msn == out_msn) {
            origin::AppendOutMarker(options_.flavour, text(b, l), &out);
          } else if (pass == 1 && options_.repeat_cue && msn > out_msn && msn < in_msn) {
            origin::AppendContMarker(options_.flavour, text(b, l),
                                     scte35::TicksToSeconds(SegmentTicks(msn) - SegmentTicks(out_msn)), &out);
          }
        }
      }
    }
    out += "#EXT-X-PROGRAM-DATE-TIME:";
    AppendIso8601Millis(SegmentStart(msn, pdt_start), &out);
    out += "\n#EXTINF:";
    AppendFixed(scte35::TicksToSeconds(DurationTicks(msn)), 3, &out);
    out += ",\n" + SegmentUri(msn) + "\n";
  }
  if (!options_.loop && last == k - 1) out += "#EXT-X-ENDLIST\n";
  return out;
}

std::string TsPackager::MasterPlaylist() const {
  int64_t bps = 1;
  for (const TsSegment& s : segments_) {
    int64_t bytes = s.prepend_psi ? static_cast<int64_t>(psi_.size()) : 0;
    for (const auto& [from, to] : runs_[static_cast<size_t>(&s - segments_.data())]) bytes += to - from;
    bps = std::max<int64_t>(bps, bytes * 8 * 90000 / std::max<int64_t>(1, s.duration_ticks));
  }
  // No EXT-X-VERSION: nothing here needs more than version 1 (RFC 8216 §7; issue 19).
  return "#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-STREAM-INF:BANDWIDTH=" +
         std::to_string(bps) + "\n" + options_.name + ".m3u8\n";
}

}  // namespace ssai::ts
