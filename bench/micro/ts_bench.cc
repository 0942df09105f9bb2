// MPEG-TS SCTE-35 scan microbenchmarks (reference/media/ts): `ssai scte35 scan` speed, issue 17
// target >= 1 GB/s on one core.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <span>

#include "reference/base/encoding.h"
#include "reference/media/ts/ts_scan.h"
#include "reference/media/ts/ts_writer.h"

namespace {

using ssai::Bytes;
namespace ts = ssai::ts;

constexpr uint16_t kPmtPid = 0x1000;
constexpr uint16_t kVideoPid = 0x0100;
constexpr uint16_t kAudioPid = 0x0101;
constexpr uint16_t kScte35Pid = 0x01F5;
constexpr size_t kStreamBytes = size_t{64} << 20;

// 64 MiB of a 25 fps program built in memory once: per frame a 24 KB video PES (PTS + PCR)
// and an 800-byte audio PES; PAT + PMT every 10 frames; a splice_insert every 50 frames (2 s).
// About 5 Mbit/s of video: 136 packets a frame, 357k packets in all, 1 in 2,800 SCTE-35.
const Bytes& Stream() {
  static const Bytes stream = [] {
    ts::TsWriter w;
    Bytes out;
    out.reserve(kStreamBytes + (256 << 10));
    const Bytes cue = *ssai::Base64Decode("/DAvAAAAAAAA///wFAVIAACPf+/+c2nALv4AUsz1AAAAAAAKAAhDVUVJAAABNWLbowo=");
    auto append = [&out](const Bytes& b) { out.insert(out.end(), b.begin(), b.end()); };
    for (int64_t frame = 0; out.size() < kStreamBytes; ++frame) {
      if (frame % 10 == 0) {
        append(w.Section(ts::kPatPid, ts::PatSection(1, kPmtPid)));
        append(w.Section(kPmtPid, ts::PmtSection(1, kVideoPid,
                                                 {{0x1B, kVideoPid, {}},
                                                  {0x0F, kAudioPid, {}},
                                                  {ts::kStreamTypeScte35, kScte35Pid,
                                                   ts::RegistrationDescriptor(ts::kCueiRegistration)}})));
      }
      const int64_t pts = 126000 + frame * 3600;
      append(w.Pes(kVideoPid, 0xE0, pts, 24000, true));
      append(w.Pes(kAudioPid, 0xC0, pts, 800));
      if (frame % 50 == 25) append(w.Section(kScte35Pid, cue));
    }
    out.resize(kStreamBytes / ts::kPacketBytes * ts::kPacketBytes);
    return out;
  }();
  return stream;
}

// The whole buffer in one Push (a file mapped or read at once).
void BM_TsScan64MiB(benchmark::State& state) {
  const Bytes& stream = Stream();
  int64_t cues = 0;
  for (auto _ : state) {
    ts::Scte35Scanner scanner;
    (void)scanner.Push(stream);
    (void)scanner.Finish();
    cues = scanner.stats().cues;
    benchmark::DoNotOptimize(cues);
  }
  state.counters["cues"] = static_cast<double>(cues);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_TsScan64MiB)->Unit(benchmark::kMillisecond);

// In 1 MiB chunks, as `ssai scte35 scan` reads a file or a pipe; cues taken after each chunk.
void BM_TsScan64MiBChunks1MiB(benchmark::State& state) {
  const Bytes& stream = Stream();
  constexpr size_t kChunk = size_t{1} << 20;
  for (auto _ : state) {
    ts::Scte35Scanner scanner;
    size_t cues = 0;
    for (size_t pos = 0; pos < stream.size(); pos += kChunk) {
      (void)scanner.Push(std::span<const uint8_t>(stream.data() + pos, std::min(kChunk, stream.size() - pos)));
      cues += scanner.TakeCues().size();
    }
    (void)scanner.Finish();
    benchmark::DoNotOptimize(cues);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_TsScan64MiBChunks1MiB)->Unit(benchmark::kMillisecond);

// Baseline: the least any scan does, the sync byte and PID of every packet (memory bandwidth
// plus one compare a packet).
void BM_BaselineTsHeaders64MiB(benchmark::State& state) {
  const Bytes& stream = Stream();
  for (auto _ : state) {
    int64_t scte35 = 0;
    for (size_t pos = 0; pos + ts::kPacketBytes <= stream.size(); pos += ts::kPacketBytes) {
      const uint8_t* p = stream.data() + pos;
      scte35 += (p[0] == ts::kSyncByte) & ((((p[1] & 0x1F) << 8) | p[2]) == kScte35Pid);
    }
    benchmark::DoNotOptimize(scte35);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_BaselineTsHeaders64MiB)->Unit(benchmark::kMillisecond);

}  // namespace
