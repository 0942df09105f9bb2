#include "reference/media/cues/markers.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "reference/base/strings.h"

namespace ssai::cues {

namespace {

using hls::Tag;
using hls::TagType;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

// A duration or elapsed time: a finite decimal number of seconds in [0, kMaxMarkerSeconds] (the
// bound keeps later microsecond arithmetic far from overflow).
std::optional<double> ParseSeconds(std::string_view text) {
  std::optional<double> v = ParseDouble(TrimWhitespace(text));
  if (!v || !std::isfinite(*v) || *v < 0 || *v > kMaxMarkerSeconds) return std::nullopt;
  return v;
}

std::string TagText(const Tag& tag) {
  std::string s = "#";
  s += tag.type == TagType::kUnknown ? std::string_view(tag.name) : hls::TagName(tag.type);
  if (tag.has_value) {
    s += ':';
    s += tag.value;
  }
  return s;
}

class MarkerParser {
 public:
  MarkerParser(const Tag& tag, std::vector<Diagnostic>* warnings) : tag_(tag), warnings_(warnings) {
    marker_.line = tag.line;
    marker_.text = TagText(tag);
  }

  std::optional<Marker> Run() {
    switch (tag_.type) {
      case TagType::kCueOut:
        return CueOut();
      case TagType::kCueOutCont:
        return CueOutCont();
      case TagType::kCueIn:
        marker_.flavour = Flavour::kCueIn;
        marker_.direction = Direction::kIn;
        return std::move(marker_);
      case TagType::kOatclsScte35:
        return BareScte35(Flavour::kOatclsScte35);
      case TagType::kSplicepointScte35:
        return BareScte35(Flavour::kSplicepointScte35);
      case TagType::kDateRange:
        return DateRange();
      case TagType::kScte35:
        return ExtXScte35();
      case TagType::kCue:
        return AdobeCue();
      default:
        return std::nullopt;
    }
  }

  // DATERANGE may carry more than one SCTE35-* attribute; the parser returns the first and keeps
  // the others here.
  std::vector<Marker>& extra() { return extra_; }

 private:
  void Warn(std::string message) {
    if (warnings_ == nullptr) return;
    std::string_view name =
        tag_.type == TagType::kUnknown ? std::string_view(tag_.name) : hls::TagName(tag_.type);
    warnings_->push_back({tag_.line, std::string(name) + ": " + std::move(message)});
  }

  // Decodes `text` (base64 or hex) into marker_.scte35; a rejected payload is a warning.
  void DecodeScte35(std::string_view text, std::string_view what) {
    marker_.scte35_text = std::string(TrimWhitespace(text));
    if (marker_.scte35_text.empty()) {
      Warn(std::string(what) + " is empty");
      return;
    }
    Result<scte35::SpliceInfoSection> section = scte35::DecodeText(marker_.scte35_text);
    if (!section.ok()) {
      Warn(std::string(what) + " rejected: " + section.status().ToString());
      return;
    }
    marker_.scte35 = std::move(section).value();
  }

  std::optional<std::vector<LooseAttribute>> Attributes() { return Attributes(tag_.value); }
  std::optional<std::vector<LooseAttribute>> Attributes(std::string_view text) {
    Result<std::vector<LooseAttribute>> attrs = ParseLooseAttributes(text);
    if (!attrs.ok()) {
      Warn(attrs.status().message());
      return std::nullopt;
    }
    return std::move(attrs).value();
  }

  // Reads a seconds attribute into *out; a value that does not parse is a warning.
  void Seconds(const std::vector<LooseAttribute>& attrs, std::string_view name,
               std::optional<double>* out) {
    const LooseAttribute* a = FindLoose(attrs, name);
    if (a == nullptr) return;
    *out = ParseSeconds(a->value);
    if (!*out)
      Warn(std::string(name) + " '" + a->value + "' is not a number of seconds in [0, 1e8]");
  }

  // EXT-X-CUE-OUT, EXT-X-CUE-OUT:30.000, EXT-X-CUE-OUT:DURATION=30 (MediaTailor hls-ad-markers),
  // EXT-X-CUE-OUT:4,SpliceType=VOD_DAI,Action=REPLACE,PAID=... (the duration first, unnamed, then
  // attributes: MediaConvert-style packagers).
  std::optional<Marker> CueOut() {
    marker_.flavour = Flavour::kCueOut;
    marker_.direction = Direction::kOut;
    std::string_view v = TrimWhitespace(tag_.value);
    if (v.empty()) return std::move(marker_);
    const size_t comma = v.find(',');
    const std::string_view first = TrimWhitespace(v.substr(0, comma));
    std::string_view rest = v;
    if (first.find('=') == std::string_view::npos) {
      marker_.duration_s = ParseSeconds(first);
      if (!marker_.duration_s)
        Warn("duration '" + std::string(first) + "' is not a number of seconds in [0, 1e8]");
      if (comma == std::string_view::npos) return std::move(marker_);
      rest = v.substr(comma + 1);
    }
    if (auto attrs = Attributes(rest)) {
      if (first.find('=') == std::string_view::npos) {
        if (FindLoose(*attrs, "DURATION") != nullptr)
          Warn("both a leading duration '" + std::string(first) + "' and DURATION; using the leading one");
      } else {
        Seconds(*attrs, "DURATION", &marker_.duration_s);
      }
      if (const LooseAttribute* id = FindLoose(*attrs, "ID")) marker_.id = id->value;
      if (const LooseAttribute* cue = FindLoose(*attrs, "SCTE35"))
        DecodeScte35(cue->value, "SCTE35");
    }
    return std::move(marker_);
  }

