// `ssai token`: mints a JWT HS256 for POST /cue (reference/server/jwt_auth.h), for tests and demos.
//   SSAI_JWT_SECRET=... ssai token --secret-env SSAI_JWT_SECRET --ttl-s 300 [--aud A] [--sub S]
// The secret comes from the environment, never from argv (argv is visible to other users in ps).
#include <chrono>
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "reference/server/jwt_auth.h"

namespace ssai::cli {

void RegisterTokenCommand(CLI::App& app, Context& ctx) {
  struct Flags {
    std::string secret_env = "SSAI_JWT_SECRET";
    int64_t ttl_s = 300;
    std::string audience;
    std::string subject = "ssai-cue";
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand("token", "Print a JWT HS256 for POST /cue (secret from an env var)");
  cmd->add_option("--secret-env", f->secret_env, "environment variable holding the HS256 secret");
  cmd->add_option("--ttl-s", f->ttl_s, "lifetime: exp = now + ttl")->check(CLI::Range(int64_t{1}, int64_t{86400 * 365}));
  cmd->add_option("--aud", f->audience, "aud claim (auth.jwt_audience)");
  cmd->add_option("--sub", f->subject, "sub claim");
  cmd->callback([f, &ctx] {
    const char* secret = std::getenv(f->secret_env.c_str());
    if (secret == nullptr || *secret == '\0') {
      std::cerr << "ssai token: environment variable " << f->secret_env << " is not set\n";
      ctx.exit_code = 2;
      return;
    }
    const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    Result<std::string> t = server::MintJwtHs256({secret, f->ttl_s, f->audience, f->subject}, now_s);
    if (!t.ok()) {
      std::cerr << "ssai token: " << t.status().message() << "\n";
      ctx.exit_code = 2;
      return;
    }
    std::cout << *t << "\n";
  });
}

}  // namespace ssai::cli
