#include "reference/media/ts/ts_packager.h"

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <vector>

#include "reference/base/encoding.h"
#include "reference/media/cues/normalizer.h"
#include "reference/media/hls/playlist.h"
#include "reference/media/scte35/splice_info_section.h"
#include "reference/media/ts/ts_scan.h"
#include "reference/media/ts/ts_writer.h"

namespace ssai::ts {
namespace {

namespace s35 = ::ssai::scte35;

constexpr uint16_t kPmtPid = 0x1000;
constexpr uint16_t kVideoPid = 0x0100;
constexpr uint16_t kAudioPid = 0x0101;
constexpr uint16_t kScte35Pid = 0x01F5;
constexpr int64_t kSecond = 90000;
constexpr int64_t kFrame = 3600;  // 25 fps

void Append(Bytes& out, const Bytes& more) { out.insert(out.end(), more.begin(), more.end()); }

Bytes Section(const s35::SpliceInfoSection& s) {
  Result<Bytes> b = s35::Encode(s);
  EXPECT_TRUE(b.ok()) << b.status().message();
  return b.ok() ? *b : Bytes{};
}

s35::SpliceInfoSection Insert(uint32_t id, bool out, std::optional<int64_t> pts, std::optional<int64_t> duration = {},
                              int64_t adjustment = 0) {
  s35::SpliceInsert si;
  si.splice_event_id = id;
  si.out_of_network_indicator = out;
  if (pts) {
    si.splice_time = {true, *pts % s35::kPtsWrap};
  } else {
    si.splice_immediate_flag = true;
  }
  if (duration) si.break_duration = s35::BreakDuration{true, *duration};
  si.unique_program_id = 1;
  s35::SpliceInfoSection s;
  s.pts_adjustment_ticks = adjustment;
  s.command = si;
  return s;
}

s35::SpliceInfoSection Cancel(uint32_t id) {
  s35::SpliceInsert si;
  si.splice_event_id = id;
  si.splice_event_cancel_indicator = true;
  s35::SpliceInfoSection s;
  s.command = si;
  return s;
}

s35::SpliceInfoSection Signal(int64_t pts, uint32_t id, uint8_t type, std::optional<int64_t> duration = {}) {
  s35::TimeSignal t;
  t.splice_time = {true, pts % s35::kPtsWrap};
  s35::SpliceInfoSection s;
  s.command = t;
  s35::SegmentationDescriptor d;
  d.segmentation_event_id = id;
  d.segmentation_type_id = type;
  if (duration) d.segmentation_duration_ticks = static_cast<uint64_t>(*duration);
  s.descriptors.push_back(d);
  return s;
}

// `seconds` of 25 fps video from PTS `base` (1 s GOPs: PAT + PMT, then a keyframe with
// random_access_indicator), audio every 4 frames (`audio_lead_ticks` ahead of the video it is
// written with, as muxers interleave it), and `cues[frame]` right after that frame.
// `program_info`: the PMT's program descriptors (a long list makes it span packets).
Bytes Stream(int64_t base, int seconds, const std::map<int, Bytes>& cues = {}, int64_t audio_lead_ticks = 0,
             const Bytes& program_info = RegistrationDescriptor(kCueiRegistration), const Bytes& video_es_info = {}) {
  TsWriter w;
  Bytes out;
  for (int f = 0; f < seconds * 25; ++f) {
    const int64_t pts = (base + f * kFrame) % s35::kPtsWrap;
    if (f % 25 == 0) {
      Append(out, w.Section(kPatPid, PatSection(1, kPmtPid)));
      Append(out, w.Section(kPmtPid, PmtSection(1, kVideoPid,
                                                {{0x1B, kVideoPid, video_es_info},
                                                 {0x0F, kAudioPid, {}},
                                                 {kStreamTypeScte35, kScte35Pid, {}}},
                                                program_info)));
    }
    Append(out, w.Pes(kVideoPid, 0xE0, pts, f % 25 == 0 ? 3000 : 600, /*pcr=*/f % 25 == 0));
    if (f % 4 == 0) Append(out, w.Pes(kAudioPid, 0xC0, (pts + audio_lead_ticks) % s35::kPtsWrap, 300));
    if (auto it = cues.find(f); it != cues.end()) Append(out, w.Section(kScte35Pid, it->second));
  }
  return out;
}

std::string Str(const Bytes& b) { return std::string(b.begin(), b.end()); }

// The PTS of every PES that starts on `pid` in `ts`.
std::vector<int64_t> PesPtsOn(const std::string& ts, uint16_t pid) {
  std::vector<int64_t> out;
  for (size_t off = 0; off + kPacketBytes <= ts.size(); off += kPacketBytes) {
    const auto* p = reinterpret_cast<const uint8_t*>(ts.data() + off);
    if ((((p[1] & 0x1F) << 8) | p[2]) != pid || (p[1] & 0x40) == 0) continue;
    const int at = 4 + (((p[3] >> 4) & 2) ? 1 + p[4] : 0);
    const uint8_t* d = p + at;
    if (d[0] == 0 && d[1] == 0 && d[2] == 1 && (d[7] & 0x80)) {
      out.push_back((int64_t{(d[9] >> 1) & 7} << 30) | (int64_t{d[10]} << 22) | (int64_t{d[11] >> 1} << 15) |
                    (int64_t{d[12]} << 7) | (d[13] >> 1));
    }
  }
  return out;
}

TsPackager Make(const Bytes& ts, double segment_s = 2, bool loop = false,
                origin::CueFlavour flavour = origin::CueFlavour::kCueOut) {
  TsPackagerOptions o;
  o.segment_s = segment_s;
  o.loop = loop;
  o.flavour = flavour;
  o.pdt_start = *ParseIso8601("2026-01-15T12:00:00Z");
  o.window_segments = 100;
  Result<TsPackager> p = TsPackager::Create(Str(ts), o);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return std::move(p).value();
}

// Every break event `ssai hls cues` would report from the playlist at `now`.
std::vector<cues::BreakEvent> Events(const TsPackager& p, UnixMicros now) {
  Result<hls::MediaPlaylist> pl = hls::ParseMedia(p.MediaPlaylistAt(now));
  EXPECT_TRUE(pl.ok()) << pl.status().message();
  cues::Normalizer n;
  std::vector<cues::BreakEvent> out = n.Push(*pl).events;
  for (cues::BreakEvent& e : n.Finish().events) out.push_back(e);
  return out;
}

const UnixMicros kT0 = *ParseIso8601("2026-01-15T12:00:00Z");
UnixMicros At(double s) { return kT0 + static_cast<int64_t>(s * 1e6); }

TEST(TsPackager, CutsAtKeyframesNearTheTarget) {
  const TsPackager p = Make(Stream(900000, 8), 2);
  ASSERT_EQ(p.segments().size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(p.segments()[i].rel_ticks, static_cast<int64_t>(i) * 2 * kSecond);
    EXPECT_EQ(p.segments()[i].duration_ticks, 2 * kSecond);
  }
  EXPECT_EQ(p.loop_ticks(), 8 * kSecond);
  // 1.5 s asked: the first keyframe at or after 1.5 s is 2 s in.
  EXPECT_EQ(Make(Stream(900000, 8), 1.5).segments().size(), 4u);
  EXPECT_EQ(Make(Stream(900000, 8), 1).segments().size(), 8u);
  // Every segment is a valid TS that starts with PAT + PMT, and the segments join back into the file.
  const Bytes file = Stream(900000, 8);
  std::string joined;
  for (int64_t n = 0; n < 4; ++n) {
    Result<std::string> seg = p.Segment(n);
    ASSERT_TRUE(seg.ok()) << seg.status().message();
    EXPECT_EQ((*seg)[0], 0x47);
    EXPECT_EQ(((*seg)[1] & 0x1F) << 8 | static_cast<uint8_t>((*seg)[2]), 0);
    joined += *seg;
  }
  // Every packet of the file once, in order per PID (the audio PES that straddle a cut moved to
  // the later segment), plus PAT + PMT copies in front of the segments that start with audio.
  size_t copies = 0;
  for (const TsSegment& seg : p.segments()) copies += seg.prepend_psi ? 2 : 0;
  EXPECT_EQ(joined.size(), file.size() + copies * kPacketBytes);
  EXPECT_FALSE(p.segments()[0].prepend_psi);
  Result<ScanResult> scan =
      ScanAll(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(joined.data()), joined.size()));
  ASSERT_TRUE(scan.ok());
  EXPECT_TRUE(scan->issues.empty());
  EXPECT_TRUE(PesPtsOn(joined, kAudioPid) == PesPtsOn(Str(file), kAudioPid));
  EXPECT_TRUE(PesPtsOn(joined, kVideoPid) == PesPtsOn(Str(file), kVideoPid));
  EXPECT_EQ(p.Segment(4).status().code(), StatusCode::kNotFound);
}

TEST(TsPackager, AudioIsCutByItsPtsNotItsPosition) {
  // The muxer writes audio 0.4 s ahead of the video: cut by position, each segment's audio would
  // start 0.4 s after its video (a hole where a player joins).
  const Bytes file = Stream(900000, 8, {}, 36000);
  const TsPackager p = Make(file, 2);
  ASSERT_EQ(p.segments().size(), 4u);
  size_t bytes = 0;
  for (int64_t n = 0; n < 4; ++n) {
    Result<std::string> seg = p.Segment(n);
    ASSERT_TRUE(seg.ok());
    bytes += seg->size();
    const int64_t from = 900000 + n * 2 * kSecond, to = from + 2 * kSecond;
    const std::vector<int64_t> audio = PesPtsOn(*seg, kAudioPid);
    ASSERT_FALSE(audio.empty());
    // Each audio PES (one every 4 frames: 14400 ticks) ends inside the segment, so the audio
    // covers the start of the video: it leads by less than one PES.
    for (int64_t a : audio) {
      if (n < 3) {
        EXPECT_TRUE(a + 14400 > from && a + 14400 <= to) << "segment " << n << ": audio PTS " << a;
      }
    }
    if (n > 0) {
      EXPECT_LE(audio.front(), from) << n;
      EXPECT_LT(from - audio.front(), 14400) << n;
    }
  }
  // Every packet of the file once, plus PAT + PMT copies for the segments that start with audio.
  EXPECT_EQ(bytes % kPacketBytes, 0u);
  EXPECT_GE(bytes, file.size());
  EXPECT_LE(bytes, file.size() + 4 * 2 * kPacketBytes);
  // Loops still read as one stream (continuity counters per PID in order).
  const TsPackager looped = Make(file, 2, /*loop=*/true);
  std::string stream;
  for (int64_t n = 0; n < 8; ++n) stream += *looped.Segment(n);
  Result<ScanResult> scan = ScanAll(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(stream.data()), stream.size()));
  ASSERT_TRUE(scan.ok());
  EXPECT_TRUE(scan->issues.empty()) << scan->issues[0].status.message();
}

