#include "reference/media/origin/fmp4_pool.h"

#include <limits>
#include <utility>

namespace ssai::origin {
namespace {

uint64_t Get(std::string_view b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<size_t>(i)]);
  return v;
}

void Put(std::string* b, size_t at, int bytes, uint64_t v) {
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) (*b)[at + static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
}

// A box type as text: its four bytes, anything outside printable ASCII as '?'.
std::string TypeText(std::string_view type) {
  std::string out(type);
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

// One box inside [parent_begin, parent_end) of the buffer (§4.2: size, type, optional 64-bit
// largesize, optional uuid extended type).
struct Box {
  std::string type;  // printable
  size_t start = 0;  // first byte of the header
  size_t body = 0;   // first byte after the header
  size_t end = 0;    // one past the last byte
  std::string path;  // "moof/traf/tfdt"
};

class BoxError {
 public:
  explicit BoxError(std::string what) : what_(std::move(what)) {}
  Status operator()(const std::string& path, size_t at, const std::string& problem) const {
    return Status::InvalidArgument("fmp4 " + what_ + ": " + (path.empty() ? std::string("top level") : path) +
                                   " at byte " + std::to_string(at) + ": " + problem);
  }

 private:
  std::string what_;
};

// The boxes directly inside [begin, end), in order.
Result<std::vector<Box>> Children(std::string_view b, size_t begin, size_t end, const std::string& parent_path,
                                  const BoxError& err) {
  std::vector<Box> out;
  size_t at = begin;
  while (at < end) {
    const std::string where = parent_path.empty() ? "" : parent_path + "/";
    if (end - at < 8) {
      return err(parent_path, at, std::to_string(end - at) + " bytes left, too few for a box header (8)");
    }
    Box box;
    box.start = at;
    box.type = TypeText(b.substr(at + 4, 4));
    box.path = where + box.type;
    uint64_t size = Get(b, at, 4);
    size_t header = 8;
    if (size == 1) {  // 64-bit largesize follows the type
      if (end - at < 16) return err(box.path, at, "largesize cut off by the end of its parent");
      size = Get(b, at + 8, 8);
      header = 16;
    } else if (size == 0) {  // to the end of the enclosing container (§4.2)
      size = end - at;
    }
    if (b.substr(at + 4, 4) == "uuid") header += 16;
    if (size < header) {
      return err(box.path, at, "box size " + std::to_string(size) + " is smaller than its header (" +
                                   std::to_string(header) + ")");
    }
    if (size > end - at) {
      return err(box.path, at, "box size " + std::to_string(size) + " runs past its parent's end (" +
                                   std::to_string(end - at) + " bytes left)");
    }
    box.body = at + header;
    box.end = at + static_cast<size_t>(size);
    at = box.end;
    out.push_back(std::move(box));
  }
  return out;
}

// A full box's body must hold its version/flags plus `need` bytes.
Status NeedBody(const Box& box, size_t need, const BoxError& err) {
  if (box.end - box.body < 4 + need) {
    return err(box.path, box.start, "body of " + std::to_string(box.end - box.body) + " bytes is too short (needs " +
                                        std::to_string(4 + need) + ")");
  }
  return Status::Ok();
}

const Box* Find(const std::vector<Box>& boxes, std::string_view type) {
  for (const Box& b : boxes) {
    if (b.type == type) return &b;
  }
  return nullptr;
}

// shift_ms milliseconds in `timescale` units, exactly.
Result<uint64_t> ScaledShift(int64_t shift_ms, uint32_t timescale, const std::string& path, size_t at,
                             const BoxError& err) {
  const uint64_t q = static_cast<uint64_t>(shift_ms) / 1000, r = static_cast<uint64_t>(shift_ms) % 1000;
  if (q > std::numeric_limits<uint64_t>::max() / 2 / timescale) return err(path, at, "time shift overflows 64 bits");
  if ((r * timescale) % 1000 != 0) {
    return err(path, at, std::to_string(shift_ms) + " ms is not a whole number of ticks of timescale " +
                             std::to_string(timescale));
  }
  return q * timescale + r * timescale / 1000;
}

// Adds `shift` to the version-0 (32-bit) or version-1 (64-bit) time at `at`.
Status ShiftTime(std::string* out, size_t at, bool wide, uint64_t shift, const Box& box, const BoxError& err) {
  const int bytes = wide ? 8 : 4;
  const uint64_t max = wide ? std::numeric_limits<uint64_t>::max() : uint64_t{0xffffffff};
  const uint64_t v = Get(*out, at, bytes);
  if (v > max - shift) {
    return err(box.path, box.start, "time " + std::to_string(v) + " + " + std::to_string(shift) + " does not fit " +
                                        (wide ? "64" : "32 (version 0)") + " bits");
  }
  Put(out, at, bytes, v + shift);
  return Status::Ok();
}

}  // namespace

