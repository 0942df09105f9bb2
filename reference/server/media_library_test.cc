#include "reference/server/media_library.h"

#include "reference/server/services.h"

#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

namespace ssai::server {
namespace {

DecisionCatalogue TwoPods() {
  Result<DecisionCatalogue> c = ParseDecisionCatalogue(R"({"pods": {
    "a-pod": {"items": [{"id": "x", "duration": 4, "variants": {"800000": "u"}},
                        {"id": "y", "duration": 6, "variants": {"800000": "u", "2500000": "u"}}]},
    "b-pod": {"items": [{"id": "z", "duration": 2, "variants": {"800000": "u"}}]}}})");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : DecisionCatalogue{};
}

TEST(MediaLibraryTest, AdsContinueEachOthersTimelineWithinTheirPod) {
  const DecisionCatalogue c = TwoPods();
  EXPECT_EQ(AdTimelineIndex(c, 2, "x", 800000, 0), 0);
  EXPECT_EQ(AdTimelineIndex(c, 2, "x", 800000, 1), 1);
  EXPECT_EQ(AdTimelineIndex(c, 2, "y", 2500000, 0), 2);  // after x's 4 s
  EXPECT_EQ(AdTimelineIndex(c, 2, "y", 800000, 2), 4);
  EXPECT_EQ(AdTimelineIndex(c, 2, "z", 800000, 0), 0);  // first item of its pod
  EXPECT_EQ(AdTimelineIndex(c, 2, "x", 800000, 2), std::nullopt);   // x has 2 segments
  EXPECT_EQ(AdTimelineIndex(c, 2, "x", 2500000, 0), std::nullopt);  // no such bitrate
  EXPECT_EQ(AdTimelineIndex(c, 2, "nope", 800000, 0), std::nullopt);
  EXPECT_EQ(AdTimelineIndex(c, 2, "x", 800000, -1), std::nullopt);
}

TEST(MediaLibraryTest, BadInputIsAClearError) {
  const std::string dir = (std::filesystem::temp_directory_path() / "ssai-media-test-unused").string();
  Result<std::shared_ptr<const MediaLibrary>> r = MediaLibrary::Open(dir, 2.002);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not a whole number of 25 fps frames"), std::string::npos)
      << r.status().message();
  r = MediaLibrary::Open(dir, 2, "ssai-no-such-ffmpeg-binary");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ssai-no-such-ffmpeg-binary not found on PATH"), std::string::npos)
      << r.status().message();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

std::string Hex(std::string_view b) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (char c : b) out += {kDigits[(c >> 4) & 15], kDigits[c & 15]};
  return out;
}
std::string Unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  return out;
}

// The player's side: AES-128-CBC decryption with PKCS7, by EVP (independent of the encrypt path).
std::string Decrypt(std::string_view cipher, std::string_view key, std::string_view iv) {
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  std::string out(cipher.size() + 16, '\0');
  int n = 0, tail = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_cbc(), nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                         reinterpret_cast<const unsigned char*>(iv.data())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), o, &n, reinterpret_cast<const unsigned char*>(cipher.data()),
                        static_cast<int>(cipher.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), o + n, &tail) != 1) {
    return "decrypt failed";
  }
  out.resize(static_cast<size_t>(n + tail));
  return out;
}

TEST(MediaLibraryTest, Aes128CbcIsTheStandardCipherWithPkcs7) {
  // NIST SP 800-38A F.2.1 (CBC-AES128.Encrypt), block 1; a full block of PKCS7 padding follows.
  const std::string key = Unhex("2b7e151628aed2a6abf7158809cf4f3c");
  const std::string iv = Unhex("000102030405060708090a0b0c0d0e0f");
  Result<std::string> c = Aes128CbcEncrypt(Unhex("6bc1bee22e409f96e93d7e117393172a"), key, iv);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->size(), 32u);
  EXPECT_EQ(Hex(c->substr(0, 16)), "7649abac8119b246cee98e9b12e9197d");
  EXPECT_EQ(Decrypt(*c, key, iv), Unhex("6bc1bee22e409f96e93d7e117393172a"));
  Result<std::string> odd = Aes128CbcEncrypt("abc", key, iv);  // padded to one block
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->size(), 16u);
  EXPECT_EQ(Hex(KeyIv(258)), "00000000000000000000000000000102");  // as EXT-X-KEY IV=0x...0102
  EXPECT_NE(Aes128CbcEncrypt("x", "short", iv).status().message().find("must be 16 bytes"), std::string::npos);
}