TEST(TsPackager, PtsToSegmentIncludingTheWrap) {
  // The 33-bit PTS wraps 3 s into the stream.
  const int64_t base = s35::kPtsWrap - 3 * kSecond;
  const TsPackager p = Make(Stream(base, 8), 2);
  EXPECT_EQ(p.SegmentForPts(base), 0);
  EXPECT_EQ(p.SegmentForPts(base + 2 * kSecond - 1), 0);
  EXPECT_EQ(p.SegmentForPts(base + 2 * kSecond), 1);
  EXPECT_EQ(p.SegmentForPts(s35::kPtsWrap - 1), 1);
  EXPECT_EQ(p.SegmentForPts(0), 1);             // 3 s in: after the wrap
  EXPECT_EQ(p.SegmentForPts(1 * kSecond), 2);   // 4 s in
  EXPECT_EQ(p.SegmentForPts(5 * kSecond - 1), 3);
  EXPECT_EQ(p.SegmentForPts(base - 1), std::nullopt);       // before the first frame
  EXPECT_EQ(p.SegmentForPts(5 * kSecond), std::nullopt);    // after the end, no loop
  const TsPackager looped = Make(Stream(base, 8), 2, /*loop=*/true);
  EXPECT_EQ(looped.SegmentForPts(5 * kSecond), 4);          // loop 1, segment 0
  EXPECT_EQ(looped.SegmentForPts(7 * kSecond + 1), 5);
  // Relative ticks: the same mapping without the wrap.
  EXPECT_EQ(p.SegmentForRelTicks(0), 0);
  EXPECT_EQ(p.SegmentForRelTicks(-1), std::nullopt);
  EXPECT_EQ(p.SegmentForRelTicks(7 * kSecond), 3);
}

