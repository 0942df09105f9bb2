#include "reference/media/scte35/scte35_json.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>

namespace ssai::scte35 {
namespace {

using OJson = nlohmann::ordered_json;

std::string HexPad(uint64_t v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%0*llx", digits, static_cast<unsigned long long>(v));
  return buf;
}
std::string HexBytes(const Bytes& b) { return "0x" + HexEncode(b); }

double Seconds(int64_t ticks) { return RoundSeconds6(TicksToSeconds(ticks)); }

bool Printable(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

std::string IdentifierText(uint32_t id) {
  std::string s{static_cast<char>(id >> 24), static_cast<char>(id >> 16), static_cast<char>(id >> 8),
                static_cast<char>(id)};
  if (Printable(s)) return s;
  return HexPad(id, 8);
}

std::string_view SapDetails(uint8_t sap) {
  switch (sap & 3) {
    case 0: return "Type 1 Closed GOP with no leading pictures";
    case 1: return "Type 2 Closed GOP with leading pictures";
    case 2: return "Type 3 Open GOP";
    default: return "No Sap Type";
  }
}

// Reserved bits: emitted (low `width` bits) only when not all ones.
void PutReserved(OJson& j, const char* key, uint8_t stored, int width) {
  const uint8_t mask = static_cast<uint8_t>((1u << width) - 1);
  if ((stored & mask) != mask) j[key] = stored & mask;
}

void PutSpliceTime(OJson& j, const SpliceTime& t) {
  j["time_specified_flag"] = t.time_specified_flag;
  if (t.time_specified_flag) {
    j["pts_time"] = Seconds(t.pts_time_ticks);
    j["pts_time_ticks"] = t.pts_time_ticks;
    PutReserved(j, "reserved_splice_time", t.reserved, 6);
  } else {
    PutReserved(j, "reserved_splice_time", t.reserved, 7);
  }
}

void PutBreakDuration(OJson& j, const std::optional<BreakDuration>& d) {
  if (!d) return;
  j["break_auto_return"] = d->auto_return;
  j["break_duration"] = Seconds(d->duration_ticks);
  j["break_duration_ticks"] = d->duration_ticks;
  PutReserved(j, "reserved_break_duration", d->reserved, 6);
}

OJson UpidJsonValue(const SegmentationUpid& upid);

bool IsNestedMid(const SegmentationUpid& u) {
  return u.type == static_cast<uint8_t>(UpidType::kMid) && u.value.empty();
}

// Serialized length of a UPID value (MID: its entries with their type/length bytes).
size_t UpidLength(const SegmentationUpid& u, int depth = 0) {
  if (!IsNestedMid(u) || depth > kMaxMidDepth) return u.value.size();
  size_t n = 0;
  for (const auto& e : u.mid) n += 2 + UpidLength(e, depth + 1);
  return n;
}

OJson MidJson(const std::vector<SegmentationUpid>& mid) {
  OJson list = OJson::array();
  for (const auto& u : mid) {
    OJson e;
    e["upid_type"] = u.type;
    e["upid_type_name"] = UpidTypeName(u.type);
    e["upid_length"] = UpidLength(u);
    e["segmentation_upid"] = UpidJsonValue(u);
    if (!IsNestedMid(u)) e["segmentation_upid_hex"] = HexBytes(u.value);
    list.push_back(std::move(e));
  }
  return list;
}

OJson UpidJsonValue(const SegmentationUpid& upid) {
  if (IsNestedMid(upid)) {
    return MidJson(upid.mid);
  }
  if (auto atsc = DecodeAtscUpid(upid)) {
    OJson a;
    a["TSID"] = atsc->tsid;
    a["reserved"] = atsc->reserved;
    a["end_of_day"] = atsc->end_of_day;
    a["unique_for"] = atsc->unique_for;
    std::string content(atsc->content_id.begin(), atsc->content_id.end());
    a["content_id"] = Printable(content) ? content : HexBytes(atsc->content_id);
    return a;
  }
  if (auto mpu = DecodeMpuUpid(upid)) {
    OJson m;
    m["format_identifier"] = IdentifierText(mpu->format_identifier);
    m["private_data"] = HexBytes(mpu->private_data);
    return m;
  }
  if (upid.type == 0x00 && !upid.value.empty()) return HexBytes(upid.value);
  return UpidDisplay(upid);
}

OJson CommandJson(const SpliceInfoSection& s) {
  OJson j;
  j["command_length"] = s.splice_command_length;
  j["command_type"] = CommandType(s.command);
  j["name"] = SpliceCommandName(CommandType(s.command));
  if (const auto* t = std::get_if<TimeSignal>(&s.command)) {
    PutSpliceTime(j, t->splice_time);
  } else if (const auto* i = std::get_if<SpliceInsert>(&s.command)) {
    if (!i->splice_event_cancel_indicator && i->program_splice_flag && !i->splice_immediate_flag) {
      PutSpliceTime(j, i->splice_time);
    }
    if (!i->splice_event_cancel_indicator) PutBreakDuration(j, i->break_duration);
    j["splice_event_id"] = i->splice_event_id;
    j["splice_event_cancel_indicator"] = i->splice_event_cancel_indicator;
    PutReserved(j, "reserved_1", i->reserved1, 7);
    if (!i->splice_event_cancel_indicator) {
      j["out_of_network_indicator"] = i->out_of_network_indicator;
      j["program_splice_flag"] = i->program_splice_flag;
      j["duration_flag"] = i->break_duration.has_value();
      j["splice_immediate_flag"] = i->splice_immediate_flag;
      j["event_id_compliance_flag"] = i->event_id_compliance_flag;
      PutReserved(j, "reserved_2", i->reserved2, 3);
      if (!i->program_splice_flag) {
        j["component_count"] = i->components.size();
        OJson comps = OJson::array();
        for (const auto& c : i->components) {
          OJson cj;
          cj["component_tag"] = c.component_tag;
          if (!i->splice_immediate_flag) PutSpliceTime(cj, c.splice_time);
          comps.push_back(std::move(cj));
        }
        j["components"] = std::move(comps);
      }
      j["unique_program_id"] = i->unique_program_id;
      j["avail_num"] = i->avail_num;
      j["avails_expected"] = i->avails_expected;
    }
  } else if (const auto* sc = std::get_if<SpliceSchedule>(&s.command)) {
    j["splice_count"] = sc->events.size();
    OJson events = OJson::array();
    for (const auto& e : sc->events) {
      OJson ej;
      ej["splice_event_id"] = e.splice_event_id;
      ej["splice_event_cancel_indicator"] = e.splice_event_cancel_indicator;
      PutReserved(ej, "reserved_1", e.reserved1, 7);
      if (!e.splice_event_cancel_indicator) {
        ej["out_of_network_indicator"] = e.out_of_network_indicator;
        ej["program_splice_flag"] = e.program_splice_flag;
        ej["duration_flag"] = e.break_duration.has_value();
        PutReserved(ej, "reserved_2", e.reserved2, 5);
        if (e.program_splice_flag) {
          ej["utc_splice_time"] = e.utc_splice_time;
        } else {
          ej["component_count"] = e.components.size();
          OJson comps = OJson::array();
          for (const auto& c : e.components) {
            comps.push_back(OJson{{"component_tag", c.component_tag},
                                  {"utc_splice_time", c.utc_splice_time}});
          }
          ej["components"] = std::move(comps);
        }
        PutBreakDuration(ej, e.break_duration);
        ej["unique_program_id"] = e.unique_program_id;
        ej["avail_num"] = e.avail_num;
        ej["avails_expected"] = e.avails_expected;
      }
      events.push_back(std::move(ej));
    }
    j["events"] = std::move(events);
  } else if (const auto* p = std::get_if<PrivateCommand>(&s.command)) {
    j["identifier"] = p->identifier;
    j["private_bytes"] = HexBytes(p->private_bytes);
  }
  return j;
}

size_t EncodedDescriptorLength(const SpliceDescriptor& d) {
  // Encode a one-descriptor section to measure descriptor_length (rarely hot).
  SpliceInfoSection tmp;
  tmp.descriptors.push_back(d);
  Result<Bytes> bytes = Encode(tmp);
  if (!bytes.ok()) return 0;
  // header 14 + splice_null 0 + loop length 2 + tag 1 => descriptor_length at byte 17
  return bytes->size() > 17 ? (*bytes)[17] : 0;
}

OJson DescriptorJson(const SpliceDescriptor& d) {
  OJson j;
  j["tag"] = DescriptorTagOf(d);
  j["descriptor_length"] = EncodedDescriptorLength(d);
  j["name"] = DescriptorName(d);
  if (const auto* a = std::get_if<AvailDescriptor>(&d)) {
    j["identifier"] = IdentifierText(a->identifier);
    j["provider_avail_id"] = a->provider_avail_id;
  } else if (const auto* t = std::get_if<DtmfDescriptor>(&d)) {
    j["identifier"] = IdentifierText(t->identifier);
    j["preroll"] = t->preroll;
    j["dtmf_count"] = t->dtmf_chars.size();
    if (Printable(t->dtmf_chars)) {
      OJson chars = OJson::array();
      for (char c : t->dtmf_chars) chars.push_back(std::string(1, c));
      j["dtmf_chars"] = std::move(chars);
    } else {
      j["dtmf_chars_hex"] = HexBytes(Bytes(t->dtmf_chars.begin(), t->dtmf_chars.end()));
    }
    PutReserved(j, "reserved", t->reserved, 5);
  } else if (const auto* s = std::get_if<SegmentationDescriptor>(&d)) {
    j["identifier"] = IdentifierText(s->identifier);
    j["segmentation_event_id"] = HexPad(s->segmentation_event_id, 8);
    j["segmentation_event_cancel_indicator"] = s->segmentation_event_cancel_indicator;
    j["segmentation_event_id_compliance_indicator"] = s->segmentation_event_id_compliance_indicator;
    PutReserved(j, "reserved_1", s->reserved1, 6);
    if (!s->segmentation_event_cancel_indicator) {
      j["program_segmentation_flag"] = s->program_segmentation_flag;
      j["segmentation_duration_flag"] = s->segmentation_duration_ticks.has_value();
      j["delivery_not_restricted_flag"] = s->delivery_not_restricted_flag;
      if (!s->delivery_not_restricted_flag) {
        j["web_delivery_allowed_flag"] = s->web_delivery_allowed_flag;
        j["no_regional_blackout_flag"] = s->no_regional_blackout_flag;
        j["archive_allowed_flag"] = s->archive_allowed_flag;
        j["device_restrictions"] = DeviceRestrictionsName(s->device_restrictions);
      } else {
        const int bits = (s->web_delivery_allowed_flag << 4) | (s->no_regional_blackout_flag << 3) |
                         (s->archive_allowed_flag << 2) | (s->device_restrictions & 3);
        if (bits != 0x1F) j["delivery_reserved"] = bits;
      }
      if (!s->program_segmentation_flag) {
        j["component_count"] = s->components.size();
        OJson comps = OJson::array();
        for (const auto& c : s->components) {
          OJson cj;
          cj["component_tag"] = c.component_tag;
          cj["pts_offset"] = Seconds(c.pts_offset_ticks);
          cj["pts_offset_ticks"] = c.pts_offset_ticks;
          PutReserved(cj, "reserved", c.reserved, 7);
          comps.push_back(std::move(cj));
        }
        j["components"] = std::move(comps);
      }
      if (s->segmentation_duration_ticks) {
        j["segmentation_duration"] = Seconds(static_cast<int64_t>(*s->segmentation_duration_ticks));
        j["segmentation_duration_ticks"] = *s->segmentation_duration_ticks;
      }
      j["segmentation_message"] = SegmentationTypeName(s->segmentation_type_id);
      j["segmentation_type_id"] = s->segmentation_type_id;
      const bool nested = IsNestedMid(s->upid);
      j["segmentation_upid_length"] = UpidLength(s->upid);
      j["segmentation_upid_type"] = s->upid.type;
      j["segmentation_upid_type_name"] = UpidTypeName(s->upid.type);
      j["segmentation_upid"] = UpidJsonValue(s->upid);
      if (!nested) j["segmentation_upid_hex"] = HexBytes(s->upid.value);
      j["segment_num"] = s->segment_num;
      j["segments_expected"] = s->segments_expected;
      if (s->sub_segment_num) j["sub_segment_num"] = *s->sub_segment_num;
      if (s->sub_segments_expected) j["sub_segments_expected"] = *s->sub_segments_expected;
    }
  } else if (const auto* tm = std::get_if<TimeDescriptor>(&d)) {
    j["identifier"] = IdentifierText(tm->identifier);
    j["tai_seconds"] = tm->tai_seconds;
    j["tai_ns"] = tm->tai_ns;
    j["utc_offset"] = tm->utc_offset;
  } else if (const auto* au = std::get_if<AudioDescriptor>(&d)) {
    j["identifier"] = IdentifierText(au->identifier);
    j["audio_count"] = au->components.size();
    PutReserved(j, "reserved", au->reserved, 4);
    OJson comps = OJson::array();
    for (const auto& c : au->components) {
      OJson cj;
      cj["component_tag"] = c.component_tag;
      std::string iso{static_cast<char>(c.iso_code >> 16), static_cast<char>(c.iso_code >> 8),
                      static_cast<char>(c.iso_code)};
      cj["iso_code"] = Printable(iso) ? iso : HexPad(c.iso_code, 6);
      cj["bit_stream_mode"] = c.bit_stream_mode;
      cj["num_channels"] = c.num_channels;
      cj["full_srvc_audio"] = c.full_srvc_audio;
      comps.push_back(std::move(cj));
    }
    j["components"] = std::move(comps);
  } else if (const auto* p = std::get_if<PrivateDescriptor>(&d)) {
    j["identifier"] = IdentifierText(p->identifier);
    j["private_data"] = HexBytes(p->private_bytes);
  }
  return j;
}

// ---------------------------------------------------------------------------------------------
// FromJson: a small typed reader that names the JSON path in every error.
// ---------------------------------------------------------------------------------------------
template <typename J>
class In {
 public:
  In(const J& j, std::string path) : j_(j), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  std::string Path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  Status Error(std::string_view key, std::string_view what) const {
    return Status::InvalidArgument(Path(key) + ": " + std::string(what));
  }
  bool Has(std::string_view key) const {
    auto it = j_.find(key);
    return it != j_.end() && !it->is_null();
  }
  const J* Get(std::string_view key) const {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  In Child(std::string_view key) const { return In(*Get(key), Path(key)); }

  Status Bool(std::string_view key, bool* out) const {
    const J* v = Get(key);
    if (v == nullptr) return Status::Ok();
    if (v->is_boolean()) {
      *out = v->template get<bool>();
    } else if (v->is_number_integer() && (v->template get<int64_t>() == 0 || v->template get<int64_t>() == 1)) {
      *out = v->template get<int64_t>() == 1;
    } else {
      return Error(key, "expected true or false");
    }
    return Status::Ok();
  }

  // Integer, or a "0x..." hex string. Absent: leaves *out unchanged.
  template <typename T>
  Status Uint(std::string_view key, uint64_t max, T* out) const {
    const J* v = Get(key);
    if (v == nullptr) return Status::Ok();
    uint64_t value = 0;
    if (v->is_number_unsigned()) {
      value = v->template get<uint64_t>();
    } else if (v->is_number_integer()) {
      const int64_t signed_value = v->template get<int64_t>();
      if (signed_value < 0) return Error(key, "must not be negative");
      value = static_cast<uint64_t>(signed_value);
    } else if (v->is_string()) {
      const std::string s = v->template get<std::string>();
      if (s.size() < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || s.size() > 18) {
        return Error(key, "expected an integer or a \"0x...\" hex string, got \"" + s + "\"");
      }
      for (size_t i = 2; i < s.size(); ++i) {
        const char c = s[i];
        int d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return Error(key, "invalid hex digit in \"" + s + "\"");
        value = (value << 4) | static_cast<uint64_t>(d);
      }
    } else {
      return Error(key, "expected an integer");
    }
    if (value > max) {
      return Error(key, std::to_string(value) + " is larger than the maximum " + std::to_string(max));
    }
    *out = static_cast<T>(value);
    return Status::Ok();
  }

  // "0x..." (or bare) hex string → bytes.
  Status Hex(std::string_view key, Bytes* out) const {
    const J* v = Get(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_string()) return Error(key, "expected a hex string");
    std::string s = v->template get<std::string>();
    if (s == "0x" || s == "0X" || s.empty()) {
      out->clear();
      return Status::Ok();
    }
    Result<Bytes> r = HexDecode(s);
    if (!r.ok()) return Error(key, "not valid hex: " + r.status().message());
    *out = std::move(r).value();
    return Status::Ok();
  }

  // Exact ticks from `ticks_key`, else seconds from `seconds_key`.
  Status Ticks(std::string_view ticks_key, std::string_view seconds_key, uint64_t max,
               int64_t* out) const {
    if (Has(ticks_key)) return Uint(ticks_key, max, out);
    const J* v = Get(seconds_key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_number()) return Error(seconds_key, "expected a number of seconds");
    const double sec = v->template get<double>();
    if (!(sec >= 0) || sec * kTicksPerSecond > static_cast<double>(max)) {
      return Error(seconds_key, "out of range");
    }
    *out = SecondsToTicks(sec);
    return Status::Ok();
  }

  // 4-character text or "0x........".
  Status Identifier(std::string_view key, uint32_t* out) const {
    const J* v = Get(key);
    if (v == nullptr) return Status::Ok();
    if (v->is_string()) {
      const std::string s = v->template get<std::string>();
      if (s.size() == 4 && !(s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))) {
        *out = (uint32_t{static_cast<uint8_t>(s[0])} << 24) |
               (uint32_t{static_cast<uint8_t>(s[1])} << 16) |
               (uint32_t{static_cast<uint8_t>(s[2])} << 8) | static_cast<uint8_t>(s[3]);
        return Status::Ok();
      }
    }
    return Uint(key, 0xFFFFFFFFu, out);
  }

  // Reserved bits stored per the header convention (high bits set).
  Status Reserved(std::string_view key, int width, uint8_t* out) const {
    uint64_t v = (1u << width) - 1;
    SSAI_RETURN_IF_ERROR(Uint(key, (1u << width) - 1, &v));
    *out = static_cast<uint8_t>(v | (0xFFu << width));
    return Status::Ok();
  }

  Status Array(std::string_view key, const J** out) const {
    *out = Get(key);
    if (*out != nullptr && !(*out)->is_array()) return Error(key, "expected an array");
    return Status::Ok();
  }

  const J& json() const { return j_; }

 private:
  const J& j_;
  std::string path_;
};

template <typename J>
Status ReadSpliceTime(const In<J>& in, SpliceTime* t) {
  SSAI_RETURN_IF_ERROR(in.Bool("time_specified_flag", &t->time_specified_flag));
  if (!in.Has("time_specified_flag") && (in.Has("pts_time") || in.Has("pts_time_ticks"))) {
    t->time_specified_flag = true;
  }
  if (t->time_specified_flag) {
    SSAI_RETURN_IF_ERROR(in.Ticks("pts_time_ticks", "pts_time", kPtsWrap - 1, &t->pts_time_ticks));
    SSAI_RETURN_IF_ERROR(in.Reserved("reserved_splice_time", 6, &t->reserved));
  } else {
    SSAI_RETURN_IF_ERROR(in.Reserved("reserved_splice_time", 7, &t->reserved));
  }
  return Status::Ok();
}

template <typename J>
Status ReadBreakDuration(const In<J>& in, std::optional<BreakDuration>* out) {
  bool flag = in.Has("break_duration") || in.Has("break_duration_ticks");
  SSAI_RETURN_IF_ERROR(in.Bool("duration_flag", &flag));
  if (!flag) {
    out->reset();
    return Status::Ok();
  }
  BreakDuration d;
  SSAI_RETURN_IF_ERROR(in.Bool("break_auto_return", &d.auto_return));
  SSAI_RETURN_IF_ERROR(in.Ticks("break_duration_ticks", "break_duration", kPtsWrap - 1, &d.duration_ticks));
  SSAI_RETURN_IF_ERROR(in.Reserved("reserved_break_duration", 6, &d.reserved));
  *out = d;
  return Status::Ok();
}

template <typename J>
Status ReadCommand(const In<J>& in, SpliceCommand* out) {
  uint8_t type = 0;
  if (!in.Has("command_type")) return in.Error("command_type", "missing");
  SSAI_RETURN_IF_ERROR(in.Uint("command_type", 255, &type));
  switch (type) {
    case 0x00:
      *out = SpliceNull{};
      return Status::Ok();
    case 0x07:
      *out = BandwidthReservation{};
      return Status::Ok();
    case 0x06: {
      TimeSignal t;
      SSAI_RETURN_IF_ERROR(ReadSpliceTime(in, &t.splice_time));
      *out = t;
      return Status::Ok();
    }
    case 0x05: {
      SpliceInsert s;
      SSAI_RETURN_IF_ERROR(in.Uint("splice_event_id", 0xFFFFFFFFu, &s.splice_event_id));
      SSAI_RETURN_IF_ERROR(in.Bool("splice_event_cancel_indicator", &s.splice_event_cancel_indicator));
      SSAI_RETURN_IF_ERROR(in.Reserved("reserved_1", 7, &s.reserved1));
      if (!s.splice_event_cancel_indicator) {
        SSAI_RETURN_IF_ERROR(in.Bool("out_of_network_indicator", &s.out_of_network_indicator));
        SSAI_RETURN_IF_ERROR(in.Bool("program_splice_flag", &s.program_splice_flag));
        SSAI_RETURN_IF_ERROR(in.Bool("splice_immediate_flag", &s.splice_immediate_flag));
        SSAI_RETURN_IF_ERROR(in.Bool("event_id_compliance_flag", &s.event_id_compliance_flag));
        SSAI_RETURN_IF_ERROR(in.Reserved("reserved_2", 3, &s.reserved2));
        if (s.program_splice_flag && !s.splice_immediate_flag) {
          SSAI_RETURN_IF_ERROR(ReadSpliceTime(in, &s.splice_time));
        }
        if (!s.program_splice_flag) {
          const J* comps = nullptr;
          SSAI_RETURN_IF_ERROR(in.Array("components", &comps));
          if (comps != nullptr) {
            for (size_t k = 0; k < comps->size(); ++k) {
              In<J> c((*comps)[k], in.Path("components") + "[" + std::to_string(k) + "]");
              InsertComponent ic;
              SSAI_RETURN_IF_ERROR(c.Uint("component_tag", 255, &ic.component_tag));
              if (!s.splice_immediate_flag) SSAI_RETURN_IF_ERROR(ReadSpliceTime(c, &ic.splice_time));
              s.components.push_back(ic);
            }
          }
        }
        SSAI_RETURN_IF_ERROR(ReadBreakDuration(in, &s.break_duration));
        SSAI_RETURN_IF_ERROR(in.Uint("unique_program_id", 0xFFFF, &s.unique_program_id));
        SSAI_RETURN_IF_ERROR(in.Uint("avail_num", 255, &s.avail_num));
        SSAI_RETURN_IF_ERROR(in.Uint("avails_expected", 255, &s.avails_expected));
      }
      *out = std::move(s);
      return Status::Ok();
    }
    case 0x04: {
      SpliceSchedule sc;
      const J* events = nullptr;
      SSAI_RETURN_IF_ERROR(in.Array("events", &events));
      if (events != nullptr) {
        for (size_t k = 0; k < events->size(); ++k) {
          In<J> e((*events)[k], in.Path("events") + "[" + std::to_string(k) + "]");
          ScheduleEvent ev;
          SSAI_RETURN_IF_ERROR(e.Uint("splice_event_id", 0xFFFFFFFFu, &ev.splice_event_id));
          SSAI_RETURN_IF_ERROR(e.Bool("splice_event_cancel_indicator", &ev.splice_event_cancel_indicator));
          SSAI_RETURN_IF_ERROR(e.Reserved("reserved_1", 7, &ev.reserved1));
          if (!ev.splice_event_cancel_indicator) {
            SSAI_RETURN_IF_ERROR(e.Bool("out_of_network_indicator", &ev.out_of_network_indicator));
            SSAI_RETURN_IF_ERROR(e.Bool("program_splice_flag", &ev.program_splice_flag));
            SSAI_RETURN_IF_ERROR(e.Reserved("reserved_2", 5, &ev.reserved2));
            if (ev.program_splice_flag) {
              SSAI_RETURN_IF_ERROR(e.Uint("utc_splice_time", 0xFFFFFFFFu, &ev.utc_splice_time));
            } else {
              const J* comps = nullptr;
              SSAI_RETURN_IF_ERROR(e.Array("components", &comps));
              if (comps != nullptr) {
                for (size_t m = 0; m < comps->size(); ++m) {
                  In<J> c((*comps)[m], e.Path("components") + "[" + std::to_string(m) + "]");
                  ScheduleComponent sc_comp;
                  SSAI_RETURN_IF_ERROR(c.Uint("component_tag", 255, &sc_comp.component_tag));
                  SSAI_RETURN_IF_ERROR(c.Uint("utc_splice_time", 0xFFFFFFFFu, &sc_comp.utc_splice_time));
                  ev.components.push_back(sc_comp);
                }
              }
            }
            SSAI_RETURN_IF_ERROR(ReadBreakDuration(e, &ev.break_duration));
            SSAI_RETURN_IF_ERROR(e.Uint("unique_program_id", 0xFFFF, &ev.unique_program_id));
            SSAI_RETURN_IF_ERROR(e.Uint("avail_num", 255, &ev.avail_num));
            SSAI_RETURN_IF_ERROR(e.Uint("avails_expected", 255, &ev.avails_expected));
          }
          sc.events.push_back(std::move(ev));
        }
      }
      *out = std::move(sc);
      return Status::Ok();
    }
    case 0xFF: {
      PrivateCommand p;
      SSAI_RETURN_IF_ERROR(in.Uint("identifier", 0xFFFFFFFFu, &p.identifier));
      SSAI_RETURN_IF_ERROR(in.Hex("private_bytes", &p.private_bytes));
      *out = std::move(p);
      return Status::Ok();
    }
    default:
      return in.Error("command_type", "unknown splice_command_type " + std::to_string(type));
  }
}

template <typename J>
Status ReadUpid(const In<J>& in, std::string_view type_key, std::string_view value_key,
                std::string_view hex_key, int depth, SegmentationUpid* upid) {
  if (depth > kMaxMidDepth) return in.Error(value_key, "MID nested too deep");
  SSAI_RETURN_IF_ERROR(in.Uint(type_key, 255, &upid->type));
  if (in.Has(hex_key)) return in.Hex(hex_key, &upid->value);
  const J* v = in.Get(value_key);
  if (upid->type == static_cast<uint8_t>(UpidType::kMid) && v != nullptr && v->is_array()) {
    for (size_t k = 0; k < v->size(); ++k) {
      In<J> e((*v)[k], in.Path(value_key) + "[" + std::to_string(k) + "]");
      SegmentationUpid entry;
      SSAI_RETURN_IF_ERROR(
          ReadUpid(e, "upid_type", "segmentation_upid", "segmentation_upid_hex", depth + 1, &entry));
      upid->mid.push_back(std::move(entry));
    }
    return Status::Ok();
  }
  if (v == nullptr || upid->type == 0x00) return Status::Ok();
  // No raw hex: accept the text form for character UPIDs.
  if (v->is_string()) {
    const std::string s = v->template get<std::string>();
    switch (upid->type) {
      case 0x04: case 0x05: case 0x06: case 0x08: case 0x0A: case 0x0B: case 0x0C: case 0x10:
        return in.Error(hex_key, "required for UPID type " + std::to_string(upid->type));
      default:
        upid->value.assign(s.begin(), s.end());
        return Status::Ok();
    }
  }
  return in.Error(hex_key, "required for UPID type " + std::to_string(upid->type));
}

template <typename J>
Status ReadSegmentation(const In<J>& in, SegmentationDescriptor* d) {
  if (!in.Has("segmentation_event_id")) return in.Error("segmentation_event_id", "missing");
  SSAI_RETURN_IF_ERROR(in.Uint("segmentation_event_id", 0xFFFFFFFFu, &d->segmentation_event_id));
  SSAI_RETURN_IF_ERROR(in.Bool("segmentation_event_cancel_indicator", &d->segmentation_event_cancel_indicator));
  SSAI_RETURN_IF_ERROR(in.Bool("segmentation_event_id_compliance_indicator",
                               &d->segmentation_event_id_compliance_indicator));
  SSAI_RETURN_IF_ERROR(in.Reserved("reserved_1", 6, &d->reserved1));
  if (d->segmentation_event_cancel_indicator) return Status::Ok();
  SSAI_RETURN_IF_ERROR(in.Bool("program_segmentation_flag", &d->program_segmentation_flag));
  SSAI_RETURN_IF_ERROR(in.Bool("delivery_not_restricted_flag", &d->delivery_not_restricted_flag));
  if (!d->delivery_not_restricted_flag) {
    SSAI_RETURN_IF_ERROR(in.Bool("web_delivery_allowed_flag", &d->web_delivery_allowed_flag));
    SSAI_RETURN_IF_ERROR(in.Bool("no_regional_blackout_flag", &d->no_regional_blackout_flag));
    SSAI_RETURN_IF_ERROR(in.Bool("archive_allowed_flag", &d->archive_allowed_flag));
    if (const J* v = in.Get("device_restrictions"); v != nullptr && v->is_string()) {
      const std::string s = v->template get<std::string>();
      bool found = false;
      for (uint8_t k = 0; k < 4; ++k) {
        if (s == DeviceRestrictionsName(k)) {
          d->device_restrictions = k;
          found = true;
        }
      }
      if (!found) return in.Error("device_restrictions", "unknown value \"" + s + "\"");
    } else {
      SSAI_RETURN_IF_ERROR(in.Uint("device_restrictions", 3, &d->device_restrictions));
    }
  } else {
    uint8_t bits = 0x1F;
    SSAI_RETURN_IF_ERROR(in.Uint("delivery_reserved", 0x1F, &bits));
    d->web_delivery_allowed_flag = (bits >> 4) & 1;
    d->no_regional_blackout_flag = (bits >> 3) & 1;
    d->archive_allowed_flag = (bits >> 2) & 1;
    d->device_restrictions = bits & 3;
  }
  if (!d->program_segmentation_flag) {
    const J* comps = nullptr;
    SSAI_RETURN_IF_ERROR(in.Array("components", &comps));
    if (comps != nullptr) {
      for (size_t k = 0; k < comps->size(); ++k) {
        In<J> c((*comps)[k], in.Path("components") + "[" + std::to_string(k) + "]");
        SegmentationComponent sc;
        SSAI_RETURN_IF_ERROR(c.Uint("component_tag", 255, &sc.component_tag));
        SSAI_RETURN_IF_ERROR(c.Ticks("pts_offset_ticks", "pts_offset", kPtsWrap - 1, &sc.pts_offset_ticks));
        SSAI_RETURN_IF_ERROR(c.Reserved("reserved", 7, &sc.reserved));
        d->components.push_back(sc);
      }
    }
  }
  bool duration_flag = in.Has("segmentation_duration") || in.Has("segmentation_duration_ticks");
  SSAI_RETURN_IF_ERROR(in.Bool("segmentation_duration_flag", &duration_flag));
  if (duration_flag) {
    int64_t ticks = 0;
    SSAI_RETURN_IF_ERROR(in.Ticks("segmentation_duration_ticks", "segmentation_duration",
                                  (uint64_t{1} << 40) - 1, &ticks));
    d->segmentation_duration_ticks = static_cast<uint64_t>(ticks);
  }
  SSAI_RETURN_IF_ERROR(ReadUpid(in, "segmentation_upid_type", "segmentation_upid",
                                "segmentation_upid_hex", 0, &d->upid));
  SSAI_RETURN_IF_ERROR(in.Uint("segmentation_type_id", 255, &d->segmentation_type_id));
  SSAI_RETURN_IF_ERROR(in.Uint("segment_num", 255, &d->segment_num));
  SSAI_RETURN_IF_ERROR(in.Uint("segments_expected", 255, &d->segments_expected));
  if (in.Has("sub_segment_num") || in.Has("sub_segments_expected")) {
    uint8_t num = 0, expected = 0;
    SSAI_RETURN_IF_ERROR(in.Uint("sub_segment_num", 255, &num));
    SSAI_RETURN_IF_ERROR(in.Uint("sub_segments_expected", 255, &expected));
    d->sub_segment_num = num;
    d->sub_segments_expected = expected;
  }
  return Status::Ok();
}

template <typename J>
Status ReadDescriptor(const In<J>& in, SpliceDescriptor* out) {
  if (!in.json().is_object()) return Status::InvalidArgument(in.path() + ": expected an object");
  if (!in.Has("tag")) return in.Error("tag", "missing");
  uint8_t tag = 0;
  SSAI_RETURN_IF_ERROR(in.Uint("tag", 255, &tag));
  uint32_t identifier = kCueiIdentifier;
  SSAI_RETURN_IF_ERROR(in.Identifier("identifier", &identifier));
  const bool is_private = identifier != kCueiIdentifier || tag > 4 || in.Has("private_data");
  if (is_private) {
    PrivateDescriptor p;
    p.tag = tag;
    p.identifier = identifier;
    SSAI_RETURN_IF_ERROR(in.Hex("private_data", &p.private_bytes));
    *out = std::move(p);
    return Status::Ok();
  }
  switch (tag) {
    case 0: {
      AvailDescriptor a;
      SSAI_RETURN_IF_ERROR(in.Uint("provider_avail_id", 0xFFFFFFFFu, &a.provider_avail_id));
      *out = a;
      break;
    }
    case 1: {
      DtmfDescriptor d;
      SSAI_RETURN_IF_ERROR(in.Uint("preroll", 255, &d.preroll));
      SSAI_RETURN_IF_ERROR(in.Reserved("reserved", 5, &d.reserved));
      if (in.Has("dtmf_chars_hex")) {
        Bytes b;
        SSAI_RETURN_IF_ERROR(in.Hex("dtmf_chars_hex", &b));
        d.dtmf_chars.assign(b.begin(), b.end());
      } else if (const J* chars = in.Get("dtmf_chars")) {
        if (chars->is_string()) {
          d.dtmf_chars = chars->template get<std::string>();
        } else if (chars->is_array()) {
          for (const auto& c : *chars) {
            if (!c.is_string()) return in.Error("dtmf_chars", "expected strings");
            d.dtmf_chars += c.template get<std::string>();
          }
        } else {
          return in.Error("dtmf_chars", "expected an array of characters");
        }
      }
      if (d.dtmf_chars.size() > 7) return in.Error("dtmf_chars", "more than 7 characters");
      *out = std::move(d);
      break;
    }
    case 2: {
      SegmentationDescriptor d;
      SSAI_RETURN_IF_ERROR(ReadSegmentation(in, &d));
      *out = std::move(d);
      break;
    }
    case 3: {
      TimeDescriptor t;
      SSAI_RETURN_IF_ERROR(in.Uint("tai_seconds", (uint64_t{1} << 48) - 1, &t.tai_seconds));
      SSAI_RETURN_IF_ERROR(in.Uint("tai_ns", 0xFFFFFFFFu, &t.tai_ns));
      SSAI_RETURN_IF_ERROR(in.Uint("utc_offset", 0xFFFF, &t.utc_offset));
      *out = t;
      break;
    }
    case 4: {
      AudioDescriptor a;
      SSAI_RETURN_IF_ERROR(in.Reserved("reserved", 4, &a.reserved));
      const J* comps = nullptr;
      SSAI_RETURN_IF_ERROR(in.Array("components", &comps));
      if (comps != nullptr) {
        for (size_t k = 0; k < comps->size(); ++k) {
          In<J> c((*comps)[k], in.Path("components") + "[" + std::to_string(k) + "]");
          AudioComponent ac;
          SSAI_RETURN_IF_ERROR(c.Uint("component_tag", 255, &ac.component_tag));
          if (const J* iso = c.Get("iso_code"); iso != nullptr && iso->is_string() &&
                                                 iso->template get<std::string>().size() == 3) {
            const std::string s = iso->template get<std::string>();
            ac.iso_code = (uint32_t{static_cast<uint8_t>(s[0])} << 16) |
                          (uint32_t{static_cast<uint8_t>(s[1])} << 8) | static_cast<uint8_t>(s[2]);
          } else {
            SSAI_RETURN_IF_ERROR(c.Uint("iso_code", 0xFFFFFF, &ac.iso_code));
          }
          SSAI_RETURN_IF_ERROR(c.Uint("bit_stream_mode", 7, &ac.bit_stream_mode));
          SSAI_RETURN_IF_ERROR(c.Uint("num_channels", 15, &ac.num_channels));
          SSAI_RETURN_IF_ERROR(c.Bool("full_srvc_audio", &ac.full_srvc_audio));
          a.components.push_back(ac);
        }
      }
      *out = std::move(a);
      break;
    }
  }
  return Status::Ok();
}

template <typename J>
Result<SpliceInfoSection> FromJsonImpl(const J& root) {
  if (!root.is_object()) return Status::InvalidArgument("$: expected a JSON object");
  In<J> top(root, "");
  if (!top.Has("info_section")) return top.Error("info_section", "missing");
  if (!root["info_section"].is_object()) return top.Error("info_section", "expected an object");
  In<J> info = top.Child("info_section");
  SpliceInfoSection s;
  SSAI_RETURN_IF_ERROR(info.Uint("table_id", 255, &s.table_id));
  SSAI_RETURN_IF_ERROR(info.Bool("section_syntax_indicator", &s.section_syntax_indicator));
  SSAI_RETURN_IF_ERROR(info.Bool("private", &s.private_indicator));
  SSAI_RETURN_IF_ERROR(info.Uint("sap_type", 3, &s.sap_type));
  SSAI_RETURN_IF_ERROR(info.Uint("section_length", 0xFFF, &s.section_length));
  SSAI_RETURN_IF_ERROR(info.Uint("protocol_version", 255, &s.protocol_version));
  SSAI_RETURN_IF_ERROR(info.Bool("encrypted_packet", &s.encrypted_packet));
  SSAI_RETURN_IF_ERROR(info.Uint("encryption_algorithm", 63, &s.encryption_algorithm));
  SSAI_RETURN_IF_ERROR(
      info.Ticks("pts_adjustment_ticks", "pts_adjustment", kPtsWrap - 1, &s.pts_adjustment_ticks));
  SSAI_RETURN_IF_ERROR(info.Uint("cw_index", 255, &s.cw_index));
  SSAI_RETURN_IF_ERROR(info.Uint("tier", 0xFFF, &s.tier));
  SSAI_RETURN_IF_ERROR(info.Uint("splice_command_length", 0xFFF, &s.splice_command_length));
  SSAI_RETURN_IF_ERROR(info.Uint("splice_command_type", 255, &s.splice_command_type));
  SSAI_RETURN_IF_ERROR(info.Uint("descriptor_loop_length", 0xFFFF, &s.descriptor_loop_length));
  SSAI_RETURN_IF_ERROR(info.Uint("crc", 0xFFFFFFFFu, &s.crc_32));
  SSAI_RETURN_IF_ERROR(info.Hex("alignment_stuffing", &s.alignment_stuffing));
  SSAI_RETURN_IF_ERROR(info.Uint("stuffing_bytes", 0xFFFFFFFFu, &s.stuffing_bytes));
  if (s.encrypted_packet) {
    SSAI_RETURN_IF_ERROR(info.Hex("encrypted_payload", &s.encrypted_payload));
    uint32_t e = 0;
    SSAI_RETURN_IF_ERROR(info.Uint("e_crc_32", 0xFFFFFFFFu, &e));
    s.e_crc_32 = e;
    return s;
  }
  if (!top.Has("command")) return top.Error("command", "missing");
  if (!root["command"].is_object()) return top.Error("command", "expected an object");
  SSAI_RETURN_IF_ERROR(ReadCommand(top.Child("command"), &s.command));
  s.splice_command_type = CommandType(s.command);
  const J* descriptors = nullptr;
  SSAI_RETURN_IF_ERROR(top.Array("descriptors", &descriptors));
  if (descriptors != nullptr) {
    for (size_t k = 0; k < descriptors->size(); ++k) {
      In<J> d((*descriptors)[k], "descriptors[" + std::to_string(k) + "]");
      SpliceDescriptor desc;
      SSAI_RETURN_IF_ERROR(ReadDescriptor(d, &desc));
      s.descriptors.push_back(std::move(desc));
    }
  }
  return s;
}

}  // namespace

double RoundSeconds6(double seconds) { return std::round(seconds * 1e6) / 1e6; }

nlohmann::ordered_json ToJson(const SpliceInfoSection& s) {
  OJson root;
  OJson info;
  info["table_id"] = HexPad(s.table_id, 2);
  info["section_syntax_indicator"] = s.section_syntax_indicator;
  info["private"] = s.private_indicator;
  info["sap_type"] = HexPad(s.sap_type, 2);
  info["sap_details"] = SapDetails(s.sap_type);
  info["section_length"] = s.section_length;
  info["protocol_version"] = s.protocol_version;
  info["encrypted_packet"] = s.encrypted_packet;
  info["encryption_algorithm"] = s.encryption_algorithm;
  info["pts_adjustment"] = Seconds(s.pts_adjustment_ticks);
  info["pts_adjustment_ticks"] = s.pts_adjustment_ticks;
  info["cw_index"] = HexPad(s.cw_index, 2);
  info["tier"] = HexPad(s.tier, 4);
  info["splice_command_length"] = s.splice_command_length;
  if (!s.encrypted_packet) {
    info["splice_command_type"] = s.splice_command_type;
    info["descriptor_loop_length"] = s.descriptor_loop_length;
  }
  if (!s.alignment_stuffing.empty()) info["alignment_stuffing"] = HexBytes(s.alignment_stuffing);
  if (s.encrypted_packet) {
    info["encrypted_payload"] = HexBytes(s.encrypted_payload);
    info["e_crc_32"] = HexPad(s.e_crc_32.value_or(0), 8);
  }
  info["crc"] = HexPad(s.crc_32, 8);
  // 0xFF bytes after the section (ISO/IEC 13818-1 §2.4.4); threefive has no key for them.
  if (s.stuffing_bytes != 0) info["stuffing_bytes"] = s.stuffing_bytes;
  root["info_section"] = std::move(info);
  if (s.encrypted_packet) {
    root["command"] = OJson::object();
    root["descriptors"] = OJson::array();
    return root;
  }
  root["command"] = CommandJson(s);
  OJson descriptors = OJson::array();
  for (const auto& d : s.descriptors) descriptors.push_back(DescriptorJson(d));
  root["descriptors"] = std::move(descriptors);
  return root;
}

Result<SpliceInfoSection> FromJson(const nlohmann::json& json) { return FromJsonImpl(json); }
Result<SpliceInfoSection> FromJson(const nlohmann::ordered_json& json) { return FromJsonImpl(json); }

Result<SpliceInfoSection> FromJsonText(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) {
    // Re-parse with exceptions only to get the position for the message.
    try {
      nlohmann::json unused = nlohmann::json::parse(text.begin(), text.end());
      (void)unused;
    } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for huge numbers
      return Status::InvalidArgument(std::string("JSON parse error: ") + e.what());
    }
    return Status::InvalidArgument("JSON parse error");
  }
  return FromJson(j);
}

}  // namespace ssai::scte35