// Real CMAF from ffmpeg: the pools of a demuxed presentation with two audio languages, and the
// origin's routes over them with AES-128. The cache dir is kept between runs (first run: ffmpeg).
TEST(MediaLibraryTest, CmafPoolsAndEncryptedOriginRoutes) {
  const std::string dir = (std::filesystem::temp_directory_path() / "ssai-media-test-cmaf").string();
  MediaOptions options;
  options.ts = false;
  options.cmaf = true;
  options.audio_languages = 2;
  const auto t0 = std::chrono::steady_clock::now();
  Result<std::shared_ptr<const MediaLibrary>> lib = MediaLibrary::Open(dir, 1.92, "ffmpeg", options);
  ASSERT_TRUE(lib.ok()) << lib.status().message();
  std::cout << "CMAF pools ready in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count()
            << " ms\n";
  EXPECT_FALSE((*lib)->Content(0).ok());  // no TS pools asked for
  for (const char* track : {"content", "ad", "slate", "content-video", "content-audio-0", "content-audio-1",
                            "ad-video", "ad-audio-0", "slate-video", "slate-audio-0"}) {
    ASSERT_NE((*lib)->Cmaf(track), nullptr) << track;
  }
  EXPECT_EQ((*lib)->Cmaf("ad-audio-1"), nullptr);
  EXPECT_EQ(*origin::ParseFmp4Init((*lib)->Cmaf("content")->Init()), (origin::Fmp4Timescales{{1, 12800}, {2, 64000}}));
  EXPECT_EQ(*origin::ParseFmp4Init((*lib)->Cmaf("content-video")->Init()), (origin::Fmp4Timescales{{1, 12800}}));
  EXPECT_EQ(*origin::ParseFmp4Init((*lib)->Cmaf("content-audio-1")->Init()), (origin::Fmp4Timescales{{1, 64000}}));
  // The loops' fragments are the same length in every track: the pool loops together.
  EXPECT_EQ((*lib)->Cmaf("content-video")->size(), (*lib)->Cmaf("content-audio-0")->size());

  Result<origin::SyntheticStreamSpec> spec = origin::ParseSpec(R"({"segment_duration_s": 1.92,
      "start_time": "2026-01-15T12:00:00Z", "container": "cmaf", "encryption": "aes-128", "media": "ffmpeg",
      "segment_uri_template": "seg_{rendition}_{msn}.m4s",
      "audio": [{"id": "aud_en", "name": "English", "language": "en", "default": true},
                {"id": "aud_es", "name": "Espanol", "language": "es"}],
      "subtitles": [{"id": "sub_en", "name": "English", "language": "en"}],
      "renditions": [{"name": "v1", "bandwidth_bps": 800000, "codecs": "avc1.42c01e"}]})");
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  Result<OriginSegmentRoutes> routes = OriginSegmentRoutes::Make(*spec);
  ASSERT_TRUE(routes.ok()) << routes.status().message();
  const UnixMicros now = spec->start_time + 100 * kMicrosPerSecond;  // MSN 0..51 published
  std::atomic<int64_t> served{0};
  auto get = [&](std::string_view path) { return routes->Answer(path, now, **lib, &served); };
  const std::string key = origin::KeyBytes(0), iv = KeyIv(0);

  std::optional<HttpResponse> init = get("/init_v1.mp4");
  ASSERT_TRUE(init && init->status == 200);
  EXPECT_EQ(init->content_type, "video/mp4");
  EXPECT_EQ(Decrypt(init->body, key, iv), (*lib)->Cmaf("content-video")->Init());
  std::optional<HttpResponse> audio_init = get("/init_aud_es.mp4");
  ASSERT_TRUE(audio_init && audio_init->status == 200);
  EXPECT_EQ(Decrypt(audio_init->body, key, iv), (*lib)->Cmaf("content-audio-1")->Init());
  std::optional<HttpResponse> seg = get("/seg_v1_50.m4s");
  ASSERT_TRUE(seg && seg->status == 200);
  EXPECT_EQ(Decrypt(seg->body, key, iv), *(*lib)->Cmaf("content-video")->Fragment(50));
  std::optional<HttpResponse> audio = get("/seg_aud_en_50.m4s");
  ASSERT_TRUE(audio && audio->status == 200);
  EXPECT_EQ(audio->content_type, "audio/mp4");
  EXPECT_EQ(Decrypt(audio->body, key, iv), *(*lib)->Cmaf("content-audio-0")->Fragment(50));
  EXPECT_EQ(get("/seg_v1_52.m4s")->status, 404);      // not published yet
  EXPECT_EQ(get("/seg_sub_en_3.m4s")->status, 404);   // subtitles are WebVTT, not fMP4
  EXPECT_EQ(get("/seg_nope_3.m4s")->status, 404);
  EXPECT_FALSE(get("/other.m4s").has_value());
  // The audio renditions' slate (silence, clear: the splicer declares METHOD=NONE for a slate).
  std::optional<HttpResponse> slate_audio = get("/slate_audio.m4s");
  ASSERT_TRUE(slate_audio && slate_audio->status == 200);
  EXPECT_EQ(slate_audio->content_type, "audio/mp4");
  EXPECT_EQ(slate_audio->body, *(*lib)->Cmaf("slate-audio-0")->Fragment(0));
  std::optional<HttpResponse> slate_audio_init = get("/slate_audio_init.mp4");
  ASSERT_TRUE(slate_audio_init && slate_audio_init->status == 200);
  EXPECT_EQ(slate_audio_init->body, (*lib)->Cmaf("slate-audio-0")->Init());
  EXPECT_EQ(served.load(), 6);
}