TEST(TsPackager, SpliceInsertOutAndInBecomeCueOutAndCueIn) {
  const int64_t base = 900000;
  // OUT at 3 s (2 s ahead, pre-roll), 4 s long; IN at 6 s. Frame 25 = 1 s, frame 125 = 5 s.
  const Bytes ts = Stream(base, 8, {{25, Section(Insert(0x1001, true, base + 3 * kSecond, 4 * kSecond))},
                                    {125, Section(Insert(0x1001, false, base + 6 * kSecond))}});
  const TsPackager p = Make(ts, 1);
  ASSERT_EQ(p.breaks().size(), 1u);
  const TsBreak& b = p.breaks()[0];
  EXPECT_EQ(b.out_segment, 3);
  EXPECT_EQ(b.in_segment, 6);
  EXPECT_TRUE(b.explicit_in);
  EXPECT_DOUBLE_EQ(b.duration_s, 4);
  const std::string pl = p.MediaPlaylistAt(At(60));
  EXPECT_NE(pl.find("#EXT-X-CUE-OUT:DURATION=4\n#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:03.000Z\n"),
            std::string::npos)
      << pl;
  EXPECT_NE(pl.find("#EXT-X-CUE-IN\n#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:06.000Z\n"), std::string::npos) << pl;
  EXPECT_NE(pl.find("#EXT-X-ENDLIST"), std::string::npos);
  const std::vector<cues::BreakEvent> e = Events(p, At(60));
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].kind, cues::EventKind::kStart);
  EXPECT_EQ(e[0].event_id, "cue-3");  // CUE-OUT carries no id
  EXPECT_EQ(e[0].splice_time, At(3));
  EXPECT_EQ(e[0].duration_s, 4);
  EXPECT_EQ(e[1].kind, cues::EventKind::kEnd);
  EXPECT_EQ(e[1].splice_time, At(6));
  // Live: at 4.5 s, segments 0..3 are out; the OUT is there, no IN yet, no ENDLIST.
  const std::string live = p.MediaPlaylistAt(At(4.5));
  EXPECT_NE(live.find("#EXT-X-CUE-OUT:DURATION=4"), std::string::npos);
  EXPECT_EQ(live.find("CUE-IN"), std::string::npos);
  EXPECT_EQ(live.find("ENDLIST"), std::string::npos);
  EXPECT_NE(live.find("ts_3.ts\n"), std::string::npos);
  EXPECT_EQ(live.find("ts_4.ts"), std::string::npos);
}

