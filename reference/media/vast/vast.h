// VAST 4.x (IAB Digital Video Ad Serving Template, 4.3 read; 2.0 and 3.0 documents accepted) as a
// sans-I/O library: a parser (XML text -> Document), a wrapper-chain resolver that asks its caller
// to fetch each VASTAdTagURI (no sockets, bounded depth and bytes), and the choice of the creative
// and MediaFiles an HLS stitcher can splice.
//
// Errors carry the VAST error code (VAST 4.3 §2.3.6.2) in the Status message as "VAST <code>: ..."
// (ErrorCodeOf reads it back), so a caller that falls back to slate can fire the Error URLs with
// [ERRORCODE] expanded (ExpandErrorMacro).
#ifndef SSAI_REFERENCE_MEDIA_VAST_VAST_H_
#define SSAI_REFERENCE_MEDIA_VAST_VAST_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/status.h"

namespace ssai::vast {

// VAST 4.3 §2.3.6.2 error codes this library reports.
enum ErrorCode : int {
  kXmlParseError = 100,         // not XML / malformed
  kSchemaError = 101,           // XML, but not a VAST document we can read (missing elements)
  kUnsupportedVersion = 102,    // version attribute not 2.x, 3.x or 4.x
  kUnexpectedLinearity = 201,   // an InLine ad with no Linear creative
  kWrapperError = 300,          // wrapper chain: loop, size limit, followAdditionalWrappers=false
  kWrapperTimeout = 301,        // a VASTAdTagURI could not be fetched (timeout, HTTP error)
  kWrapperLimit = 302,          // more wrappers than the limit (5, §2.3.5.1)
  kNoAdsAfterWrapper = 303,     // an empty response (no Ad), after wrappers or not
  kNoSupportedMediaFile = 403,  // no MediaFile this stitcher can splice
  kUndefinedError = 900,
};

// The code in a Status this library returned ("VAST 303: ..."); 900 for any other non-OK Status,
// 0 for OK.
int ErrorCodeOf(const Status& status);
// A Status carrying `code`: "VAST <code>: <message>".
Status VastError(int code, std::string_view message);

// [ERRORCODE] (VAST 4.3 §6.1 macros; also percent-encoded %5BERRORCODE%5D) replaced by `code`.
std::string ExpandErrorMacro(std::string_view url, int code);
// URLs worth firing: non-empty and not about:blank (§3.4.4).
bool IsFireable(std::string_view url);

struct MediaFile {
  std::string url;
  std::string delivery;  // "progressive" | "streaming"
  std::string type;      // MIME type: "application/x-mpegURL", "video/mp4", ...
  int64_t bitrate_kbps = 0;  // bitrate, else maxBitrate, else minBitrate; 0 = not given
  int width = 0;
  int height = 0;
  std::string codec;
};

struct TrackingEvent {
  std::string event;   // start, firstQuartile, midpoint, thirdQuartile, complete, progress, ...
  std::string url;
  std::string offset;  // progress only: "HH:MM:SS[.mmm]" or "n%"
};

struct LinearCreative {
  std::string id;
  std::string ad_id;              // Creative@adId
  std::string universal_ad_id;    // UniversalAdId text (VAST 4)
  std::optional<double> duration_s;  // InLine: required; Wrapper: absent
  std::vector<MediaFile> media_files;
  std::vector<TrackingEvent> tracking;
};

struct Ad {
  std::string id;
  int sequence = 0;  // Ad@sequence; 0 = not part of a pod (a stand-alone ad)
  bool wrapper = false;
  std::string ad_system;
  std::string ad_title;
  std::string ad_tag_uri;  // Wrapper: VASTAdTagURI
  bool follow_additional_wrappers = true;
  bool allow_multiple_ads = false;
  std::optional<bool> fallback_on_no_ad;
  std::vector<std::string> impressions;
  std::vector<std::string> errors;
  std::vector<LinearCreative> linears;  // Creatives/Creative/Linear, in document order
};

struct Document {
  std::string version;
  std::vector<Ad> ads;
  std::vector<std::string> errors;  // root-level <Error> (no-ad responses)
};

// Parses one VAST response. Element names are matched without a namespace prefix (real ad servers
// write xmlns="http://www.iab.com/VAST" or none); text may be CDATA with whitespace around it.
// Errors: empty body -> 303, malformed XML -> 100, root not <VAST>, an Ad without InLine or
// Wrapper, a Wrapper without VASTAdTagURI, an InLine Linear without a valid Duration -> 101,
// version not 2/3/4 -> 102. An empty <VAST> (no Ad) parses: the caller decides it is 303.
Result<Document> Parse(std::string_view xml);

// "HH:MM:SS" or "HH:MM:SS.mmm" (§3.8.1) -> seconds.
std::optional<double> ParseDuration(std::string_view text);

// MediaFiles an HLS stitcher splices: streaming (or unspecified delivery) HLS,
// type application/x-mpegURL or application/vnd.apple.mpegurl (case-insensitive). Progressive MP4
// would need a transcode first (MediaTailor transcodes it; this server does not).
bool IsSpliceable(const MediaFile& file);

// One ad of the resolved pod: its InLine creative with everything the wrappers above it added.
struct ResolvedAd {
  std::string id;
  int sequence = 0;
  std::string ad_system;
  LinearCreative creative;               // the first Linear with a Duration
  std::vector<MediaFile> spliceable;     // IsSpliceable media files of it
  std::vector<std::string> impressions;  // InLine's and every wrapper's (§3.4.4: all fire)
  std::vector<std::string> error_urls;   // InLine's and every wrapper's
  std::vector<TrackingEvent> tracking;   // InLine's and every wrapper's linear tracking
  int wrapper_depth = 0;                 // wrappers followed to reach it
};

// An ad of the response that could not be used, with the Error URLs to fire with `code`.
struct AdFailure {
  int code = kUndefinedError;
  std::string message;
  std::vector<std::string> error_urls;
};

struct ResolvedPod {
  std::vector<ResolvedAd> ads;   // play order: pod ads by sequence, or one stand-alone ad
  std::vector<AdFailure> failures;
};

struct ResolverOptions {
  int max_wrapper_depth = 5;               // VAST 4.3 §2.3.5.1 (IAB's recommendation)
  size_t max_total_bytes = size_t{1} << 20;  // all documents of the resolution together
  int max_documents = 32;                  // fetches, all chains together
};

// Resolves a VAST response with its wrapper chains, sans-I/O:
//
//   Resolver r(options);
//   r.Start(first_response_body);
//   while (auto url = r.next_url()) {
//     fetch *url;  r.OnFetched(body)  or  r.OnFetchFailed(status)   // -> 301
//   }
//   Result<ResolvedPod> pod = r.Finish();
//
// Pods (Ad@sequence) play in sequence order; stand-alone ads replace pod ads that failed (VAST 4.3
// "Ad Pods"); without a pod the first usable stand-alone ad plays. A wrapper's target is read for
// one ad (its first, by sequence) unless allowMultipleAds; a wrapper below one with
// followAdditionalWrappers=false fails with 300; a URL already in the chain is a loop (300); more
// than max_wrapper_depth wrappers fail with 302 before fetching. Failed ads are reported with the
// Error URLs of their whole chain. Finish fails (with the code to fire, and the URLs in
// error_urls()) when no ad is left: the first failure's code, or 303 for an empty response.
class Resolver {
 public:
  explicit Resolver(ResolverOptions options = {});
  void Start(std::string_view xml);
  // The next VASTAdTagURI to fetch; nullopt once the resolution is complete.
  std::optional<std::string> next_url() const;
  void OnFetched(std::string_view xml);
  void OnFetchFailed(const Status& status);
  Result<ResolvedPod> Finish() const;
  // When Finish fails: every Error URL to fire with its code (failed chains and the root Errors).
  const std::vector<AdFailure>& failures() const { return failures_; }
  int fetches() const { return fetches_; }
  size_t total_bytes() const { return total_bytes_; }

