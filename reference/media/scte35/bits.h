// Bounds-checked MSB-first bit reader and writer for SCTE 35 syntax (§7.2: fields are written
// most significant bit first, as uimsbf/bslbf).
#ifndef SSAI_REFERENCE_MEDIA_SCTE35_BITS_H_
#define SSAI_REFERENCE_MEDIA_SCTE35_BITS_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "reference/base/encoding.h"

namespace ssai::scte35 {

// Reads up to 64 bits at a time. A read past the end sets a sticky failure flag and returns 0;
// callers check ok() (or Remaining*) once per structure and report the byte offset.
class BitReader {
 public:
  explicit BitReader(std::span<const uint8_t> data) : data_(data) {}

  // Reads `bits` (0..64) bits MSB first.
  uint64_t Read(int bits) {
    if (bits <= 0) return 0;
    if (!ok_ || static_cast<size_t>(bits) > RemainingBits()) {
      ok_ = false;
      bit_pos_ = data_.size() * 8;
      return 0;
    }
    uint64_t value = 0;
    // Fast path: byte aligned whole bytes.
    if ((bit_pos_ & 7) == 0 && (bits & 7) == 0) {
      size_t byte = bit_pos_ >> 3;
      for (int i = 0; i < bits / 8; ++i) value = (value << 8) | data_[byte + i];
      bit_pos_ += bits;
      return value;
    }
    for (int i = 0; i < bits; ++i) {
      const size_t byte = bit_pos_ >> 3;
      const int shift = 7 - static_cast<int>(bit_pos_ & 7);
      value = (value << 1) | ((data_[byte] >> shift) & 1u);
      ++bit_pos_;
    }
    return value;
  }
  bool ReadFlag() { return Read(1) != 0; }
  uint8_t ReadU8() { return static_cast<uint8_t>(Read(8)); }

  // Copies `n` whole bytes; requires byte alignment (all SCTE 35 byte strings are aligned).
  Bytes ReadBytes(size_t n) {
    if (!ok_ || (bit_pos_ & 7) != 0 || n > RemainingBytes()) {
      ok_ = false;
      bit_pos_ = data_.size() * 8;
      return {};
    }
    const size_t byte = bit_pos_ >> 3;
    bit_pos_ += n * 8;
    return Bytes(data_.begin() + static_cast<std::ptrdiff_t>(byte),
                 data_.begin() + static_cast<std::ptrdiff_t>(byte + n));
  }
  void SkipBytes(size_t n) {
    if (!ok_ || n > RemainingBytes()) {
      ok_ = false;
      bit_pos_ = data_.size() * 8;
      return;
    }
    bit_pos_ += n * 8;
  }

  bool ok() const { return ok_; }
  size_t bit_position() const { return bit_pos_; }
  size_t byte_position() const { return bit_pos_ >> 3; }
  size_t RemainingBits() const { return data_.size() * 8 - bit_pos_; }
  size_t RemainingBytes() const { return RemainingBits() >> 3; }
  size_t size() const { return data_.size(); }

 private:
  std::span<const uint8_t> data_;
  size_t bit_pos_ = 0;
  bool ok_ = true;
};

// Appends bits MSB first. Values wider than `bits` are masked (callers range-check first).
class BitWriter {
 public:
  explicit BitWriter(Bytes* out) : out_(out) {}

  void Write(uint64_t value, int bits) {
    if (bits <= 0) return;
    if (bits < 64) value &= (uint64_t{1} << bits) - 1;
    if (pending_bits_ == 0 && (bits & 7) == 0) {
      for (int shift = bits - 8; shift >= 0; shift -= 8) {
        out_->push_back(static_cast<uint8_t>(value >> shift));
      }
      return;
    }
    for (int i = bits - 1; i >= 0; --i) {
      pending_ = static_cast<uint8_t>((pending_ << 1) | ((value >> i) & 1u));
      if (++pending_bits_ == 8) {
        out_->push_back(pending_);
        pending_ = 0;
        pending_bits_ = 0;
      }
    }
  }
  void WriteFlag(bool flag) { Write(flag ? 1 : 0, 1); }
  // Requires byte alignment.
  void WriteBytes(std::span<const uint8_t> bytes) { out_->insert(out_->end(), bytes.begin(), bytes.end()); }
  bool aligned() const { return pending_bits_ == 0; }
  size_t size() const { return out_->size(); }

 private:
  Bytes* out_;
  uint8_t pending_ = 0;
  int pending_bits_ = 0;
};

}  // namespace ssai::scte35

#endif  // SSAI_REFERENCE_MEDIA_SCTE35_BITS_H_