  // EXT-X-CUE-OUT-CONT:ElapsedTime=8.3,Duration=30[,SCTE35=<b64>] or :8.308/30 (AWS MediaLive
  // "sample manifests"; globocom/m3u8 PR #340).
  std::optional<Marker> CueOutCont() {
    marker_.flavour = Flavour::kCueOutCont;
    marker_.direction = Direction::kCont;
    std::string_view v = TrimWhitespace(tag_.value);
    if (v.empty()) return std::move(marker_);
    if (v.find('=') == std::string_view::npos) {
      size_t slash = v.find('/');
      std::string_view elapsed = v.substr(0, slash);
      marker_.elapsed_s = ParseSeconds(elapsed);
      if (!marker_.elapsed_s)
        Warn("elapsed time '" + std::string(elapsed) + "' is not a number of seconds in [0, 1e8]");
      if (slash != std::string_view::npos) {
        std::string_view duration = v.substr(slash + 1);
        marker_.duration_s = ParseSeconds(duration);
        if (!marker_.duration_s)
          Warn("duration '" + std::string(duration) + "' is not a number of seconds in [0, 1e8]");
      }
      return std::move(marker_);
    }
    if (auto attrs = Attributes()) {
      Seconds(*attrs, "ElapsedTime", &marker_.elapsed_s);
      Seconds(*attrs, "Duration", &marker_.duration_s);
      if (const LooseAttribute* cue = FindLoose(*attrs, "SCTE35"))
        DecodeScte35(cue->value, "SCTE35");
    }
    return std::move(marker_);
  }

  // EXT-OATCLS-SCTE35:<b64>, EXT-X-SPLICEPOINT-SCTE35:<b64>.
  std::optional<Marker> BareScte35(Flavour flavour) {
    marker_.flavour = flavour;
    marker_.direction = Direction::kSignal;
    DecodeScte35(tag_.value, "SCTE-35 payload");
    return std::move(marker_);
  }

  // RFC 8216 §4.3.2.7 / §4.3.2.7.1 (bis §4.4.5.1 / §4.4.5.1.1). Date ranges without an SCTE35-*
  // attribute (interstitials, program info) are not cue markers.
  std::optional<Marker> DateRange() {
    marker_.flavour = Flavour::kDateRange;
    auto attrs = Attributes();
    if (!attrs) return std::nullopt;
    const LooseAttribute* out = FindLoose(*attrs, "SCTE35-OUT");
    const LooseAttribute* in = FindLoose(*attrs, "SCTE35-IN");
    const LooseAttribute* cmd = FindLoose(*attrs, "SCTE35-CMD");
    if (out == nullptr && in == nullptr && cmd == nullptr) return std::nullopt;
    if (const LooseAttribute* id = FindLoose(*attrs, "ID")) marker_.id = id->value;
    if (marker_.id.empty()) Warn("ID is missing (RFC 8216 §4.3.2.7 requires it)");
    auto date = [&](std::string_view name, std::optional<UnixMicros>* dst) {
      const LooseAttribute* a = FindLoose(*attrs, name);
      if (a == nullptr) return;
      Result<UnixMicros> t = ParseIso8601(a->value);
      if (t.ok()) {
        *dst = *t;
      } else {
        Warn(std::string(name) + " '" + a->value + "': " + t.status().message());
      }
    };
    date("START-DATE", &marker_.start_date);
    date("END-DATE", &marker_.end_date);
    Seconds(*attrs, "PLANNED-DURATION", &marker_.planned_duration_s);
    Seconds(*attrs, "DURATION", &marker_.daterange_duration_s);
    // One marker per SCTE35-* attribute, OUT first.
    Marker base = marker_;
    std::vector<Marker> all;
    auto add = [&](const LooseAttribute* a, Direction dir) {
      if (a == nullptr) return;
      marker_ = base;
      marker_.direction = dir;
      DecodeScte35(a->value, a->name);
      all.push_back(std::move(marker_));
    };
    add(out, Direction::kOut);
    add(in, Direction::kIn);
    add(cmd, Direction::kSignal);
    for (size_t i = 1; i < all.size(); ++i) extra_.push_back(std::move(all[i]));
    return std::move(all[0]);
  }