 private:
  // A wrapper waiting for its VASTAdTagURI.
  struct Chain {
    size_t slot = 0;  // which top-level ad (pod position) it resolves
    int depth = 0;    // wrappers in the chain so far (this one included)
    bool may_follow = true;
    bool allow_multiple = false;
    std::string url;
    std::set<std::string> seen;  // tag URIs of the chain (loop detection)
    ResolvedAd inherited;        // impressions, errors, tracking of the wrappers so far
  };
  struct Slot {
    int sequence = 0;
    std::vector<ResolvedAd> ads;  // usually one; several from an allowMultipleAds wrapper
    std::optional<AdFailure> failure;
    int pending = 0;  // chains of this slot waiting for a fetch
  };
  void TakeDocument(const Document& doc, const Chain* parent);
  void Fail(size_t slot, int code, std::string message, const ResolvedAd& inherited);
  void AddAd(size_t slot, const Ad& ad, const Chain* parent);

  ResolverOptions options_;
  std::vector<Slot> slots_;
  std::vector<Chain> queue_;  // FIFO (front = next)
  std::vector<AdFailure> failures_;
  std::vector<std::string> root_errors_;
  Status top_status_;
  bool any_wrapper_ = false;
  int fetches_ = 0;
  size_t total_bytes_ = 0;
};

}  // namespace ssai::vast

#endif  // SSAI_REFERENCE_MEDIA_VAST_VAST_H_
