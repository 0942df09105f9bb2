// libFuzzer target for the HLS playlist parser and writer.
//
// Property: any input Parse accepts serializes back to exactly the same bytes (the model is
// lossless, see playlist.h), re-parses, and survives the accessors and mutators. Any violation
// aborts. Seed corpus: fixtures/corpus/hls/.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <variant>

#include "reference/media/hls/playlist.h"

namespace {

using ssai::hls::AttributeList;
using ssai::hls::MasterPlaylist;
using ssai::hls::MediaPlaylist;
using ssai::hls::Tag;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "hls_playlist_fuzzer: %s\n", what);
    std::abort();
  }
}

// Reads every typed attribute; must not crash whatever the text.
void PokeAttributes(std::string_view text) {
  ssai::Result<AttributeList> list = AttributeList::Parse(text);
  if (!list.ok()) return;
  for (const ssai::hls::Attribute& a : list->attributes()) {
    Check(list->Find(a.name) != nullptr, "attribute not found by its own name");
    (void)list->GetQuotedString(a.name);
    (void)list->GetEnum(a.name);
    (void)list->GetInteger(a.name);
    (void)list->GetFloat(a.name);
    (void)list->GetDate(a.name);
    (void)list->GetResolution(a.name);
    (void)list->GetHex(a.name);
  }
}

void PokeTag(const Tag& tag) {
  Check(!tag.ToLine().empty() || tag.type == ssai::hls::TagType::kBlank, "empty tag line");
  if (tag.has_value) PokeAttributes(tag.value);
}

void CheckMedia(const MediaPlaylist& p, std::string_view input) {
  const std::string out = ssai::hls::Serialize(p);
  Check(out == input, "media: Serialize(Parse(x)) != x");
  ssai::Result<MediaPlaylist> again = ssai::hls::ParseMedia(out);
  Check(again.ok(), "media: serialized output does not re-parse");
  Check(again->segments().size() == p.segments().size(), "media: segment count changed");

  (void)p.version();
  (void)p.target_duration_s();
  (void)p.endlist();
  (void)p.playlist_type();
  (void)p.TotalDuration();
  const int64_t msn = p.media_sequence();
  const int64_t dsn = p.discontinuity_sequence();
  // SegmentStartTime is O(n) per call; bound the work per input.
  const size_t n = std::min<size_t>(p.segments().size(), 64);
  for (size_t i = 0; i < n; ++i) {
    (void)p.SegmentStartTime(i);
    Check(p.DiscontinuitySequenceOf(i) >= dsn, "DSN went below DISCONTINUITY-SEQUENCE");
    const ssai::hls::MediaSegment& s = p.segments()[i];
    (void)s.title();
    (void)s.program_date_time();
    Check(s.duration_s() >= 0, "negative duration");
  }
  for (const Tag& t : p.header()) PokeTag(t);
  for (size_t i = 0; i < n; ++i) {
    for (const Tag& t : p.segments()[i].tags()) PokeTag(t);
  }
  for (const Tag& t : p.trailer()) PokeTag(t);

  // Mutators must keep the playlist parseable and the accessors in step with the text.
  MediaPlaylist m = p;
  if (msn < std::numeric_limits<int64_t>::max()) {
    m.SetMediaSequence(msn + 1);
    Check(m.media_sequence() == msn + 1, "SetMediaSequence not visible");
  }
  m.SetDiscontinuitySequence(dsn / 2);
  Check(m.discontinuity_sequence() == dsn / 2, "SetDiscontinuitySequence not visible");
  if (!m.segments().empty()) {
    ssai::hls::MediaSegment& s = m.mutable_segments().front();
    s.SetDuration(1.5);
    s.SetDiscontinuity(!s.discontinuity());
    s.SetProgramDateTime(1'762'233'694'000'000);
    Check(s.program_date_time() == 1'762'233'694'000'000, "SetProgramDateTime not visible");
  }
  ssai::Result<MediaPlaylist> mutated = ssai::hls::ParseMedia(ssai::hls::Serialize(m));
  Check(mutated.ok(), "mutated playlist does not re-parse");
  if (msn < std::numeric_limits<int64_t>::max()) {
    Check(mutated->media_sequence() == msn + 1, "media sequence lost in re-parse");
  }
}

void CheckMaster(const MasterPlaylist& p, std::string_view input) {
  const std::string out = ssai::hls::Serialize(p);
  Check(out == input, "master: Serialize(Parse(x)) != x");
  ssai::Result<MasterPlaylist> again = ssai::hls::ParseMaster(out);
  Check(again.ok(), "master: serialized output does not re-parse");
  Check(again->items().size() == p.items().size(), "master: item count changed");
  (void)p.version();
  (void)p.Variants();
  for (const ssai::hls::MasterItem& item : p.items()) PokeTag(item.tag);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  PokeAttributes(input);

  ssai::Result<ssai::hls::Playlist> any = ssai::hls::Parse(input);
  if (any.ok()) {
    if (const MediaPlaylist* media = std::get_if<MediaPlaylist>(&*any)) {
      CheckMedia(*media, input);
    } else {
      CheckMaster(std::get<MasterPlaylist>(*any), input);
    }
  } else {
    Check(!any.status().message().empty(), "error without a message");
  }
  // The kind-specific parsers must agree with Parse's verdict for their kind.
  ssai::Result<MediaPlaylist> media = ssai::hls::ParseMedia(input);
  if (media.ok()) CheckMedia(*media, input);
  ssai::Result<MasterPlaylist> master = ssai::hls::ParseMaster(input);
  if (master.ok()) CheckMaster(*master, input);
  return 0;
}
