// JWT HS256 bearer tokens for POST /cue (RFC 7519, RFC 7515; libjwt, Debian libjwt-dev 1.10).
//
// A token is accepted only if: it is three base64url parts; its header's `alg` is exactly
// "HS256" (`none` and every other alg are refused before any signature check: RFC 8725 §3.1,
// alg confusion); the HMAC-SHA256 signature verifies with the configured secret; it carries a
// numeric `exp` in the future (a token without one would never expire); `nbf`, if present, is
// not in the future; and, if an audience is configured, `aud` (a string or an array, RFC 7519
// §4.1.3) contains it. `leeway_s` tolerates clock skew on exp/nbf (RFC 7519 §4.1.4).
#ifndef SSAI_REFERENCE_SERVER_JWT_AUTH_H_
#define SSAI_REFERENCE_SERVER_JWT_AUTH_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "reference/base/status.h"

namespace ssai::server {

struct JwtVerifyOptions {
  std::string secret;    // HS256 key (bytes of the string)
  std::string audience;  // empty = aud not checked
  int64_t leeway_s = 0;
};

// OK, or kInvalidArgument naming why ("jwt: expired 12 s ago", "jwt: alg none not accepted; ...").
Status VerifyJwtHs256(std::string_view token, const JwtVerifyOptions& options, int64_t now_s);

struct JwtMintOptions {
  std::string secret;
  int64_t ttl_s = 300;   // exp = now + ttl_s
  std::string audience;  // empty = no aud claim
  std::string subject = "ssai-cue";
};

// A signed HS256 token with iat, exp (and aud, sub): for tests and `ssai token`.
Result<std::string> MintJwtHs256(const JwtMintOptions& options, int64_t now_s);

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_JWT_AUTH_H_
