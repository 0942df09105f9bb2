#include "reference/server/jwt_auth.h"

#include <gtest/gtest.h>
#include <jwt.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "reference/base/encoding.h"

namespace ssai::server {
namespace {

constexpr int64_t kNow = 1'800'000'000;
constexpr char kSecret[] = "a-test-secret-of-32-bytes-length";

std::string B64Url(std::string_view text) {
  std::string s = Base64Encode(Bytes(text.begin(), text.end()));
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

std::string Mint(int64_t ttl_s = 300, const std::string& secret = kSecret, const std::string& aud = "") {
  JwtMintOptions o;
  o.secret = secret;
  o.ttl_s = ttl_s;
  o.audience = aud;
  Result<std::string> t = MintJwtHs256(o, kNow);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? *t : "";
}

// A token signed by libjwt with any alg and claims (for the cases Mint cannot make).
std::string Sign(jwt_alg_t alg, const std::string& claims_json, const std::string& secret = kSecret,
                 const std::string& headers_json = "") {
  jwt_t* jwt = nullptr;
  EXPECT_EQ(jwt_new(&jwt), 0);
  EXPECT_EQ(jwt_add_grants_json(jwt, claims_json.c_str()), 0);
  if (!headers_json.empty()) {
    EXPECT_EQ(jwt_add_headers_json(jwt, headers_json.c_str()), 0);
  }
  EXPECT_EQ(jwt_set_alg(jwt, alg, reinterpret_cast<const unsigned char*>(secret.data()),
                        static_cast<int>(secret.size())),
            0);
  char* out = jwt_encode_str(jwt);
  std::string token = out != nullptr ? out : "";
  std::free(out);
  jwt_free(jwt);
  return token;
}

Status Verify(const std::string& token, const std::string& audience = "") {
  return VerifyJwtHs256(token, JwtVerifyOptions{kSecret, audience, 0}, kNow);
}

TEST(JwtAuth, AcceptsAGoodToken) {
  const std::string t = Mint();
  EXPECT_TRUE(Verify(t).ok()) << Verify(t).ToString();
  EXPECT_EQ(std::count(t.begin(), t.end(), '.'), 2);
}

TEST(JwtAuth, RejectsAWrongSecret) {
  Status s = Verify(Mint(300, "another-secret"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("signature"), std::string::npos) << s.message();
}

TEST(JwtAuth, RejectsAlgNoneAndOtherAlgs) {
  const std::string payload = B64Url(R"({"exp":)" + std::to_string(kNow + 300) + "}");
  Status none = Verify(B64Url(R"({"alg":"none","typ":"JWT"})") + "." + payload + ".");
  EXPECT_NE(none.message().find("alg none not accepted"), std::string::npos) << none.message();
  // Same with a signature part present, and with the alg spelled differently.
  EXPECT_FALSE(Verify(B64Url(R"({"alg":"none"})") + "." + payload + ".c2ln").ok());
  EXPECT_FALSE(Verify(B64Url(R"({"alg":"None"})") + "." + payload + ".c2ln").ok());
  // HS384 with the right secret is still not HS256.
  Status hs384 = Verify(Sign(JWT_ALG_HS384, R"({"exp":)" + std::to_string(kNow + 300) + "}"));
  EXPECT_NE(hs384.message().find("alg HS384 not accepted"), std::string::npos) << hs384.message();
  EXPECT_FALSE(Verify(B64Url(R"({"typ":"JWT"})") + "." + payload + ".c2ln").ok()) << "no alg";
}

TEST(JwtAuth, RejectsExpiredAndNotYetValid) {
  Status expired = VerifyJwtHs256(Mint(60), JwtVerifyOptions{kSecret, "", 0}, kNow + 72);
  EXPECT_NE(expired.message().find("expired 12 s ago"), std::string::npos) << expired.message();
  EXPECT_FALSE(VerifyJwtHs256(Mint(60), JwtVerifyOptions{kSecret, "", 0}, kNow + 60).ok()) << "at exp";
  EXPECT_TRUE(VerifyJwtHs256(Mint(60), JwtVerifyOptions{kSecret, "", 15}, kNow + 72).ok()) << "within leeway";
  Status nbf = Verify(Sign(JWT_ALG_HS256, R"({"exp":)" + std::to_string(kNow + 300) + R"(,"nbf":)" +
                                              std::to_string(kNow + 30) + "}"));
  EXPECT_NE(nbf.message().find("nbf"), std::string::npos) << nbf.message();
  Status no_exp = Verify(Sign(JWT_ALG_HS256, R"({"sub":"x"})"));
  EXPECT_NE(no_exp.message().find("no exp"), std::string::npos) << no_exp.message();
  EXPECT_FALSE(Verify(Sign(JWT_ALG_HS256, R"({"exp":"tomorrow"})")).ok());
}

// exp/nbf far outside int64 (1e19, 1e300, 2^64-1) were converted double→int64 with undefined
// behaviour, and nbf=1e19 was accepted; they are refused as out of range (UBSan stays quiet).
TEST(JwtAuth, RefusesTimesOutsideTheNumericDateRange) {
  const std::string exp = std::to_string(kNow + 300);
  for (const std::string nbf : {"1e19", "1e300", "-1e300", "253402300800"}) {
    Status s = Verify(Sign(JWT_ALG_HS256, R"({"exp":)" + exp + R"(,"nbf":)" + nbf + "}"));
    EXPECT_FALSE(s.ok()) << "nbf " << nbf;
    EXPECT_NE(s.message().find("nbf"), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find("out of range"), std::string::npos) << s.ToString();
  }
  for (const std::string e : {"1e19", "1e300", "-1", "9223372036854775807"}) {
    Status s = Verify(Sign(JWT_ALG_HS256, R"({"exp":)" + e + "}"));
    EXPECT_FALSE(s.ok()) << "exp " << e;
    EXPECT_NE(s.message().find("exp"), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find("out of range"), std::string::npos) << s.ToString();
  }
  // Fractional NumericDates (RFC 7519 §2) within range still work.
  EXPECT_TRUE(Verify(Sign(JWT_ALG_HS256, R"({"exp":)" + exp + R"(.5,"nbf":)" + std::to_string(kNow - 10) + ".25}")).ok());
}

// RFC 7515 §4.1.11: "crit" naming an extension the recipient does not understand must be refused.
TEST(JwtAuth, RefusesCriticalExtensionsItDoesNotUnderstand) {
  const std::string claims = R"({"exp":)" + std::to_string(kNow + 300) + "}";
  ASSERT_TRUE(Verify(Sign(JWT_ALG_HS256, claims)).ok());
  Status unknown = Verify(Sign(JWT_ALG_HS256, claims, kSecret, R"({"crit":["exp-ext"],"exp-ext":1})"));
  EXPECT_FALSE(unknown.ok());
  EXPECT_NE(unknown.message().find("crit"), std::string::npos) << unknown.ToString();
  EXPECT_NE(unknown.message().find("exp-ext"), std::string::npos) << unknown.ToString();
  EXPECT_FALSE(Verify(Sign(JWT_ALG_HS256, claims, kSecret, R"({"crit":"b64"})")).ok());
  EXPECT_FALSE(Verify(Sign(JWT_ALG_HS256, claims, kSecret, R"({"crit":[]})")).ok());
}

TEST(JwtAuth, ChecksTheAudienceWhenConfigured) {
  EXPECT_TRUE(Verify(Mint(300, kSecret, "ssai-cue"), "ssai-cue").ok());
  EXPECT_FALSE(Verify(Mint(300, kSecret, "other"), "ssai-cue").ok());
  EXPECT_FALSE(Verify(Mint(300), "ssai-cue").ok()) << "no aud";
  const std::string exp = std::to_string(kNow + 300);
  EXPECT_TRUE(Verify(Sign(JWT_ALG_HS256, R"({"exp":)" + exp + R"(,"aud":["x","ssai-cue"]})"), "ssai-cue").ok());
  EXPECT_TRUE(Verify(Mint(300, kSecret, "anything")).ok()) << "aud not checked when not configured";
}

TEST(JwtAuth, RejectsMalformedAndTamperedTokens) {
  for (const std::string& bad : std::vector<std::string>{"", "abc", "a.b", "a.b.c.d", ".b.c", "a..c", "!!!.e30.c2ln", "e30.e30.c2ln",
                                "bm90IGpzb24.e30.c2ln", std::string(9000, 'a')}) {
    Status s = Verify(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << "'" << bad.substr(0, 20) << "'";
    EXPECT_TRUE(s.message().starts_with("jwt: ")) << s.message();
  }
  // A valid token with its payload swapped for one granting more time: the signature fails.
  const std::string t = Mint(60);
  const size_t d1 = t.find('.'), d2 = t.rfind('.');
  const std::string forged =
      t.substr(0, d1) + "." + B64Url(R"({"exp":)" + std::to_string(kNow + 99999) + "}") + t.substr(d2);
  EXPECT_FALSE(Verify(forged).ok());
  EXPECT_FALSE(VerifyJwtHs256(t, JwtVerifyOptions{"", "", 0}, kNow).ok()) << "no secret configured";
}

TEST(JwtAuth, MintRefusesBadInput) {
  EXPECT_FALSE(MintJwtHs256(JwtMintOptions{"", 60, "", "s"}, kNow).ok());
  EXPECT_FALSE(MintJwtHs256(JwtMintOptions{kSecret, 0, "", "s"}, kNow).ok());
}

}  // namespace
}  // namespace ssai::server