// The built-in decision service with container "cmaf": each ad variant playlist declares its own
// init, and serves it and the fragments from the ad pool (continuing across the pod's items).
TEST(MediaLibraryTest, CmafAdsDeclareAndServeTheirOwnInit) {
  DecisionConfig config;
  config.catalogue = TwoPods();
  config.ad_segment_duration_s = 2;
  config.media = "ffmpeg";
  config.container = "cmaf";
  DecisionService service(config);
  ASSERT_TRUE(service.EnableMedia((std::filesystem::temp_directory_path() / "ssai-media-test-cmaf").string()).ok());
  std::optional<std::string> p = service.AdPlaylist("y", 800000);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n"
                "#EXT-X-MAP:URI=\"800000_init.mp4\"\n#EXTINF:2.000,\n800000_0.m4s\n#EXTINF:2.000,\n800000_1.m4s\n"
                "#EXTINF:2.000,\n800000_2.m4s\n#EXT-X-ENDLIST\n");
  HttpResponse init = service.AdResponse("/ads/y/800000_init.mp4");
  ASSERT_EQ(init.status, 200) << init.body;
  EXPECT_EQ(init.content_type, "video/mp4");
  EXPECT_TRUE(origin::ParseFmp4Init(init.body).ok());
  HttpResponse seg = service.AdResponse("/ads/y/800000_1.m4s");
  ASSERT_EQ(seg.status, 200) << seg.body;
  // y follows x (4 s) in its pod: its segment 1 is the ad timeline's segment 3.
  Result<std::shared_ptr<const MediaLibrary>> lib = MediaLibrary::Open(
      (std::filesystem::temp_directory_path() / "ssai-media-test-cmaf").string(), 2, "ffmpeg", [] {
        MediaOptions o;
        o.ts = false;
        o.cmaf = true;
        return o;
      }());
  ASSERT_TRUE(lib.ok());
  EXPECT_EQ(seg.body, *(*lib)->Cmaf("ad")->Fragment(3));
  EXPECT_EQ(service.AdResponse("/ads/y/800000_3.m4s").status, 404);      // y has 3 segments
  EXPECT_EQ(service.AdResponse("/ads/x/2500000_init.mp4").status, 404);  // x has no such bitrate
  EXPECT_EQ(service.AdResponse("/ads/y/800000_1.ts").status, 404);       // not the TS route
  EXPECT_EQ(service.AdResponse("/ads/y/0_1.m4s").status, 404);

  // Demuxed: a video-only variant and the ad's audio per language, each with its own init.
  std::optional<std::string> video = service.AdPlaylist("y", 800000, "video_800000");
  ASSERT_TRUE(video.has_value());
  EXPECT_NE(video->find("#EXT-X-MAP:URI=\"video_800000_init.mp4\"\n"), std::string::npos) << *video;
  EXPECT_NE(video->find("\nvideo_800000_2.m4s\n"), std::string::npos) << *video;
  HttpResponse audio_list = service.AdResponse("/ads/y/audio_en.m3u8");
  ASSERT_EQ(audio_list.status, 200) << audio_list.body;
  EXPECT_NE(audio_list.body.find("#EXT-X-MAP:URI=\"audio_en_init.mp4\"\n"), std::string::npos) << audio_list.body;
  EXPECT_NE(audio_list.body.find("\naudio_en_2.m4s\n"), std::string::npos) << audio_list.body;
  Result<std::shared_ptr<const MediaLibrary>> demuxed = MediaLibrary::Open(
      (std::filesystem::temp_directory_path() / "ssai-media-test-cmaf").string(), 2, "ffmpeg", [] {
        MediaOptions o;
        o.ts = false;
        o.cmaf = true;
        o.audio_languages = 1;
        return o;
      }());
  ASSERT_TRUE(demuxed.ok());
  HttpResponse a1 = service.AdResponse("/ads/y/audio_fr-CA_1.m4s");
  ASSERT_EQ(a1.status, 200) << a1.body;
  EXPECT_EQ(a1.content_type, "audio/mp4");
  EXPECT_EQ(a1.body, *(*demuxed)->Cmaf("ad-audio-0")->Fragment(3));
  EXPECT_EQ(service.AdResponse("/ads/y/audio_en_init.mp4").body, (*demuxed)->Cmaf("ad-audio-0")->Init());
  EXPECT_EQ(service.AdResponse("/ads/y/video_800000_1.m4s").body, *(*demuxed)->Cmaf("ad-video")->Fragment(3));
  EXPECT_EQ(service.AdResponse("/ads/y/video_800000_init.mp4").body, (*demuxed)->Cmaf("ad-video")->Init());
  EXPECT_EQ(service.AdResponse("/ads/y/audio_e_n.m3u8").status, 404);
  EXPECT_EQ(service.AdResponse("/ads/nope/audio_en.m3u8").status, 404);
  EXPECT_EQ(service.AdResponse("/ads/y/video_999_0.m4s").status, 404);
}