TEST(TsPackager, AutoReturnBreakEndsAtItsDurationAndMidSegmentSplicesGoInTheContainingSegment) {
  const int64_t base = 900000;
  // OUT at 2.5 s with 3 s: ends at 5.5 s. 2 s segments: OUT in segment 1 [2, 4), IN in segment 2 [4, 6).
  const Bytes ts = Stream(base, 8, {{10, Section(Insert(7, true, base + 2 * kSecond + kSecond / 2, 3 * kSecond))}});
  const TsPackager p = Make(ts, 2, false, origin::CueFlavour::kOatcls);
  ASSERT_EQ(p.breaks().size(), 1u);
  EXPECT_EQ(p.breaks()[0].out_segment, 1);
  EXPECT_EQ(p.breaks()[0].in_segment, 2);
  EXPECT_FALSE(p.breaks()[0].explicit_in);
  // The break as its markers carry it (the harnesses' truth): a tag's splice time is its segment's
  // start, so [2 s, 4 s); a DATERANGE carries the instants, [2.5 s, 5.5 s); and a loop later, K
  // segments on.
  origin::ScheduledBreak marked = p.MarkedBreakOf(p.breaks()[0], 0, kT0);
  EXPECT_EQ(marked.start_time, At(2));
  EXPECT_EQ(marked.duration_s, 2);
  EXPECT_EQ(marked.event_id, 7u);
  const TsPackager dr = Make(ts, 2, /*loop=*/true, origin::CueFlavour::kDateRange);
  marked = dr.MarkedBreakOf(dr.breaks()[0], 0, kT0);
  EXPECT_EQ(marked.start_time, At(2.5));
  EXPECT_EQ(marked.duration_s, 3);
  marked = dr.MarkedBreakOf(dr.breaks()[0], 1, kT0);
  EXPECT_EQ(marked.start_time, At(10.5));
  const TsPackager looped = Make(ts, 2, /*loop=*/true, origin::CueFlavour::kOatcls);
  EXPECT_EQ(looped.MarkedBreakOf(looped.breaks()[0], 1, kT0).start_time, At(10));
  // OATCLS carries the TS's own section, byte for byte.
  const std::string pl = p.MediaPlaylistAt(At(60));
  EXPECT_NE(pl.find("#EXT-OATCLS-SCTE35:" +
                    Base64Encode(Section(Insert(7, true, base + 2 * kSecond + kSecond / 2, 3 * kSecond)))),
            std::string::npos)
      << pl;
  // The IN section the packager made: splice_insert out_of_network=0 at 5.5 s.
  Result<s35::SpliceInfoSection> in = s35::Decode(p.breaks()[0].in_section);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(s35::EffectiveSplicePtsTicks(*in), base + 5 * kSecond + kSecond / 2);
}

TEST(TsPackager, PtsAdjustmentAndSpliceImmediate) {
  const int64_t base = 900000;
  // pts_time 1 s + pts_adjustment (base + 2 s) → 3 s; splice_immediate at frame 150 (6 s).
  const Bytes ts = Stream(base, 8, {{25, Section(Insert(1, true, 1 * kSecond, 2 * kSecond, base + 2 * kSecond))},
                                    {150, Section(Insert(2, true, std::nullopt, kSecond))}});
  const TsPackager p = Make(ts, 1);
  ASSERT_EQ(p.breaks().size(), 2u);
  EXPECT_EQ(p.breaks()[0].out_segment, 3);
  EXPECT_EQ(p.breaks()[0].in_segment, 5);
  EXPECT_EQ(p.breaks()[1].out_segment, 6);
  EXPECT_EQ(p.breaks()[1].in_segment, 7);
}

