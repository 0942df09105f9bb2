"""A third-party-shaped SSAI deployment for `ssai conform --target http` tests: `ssai serve` behind
a front that speaks another vendor's dialect, so the harness is tested against assumptions that are
not ours (conformance/README.md, target profiles):

- playlists at /live/{org}/{channel}/{rendition}.m3u8 (SSAI) and /sgai/... (SGAI by path, not a
  query parameter); a viewer must send `X-Viewer-Token`, else 403;
- the cue API is POST /api/v1/channels/{channel}/breaks with `X-Api-Key`, a body
  {"durationSeconds": N, "podId": "..."}, refusals in its own words with 401/403/404/422 and an
  RFC 9457 problem+json body, and an answer {"breakId", "startsAtMs", "endsAtMs"} (epoch
  milliseconds, no duplicate flag);
- DELETE /api/v1/channels/{channel}/breaks/current ends the playing break early (no body; answers
  {"breakId", "endsAtMs"}, 409 problem+json when nothing plays);
- its own limits: any podId length, unknown fields ignored.
"""
import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VIEWER_TOKEN = "vt-foreign"
API_KEY = "key-foreign"


def problem(handler, status, title, detail=""):
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/problem+json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def forward(method, url, headers=None, body=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


class ForeignFront:
    """Starts on 127.0.0.1:`port` in front of `ssai serve` at `serve_base` (cue token `cue_token`)."""

    def __init__(self, port, serve_base, cue_token, org="conf", channel="ch1"):
        front = self
        self.requests = []  # (method, path) seen, for assertions

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                front.requests.append(("GET", self.path))
                parts = self.path.split("?")[0].strip("/").split("/")
                if len(parts) != 4 or parts[0] not in ("live", "sgai") or not parts[3].endswith((".m3u8", ".json")):
                    return problem(self, 404, "Not Found")
                if self.headers.get("X-Viewer-Token") != VIEWER_TOKEN:
                    return problem(self, 403, "Forbidden", "viewer token required")
                mode = "ssai" if parts[0] == "live" else "sgai"
                status, body, headers = forward("GET", f"{serve_base}/{parts[1]}/{parts[2]}/{parts[3]}?mode={mode}")
                self.send_response(status)
                self.send_header("Content-Type", headers.get("Content-Type", "application/vnd.apple.mpegurl"))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                front.requests.append(("POST", self.path))
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parts = self.path.strip("/").split("/")
                if len(parts) != 5 or parts[:3] != ["api", "v1", "channels"] or parts[4] != "breaks":
                    return problem(self, 404, "Not Found")
                if "X-Api-Key" not in self.headers:
                    return problem(self, 401, "Unauthorized", "X-Api-Key header required")
                if self.headers["X-Api-Key"] != API_KEY:
                    return problem(self, 403, "Forbidden", "API key not valid")
                if parts[3] != channel:
                    return problem(self, 404, "Channel Not Found", parts[3][:64])
                try:
                    req = json.loads(raw)
                except ValueError:
                    return problem(self, 400, "Malformed Request")
                if not isinstance(req, dict):
                    return problem(self, 400, "Malformed Request")
                seconds = req.get("durationSeconds")
                if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds <= 7200:
                    return problem(self, 422, "Unprocessable Entity", "durationSeconds must be a positive number")
                cue = {"org": org, "channel": channel, "duration": seconds}
                if isinstance(req.get("podId"), str) and req["podId"]:
                    cue["pod_id"] = req["podId"][:128]
                status, body, _ = forward("POST", f"{serve_base}/cue",
                                          {"Authorization": f"Bearer {cue_token}", "Content-Type": "application/json"},
                                          json.dumps(cue).encode())
                if status != 200:
                    return problem(self, 502, "Upstream Refused", body.decode(errors="replace")[:200])
                ack = json.loads(body)
                from datetime import datetime
                ms = lambda iso: int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
                out = json.dumps({"breakId": ack["eventId"], "startsAtMs": ms(ack["adBreak"]["startTime"]),
                                  "endsAtMs": ms(ack["adBreak"]["endTime"])}).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def do_DELETE(self):
                front.requests.append(("DELETE", self.path))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                parts = self.path.strip("/").split("/")
                if len(parts) != 6 or parts[:3] != ["api", "v1", "channels"] or parts[4:] != ["breaks", "current"]:
                    return problem(self, 404, "Not Found")
                if self.headers.get("X-Api-Key") != API_KEY:
                    return problem(self, 401 if "X-Api-Key" not in self.headers else 403, "Unauthorized")
                if parts[3] != channel:
                    return problem(self, 404, "Channel Not Found", parts[3][:64])
                status, body, _ = forward("POST", f"{serve_base}/cue",
                                          {"Authorization": f"Bearer {cue_token}", "Content-Type": "application/json"},
                                          json.dumps({"org": org, "channel": channel, "action": "stop"}).encode())
                if status == 409:
                    return problem(self, 409, "Conflict", "no break is playing")
                if status != 200:
                    return problem(self, 502, "Upstream Refused", body.decode(errors="replace")[:200])
                ack = json.loads(body)
                from datetime import datetime
                ms = int(datetime.fromisoformat(ack["adBreak"]["endTime"].replace("Z", "+00:00")).timestamp() * 1000)
                out = json.dumps({"breakId": ack["eventId"], "endsAtMs": ms}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