// The catalogue's URLs name the built-in service as {self}: the decision hands them out resolved,
// the ad's demuxed audio per language as well as its variants (an unresolved "{self}/ads/..."
// audio URL left every audio rendition on the slate: tests/test_clients_cmaf.py).
TEST(MediaLibraryTest, DecisionResolvesSelfInVariantAndAudioUrls) {
  DecisionConfig config;
  Result<DecisionCatalogue> c = ParseDecisionCatalogue(R"({"default_pod": "p", "pods": {"p": {"items": [
      {"id": "ad1", "duration": 4, "variants": {"800000": "{self}/ads/ad1/video_800000.m3u8"},
       "audio": [{"language": "en", "url": "{self}/ads/ad1/audio_en.m3u8"},
                 {"language": "fr", "url": "{self}/ads/ad1/audio_fr.m3u8"}]}]}}})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  config.catalogue = *c;
  DecisionService service(config);
  service.set_self_url("http://127.0.0.1:9");
  Result<AdDecision> d = service.Decide({"ch", "ev", "p", 4});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->items.size(), 1u);
  EXPECT_EQ(d->items[0].variants[0].url, "http://127.0.0.1:9/ads/ad1/video_800000.m3u8");
  ASSERT_EQ(d->items[0].audio.size(), 2u);
  EXPECT_EQ(d->items[0].audio[0].url, "http://127.0.0.1:9/ads/ad1/audio_en.m3u8");
  EXPECT_EQ(d->items[0].audio[1].url, "http://127.0.0.1:9/ads/ad1/audio_fr.m3u8");
}

}  // namespace
}  // namespace ssai::server