TEST(TsPackager, CancelBeforeTheSpliceRemovesTheBreak) {
  const int64_t base = 900000;
  const Bytes ts = Stream(base, 8, {{25, Section(Insert(0x3001, true, base + 5 * kSecond, 10 * kSecond))},
                                    {75, Section(Cancel(0x3001))}});
  const TsPackager p = Make(ts, 1, /*loop=*/true);
  EXPECT_TRUE(p.breaks().empty());
  bool noted = false;
  for (const std::string& n : p.notes()) noted = noted || n.find("cancelled before its splice time") != std::string::npos;
  EXPECT_TRUE(noted);
  EXPECT_TRUE(Events(p, At(60)).empty());
  // A cancel after the break ended changes nothing.
  const Bytes late = Stream(base, 8, {{25, Section(Insert(5, true, base + 2 * kSecond, 3 * kSecond))},
                                      {150, Section(Cancel(5))}});
  const TsPackager after = Make(late, 1);
  ASSERT_EQ(after.breaks().size(), 1u);
  EXPECT_EQ(after.breaks()[0].in_segment, 5);
}

TEST(TsPackager, CancelDuringTheBreakEndsItThere) {
  const int64_t base = 900000;
  // OUT at 2 s for 4 s (to 6 s), its IN at 6 s; cancelled at frame 100 (4 s): the break ends at
  // 4 s, the IN at 6 s is ignored, and the markers say so (an IN made at 4 s).
  const Bytes ts = Stream(base, 8, {{25, Section(Insert(5, true, base + 2 * kSecond, 4 * kSecond))},
                                    {100, Section(Cancel(5))},
                                    {150, Section(Insert(5, false, base + 6 * kSecond))}});
  const TsPackager p = Make(ts, 1);
  ASSERT_EQ(p.breaks().size(), 1u);
  const TsBreak& b = p.breaks()[0];
  EXPECT_EQ(b.out_segment, 2);
  EXPECT_EQ(b.in_segment, 4);
  EXPECT_TRUE(b.cancelled_in);
  EXPECT_DOUBLE_EQ(b.duration_s, 4);  // planned, as the OUT announced
  Result<s35::SpliceInfoSection> in = s35::Decode(b.in_section);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(s35::EffectiveSplicePtsTicks(*in), base + 4 * kSecond);
  int noted = 0;
  for (const std::string& n : p.notes()) {
    noted += n.find("cancel of splice_insert event 5 during its break: the break ends here") != std::string::npos;
    noted += n.find("IN of event 5 after its cancel ended the break: ignored") != std::string::npos;
  }
  EXPECT_EQ(noted, 2);
  const std::vector<cues::BreakEvent> e = Events(p, At(60));
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].splice_time, At(2));
  EXPECT_EQ(e[1].kind, cues::EventKind::kEnd);
  EXPECT_EQ(e[1].splice_time, At(4));
  // The same for a time_signal placement opportunity cancelled by its segmentation descriptor.
  s35::SpliceInfoSection cancel = Signal(base + 4 * kSecond, 0x77, 0x34);
  std::get<s35::SegmentationDescriptor>(cancel.descriptors[0]).segmentation_event_cancel_indicator = true;
  const Bytes sig = Stream(base, 8, {{25, Section(Signal(base + 2 * kSecond, 0x77, 0x34, 4 * kSecond))},
                                     {100, Section(cancel)}});
  const TsPackager q = Make(sig, 1, false, origin::CueFlavour::kDateRange);
  ASSERT_EQ(q.breaks().size(), 1u);
  EXPECT_EQ(q.breaks()[0].in_segment, 4);
  EXPECT_TRUE(q.breaks()[0].cancelled_in);
}

TEST(TsPackager, APmtSpanningPacketsIsReassembled) {
  // 60 registration descriptors (360 bytes) before the stream loop: the PMT takes 3 packets, and
  // the video and SCTE-35 stream entries are in its last one.
  Bytes info;
  for (int i = 0; i < 60; ++i) Append(info, RegistrationDescriptor(kCueiRegistration));
  ASSERT_GT(PmtSection(1, kVideoPid, {}, info).size(), 2u * 183);
  const int64_t base = 900000;
  const Bytes ts = Stream(base, 8, {{25, Section(Insert(9, true, base + 3 * kSecond, 2 * kSecond))}}, 0, info);
  const TsPackager p = Make(ts, 2);
  ASSERT_EQ(p.segments().size(), 4u);
  ASSERT_EQ(p.breaks().size(), 1u);
  EXPECT_EQ(p.breaks()[0].out_segment, 1);
  // A segment starts with the PAT and the whole PMT (its three packets), so it decodes alone.
  const std::string seg = p.Segment(2).value();
  Result<ScanResult> scan = ScanAll(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(seg.data()), seg.size()));
  ASSERT_TRUE(scan.ok()) << scan.status().message();
  int pmt_packets = 0;
  for (size_t off = 0; off < 4 * kPacketBytes; off += kPacketBytes) {
    pmt_packets += ((((seg[off + 1] & 0x1F) << 8) | static_cast<uint8_t>(seg[off + 2])) == kPmtPid);
  }
  EXPECT_EQ(pmt_packets, 3);
  // A PMT whose section_length is absurd is refused with the byte.
  Bytes bad = Stream(base, 2, {}, 0, info);
  bad[kPacketBytes + 5 + 2] = 0xFF;  // second packet (PMT): section_length low byte, high nibble below
  bad[kPacketBytes + 5 + 1] = static_cast<uint8_t>(bad[kPacketBytes + 5 + 1] | 0x0F);
  TsPackagerOptions o;
  o.segment_s = 2;
  Result<TsPackager> r = TsPackager::Create(Str(bad), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "byte 188: PMT: section_length 4095 outside [13, 1021]");
}

