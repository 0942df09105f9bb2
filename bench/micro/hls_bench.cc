// HLS playlist parse/serialize microbenchmarks (reference/media/hls). Targets on the 2-core CI
// box: parse a 10-segment live playlist in <= 5 us, serialize it in <= 3 us.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include <string>

#include "reference/media/hls/playlist.h"

namespace {

// A realistic live sliding-window media playlist: 10 segments of 6.006 s, PDT on each (as
// packagers feeding SSAI emit), one discontinuity. ~1.3 KB.
std::string LiveMedia10() {
  std::string s =
      "#EXTM3U\n"
      "#EXT-X-VERSION:3\n"
      "#EXT-X-TARGETDURATION:6\n"
      "#EXT-X-MEDIA-SEQUENCE:2680\n"
      "#EXT-X-DISCONTINUITY-SEQUENCE:12\n";
  const char* kPdt[] = {"2025-11-04T05:21:34.000Z", "2025-11-04T05:21:40.006Z",
                        "2025-11-04T05:21:46.012Z", "2025-11-04T05:21:52.018Z",
                        "2025-11-04T05:21:58.024Z", "2025-11-04T05:22:04.030Z",
                        "2025-11-04T05:22:10.036Z", "2025-11-04T05:22:16.042Z",
                        "2025-11-04T05:22:22.048Z", "2025-11-04T05:22:28.054Z"};
  for (int i = 0; i < 10; ++i) {
    if (i == 6) s += "#EXT-X-DISCONTINUITY\n";
    s += "#EXT-X-PROGRAM-DATE-TIME:";
    s += kPdt[i];
    s += "\n#EXTINF:6.006,\n";
    s += "live/channel-1/720p/20251104T0521/seg_000" + std::to_string(2680 + i) + ".ts\n";
  }
  return s;
}

std::string Master() {
  return "#EXTM3U\n"
         "#EXT-X-VERSION:6\n"
         "#EXT-X-INDEPENDENT-SEGMENTS\n"
         "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aac\",LANGUAGE=\"en\",NAME=\"English\",DEFAULT=YES,"
         "AUTOSELECT=YES,URI=\"audio/en.m3u8\"\n"
         "#EXT-X-STREAM-INF:BANDWIDTH=5000000,AVERAGE-BANDWIDTH=4500000,CODECS=\"avc1.640028,mp4a.40.2\","
         "RESOLUTION=1920x1080,FRAME-RATE=29.970,AUDIO=\"aac\"\n"
         "video/1080p.m3u8\n"
         "#EXT-X-STREAM-INF:BANDWIDTH=2800000,AVERAGE-BANDWIDTH=2500000,CODECS=\"avc1.4d401f,mp4a.40.2\","
         "RESOLUTION=1280x720,FRAME-RATE=29.970,AUDIO=\"aac\"\n"
         "video/720p.m3u8\n"
         "#EXT-X-STREAM-INF:BANDWIDTH=1400000,AVERAGE-BANDWIDTH=1200000,CODECS=\"avc1.4d401e,mp4a.40.2\","
         "RESOLUTION=854x480,FRAME-RATE=29.970,AUDIO=\"aac\"\n"
         "video/480p.m3u8\n"
         "#EXT-X-STREAM-INF:BANDWIDTH=640000,AVERAGE-BANDWIDTH=560000,CODECS=\"avc1.4d401e,mp4a.40.2\","
         "RESOLUTION=640x360,FRAME-RATE=29.970,AUDIO=\"aac\"\n"
         "video/360p.m3u8\n"
         "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=86000,CODECS=\"avc1.4d401f\",RESOLUTION=1280x720,"
         "URI=\"video/720p_iframes.m3u8\"\n";
}

void BM_ParseMedia10(benchmark::State& state) {
  const std::string text = LiveMedia10();
  for (auto _ : state) {
    auto p = ssai::hls::ParseMedia(text);
    if (!p.ok()) state.SkipWithError(p.status().message().c_str());
    benchmark::DoNotOptimize(p);
  }
  state.counters["bytes"] = static_cast<double>(text.size());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ParseMedia10);

// Baseline for the parser: the least any parser does — split the text into owned lines.
void BM_BaselineSplitLinesMedia10(benchmark::State& state) {
  const std::string text = LiveMedia10();
  for (auto _ : state) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      lines.emplace_back(text, start, end - start);
      start = end + 1;
    }
    benchmark::DoNotOptimize(lines);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_BaselineSplitLinesMedia10);

void BM_SerializeMedia10(benchmark::State& state) {
  const std::string text = LiveMedia10();
  const ssai::hls::MediaPlaylist p = ssai::hls::ParseMedia(text).value();
  for (auto _ : state) {
    std::string out = ssai::hls::Serialize(p);
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes"] = static_cast<double>(text.size());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_SerializeMedia10);

void BM_ParseMaster(benchmark::State& state) {
  const std::string text = Master();
  for (auto _ : state) {
    auto p = ssai::hls::ParseMaster(text);
    if (!p.ok()) state.SkipWithError(p.status().message().c_str());
    benchmark::DoNotOptimize(p);
  }
  state.counters["bytes"] = static_cast<double>(text.size());
}
BENCHMARK(BM_ParseMaster);

}  // namespace