  // EXT-X-SCTE35:CUE="<b64>",CUE-OUT=YES|NO|CONT,CUE-IN=YES,DURATION=,ELAPSED=,ID=,TIME=,...
  std::optional<Marker> ExtXScte35() {
    marker_.flavour = Flavour::kScte35;
    marker_.direction = Direction::kSignal;
    auto attrs = Attributes();
    if (!attrs) return std::nullopt;
    if (const LooseAttribute* out = FindLoose(*attrs, "CUE-OUT")) {
      if (EqualsIgnoreCase(out->value, "YES"))
        marker_.direction = Direction::kOut;
      else if (EqualsIgnoreCase(out->value, "CONT"))
        marker_.direction = Direction::kCont;
    }
    if (const LooseAttribute* in = FindLoose(*attrs, "CUE-IN")) {
      if (EqualsIgnoreCase(in->value, "YES")) marker_.direction = Direction::kIn;
    }
    Seconds(*attrs, "DURATION", &marker_.duration_s);
    Seconds(*attrs, "ELAPSED", &marker_.elapsed_s);
    if (const LooseAttribute* id = FindLoose(*attrs, "ID")) marker_.id = id->value;
    if (const LooseAttribute* cue = FindLoose(*attrs, "CUE")) {
      DecodeScte35(cue->value, "CUE");
    } else {
      Warn("CUE attribute (the SCTE-35 payload) is missing");
      if (marker_.direction == Direction::kSignal) return std::nullopt;
    }
    return std::move(marker_);
  }

  // Adobe: EXT-X-CUE:DURATION=30,ID="1",TYPE="SpliceOut",TIME=1414459962.718 (AWS MediaLive
  // "sample manifests": Adobe style never sends a SpliceIn; some packagers do).
  std::optional<Marker> AdobeCue() {
    marker_.flavour = Flavour::kAdobeCue;
    auto attrs = Attributes();
    if (!attrs) return std::nullopt;
    const LooseAttribute* type = FindLoose(*attrs, "TYPE");
    if (type == nullptr || EqualsIgnoreCase(type->value, "SpliceOut")) {
      marker_.direction = Direction::kOut;
    } else if (EqualsIgnoreCase(type->value, "SpliceIn")) {
      marker_.direction = Direction::kIn;
    } else {
      Warn("TYPE '" + type->value + "' is neither SpliceOut nor SpliceIn; ignored");
      return std::nullopt;
    }
    Seconds(*attrs, "DURATION", &marker_.duration_s);
    if (const LooseAttribute* id = FindLoose(*attrs, "ID")) marker_.id = id->value;
    return std::move(marker_);
  }