TEST(TsPackager, ComponentModeSpliceInsertTakesTheVideoComponentsTime) {
  const int64_t base = 900000;
  // program_splice_flag 0 (SCTE 35 §9.7.3.1): audio (tag 2) splices at 3 s, video (tag 1) at 4 s.
  s35::SpliceInfoSection out = Insert(0x51, true, base, 2 * kSecond);
  auto& si = std::get<s35::SpliceInsert>(out.command);
  si.program_splice_flag = false;
  si.splice_time = {};
  si.components = {{2, {true, base + 3 * kSecond}}, {1, {true, base + 4 * kSecond}}};
  const Bytes stream_identifier = {0x52, 0x01, 0x01};  // ETSI EN 300 468 §6.2.39, component_tag 1
  auto noted = [](const TsPackager& p, const std::string& text) {
    for (const std::string& n : p.notes()) {
      if (n.find(text) != std::string::npos) return true;
    }
    return false;
  };
  const TsPackager video = Make(Stream(base, 8, {{25, Section(out)}}, 0, RegistrationDescriptor(kCueiRegistration),
                                       stream_identifier), 1);
  ASSERT_EQ(video.breaks().size(), 1u);
  EXPECT_EQ(video.breaks()[0].out_segment, 4);
  EXPECT_EQ(video.breaks()[0].in_segment, 6);
  EXPECT_TRUE(noted(video, "in component mode: the components' splice times differ; placed at the video's (component_tag 1)"));
  // No stream_identifier_descriptor on the video: the earliest component.
  const TsPackager earliest = Make(Stream(base, 8, {{25, Section(out)}}), 1);
  ASSERT_EQ(earliest.breaks().size(), 1u);
  EXPECT_EQ(earliest.breaks()[0].out_segment, 3);
  EXPECT_TRUE(noted(earliest, "placed at the earliest (component_tag 2)"));
  // No component with a time: not placed, and said so.
  si.components = {{1, {}}};
  const TsPackager none = Make(Stream(base, 8, {{25, Section(out)}}), 1);
  EXPECT_TRUE(none.breaks().empty());
  EXPECT_TRUE(noted(none, "splice_insert without a splice time (no component with one): not placed"));
}

TEST(TsPackager, SeveralProgramsPackageTheFirstAndNameTheOthers) {
  // Programs 1 and 2 in one TS; program 2's clock runs 10 s ahead and it has its own cue.
  constexpr uint16_t kPmt2 = 0x1100, kVideo2 = 0x0200, kScte2 = 0x02F5;
  const int64_t base = 900000;
  TsWriter w;
  Bytes ts;
  for (int f = 0; f < 8 * 25; ++f) {
    const int64_t pts = base + f * kFrame;
    if (f % 25 == 0) {
      Append(ts, w.Section(kPatPid, PatSection({{1, kPmtPid}, {2, kPmt2}})));
      Append(ts, w.Section(kPmtPid, PmtSection(1, kVideoPid, {{0x1B, kVideoPid, {}}, {kStreamTypeScte35, kScte35Pid, {}}},
                                               RegistrationDescriptor(kCueiRegistration))));
      Append(ts, w.Section(kPmt2, PmtSection(2, kVideo2, {{0x1B, kVideo2, {}}, {kStreamTypeScte35, kScte2, {}}},
                                             RegistrationDescriptor(kCueiRegistration))));
    }
    Append(ts, w.Pes(kVideoPid, 0xE0, pts, f % 25 == 0 ? 3000 : 600, /*pcr=*/f % 25 == 0));
    Append(ts, w.Pes(kVideo2, 0xE0, pts + 10 * kSecond, 600, /*pcr=*/f % 25 == 0));
    if (f == 25) Append(ts, w.Section(kScte35Pid, Section(Insert(1, true, base + 3 * kSecond, 2 * kSecond))));
    if (f == 50) Append(ts, w.Section(kScte2, Section(Insert(2, true, base + 5 * kSecond, 2 * kSecond))));
  }
  const TsPackager p = Make(ts, 2);
  ASSERT_EQ(p.segments().size(), 4u);
  ASSERT_EQ(p.breaks().size(), 1u);  // program 2's cue is on another clock: not ours
  EXPECT_EQ(p.breaks()[0].event_id, 1u);
  int noted = 0;
  for (const std::string& n : p.notes()) {
    noted += n == "byte 0: the PAT lists more programs (2): packaging the first, program 1 (remux another one into "
                  "its own TS to package it)";
    noted += n.find("SCTE-35 cues of program 2 (not the packaged program 1): ignored") != std::string::npos;
  }
  EXPECT_EQ(noted, 2);
  // Program 2's packets stay where they are in the file (by position), not moved by its PTS.
  const std::string seg0 = p.Segment(0).value();
  int video2 = 0;
  for (size_t off = 0; off + kPacketBytes <= seg0.size(); off += kPacketBytes) {
    video2 += ((((seg0[off + 1] & 0x1F) << 8) | static_cast<uint8_t>(seg0[off + 2])) == kVideo2);
  }
  EXPECT_GE(video2, 50);  // its 50 frames of the first 2 s (before: moved to the last segment)
}

