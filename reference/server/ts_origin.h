// `ssai origin --ts FILE.ts`: the live TS packager (reference/media/ts/ts_packager.h) on HTTP.
// GET /master.m3u8, /{name}.m3u8 (the playlist at the clock's now), /{name}_{msn}.ts (published
// segments only: a segment not out yet is 404, as on a live origin). Playlists are
// "Cache-Control: max-age=1", segments "max-age=3600".
#ifndef SSAI_REFERENCE_SERVER_TS_ORIGIN_H_
#define SSAI_REFERENCE_SERVER_TS_ORIGIN_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string_view>

#include "reference/base/time.h"
#include "reference/media/ts/ts_packager.h"
#include "reference/server/http_frontend.h"

namespace ssai::server {

// The answer to GET `path` (from the origin's root: "/ts_12.ts") of `packager` at `now`, its
// segment 0 starting at `pdt_start` (pure). Shared by TsOriginService and the conformance
// harness's origin (conformance/http_target.cc, a scenario moved in time).
HttpResponse TsOriginResponse(const ts::TsPackager& packager, std::string_view path, UnixMicros now, UnixMicros pdt_start);

class TsOriginService {
 public:
  TsOriginService(ts::TsPackager packager, std::function<UnixMicros()> now)
      : packager_(std::move(packager)), now_(std::move(now)) {}
  // The answer to GET `path` at `now` (pure).
  HttpResponse Respond(std::string_view path, UnixMicros now) const;
  // On a FrontEndService (services.h): GET and HEAD, at now().
  void Handle(HttpRequest request, HttpResponder respond) const;
  const ts::TsPackager& packager() const { return packager_; }
  mutable std::atomic<int64_t> segment_requests{0};

 private:
  ts::TsPackager packager_;
  std::function<UnixMicros()> now_;
};

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_TS_ORIGIN_H_
