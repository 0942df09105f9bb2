#include "reference/server/capture_origin.h"

#include <filesystem>

#include "reference/io/files.h"
#include "reference/server/services.h"

namespace ssai::server {

namespace {

namespace fs = std::filesystem;

std::string ContentTypeFor(std::string_view path) {
  const std::string_view p = path.substr(0, path.find('?'));
  if (p.ends_with(".m3u8")) return "application/vnd.apple.mpegurl";
  if (p.ends_with(".json")) return "application/json";
  if (p.ends_with(".ts")) return "video/mp2t";  // segments (ssai capture --segments)
  return "application/octet-stream";
}

// True when `resolved` (canonical) is `root` (canonical) or below it.
bool IsInside(const fs::path& resolved, const fs::path& root) {
  auto r = root.begin();
  auto p = resolved.begin();
  for (; r != root.end(); ++r, ++p) {
    if (p == resolved.end() || *p != *r) return false;
  }
  return true;
}

}  // namespace

Result<LoadedCapture> LoadCaptureDir(const std::string& dir) {
  const fs::path index_path = fs::path(dir) / std::string(origin::kCaptureIndexFile);
  if (!fs::is_directory(dir)) return Status::NotFound(dir + ": not a directory");
  // "DIR/index.jsonl: cannot read: No such file or directory"
  SSAI_ASSIGN_OR_RETURN(std::string text, io::ReadFileToString(index_path.string(), origin::kMaxCaptureIndexBytes));
  Result<origin::Capture> capture = origin::ParseCaptureIndex(text);
  if (!capture.ok()) return capture.status().WithContext(index_path.string());
  std::error_code ec;
  const fs::path root = fs::canonical(dir, ec);
  if (ec) return Status::NotFound(dir + ": cannot resolve: " + ec.message());
  LoadedCapture out;
  out.capture = std::move(capture).value();
  const std::string where = index_path.string() + ": line ";
  for (const origin::CaptureEntry& e : out.capture.entries) {
    if (e.file.empty() || out.files.count(e.file) != 0 || out.outside.count(e.file) != 0) continue;
    // ParseCaptureIndex admits plain names only (no '/', not "." or ".."), but a plain name can
    // still be a symlink: resolve it, then check containment (the file served must be DIR's).
    const fs::path resolved = fs::weakly_canonical(root / e.file, ec);
    if (ec) {  // e.g. a symlink loop
      return Status::InvalidArgument(where + std::to_string(e.line) + ": file '" + e.file +
                                     "' cannot be resolved (" + ec.message() + ")");
    }
    if (!IsInside(resolved, root)) {
      out.outside.insert(e.file);
      out.warnings.push_back(where + std::to_string(e.line) + ": file '" + e.file + "' resolves to '" +
                             resolved.string() + "', outside the capture directory: not served (403)");
      continue;
    }
    Result<std::string> body = io::ReadFileToString(resolved.string(), origin::kMaxCaptureFileBytes);
    if (!body.ok()) {
      return Status(body.status().code(), where + std::to_string(e.line) + ": file '" + e.file +
                                              "' cannot be read (" + body.status().message() + ")");
    }
    out.files.emplace(e.file, std::move(body).value());
  }
  return out;
}

CaptureOriginService::CaptureOriginService(LoadedCapture capture, double speed, bool loop)
    : replay_(std::move(capture.capture)),
      files_(std::move(capture.files)),
      outside_(std::move(capture.outside)),
      clock_(0, speed),
      loop_(loop) {}

CaptureOriginService::Answer CaptureOriginService::AnswerFrom(const origin::CaptureReplay& replay,
                                                             const std::map<std::string, std::string>& files,
                                                             const std::set<std::string>& outside, std::string_view path,
                                                             int64_t offset_ms) {
  Answer a;
  const origin::CaptureEntry* e = replay.At(path, offset_ms);
  if (e == nullptr) e = replay.First(path);
  if (e == nullptr) {
    a.status = 404;
    a.content_type = "application/json";
    a.body = JsonError("no '" + std::string(path) + "' in this capture");
    return a;
  }
  if (e->status == 0 || (e->status == 200 && e->file.empty())) {
    // Recorded as no response (timeout, refused): the closest HTTP answer is a gateway timeout.
    a.status = 504;
    a.content_type = "application/json";
    a.body = JsonError("recorded failure: " + (e->error.empty() ? std::string("no response") : e->error));
    return a;
  }
  if (outside.count(e->file) != 0) {
    a.status = 403;
    a.content_type = "application/json";
    a.body = JsonError("'" + std::string(path) + "': its capture file lies outside the capture directory");
    return a;
  }
  a.status = e->status;
  auto f = files.find(e->file);
  if (f != files.end()) {
    a.body = f->second;
    a.content_type = ContentTypeFor(path);
  } else {
    a.content_type = "application/json";
    a.body = JsonError("recorded status " + std::to_string(e->status) + (e->error.empty() ? "" : ": " + e->error));
  }
  return a;
}

void CaptureOriginService::RegisterRoutes(httplib::Server& http) {
  http.Get(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
    // The recorded path includes the query, as the client sent it.
    const std::string path = req.target.empty() ? req.path : req.target;
    Answer a = AnswerAt(path, replay_.ReplayOffset(clock_.ElapsedMs(), loop_));
    if (a.status == 200) res.set_header("Cache-Control", "max-age=1");
    res.status = a.status;
    res.set_content(a.body, a.content_type.c_str());
  });
}

void CaptureOriginService::Handle(HttpRequest req, HttpResponder respond) const {
  if (req.method != "GET" && req.method != "HEAD") {
    return respond(JsonErrorResponse(405, "method " + req.method + " not allowed").Header("Allow", "GET, HEAD"));
  }
  // The recorded path includes the query, as the client sent it.
  const std::string path = req.query.empty() ? req.path : req.path + "?" + req.query;
  Answer a = AnswerAt(path, replay_.ReplayOffset(clock_.ElapsedMs(), loop_));
  HttpResponse res{a.status, std::move(a.content_type), std::move(a.body), {}};
  res.Header("Cache-Control", a.status == 200 ? "max-age=1" : "no-store");
  respond(std::move(res));
}

}  // namespace ssai::server
