// Byte encodings found in playlists and cue APIs: base64 (EXT-OATCLS-SCTE35, CUE-OUT-CONT SCTE35=)
// and hex (EXT-X-DATERANGE SCTE35-OUT=0xFC..., RFC 8216 §4.3.2.7.1).
#ifndef SSAI_REFERENCE_BASE_ENCODING_H_
#define SSAI_REFERENCE_BASE_ENCODING_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/status.h"

namespace ssai {

using Bytes = std::vector<uint8_t>;

// Standard (RFC 4648 §4) or URL-safe (§5) alphabet; missing '=' padding is accepted. Whitespace
// is not. An invalid character is an error naming its offset (unlike decoders that skip it).
Result<Bytes> Base64Decode(std::string_view text);
std::string Base64Encode(const Bytes& bytes);

// Hex digits, either case, optional "0x"/"0X" prefix. An odd digit count is an error.
Result<Bytes> HexDecode(std::string_view text);
// Lower-case digits, no prefix.
std::string HexEncode(const Bytes& bytes);

}  // namespace ssai

#endif  // SSAI_REFERENCE_BASE_ENCODING_H_