  const Tag& tag_;
  std::vector<Diagnostic>* warnings_;
  Marker marker_;
  std::vector<Marker> extra_;
};

bool IsMarkerTag(const Tag& tag) {
  switch (tag.type) {
    case TagType::kCueOut:
    case TagType::kCueOutCont:
    case TagType::kCueIn:
    case TagType::kOatclsScte35:
    case TagType::kDateRange:
    case TagType::kScte35:
    case TagType::kSplicepointScte35:
    case TagType::kCue:
      return true;
    default:
      return false;
  }
}

void ExtractFrom(const std::vector<Tag>& tags, size_t segment_index, int64_t msn, bool trailer,
                 ExtractResult* result) {
  for (const Tag& tag : tags) {
    if (!IsMarkerTag(tag)) continue;
    MarkerParser parser(tag, &result->warnings);
    std::optional<Marker> m = parser.Run();
    if (!m) continue;
    auto place = [&](Marker& mk) {
      mk.segment_index = segment_index;
      mk.msn = msn;
      mk.in_trailer = trailer;
      result->markers.push_back(std::move(mk));
    };
    place(*m);
    for (Marker& extra : parser.extra()) place(extra);
  }
}

}  // namespace

std::string_view FlavourName(Flavour flavour) {
  switch (flavour) {
    case Flavour::kCueOut:
      return "cue_out";
    case Flavour::kCueOutCont:
      return "cue_out_cont";
    case Flavour::kCueIn:
      return "cue_in";
    case Flavour::kOatclsScte35:
      return "oatcls_scte35";
    case Flavour::kDateRange:
      return "daterange";
    case Flavour::kScte35:
      return "ext_x_scte35";
    case Flavour::kSplicepointScte35:
      return "splicepoint_scte35";
    case Flavour::kAdobeCue:
      return "adobe_cue";
  }
  return "unknown";
}

std::string_view DirectionName(Direction direction) {
  switch (direction) {
    case Direction::kOut:
      return "out";
    case Direction::kCont:
      return "cont";
    case Direction::kIn:
      return "in";
    case Direction::kSignal:
      return "signal";
  }
  return "unknown";
}

std::string FormatDiagnostic(const Diagnostic& d) {
  if (d.line <= 0) return d.message;
  return "line " + std::to_string(d.line) + ": " + d.message;
}

Result<std::vector<LooseAttribute>> ParseLooseAttributes(std::string_view text) {
  std::vector<LooseAttribute> attrs;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    while (i < n && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i >= n) break;
    size_t name_begin = i;
    while (i < n && text[i] != '=' && text[i] != ',') ++i;
    LooseAttribute a;
    a.name = std::string(TrimWhitespace(text.substr(name_begin, i - name_begin)));
    if (i < n && text[i] == '=') {
      ++i;
      if (i < n && text[i] == '"') {
        size_t close = text.find('"', i + 1);
        if (close == std::string_view::npos) {
          return Status::InvalidArgument("attribute " + a.name + ": quoted value at column " +
                                         std::to_string(i + 1) + " has no closing quote");
        }
        a.value = std::string(text.substr(i + 1, close - i - 1));
        a.quoted = true;
        a.value_begin = i + 1;
        a.value_end = close;
        i = close + 1;
        while (i < n && text[i] != ',') ++i;  // tolerate junk after the closing quote
      } else {
        size_t vb = i;
        while (i < n && text[i] != ',') ++i;
        const std::string_view raw = text.substr(vb, i - vb);
        const std::string_view trimmed = TrimWhitespace(raw);  // a view into raw
        a.value = std::string(trimmed);
        a.value_begin = vb + static_cast<size_t>(trimmed.data() - raw.data());
        a.value_end = a.value_begin + trimmed.size();
      }
    }
    if (i < n && text[i] == ',') ++i;
    if (a.name.empty()) {
      if (a.value.empty()) continue;  // stray comma
      return Status::InvalidArgument("attribute without a name at column " +
                                     std::to_string(name_begin + 1));
    }
    attrs.push_back(std::move(a));
  }
  return attrs;
}

const LooseAttribute* FindLoose(const std::vector<LooseAttribute>& attrs, std::string_view name) {
  for (const LooseAttribute& a : attrs) {
    if (EqualsIgnoreCase(a.name, name)) return &a;
  }
  return nullptr;
}

std::optional<Marker> ParseMarkerTag(const Tag& tag, std::vector<Diagnostic>* warnings) {
  if (!IsMarkerTag(tag)) return std::nullopt;
  return MarkerParser(tag, warnings).Run();
}

ExtractResult ExtractMarkers(const hls::MediaPlaylist& playlist) {
  ExtractResult result;
  const auto& segments = playlist.segments();
  // Markers written before the first segment but parsed into the header (a parser could put them
  // there) apply to the first segment.
  ExtractFrom(playlist.header(), 0, playlist.SequenceNumberOf(0), segments.empty(), &result);
  for (size_t i = 0; i < segments.size(); ++i) {
    ExtractFrom(segments[i].tags(), i, playlist.SequenceNumberOf(i), false, &result);
  }
  ExtractFrom(playlist.trailer(), segments.size(), playlist.SequenceNumberOf(segments.size()), true,
              &result);
  return result;
}

std::optional<hls::Tag> ShiftElapsed(const hls::Tag& tag, double shift_s) {
  const std::string_view value = tag.value;
  // The value's bytes that hold the elapsed time, found as the marker parser finds them.
  size_t begin = 0, end = 0;
  if (tag.type == TagType::kCueOutCont && !value.empty() && value.find('=') == std::string_view::npos) {
    end = std::min(value.find('/'), value.size());  // "8.308/30"
  } else if (tag.type == TagType::kCueOutCont || tag.type == TagType::kScte35) {
    Result<std::vector<LooseAttribute>> attrs = ParseLooseAttributes(value);
    if (!attrs.ok()) return std::nullopt;
    const LooseAttribute* a = FindLoose(*attrs, tag.type == TagType::kScte35 ? "ELAPSED" : "ElapsedTime");
    if (a == nullptr) return std::nullopt;
    begin = a->value_begin;
    end = a->value_end;
  } else {
    return std::nullopt;
  }
  const std::optional<double> elapsed_s = ParseSeconds(value.substr(begin, end - begin));
  if (!elapsed_s) return std::nullopt;
  std::string out(value.substr(0, begin));
  AppendFixed(std::max(0.0, *elapsed_s + shift_s), 3, &out);
  out += value.substr(end);
  return Tag::Make(tag.type, std::move(out));
}

}  // namespace ssai::cues
