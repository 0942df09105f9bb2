#include "reference/server/ts_origin.h"

#include <string>

#include "reference/server/services.h"

namespace ssai::server {

HttpResponse TsOriginService::Respond(std::string_view path, UnixMicros now) const {
  HttpResponse r = TsOriginResponse(packager_, path, now, packager_.options().pdt_start);
  if (r.status == 200 && r.content_type == "video/mp2t") ++segment_requests;
  return r;
}

HttpResponse TsOriginResponse(const ts::TsPackager& packager, std::string_view path, UnixMicros now, UnixMicros pdt_start) {
  constexpr const char* kM3u8 = "application/vnd.apple.mpegurl";
  if (path == "/master.m3u8") {
    return HttpResponse{200, kM3u8, packager.MasterPlaylist(), {{"Cache-Control", "max-age=1"}}};
  }
  if (path == "/" + packager.name() + ".m3u8") {
    return HttpResponse{200, kM3u8, packager.MediaPlaylistAt(now, pdt_start), {{"Cache-Control", "max-age=1"}}};
  }
  if (path.size() > 1 && path[0] == '/') {
    if (std::optional<int64_t> msn = packager.ParseSegmentUri(path.substr(1))) {
      if (*msn > packager.LiveEdgeMsn(now, pdt_start)) {
        return JsonErrorResponse(404, "segment " + std::to_string(*msn) + " is not published yet");
      }
      Result<std::string> body = packager.Segment(*msn);
      if (!body.ok()) return JsonErrorResponse(body.status().code() == StatusCode::kNotFound ? 404 : 500, body.status().message());
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
