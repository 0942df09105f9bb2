#include "reference/server/jwt_auth.h"

#include <jwt.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <nlohmann/json.hpp>

#include "reference/base/encoding.h"

namespace ssai::server {
namespace {

using Json = nlohmann::json;

struct JwtDeleter {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;
struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};

constexpr size_t kMaxTokenBytes = 8 * 1024;

// base64url without padding (RFC 7515 §2) -> JSON object.
Result<Json> DecodeJsonPart(std::string_view part, std::string_view what) {
  std::string b64(part);
  for (char& c : b64) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (c == '+' || c == '/' || c == '=') return Status::InvalidArgument("jwt: " + std::string(what) + " is not base64url");
  }
  while (b64.size() % 4 != 0) b64.push_back('=');
  Result<Bytes> bytes = Base64Decode(b64);
  if (!bytes.ok()) return Status::InvalidArgument("jwt: " + std::string(what) + " is not base64url");
  Json j = Json::parse(bytes->begin(), bytes->end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("jwt: " + std::string(what) + " is not a JSON object");
  }
  return j;
}

// A NumericDate (RFC 7519 §2: seconds since the epoch, possibly fractional) as whole seconds.
// Range-checked as a double before the conversion: a double outside int64's range (1e19, 1e300)
// converts with undefined behaviour (C++ [conv.fpint]), which once let nbf=1e19 through.
constexpr double kMaxNumericDate = 253402300799.0;  // 9999-12-31T23:59:59Z
Result<int64_t> NumericDate(const Json& v, std::string_view name) {
  if (!v.is_number()) return Status::InvalidArgument("jwt: " + std::string(name) + " is not a number");
  const double d = v.get<double>();
  if (!std::isfinite(d) || d < 0 || d > kMaxNumericDate) {
    return Status::InvalidArgument("jwt: " + std::string(name) + " " + v.dump() +
                                   " is out of range (0 to 253402300799, the end of year 9999)");
  }
  return static_cast<int64_t>(d);
}

}  // namespace

Status VerifyJwtHs256(std::string_view token, const JwtVerifyOptions& options, int64_t now_s) {
  if (options.secret.empty()) return Status::InvalidArgument("jwt: no secret configured");
  if (token.size() > kMaxTokenBytes) return Status::InvalidArgument("jwt: longer than 8 KiB");
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos || dot1 == 0 ||
      dot2 == dot1 + 1) {
    return Status::InvalidArgument("jwt: malformed (expected header.payload.signature)");
  }
  // The alg is checked before libjwt sees the token: only HS256, never `none` (RFC 8725 §3.1).
  SSAI_ASSIGN_OR_RETURN(Json header, DecodeJsonPart(token.substr(0, dot1), "header"));
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) return Status::InvalidArgument("jwt: header has no alg");
  if (alg->get<std::string>() != "HS256") {
    return Status::InvalidArgument("jwt: alg " + alg->get<std::string>().substr(0, 16) +
                                   " not accepted; only HS256");
  }
  // RFC 7515 §4.1.11: a recipient must refuse a token whose "crit" names an extension it does not
  // understand; we understand none, so any crit (or a malformed one) is refused.
  if (auto crit = header.find("crit"); crit != header.end()) {
    std::string names;
    if (crit->is_array()) {
      for (const Json& n : *crit) names += (names.empty() ? "" : ", ") + (n.is_string() ? n.get<std::string>() : n.dump());
    }
    if (!crit->is_array() || crit->empty()) return Status::InvalidArgument("jwt: crit must be a non-empty array of names");
    return Status::InvalidArgument("jwt: crit names extensions this server does not understand: " + names.substr(0, 64));
  }
  if (dot2 + 1 == token.size()) return Status::InvalidArgument("jwt: no signature");
  const std::string text(token);
  jwt_t* raw = nullptr;
  const int rc = jwt_decode(&raw, text.c_str(), reinterpret_cast<const unsigned char*>(options.secret.data()),
                            static_cast<int>(options.secret.size()));
  JwtPtr jwt(raw);
  if (rc != 0 || jwt == nullptr) return Status::InvalidArgument("jwt: signature does not verify (or malformed)");
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return Status::InvalidArgument("jwt: alg not HS256");
  std::unique_ptr<char, FreeDeleter> grants_text(jwt_get_grants_json(jwt.get(), nullptr));
  if (grants_text == nullptr) return Status::InvalidArgument("jwt: payload is not a JSON object");
  Json claims = Json::parse(grants_text.get(), nullptr, false);
  if (claims.is_discarded() || !claims.is_object()) return Status::InvalidArgument("jwt: payload is not a JSON object");
  auto exp = claims.find("exp");
  if (exp == claims.end()) return Status::InvalidArgument("jwt: no exp claim (tokens must expire)");
  SSAI_ASSIGN_OR_RETURN(const int64_t exp_s, NumericDate(*exp, "exp"));
  if (now_s >= exp_s + options.leeway_s) {  // RFC 7519 §4.1.4: on or after exp, reject
    return Status::InvalidArgument("jwt: expired " + std::to_string(now_s - exp_s) + " s ago");
  }
  if (auto nbf = claims.find("nbf"); nbf != claims.end()) {
    SSAI_ASSIGN_OR_RETURN(const int64_t nbf_s, NumericDate(*nbf, "nbf"));
    if (now_s + options.leeway_s < nbf_s) {
      return Status::InvalidArgument("jwt: not valid for another " + std::to_string(nbf_s - now_s) + " s (nbf)");
    }
  }
  if (!options.audience.empty()) {
    auto aud = claims.find("aud");
    bool match = false;
    if (aud != claims.end() && aud->is_string()) match = aud->get<std::string>() == options.audience;
    if (aud != claims.end() && aud->is_array()) {
      for (const Json& a : *aud) match = match || (a.is_string() && a.get<std::string>() == options.audience);
    }
    if (!match) return Status::InvalidArgument("jwt: aud does not contain '" + options.audience + "'");
  }
  return Status::Ok();
}

Result<std::string> MintJwtHs256(const JwtMintOptions& options, int64_t now_s) {
  if (options.secret.empty()) return Status::InvalidArgument("jwt: empty secret");
  if (options.ttl_s <= 0) return Status::InvalidArgument("jwt: ttl_s must be > 0");
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return Status::Internal("jwt: jwt_new failed");
  JwtPtr jwt(raw);
  int rc = jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(options.secret.data()),
                       static_cast<int>(options.secret.size()));
  rc = rc != 0 ? rc : jwt_add_grant_int(jwt.get(), "iat", static_cast<long>(now_s));
  rc = rc != 0 ? rc : jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(now_s + options.ttl_s));
  if (rc == 0 && !options.subject.empty()) rc = jwt_add_grant(jwt.get(), "sub", options.subject.c_str());
  if (rc == 0 && !options.audience.empty()) rc = jwt_add_grant(jwt.get(), "aud", options.audience.c_str());
  if (rc != 0) return Status::Internal(std::string("jwt: cannot build token: ") + std::strerror(rc));
  std::unique_ptr<char, FreeDeleter> out(jwt_encode_str(jwt.get()));
  if (out == nullptr) return Status::Internal("jwt: jwt_encode_str failed");
  return std::string(out.get());
}

}  // namespace ssai::server
