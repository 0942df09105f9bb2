// `ssai hls parse FILE... | DIR [--json]`: what our HLS parser (reference/media/hls/playlist.h)
// reads from each playlist, one JSON object per file and line (the differential parser test,
// tests/test_differential_parser.py, compares it with npm m3u8-parser). Without --json, a short
// text summary. Exit 0 ok, 2 unreadable or unparseable input ("FILE: line N: ...").
//
// Media playlist: version, target_duration_s, media_sequence, discontinuity_sequence, endlist,
// playlist_type, segments [{uri, duration_s, msn, dsn, discontinuity, gap, pdt (its own
// EXT-X-PROGRAM-DATE-TIME, ISO 8601 ms), start_ms (derived start, RFC 8216 §4.3.2.6, epoch ms)}],
// dateranges [{id, class, start_date, end_date, duration_s, planned_duration_s, end_on_next,
// attributes {NAME: value as written, quotes removed}, line}] in source order (one per tag).
// Multivariant playlist: version, variants [{uri, bandwidth, average_bandwidth, codecs,
// resolution}], media [{type, group_id, name, uri}].
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/playlist_inputs.h"
#include "reference/media/hls/playlist.h"

namespace ssai::cli {

namespace {

using Json = nlohmann::ordered_json;

struct ParseArgs {
  std::vector<std::string> inputs;
  bool json = false;
};

Json OptionalString(std::optional<std::string_view> v) { return v ? Json(std::string(*v)) : Json(nullptr); }

Json DateRangeJson(const hls::Tag& tag) {
  Json d;
  Result<hls::AttributeList> attrs = hls::ParseTagAttributes(tag);
  if (!attrs.ok()) {
    d["error"] = attrs.status().message();
    d["line"] = tag.line;
    return d;
  }
  d["id"] = OptionalString(attrs->GetQuotedString("ID"));
  d["class"] = OptionalString(attrs->GetQuotedString("CLASS"));
  auto date = [&](std::string_view name) {
    std::optional<UnixMicros> t = attrs->GetDate(name);
    return t ? Json(FormatIso8601Millis(*t)) : Json(nullptr);
  };
  d["start_date"] = date("START-DATE");
  d["end_date"] = date("END-DATE");
  auto num = [&](std::string_view name) {
    std::optional<double> v = attrs->GetFloat(name);
    return v ? Json(*v) : Json(nullptr);
  };
  d["duration_s"] = num("DURATION");
  d["planned_duration_s"] = num("PLANNED-DURATION");
  std::optional<std::string_view> eon = attrs->GetEnum("END-ON-NEXT");
  d["end_on_next"] = eon.has_value() && *eon == "YES";
  Json all = Json::object();
  for (const hls::Attribute& a : attrs->attributes()) all[std::string(a.name)] = std::string(a.value);
  d["attributes"] = std::move(all);
  d["line"] = tag.line;
  return d;
}

Json MediaJson(const hls::MediaPlaylist& p) {
  Json j;
  j["type"] = "media";
  j["version"] = p.version();
  j["target_duration_s"] = p.target_duration_s() ? Json(*p.target_duration_s()) : Json(nullptr);
  j["media_sequence"] = p.media_sequence();
  j["discontinuity_sequence"] = p.discontinuity_sequence();
  j["endlist"] = p.endlist();
  j["playlist_type"] = OptionalString(p.playlist_type());
  Json segments = Json::array();
  Json dateranges = Json::array();
  auto collect = [&](const std::vector<hls::Tag>& tags) {
    for (const hls::Tag& t : tags) {
      if (t.type == hls::TagType::kDateRange) dateranges.push_back(DateRangeJson(t));
    }
  };
  collect(p.header());
  for (size_t i = 0; i < p.segments().size(); ++i) {
    const hls::MediaSegment& s = p.segments()[i];
    collect(s.tags());
    Json seg;
    seg["uri"] = s.uri();
    seg["duration_s"] = s.duration_s();
    seg["msn"] = p.SequenceNumberOf(i);
    seg["dsn"] = p.DiscontinuitySequenceOf(i);
    seg["discontinuity"] = s.discontinuity();
    seg["gap"] = s.gap();
    std::optional<UnixMicros> pdt = s.program_date_time();
    seg["pdt"] = pdt ? Json(FormatIso8601Millis(*pdt)) : Json(nullptr);
    std::optional<UnixMicros> start = p.SegmentStartTime(i);
    seg["start_ms"] = start ? Json(static_cast<double>(*start) / 1000.0) : Json(nullptr);
    segments.push_back(std::move(seg));
  }
  collect(p.trailer());
  j["segments"] = std::move(segments);
  j["dateranges"] = std::move(dateranges);
  return j;
}

Json MasterJson(const hls::MasterPlaylist& p) {
  Json j;
  j["type"] = "master";
  j["version"] = p.version();
  Json variants = Json::array();
  for (const hls::VariantInfo& v : p.Variants()) {
    Json x;
    x["uri"] = v.uri;
    x["bandwidth"] = v.bandwidth;
    x["average_bandwidth"] = v.average_bandwidth ? Json(*v.average_bandwidth) : Json(nullptr);
    x["codecs"] = v.codecs;
    x["resolution"] = v.resolution;
    variants.push_back(std::move(x));
  }
  j["variants"] = std::move(variants);
  Json media = Json::array();
  for (const hls::MasterItem& item : p.items()) {
    if (item.tag.type != hls::TagType::kMedia) continue;
    Result<hls::AttributeList> attrs = hls::ParseTagAttributes(item.tag);
    if (!attrs.ok()) continue;
    Json m;
    m["type"] = OptionalString(attrs->GetEnum("TYPE"));
    m["group_id"] = OptionalString(attrs->GetQuotedString("GROUP-ID"));
    m["name"] = OptionalString(attrs->GetQuotedString("NAME"));
    m["uri"] = OptionalString(attrs->GetQuotedString("URI"));
    media.push_back(std::move(m));
  }
  j["media"] = std::move(media);
  return j;
}

int RunParse(const ParseArgs& args) {
  std::vector<std::string> files;
  if (!ListPlaylistFiles(args.inputs, &files)) return 2;
  for (const std::string& file : files) {
    std::string text;
    if (!ReadPlaylistInput(file, &text)) return 2;
    Result<hls::Playlist> playlist = hls::Parse(text);
    if (!playlist.ok()) {
      std::cout.flush();
      std::cerr << file << ": " << playlist.status().message() << "\n";
      return 2;
    }
    Json j;
    j["file"] = file;
    Json body = std::holds_alternative<hls::MediaPlaylist>(*playlist)
                    ? MediaJson(std::get<hls::MediaPlaylist>(*playlist))
                    : MasterJson(std::get<hls::MasterPlaylist>(*playlist));
    for (auto& [k, v] : body.items()) j[k] = v;
    if (args.json) {
      std::cout << j.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
    } else if (j["type"] == "media") {
      std::cout << file << ": media, " << j["segments"].size() << " segments from MSN " << j["media_sequence"]
                << ", target duration " << j["target_duration_s"] << " s, " << j["dateranges"].size()
                << " DATERANGE tags\n";
    } else {
      std::cout << file << ": multivariant, " << j["variants"].size() << " variants, " << j["media"].size()
                << " renditions\n";
    }
  }
  std::cout.flush();
  return 0;
}

}  // namespace

void RegisterHlsParseCommand(CLI::App& hls, Context& ctx) {
  auto args = std::make_shared<ParseArgs>();
  CLI::App* cmd = hls.add_subcommand("parse", "What the HLS parser reads from each playlist (--json: one object per file)");
  cmd->add_option("inputs", args->inputs, "Playlist files, or a directory (its .m3u8 files sorted by name)")
      ->required();
  cmd->add_flag("--json", args->json, "JSON lines: segments, sequence numbers, PDTs, dateranges");
  cmd->callback([args, &ctx] { ctx.exit_code = RunParse(*args); });
}

}  // namespace ssai::cli
