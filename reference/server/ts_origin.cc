#include "reference/server/ts_origin.h"

#include <string>

#include "reference/server/services.h"

namespace ssai::server {

HttpResponse TsOriginService::Respond(std::string_view path, UnixMicros now) const {
  constexpr const char* kM3u8 = "application/vnd.apple.mpegurl";
  if (path == "/master.m3u8") {
    return HttpResponse{200, kM3u8, packager_.MasterPlaylist(), {{"Cache-Control", "max-age=1"}}};
  }
  if (path == "/" + packager_.name() + ".m3u8") {
    return HttpResponse{200, kM3u8, packager_.MediaPlaylistAt(now), {{"Cache-Control", "max-age=1"}}};
  }
  if (path.size() > 1 && path[0] == '/') {
    if (std::optional<int64_t> msn = packager_.ParseSegmentUri(path.substr(1))) {
      if (*msn > packager_.LiveEdgeMsn(now)) {
        return JsonErrorResponse(404, "segment " + std::to_string(*msn) + " is not published yet");
      }
      Result<std::string> body = packager_.Segment(*msn);
      if (!body.ok()) return JsonErrorResponse(body.status().code() == StatusCode::kNotFound ? 404 : 500, body.status().message());
      ++segment_requests;
      return HttpResponse{200, "video/mp2t", std::move(body).value(), {{"Cache-Control", "max-age=3600"}}};
    }
  }
  return JsonErrorResponse(404, "no '" + std::string(path) + "' on this origin");
}

void TsOriginService::Handle(HttpRequest req, HttpResponder respond) const {
  if (req.method != "GET" && req.method != "HEAD") {
    return respond(JsonErrorResponse(405, "method " + req.method + " not allowed").Header("Allow", "GET, HEAD"));
  }
  respond(Respond(req.path, now_ ? now_() : 0));
}

}  // namespace ssai::server