Result<Fmp4Timescales> ParseFmp4Init(std::string_view init) {
  const BoxError err("init segment");
  SSAI_ASSIGN_OR_RETURN(std::vector<Box> top, Children(init, 0, init.size(), "", err));
  if (Find(top, "ftyp") == nullptr) return err("", 0, "no ftyp box (an init segment is ftyp + moov)");
  const Box* moov = Find(top, "moov");
  if (moov == nullptr) return err("", 0, "no moov box (an init segment is ftyp + moov)");
  SSAI_ASSIGN_OR_RETURN(std::vector<Box> in_moov, Children(init, moov->body, moov->end, moov->path, err));
  if (Find(in_moov, "mvex") == nullptr) {
    return err(moov->path, moov->start, "no mvex box: not a fragmented MP4 (ISO/IEC 14496-12 §8.8.1)");
  }
  Fmp4Timescales out;
  for (const Box& trak : in_moov) {
    if (trak.type != "trak") continue;
    SSAI_ASSIGN_OR_RETURN(std::vector<Box> in_trak, Children(init, trak.body, trak.end, trak.path, err));
    const Box* tkhd = Find(in_trak, "tkhd");
    const Box* mdia = Find(in_trak, "mdia");
    if (tkhd == nullptr || mdia == nullptr) return err(trak.path, trak.start, "trak without tkhd or mdia");
    SSAI_RETURN_IF_ERROR(NeedBody(*tkhd, 0, err));  // the version byte, before reading it
    const bool tkhd_v1 = init[tkhd->body] == 1;
    SSAI_RETURN_IF_ERROR(NeedBody(*tkhd, tkhd_v1 ? 20 : 12, err));
    const auto track_id = static_cast<uint32_t>(Get(init, tkhd->body + 4 + (tkhd_v1 ? 16 : 8), 4));
    SSAI_ASSIGN_OR_RETURN(std::vector<Box> in_mdia, Children(init, mdia->body, mdia->end, mdia->path, err));
    const Box* mdhd = Find(in_mdia, "mdhd");
    if (mdhd == nullptr) return err(mdia->path, mdia->start, "mdia without mdhd");
    SSAI_RETURN_IF_ERROR(NeedBody(*mdhd, 0, err));
    const bool mdhd_v1 = init[mdhd->body] == 1;
    SSAI_RETURN_IF_ERROR(NeedBody(*mdhd, mdhd_v1 ? 20 : 12, err));
    const auto timescale = static_cast<uint32_t>(Get(init, mdhd->body + 4 + (mdhd_v1 ? 16 : 8), 4));
    if (timescale == 0) return err(mdhd->path, mdhd->start, "timescale 0");
    if (!out.emplace(track_id, timescale).second) {
      return err(tkhd->path, tkhd->start, "track_ID " + std::to_string(track_id) + " appears twice");
    }
  }
  if (out.empty()) return err(moov->path, moov->start, "no trak box");
  return out;
}