TEST(TsPackager, TimeSignalSegmentationBecomesDateRange) {
  const int64_t base = 900000;
  const Bytes ts = Stream(base, 8, {{25, Section(Signal(base + 3 * kSecond, 0x4800008E, 0x34, 4 * kSecond))},
                                    {125, Section(Signal(base + 6 * kSecond, 0x4800008E, 0x35))}});
  const TsPackager p = Make(ts, 1, false, origin::CueFlavour::kDateRange);
  ASSERT_EQ(p.breaks().size(), 1u);
  const std::string pl = p.MediaPlaylistAt(At(60));
  const std::string out_hex = "0x" + HexEncode(Section(Signal(base + 3 * kSecond, 0x4800008E, 0x34, 4 * kSecond)));
  std::string upper = out_hex;
  for (size_t i = 2; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  EXPECT_NE(pl.find("#EXT-X-DATERANGE:ID=\"splice-1207959694\",START-DATE=\"2026-01-15T12:00:03.000Z\","
                    "PLANNED-DURATION=4,SCTE35-OUT=" + upper + "\n"),
            std::string::npos)
      << pl;
  EXPECT_NE(pl.find("START-DATE=\"2026-01-15T12:00:03.000Z\",DURATION=3,SCTE35-IN=0x"), std::string::npos) << pl;
  const std::vector<cues::BreakEvent> e = Events(p, At(60));
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].event_id, "splice-1207959694");
  EXPECT_EQ(e[0].splice_time, At(3));
  EXPECT_EQ(e[1].splice_time, At(6));
  // A non-break segmentation type is noted, not placed.
  const Bytes chapter = Stream(base, 8, {{25, Section(Signal(base + 3 * kSecond, 9, 0x20, kSecond))}});
  EXPECT_TRUE(Make(chapter, 1).breaks().empty());
}

TEST(TsPackager, LoopKeepsTimestampsAndCountersContinuousAndRepeatsTheBreaks) {
  const int64_t base = s35::kPtsWrap - 5 * kSecond;  // and the PTS wraps within loop 0
  const Bytes ts = Stream(base, 8, {{25, Section(Insert(9, true, base + 3 * kSecond, 2 * kSecond))}});
  const TsPackager p = Make(ts, 2, /*loop=*/true);
  ASSERT_EQ(p.segments().size(), 4u);
  std::string stream;
  for (int64_t n = 0; n < 12; ++n) {
    Result<std::string> seg = p.Segment(n);
    ASSERT_TRUE(seg.ok()) << seg.status().message();
    stream += *seg;
  }
  // Three loops read as one stream: no continuity issue, the cue seen three times.
  Result<ScanResult> scan = ScanAll(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(stream.data()), stream.size()));
  ASSERT_TRUE(scan.ok());
  EXPECT_TRUE(scan->issues.empty()) << scan->issues[0].status.message();
  ASSERT_EQ(scan->cues.size(), 3u);
  // Segment 4 (loop 1) starts 8 s after segment 0, mod 2^33, and the cue's splice time with it
  // (pts_adjustment moved, CRC_32 renewed: the scan found no CRC issue).
  EXPECT_EQ(*scan->cues[1].video_pts_ticks, (*scan->cues[0].video_pts_ticks + 8 * kSecond) % s35::kPtsWrap);
  for (int l = 0; l < 3; ++l) {
    EXPECT_EQ(scan->cues[static_cast<size_t>(l)].decoded.pts_adjustment_ticks, l * 8 * kSecond);
    EXPECT_EQ(s35::EffectiveSplicePtsTicks(scan->cues[static_cast<size_t>(l)].decoded),
              (base + 3 * kSecond + l * 8 * kSecond) % s35::kPtsWrap);
  }
  // Each loop has its break, at segments 1/2, 5/6, 9/10, with its own DATERANGE id.
  const std::vector<cues::BreakEvent> e = Events(p, At(24));
  std::vector<int64_t> starts;
  for (const cues::BreakEvent& x : e) {
    if (x.kind == cues::EventKind::kStart) starts.push_back(x.msn);
  }
  EXPECT_EQ(starts, (std::vector<int64_t>{1, 5, 9}));
  const std::string pl = Make(ts, 2, true, origin::CueFlavour::kDateRange).MediaPlaylistAt(At(24));
  EXPECT_NE(pl.find("ID=\"splice-9-2\",START-DATE=\"2026-01-15T12:00:19.000Z\""), std::string::npos) << pl;
  // A break as long as the looped file would overlap its own repeat: noted, not placed.
  const Bytes long_break = Stream(base, 8, {{25, Section(Insert(9, true, base + 3 * kSecond, 8 * kSecond))}});
  EXPECT_TRUE(Make(long_break, 2, /*loop=*/true).breaks().empty());
  EXPECT_EQ(Make(long_break, 2, /*loop=*/false).breaks().size(), 1u);
  // The sliding window: 100 segments asked, at 1000 s the playlist starts at 500 - 100 + 1.
  EXPECT_NE(p.MediaPlaylistAt(At(1000)).find("#EXT-X-MEDIA-SEQUENCE:400\n"), std::string::npos);
}

