// SCTE 35 splice_info_section decode/encode microbenchmarks (reference/media/scte35).
#include <benchmark/benchmark.h>

#include "reference/base/encoding.h"
#include "reference/media/scte35/splice_info_section.h"

namespace {

// SCTE 35 §14.1: time_signal + one segmentation_descriptor (0x34, AiringID UPID).
constexpr char kTimeSignalSegmentation[] =
    "/DA0AAAAAAAA///wBQb+cr0AUAAeAhxDVUVJSAAAjn/PAAGlmbAICAAAAAAsoKGKNAIAmsnRfg==";
// SCTE 35 §14.2: splice_insert + avail_descriptor.
constexpr char kSpliceInsert[] = "/DAvAAAAAAAA///wFAVIAACPf+/+c2nALv4AUsz1AAAAAAAKAAhDVUVJAAABNWLbowo=";

ssai::Bytes Bytes(const char* b64) { return *ssai::Base64Decode(b64); }

void BM_DecodeTimeSignalSegmentation(benchmark::State& state) {
  const ssai::Bytes bytes = Bytes(kTimeSignalSegmentation);
  for (auto _ : state) {
    auto section = ssai::scte35::Decode(bytes);
    benchmark::DoNotOptimize(section);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_DecodeTimeSignalSegmentation);

// Baseline for the decoder: the CRC_32 a strict decoder must compute anyway (SCTE 35 §9.6).
void BM_BaselineCrc32TimeSignal(benchmark::State& state) {
  const ssai::Bytes bytes = Bytes(kTimeSignalSegmentation);
  for (auto _ : state) {
    uint32_t crc = ssai::scte35::Crc32Mpeg2(std::span<const uint8_t>(bytes.data(), bytes.size() - 4));
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_BaselineCrc32TimeSignal);

void BM_DecodeSpliceInsert(benchmark::State& state) {
  const ssai::Bytes bytes = Bytes(kSpliceInsert);
  for (auto _ : state) {
    auto section = ssai::scte35::Decode(bytes);
    benchmark::DoNotOptimize(section);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_DecodeSpliceInsert);

void BM_DecodeTextBase64(benchmark::State& state) {
  for (auto _ : state) {
    auto section = ssai::scte35::DecodeText(kTimeSignalSegmentation);
    benchmark::DoNotOptimize(section);
  }
}
BENCHMARK(BM_DecodeTextBase64);

void BM_Encode(benchmark::State& state) {
  const auto section = *ssai::scte35::Decode(Bytes(kTimeSignalSegmentation));
  for (auto _ : state) {
    auto bytes = ssai::scte35::Encode(section);
    benchmark::DoNotOptimize(bytes);
  }
}
BENCHMARK(BM_Encode);

}  // namespace