Result<std::string> RetimeFmp4Fragment(std::string_view fragment, const Fmp4Timescales& timescales, int64_t shift_ms,
                                       uint32_t sequence_shift) {
  const BoxError err("fragment");
  if (shift_ms < 0) return err("", 0, "negative time shift " + std::to_string(shift_ms) + " ms");
  std::string out(fragment);
  SSAI_ASSIGN_OR_RETURN(std::vector<Box> top, Children(fragment, 0, fragment.size(), "", err));
  int moofs = 0;
  for (const Box& box : top) {
    if (box.type == "sidx") {  // §8.16.3: reference_ID, timescale, earliest_presentation_time
      SSAI_RETURN_IF_ERROR(NeedBody(box, 0, err));  // the version byte, before reading it
      const bool wide = fragment[box.body] != 0;
      SSAI_RETURN_IF_ERROR(NeedBody(box, 8 + (wide ? 8 : 4), err));
      const auto timescale = static_cast<uint32_t>(Get(fragment, box.body + 8, 4));
      if (timescale == 0) return err(box.path, box.start, "timescale 0");
      SSAI_ASSIGN_OR_RETURN(uint64_t shift, ScaledShift(shift_ms, timescale, box.path, box.start, err));
      SSAI_RETURN_IF_ERROR(ShiftTime(&out, box.body + 12, wide, shift, box, err));
    } else if (box.type == "moof") {
      ++moofs;
      SSAI_ASSIGN_OR_RETURN(std::vector<Box> in_moof, Children(fragment, box.body, box.end, box.path, err));
      const Box* mfhd = Find(in_moof, "mfhd");
      if (mfhd == nullptr) return err(box.path, box.start, "moof without mfhd");
      SSAI_RETURN_IF_ERROR(NeedBody(*mfhd, 4, err));
      Put(&out, mfhd->body + 4, 4, (Get(fragment, mfhd->body + 4, 4) + sequence_shift) & 0xffffffff);
      for (const Box& traf : in_moof) {
        if (traf.type != "traf") continue;
        SSAI_ASSIGN_OR_RETURN(std::vector<Box> in_traf, Children(fragment, traf.body, traf.end, traf.path, err));
        const Box* tfhd = Find(in_traf, "tfhd");
        const Box* tfdt = Find(in_traf, "tfdt");
        if (tfhd == nullptr) return err(traf.path, traf.start, "traf without tfhd");
        // CMAF (ISO/IEC 23000-19 §7.3.2.3) requires tfdt; without it the time is implicit.
        if (tfdt == nullptr) return err(traf.path, traf.start, "traf without tfdt");
        SSAI_RETURN_IF_ERROR(NeedBody(*tfhd, 4, err));
        const auto track_id = static_cast<uint32_t>(Get(fragment, tfhd->body + 4, 4));
        const auto ts = timescales.find(track_id);
        if (ts == timescales.end()) {
          return err(tfhd->path, tfhd->start, "track_ID " + std::to_string(track_id) + " is not in the init segment");
        }
        SSAI_RETURN_IF_ERROR(NeedBody(*tfdt, 0, err));
        const bool wide = fragment[tfdt->body] != 0;
        SSAI_RETURN_IF_ERROR(NeedBody(*tfdt, wide ? 8 : 4, err));
        SSAI_ASSIGN_OR_RETURN(uint64_t shift, ScaledShift(shift_ms, ts->second, tfdt->path, tfdt->start, err));
        SSAI_RETURN_IF_ERROR(ShiftTime(&out, tfdt->body + 4, wide, shift, *tfdt, err));
      }
    }
  }
  if (moofs == 0) return err("", 0, "no moof box (a media segment is [styp] [sidx] moof mdat ...)");
  return out;
}

Result<Fmp4Pool> Fmp4Pool::Create(std::string init, std::vector<std::string> fragments, int64_t segment_duration_ms) {
  if (fragments.empty()) return Status::InvalidArgument("fmp4 pool: no fragments");
  if (segment_duration_ms <= 0) return Status::InvalidArgument("fmp4 pool: segment duration must be > 0 ms");
  Fmp4Pool pool;
  SSAI_ASSIGN_OR_RETURN(pool.timescales_, ParseFmp4Init(init));
  const int64_t loop_ms = segment_duration_ms * static_cast<int64_t>(fragments.size());
  for (const auto& [track, timescale] : pool.timescales_) {
    if ((loop_ms % 1000) * timescale % 1000 != 0) {
      return Status::InvalidArgument("fmp4 pool: track " + std::to_string(track) + ": a loop of " +
                                     std::to_string(loop_ms) + " ms is not a whole number of ticks of timescale " +
                                     std::to_string(timescale));
    }
  }
  for (size_t j = 0; j < fragments.size(); ++j) {
    Result<std::string> checked = RetimeFmp4Fragment(fragments[j], pool.timescales_, 0, 0);
    if (!checked.ok()) return checked.status().WithContext("fmp4 pool fragment " + std::to_string(j));
  }
  pool.init_ = std::move(init);
  pool.fragments_ = std::move(fragments);
  pool.segment_duration_ms_ = segment_duration_ms;
  return pool;
}

Result<std::string> Fmp4Pool::Fragment(int64_t index) const {
  if (index < 0) return Status::InvalidArgument("fmp4 pool: fragment " + std::to_string(index) + " < 0");
  const auto k = static_cast<int64_t>(fragments_.size());
  const int64_t loops = index / k;
  const int64_t before = loops * k;  // fragments in the whole loops before this one
  if (before > std::numeric_limits<int64_t>::max() / segment_duration_ms_) {
    return Status::OutOfRange("fmp4 pool: fragment " + std::to_string(index) + " is past the 64-bit timeline");
  }
  return RetimeFmp4Fragment(fragments_[static_cast<size_t>(index % k)], timescales_, before * segment_duration_ms_,
                            static_cast<uint32_t>(before & 0xffffffff));
}

}  // namespace ssai::origin