TEST(TsPackager, AnInWithItsOwnEventIdEndsTheOpenBreakUnderTheOutsId) {
  const int64_t base = 900000;
  const Bytes ts = Stream(base, 8, {{25, Section(Insert(0x1001, true, base + 3 * kSecond, 4 * kSecond))},
                                    {125, Section(Insert(0x1002, false, base + 6 * kSecond))}});
  const TsPackager p = Make(ts, 1, false, origin::CueFlavour::kSplicepoint);
  ASSERT_EQ(p.breaks().size(), 1u);
  EXPECT_EQ(p.breaks()[0].in_segment, 6);
  Result<s35::SpliceInfoSection> in = s35::Decode(p.breaks()[0].in_section);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(std::get<s35::SpliceInsert>(in->command).splice_event_id, 0x1001u);
  EXPECT_EQ(s35::EffectiveSplicePtsTicks(*in), base + 6 * kSecond);
  // So the normalizer pairs them: the break ends at the IN, not by its 4 s duration.
  const std::vector<cues::BreakEvent> e = Events(p, At(60));
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[1].reason, cues::EndReason::kIn);
  EXPECT_EQ(e[1].splice_time, At(6));
}

TEST(TsPackager, FarSegmentsOfALoopAreServedWithoutOverflow) {
  const TsPackager p = Make(Stream(900000, 8), 2, /*loop=*/true);
  for (int64_t msn : {int64_t{1} << 40, int64_t{999999999999999}}) {
    Result<std::string> seg = p.Segment(msn);
    ASSERT_TRUE(seg.ok()) << seg.status().message();
    Result<ScanResult> scan =
        ScanAll(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(seg->data()), seg->size()));
    ASSERT_TRUE(scan.ok());
  }
  EXPECT_EQ(p.ParseSegmentUri("ts_12.ts"), 12);
  EXPECT_EQ(p.ParseSegmentUri("ts_1x.ts"), std::nullopt);
  EXPECT_EQ(p.ParseSegmentUri("ts_.ts"), std::nullopt);
  EXPECT_EQ(p.ParseSegmentUri("ts_1234567890123456.ts"), std::nullopt);
}

TEST(TsPackager, BadInputNamesTheByte) {
  TsPackagerOptions o;
  EXPECT_EQ(TsPackager::Create("", o).status().message(), "byte 0: empty input, not an MPEG-TS");
  Bytes ts = Stream(900000, 2);
  ts[188 * 5] = 0x00;
  Result<TsPackager> r = TsPackager::Create(Str(ts), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "byte 940: lost sync: no 0x47 at a packet start (not an MPEG-TS?)");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  // Audio only: no video stream.
  TsWriter w;
  Bytes audio;
  Append(audio, w.Section(kPatPid, PatSection(1, kPmtPid)));
  Append(audio, w.Section(kPmtPid, PmtSection(1, kAudioPid, {{0x0F, kAudioPid, {}}})));
  Append(audio, w.Pes(kAudioPid, 0xC0, 900000, 300));
  EXPECT_NE(TsPackager::Create(Str(audio), o).status().message().find("PMT: no video stream"), std::string::npos);
  // Video without a random access point.
  TsWriter w2;
  Bytes noidr;
  Append(noidr, w2.Section(kPatPid, PatSection(1, kPmtPid)));
  Append(noidr, w2.Section(kPmtPid, PmtSection(1, kVideoPid, {{0x1B, kVideoPid, {}}})));
  Append(noidr, w2.Pes(kVideoPid, 0xE0, 900000, 300));
  EXPECT_NE(TsPackager::Create(Str(noidr), o).status().message().find("no random access point"), std::string::npos);
  o.segment_s = 0;
  EXPECT_FALSE(TsPackager::Create(Str(Stream(900000, 2)), o).ok());
}

}  // namespace
}  // namespace ssai::ts
