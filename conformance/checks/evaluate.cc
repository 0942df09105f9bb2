#include "conformance/checks/evaluate.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "conformance/checks/truth.h"
#include "reference/base/strings.h"
#include "reference/media/hls/lint.h"
#include "reference/media/hls/playlist.h"
#include "reference/ssai/adbreak_state.h"
#include "reference/ssai/channel_state.h"
#include "reference/ssai/kv_limits.h"

namespace ssai::conformance {

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPass: return "pass";
    case Outcome::kFail: return "fail";
    case Outcome::kSkip: return "skip";
  }
  return "?";
}

namespace {

enum class Kind { kContent, kAd, kSlate };
// A pod segment may end this much after the return slot starts (EXTINF has millisecond text).
constexpr DurationMicros kPodEndToleranceUs = 5 * kMicrosPerMilli;
std::string_view KindName(Kind k) { return k == Kind::kContent ? "content" : k == Kind::kAd ? "ad" : "slate"; }

struct Slot {
  int64_t msn = 0;
  UnixMicros start = 0;
  DurationMicros duration = 0;
  std::string uri;
  bool discontinuity = false;
  Kind kind = Kind::kContent;
  int line = 0;  // the URI's line
};

struct Parsed {
  const Fetch* fetch = nullptr;
  std::optional<hls::MediaPlaylist> playlist;
  std::vector<Slot> slots;
  // slot start (PDT) -> the origin's (relative) URI: by time, since a pod of creatives shifts the
  // output's media sequence numbers (splicer.h) but never a content slot's PDT.
  std::map<UnixMicros, std::string> origin_uris;
};

// Collects pass/fail counts and evidence per check id.
class Results {
 public:
  Results(const Profile& profile, UnixMicros start) : profile_(profile), start_(start) {
    for (const CheckInfo& c : Catalogue()) {
      CheckResult r;
      r.id = c.id;
      r.severity = c.severity;
      index_[c.id] = results_.size();
      results_.push_back(std::move(r));
    }
    touched_flag_.assign(results_.size(), false);
  }
  CheckResult& Get(std::string_view id) {
    auto it = index_.find(std::string(id));
    assert(it != index_.end() && "check id missing from the catalogue");
    if (!touched_flag_[it->second]) {
      touched_flag_[it->second] = true;
      touched_.push_back(it->second);
    }
    return results_[it->second];
  }
  // Timing: the checks touched since the last call to BeginPhase share the phase's time.
  void BeginPhase() {
    for (size_t i : touched_) touched_flag_[i] = false;
    touched_.clear();
  }
  void EndPhase(double elapsed_ms) {
    for (size_t i : touched_) results_[i].time_ms += elapsed_ms / static_cast<double>(touched_.size());
  }
  void Pass(std::string_view id, int64_t n = 1) { Get(id).evaluated += n; }
  // Names the break a failure at `t` belongs to (0: not about a moment in time).
  void SetBreakLocator(std::function<std::string(UnixMicros)> locate) { locate_ = std::move(locate); }
  void Fail(std::string_view id, UnixMicros t, std::string where, std::string message, std::string excerpt = "") {
    CheckResult& r = Get(id);
    ++r.evaluated;
    ++r.failures;
    if (t != 0 && locate_) {
      std::string label = locate_(t);
      auto it = std::find_if(r.failures_by_break.begin(), r.failures_by_break.end(),
                             [&](const auto& e) { return e.first == label; });
      if (it != r.failures_by_break.end()) {
        ++it->second;
      } else {
        r.failures_by_break.emplace_back(std::move(label), 1);
      }
    }
    if (static_cast<int>(r.evidence.size()) < profile_.max_evidence_per_check) {
      r.evidence.push_back({std::move(where), t ? MicrosToSeconds(t - start_) : 0, t ? FormatIso8601Millis(t) : "",
                            std::move(message), std::move(excerpt)});
    }
  }
  void Note(std::string_view id, std::string note) { Get(id).note = std::move(note); }
  std::vector<CheckResult> Finish(const std::map<std::string, std::string>& skip_reasons) {
    for (CheckResult& r : results_) {
      if (r.failures > 0) {
        r.outcome = Outcome::kFail;
      } else if (r.evaluated > 0) {
        r.outcome = Outcome::kPass;
      } else {
        r.outcome = Outcome::kSkip;
        if (r.note.empty()) {
          auto it = skip_reasons.find(r.id.substr(0, r.id.find('.')));
          r.note = it != skip_reasons.end() ? it->second : "nothing in this scenario exercises it";
        }
      }
    }
    return std::move(results_);
  }

 private:
  const Profile& profile_;
  UnixMicros start_;
  std::function<std::string(UnixMicros)> locate_;
  std::vector<CheckResult> results_;
  std::unordered_map<std::string, size_t> index_;
  std::vector<bool> touched_flag_;
  std::vector<size_t> touched_;  // the indices set in touched_flag_
};

std::string Excerpt(const std::string& body, int around_line, int lines) {
  std::vector<std::string_view> all;
  std::string_view rest = body;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    all.push_back(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  if (all.empty()) return "";
  int first = 1, last = static_cast<int>(all.size());
  if (around_line > 0 && last - first + 1 > lines) {
    first = std::max(1, around_line - lines + 3);
    last = std::min(static_cast<int>(all.size()), first + lines - 1);
  } else if (last > lines) {
    last = lines;
  }
  std::string out;
  if (first > 1) out += "   ...\n";
  for (int i = first; i <= last; ++i) {
    std::string n = std::to_string(i);
    out += std::string(n.size() < 3 ? 3 - n.size() : 0, ' ') + n + (i == around_line ? "> " : "  ");
    out += std::string(all[static_cast<size_t>(i - 1)]) + "\n";
  }
  if (last < static_cast<int>(all.size())) out += "   ...\n";
  return out;
}

std::string Where(const Fetch& f) { return f.viewer + " " + f.url; }

std::string Secs(double s) {
  std::string out;
  AppendFixed(s, 3, &out);
  return out + " s";
}

bool UriEndsWith(std::string_view uri, std::string_view origin_uri) {
  if (uri == origin_uri) return true;
  return uri.size() > origin_uri.size() && uri.substr(uri.size() - origin_uri.size()) == origin_uri &&
         uri[uri.size() - origin_uri.size() - 1] == '/';
}

class Evaluator {
 public:
  Evaluator(const Observations& obs, const Scenario& scenario, const Profile& profile,
            const std::function<double()>& now_ms)
      : obs_(obs),
        profile_(profile),
        now_ms_(now_ms),
        results_(profile, scenario.origin.start_time),
        truth_(GroundTruth(scenario, profile, &obs.cues)),
        seg_(origin::SegmentDurationMicros(scenario.origin)),
        tol_(SecondsToMicros(profile.splice_tolerance_s)),
        scenario_(scenario) {
    // A failure belongs to the latest break whose slots (from one segment before its splice
    // point) had begun: an ad that outlives a break is that break's failure.
    results_.SetBreakLocator([this](UnixMicros t) -> std::string {
      const TruthBreak* latest = nullptr;
      for (const TruthBreak& b : truth_) {
        if (t >= b.splice_point - seg_ && (latest == nullptr || b.splice_point > latest->splice_point)) latest = &b;
      }
      return latest ? latest->label : "before the first break";
    });
    if (!obs.decisions_known) {
      // The target's own ad server: the pod is unknown, so the whole break is judged as ad time
      // (content inside it is still a failure; ad versus slate is not).
      for (TruthBreak& t : truth_) {
        t.pod_s = t.duration_s;
        t.pod_of_creatives = false;
      }
    }
  }

  std::vector<CheckResult> Run() {
    Phase([this] { ParseAll(); });
    Phase([this] { LintAll(); });
    Phase([this] { Variants(); });
    Phase([this] { SpliceSsai(); });
    Phase([this] { MapAndKey(); });
    Phase([this] { SpliceSgai(); });
    Phase([this] { SgaiAssets(); });
    Phase([this] { Duplicates(); });
    Phase([this] { Kv(); });
    Phase([this] { KvHitRate(); });
    Phase([this] { Latency(); });
    Phase([this] { Api(); });
    Phase([this] { Beacons(); });
    Phase([this] { Vast(); });
    std::map<std::string, std::string> skip;
    if (!obs_.beacons_observed) skip["beacon"] = "the target's ad server log is not readable";
    if (!obs_.vast_observed) skip["vast"] = "this scenario's decisions are not VAST";
    if (!obs_.kv_observed) skip["ttl"] = skip["kv"] = "the target does not expose its KV writes";
    if (obs_.observe_only) skip["api"] = "observe mode: the harness only watches, it sends the target no cue";
    if (!obs_.decisions_known) {
      for (const char* id : {"splice.slate_fills_short_pod", "splice.pod_fill_or_truncate", "splice.creative_discontinuity",
                             "splice.ad_bitrate_matches_rendition"}) {
        results_.Note(id, "the target uses its own ad server (target profile decision \"own\", or observe): the pod it got and its renditions are unknown");
      }
    }
    return results_.Finish(skip);
  }

 private:
  template <typename F>
  void Phase(F&& phase) {
    if (!now_ms_) return phase();
    results_.BeginPhase();
    const double t0 = now_ms_();
    phase();
    results_.EndPhase(now_ms_() - t0);
  }

  Kind KindOf(const std::string& uri) const {
    if (!obs_.slate_uri.empty() && uri == obs_.slate_uri) return Kind::kSlate;
    for (const std::string& slate : obs_.alternate_slate_uris) {
      if (uri == slate) return Kind::kSlate;
    }
    if (!obs_.ad_uri_prefix.empty()) return uri.rfind(obs_.ad_uri_prefix, 0) == 0 ? Kind::kAd : Kind::kContent;
    if (!obs_.content_segment_names.empty()) {
      return obs_.content_segment_names.count(SegmentFileName(uri)) ? Kind::kContent : Kind::kAd;
    }
    return Kind::kContent;
  }

  const TruthBreak* BreakAt(UnixMicros slot_start) const {
    for (const TruthBreak& b : truth_) {
      if (b.return_point > b.splice_point && slot_start >= b.splice_point - tol_ && slot_start < b.return_point - tol_) {
        return &b;
      }
    }
    return nullptr;
  }

  void ParseAll() {
    parsed_.reserve(obs_.fetches.size());
    for (const Fetch& f : obs_.fetches) {
      Parsed p;
      p.fetch = &f;
      if (f.response_time == 0) {
        results_.Fail("hls.response.ok", f.request_time, Where(f), "no response (the request never completed)");
        parsed_.push_back(std::move(p));
        continue;
      }
      if (f.http_status != 200) {
        results_.Fail("hls.response.ok", f.response_time, Where(f), "HTTP " + std::to_string(f.http_status),
                      Excerpt(f.body, 0, profile_.excerpt_lines));
        parsed_.push_back(std::move(p));
        continue;
      }
      if (f.rendition.empty()) {
        Result<hls::MasterPlaylist> m = hls::ParseMaster(f.body);
        if (!m.ok()) {
          results_.Fail("hls.response.ok", f.response_time, Where(f), "multivariant playlist does not parse: " +
                        m.status().message(), Excerpt(f.body, 0, profile_.excerpt_lines));
        } else {
          results_.Pass("hls.response.ok");
          for (const hls::Finding& finding : hls::LintMaster(*m)) {
            results_.Fail(finding.rule_id, f.response_time, Where(f), hls::FormatFinding(finding),
                          Excerpt(f.body, finding.line, profile_.excerpt_lines));
          }
          ++master_linted_;
        }
        parsed_.push_back(std::move(p));
        continue;
      }
      Result<hls::MediaPlaylist> m = hls::ParseMedia(f.body);
      if (!m.ok()) {
        results_.Fail("hls.response.ok", f.response_time, Where(f), "media playlist does not parse: " + m.status().message(),
                      Excerpt(f.body, 0, profile_.excerpt_lines));
        parsed_.push_back(std::move(p));
        continue;
      }
      results_.Pass("hls.response.ok");
      p.playlist = std::move(m).value();
      const std::vector<hls::MediaSegment>& segs = p.playlist->segments();
      for (size_t i = 0; i < segs.size(); ++i) {
        Slot s;
        s.msn = p.playlist->SequenceNumberOf(i);
        s.start = p.playlist->SegmentStartTime(i).value_or(0);
        s.duration = SecondsToMicros(segs[i].duration_s());
        s.uri = segs[i].uri();
        s.discontinuity = segs[i].discontinuity();
        s.kind = KindOf(s.uri);
        s.line = segs[i].uri_line();
        p.slots.push_back(std::move(s));
      }
      if (const OriginInfo* o = Origin(f.origin_body)) p.origin_uris = o->uris;
      parsed_.push_back(std::move(p));
    }
  }

  struct OriginInfo {
    std::optional<hls::MediaPlaylist> playlist;
    std::set<std::string> lint_rules;  // rules the origin itself breaks
    std::map<UnixMicros, std::string> uris;
    // EXT-X-MAP / EXT-X-KEY in force per slot start, when the origin declares any (hls.map/key.*).
    std::map<UnixMicros, hls::MediaInitState> media;
    bool has_map = false, has_key = false;
  };
  const OriginInfo* Origin(const std::string& body) {
    if (body.empty()) return nullptr;
    auto it = origin_cache_.find(body);
    if (it != origin_cache_.end()) return it->second.get();
    auto info = std::make_unique<OriginInfo>();
    Result<hls::MediaPlaylist> m = hls::ParseMedia(body);
    if (m.ok()) {
      for (const hls::Finding& f : hls::LintMedia(*m)) info->lint_rules.insert(f.rule_id);
      hls::MediaInitState in_force;
      for (size_t i = 0; i < m->segments().size(); ++i) {
        for (const hls::Tag& t : m->segments()[i].tags()) {
          in_force.Apply(t);
          info->has_map = info->has_map || t.type == hls::TagType::kMap;
          info->has_key = info->has_key || (t.type == hls::TagType::kKey && hls::KeyFormatOf(t.value).has_value());
        }
        if (std::optional<UnixMicros> t = m->SegmentStartTime(i)) info->uris[*t] = m->segments()[i].uri();
      }
      if (info->has_map || info->has_key) {  // TS in the clear (the common case) keeps none
        in_force = {};
        for (size_t i = 0; i < m->segments().size(); ++i) {
          for (const hls::Tag& t : m->segments()[i].tags()) in_force.Apply(t);
          if (std::optional<UnixMicros> t = m->SegmentStartTime(i)) info->media[*t] = in_force;
        }
      }
      info->playlist = std::move(m).value();
    }
    const OriginInfo* out = info.get();
    origin_cache_.emplace(body, std::move(info));
    return out;
  }

  // hls.*: every served playlist through LintMedia, every viewer's reloads of one rendition
  // through ReloadLinter. A finding counts only when the origin playlist the response was made
  // from does not break the same rule (the target passes an origin's own defects through).
  void LintAll() {
    std::map<std::string, hls::ReloadLinter> reload, origin_reload;
    int64_t media_linted = 0, reloads = 0;
    for (const Parsed& p : parsed_) {
      if (!p.playlist) continue;
      const Fetch& f = *p.fetch;
      const OriginInfo* origin = Origin(f.origin_body);
      ++media_linted;
      for (const hls::Finding& finding : hls::LintMedia(*p.playlist)) {
        if (origin && origin->lint_rules.count(finding.rule_id)) continue;
        results_.Fail(finding.rule_id, f.response_time, Where(f), hls::FormatFinding(finding),
                      Excerpt(f.body, finding.line, profile_.excerpt_lines));
      }
      const std::string stream = f.viewer + "|" + f.rendition + "|" + std::string(InsertionModeName(f.mode));
      std::set<std::string> origin_reload_rules;
      if (origin && origin->playlist) {
        for (const hls::Finding& x : origin_reload[stream].Observe(*origin->playlist)) origin_reload_rules.insert(x.rule_id);
      }
      ++reloads;
      for (const hls::Finding& finding : reload[stream].Observe(*p.playlist)) {
        if (origin_reload_rules.count(finding.rule_id)) continue;
        results_.Fail(finding.rule_id, f.response_time, Where(f) + " (reload " + std::to_string(f.reload) + ")",
                      hls::FormatFinding(finding), Excerpt(f.body, finding.line, profile_.excerpt_lines));
      }
    }
    for (const hls::RuleInfo& r : hls::LintRules()) {
      CheckResult& c = results_.Get(r.id);
      switch (r.scope) {
        case hls::RuleScope::kMedia: c.evaluated += media_linted; break;
        case hls::RuleScope::kMaster: c.evaluated += master_linted_; break;
        case hls::RuleScope::kBoth: c.evaluated += media_linted + master_linted_; break;
        case hls::RuleScope::kReload: c.evaluated += reloads; break;
      }
    }
  }

  // variants.*: the renditions one viewer loaded together (bis §6.2.4).
  void Variants() {
    std::map<std::pair<std::string, int64_t>, std::vector<const Parsed*>> groups;
    for (const Parsed& p : parsed_) {
      if (p.playlist) groups[{p.fetch->viewer, p.fetch->reload}].push_back(&p);
    }
    for (const auto& [key, group] : groups) {
      if (group.size() < 2) continue;
      // Variants against the first variant; each demuxed rendition against it too, under
      // variants.audio_aligned / variants.subtitles_aligned (issue 14).
      auto first = std::find_if(group.begin(), group.end(), [](const Parsed* p) { return p->fetch->alternate.empty(); });
      if (first == group.end()) continue;
      const Parsed& a = **first;
      for (size_t i = 0; i < group.size(); ++i) {
        if (group[i] == &a) continue;
        const Parsed& b = *group[i];
        if (!b.fetch->alternate.empty()) {
          AlternateAligned(a, b);
          continue;
        }
        const Fetch& f = *b.fetch;
        const std::string where = f.viewer + " " + a.fetch->rendition + " vs " + f.rendition;
        auto check = [&](const char* id, bool ok, const std::string& what) {
          if (ok) return results_.Pass(id);
          results_.Fail(id, f.response_time, where, what,
                        "--- " + a.fetch->rendition + "\n" + Excerpt(a.fetch->body, 0, profile_.excerpt_lines) +
                            "--- " + f.rendition + "\n" + Excerpt(f.body, 0, profile_.excerpt_lines));
        };
        // The origin's renditions may themselves be a segment apart at the instant they were
        // fetched (a capture's renditions were recorded at their own times): a target that passes
        // that through is not at fault, as lint passes an origin's own defects (LintAll). Aligned
        // output always passes (observe mode's origin snapshots are the recorder's, not taken at
        // the viewer's instant).
        const OriginInfo* oa = Origin(a.fetch->origin_body);
        const OriginInfo* ob = Origin(f.origin_body);
        const int64_t origin_skew = oa && ob && oa->playlist && ob->playlist
                                        ? ob->playlist->media_sequence() - oa->playlist->media_sequence()
                                        : 0;
        const int64_t skew = b.playlist->media_sequence() - a.playlist->media_sequence();
        check("variants.media_sequence_aligned", skew == 0 || skew == origin_skew,
              "MEDIA-SEQUENCE " + std::to_string(a.playlist->media_sequence()) + " vs " +
                  std::to_string(b.playlist->media_sequence()) +
                  (origin_skew != 0 ? " (the origin's: " + std::to_string(origin_skew) + " apart)" : ""));
        check("variants.discontinuity_sequence_aligned",
              a.playlist->discontinuity_sequence() == b.playlist->discontinuity_sequence(),
              "DISCONTINUITY-SEQUENCE " + std::to_string(a.playlist->discontinuity_sequence()) + " vs " +
                  std::to_string(b.playlist->discontinuity_sequence()));
        check("variants.target_duration_same", a.playlist->target_duration_s() == b.playlist->target_duration_s(),
              "TARGETDURATION differs");
        std::map<int64_t, const Slot*> bs;
        for (const Slot& s : b.slots) bs[s.msn] = &s;
        std::string disc, pdt, kinds;
        for (const Slot& s : a.slots) {
          auto it = bs.find(s.msn);
          if (it == bs.end()) continue;
          if (s.discontinuity != it->second->discontinuity && disc.empty()) {
            disc = "DISCONTINUITY on MSN " + std::to_string(s.msn) + " in " +
                   (s.discontinuity ? a.fetch->rendition : f.rendition) + " only";
          }
          if (s.start != it->second->start && pdt.empty()) {
            pdt = "MSN " + std::to_string(s.msn) + " starts " + FormatIso8601Millis(s.start) + " vs " +
                  FormatIso8601Millis(it->second->start);
          }
          if (s.kind != it->second->kind && kinds.empty()) {
            kinds = "MSN " + std::to_string(s.msn) + " is " + std::string(KindName(s.kind)) + " in " +
                    a.fetch->rendition + " but " + std::string(KindName(it->second->kind)) + " in " + f.rendition;
          }
        }
        check("variants.discontinuities_aligned", disc.empty(), disc);
        check("variants.pdt_aligned", pdt.empty(), pdt);
        check("variants.ad_slots_aligned", kinds.empty(), kinds);
        check("variants.dateranges_identical", DateRanges(*a.playlist) == DateRanges(*b.playlist),
              "EXT-X-DATERANGE sets differ");
      }
    }
  }

  // variants.audio_aligned / variants.subtitles_aligned (bis §6.2.4: every variant and rendition,
  // audio and subtitles included, has matching timestamps and discontinuity sequence numbers): a
  // demuxed rendition loaded with a variant has its MEDIA-SEQUENCE, DISCONTINUITY-SEQUENCE,
  // DISCONTINUITYs, PDTs and DATERANGEs, and plays inserted media (ad audio, silence, blank
  // subtitles) exactly where the variant plays ads or slate: no content audio under ad video, no
  // content cues during the break.
  void AlternateAligned(const Parsed& a, const Parsed& b) {
    const Fetch& f = *b.fetch;
    const char* id = f.alternate == "subtitles" ? "variants.subtitles_aligned" : "variants.audio_aligned";
    std::string problem;
    if (a.playlist->media_sequence() != b.playlist->media_sequence()) {
      problem = "MEDIA-SEQUENCE " + std::to_string(a.playlist->media_sequence()) + " vs " +
                std::to_string(b.playlist->media_sequence());
    } else if (a.playlist->discontinuity_sequence() != b.playlist->discontinuity_sequence()) {
      problem = "DISCONTINUITY-SEQUENCE " + std::to_string(a.playlist->discontinuity_sequence()) + " vs " +
                std::to_string(b.playlist->discontinuity_sequence());
    } else if (a.playlist->target_duration_s() != b.playlist->target_duration_s()) {
      problem = "TARGETDURATION differs";
    }
    std::map<int64_t, const Slot*> bs;
    for (const Slot& s : b.slots) bs[s.msn] = &s;
    for (const Slot& s : a.slots) {
      if (!problem.empty()) break;
      auto it = bs.find(s.msn);
      if (it == bs.end()) continue;
      const Slot& o = *it->second;
      const std::string msn = "MSN " + std::to_string(s.msn);
      if (s.discontinuity != o.discontinuity) {
        problem = "DISCONTINUITY on " + msn + " in " + (s.discontinuity ? a.fetch->rendition : f.rendition) + " only";
      } else if (s.start != o.start) {
        problem = msn + " starts " + FormatIso8601Millis(s.start) + " vs " + FormatIso8601Millis(o.start);
      } else if ((s.kind == Kind::kContent) != (o.kind == Kind::kContent)) {
        problem = msn + " is " + std::string(KindName(s.kind)) + " in " + a.fetch->rendition + " but " +
                  std::string(KindName(o.kind)) + " (" + o.uri + ") in " + f.rendition +
                  (o.kind == Kind::kContent ? (f.alternate == "subtitles" ? ": content cues during the break"
                                                                          : ": content audio under ad video")
                                            : "");
      }
    }
    if (problem.empty() && DateRanges(*a.playlist) != DateRanges(*b.playlist)) problem = "EXT-X-DATERANGE sets differ";
    if (problem.empty()) return results_.Pass(id);
    results_.Fail(id, f.response_time, f.viewer + " " + a.fetch->rendition + " vs " + f.rendition, problem,
                  "--- " + a.fetch->rendition + "\n" + Excerpt(a.fetch->body, 0, profile_.excerpt_lines) + "--- " +
                      f.rendition + "\n" + Excerpt(f.body, 0, profile_.excerpt_lines));
  }

  static std::set<std::string> DateRanges(const hls::MediaPlaylist& p) {
    std::set<std::string> out;
    for (const hls::MediaSegment& s : p.segments()) {
      for (const hls::Tag& t : s.tags()) {
        if (t.type == hls::TagType::kDateRange) out.insert(t.value);
      }
    }
    for (const hls::Tag& t : p.trailer()) {
      if (t.type == hls::TagType::kDateRange) out.insert(t.value);
    }
    return out;
  }

  // hls.map.* / hls.key.* (issue 14): walks each served SSAI playlist with the MAP/KEY in force
  // (hls::MediaInitState, the model the splicer uses) and compares every segment with what it
  // needs: an ad its own init and no content key; content the origin's MAP and KEYs at its PDT.
  // A URI may be served absolute where the origin wrote it relative (UriEndsWith).
  static bool SameTagValue(std::string_view served, std::string_view origin) {
    if (served == origin) return true;
    Result<hls::AttributeList> a = hls::AttributeList::Parse(served);
    Result<hls::AttributeList> b = hls::AttributeList::Parse(origin);
    if (!a.ok() || !b.ok() || a->attributes().size() != b->attributes().size()) return false;
    for (const hls::Attribute& x : b->attributes()) {
      const hls::Attribute* y = a->Find(x.name);
      if (y == nullptr) return false;
      if (x.name == "URI" ? !UriEndsWith(y->value, x.value) : y->value != x.value) return false;
    }
    return true;
  }
  static bool SameKeys(const hls::MediaInitState& served, const hls::MediaInitState& origin) {
    if (served.keys.size() != origin.keys.size()) return false;
    for (const auto& o : origin.keys) {
      bool found = false;
      for (const auto& k : served.keys) found = found || (k.first == o.first && SameTagValue(k.second, o.second));
      if (!found) return false;
    }
    return true;
  }
  static std::string Shown(const std::string& value) { return value.empty() ? "none" : value; }
  static std::string ShownKeys(const hls::MediaInitState& s) {
    if (s.keys.empty()) return "none (clear)";
    std::string out;
    for (const auto& k : s.keys) out += (out.empty() ? "" : " + ") + k.second;
    return out;
  }

  void MapAndKey() {
    for (const Parsed& p : parsed_) {
      if (!p.playlist || p.fetch->mode != InsertionMode::kSsai) continue;
      const Fetch& f = *p.fetch;
      const OriginInfo* origin = Origin(f.origin_body);
      if (origin == nullptr || !origin->playlist) continue;
      const auto& segs = p.playlist->segments();
      bool served_any = false;
      for (const hls::MediaSegment& seg : segs) served_any = served_any || seg.Has(hls::TagType::kMap) || seg.Has(hls::TagType::kKey);
      if (!origin->has_map && !origin->has_key && !served_any) continue;
      // Every MAP/KEY value the origin declares: an ad must be under none of them.
      std::vector<std::string> content_maps, content_keys;
      for (const auto& [t, st] : origin->media) {
        if (!st.map.empty()) content_maps.push_back(st.map);
        for (const auto& k : st.keys) content_keys.push_back(k.second);
      }
      hls::MediaInitState in_force;
      for (size_t i = 0; i < segs.size() && i < p.slots.size(); ++i) {
        for (const hls::Tag& t : segs[i].tags()) in_force.Apply(t);
        const Slot& s = p.slots[i];
        auto fail = [&](const char* id, const std::string& msg) {
          results_.Fail(id, f.response_time, Where(f) + " MSN " + std::to_string(s.msn),
                        msg + " (slot " + FormatIso8601Millis(s.start) + ")",
                        Excerpt(f.body, s.line, profile_.excerpt_lines));
        };
        if (s.kind != Kind::kContent) {
          if (origin->has_map) {
            bool content = false;
            for (const std::string& m : content_maps) content = content || SameTagValue(in_force.map, m);
            if (in_force.map.empty()) {
              fail("hls.map.ad_has_own_init", std::string(KindName(s.kind)) + " " + s.uri +
                                                  " in fMP4 content has no EXT-X-MAP in force");
            } else if (content) {
              fail("hls.map.ad_has_own_init", std::string(KindName(s.kind)) + " " + s.uri +
                                                  " is under the content's EXT-X-MAP:" + in_force.map);
            } else {
              results_.Pass("hls.map.ad_has_own_init");
            }
          }
          if (origin->has_key) {
            std::string inherited;
            for (const auto& k : in_force.keys) {
              for (const std::string& c : content_keys) {
                if (SameTagValue(k.second, c)) inherited = k.second;
              }
            }
            if (inherited.empty()) {
              results_.Pass("hls.key.ad_key_declared");
            } else {
              fail("hls.key.ad_key_declared", std::string(KindName(s.kind)) + " " + s.uri +
                                                  " is under the content's EXT-X-KEY:" + inherited +
                                                  " (expected METHOD=NONE or the ad's own key)");
            }
          }
          continue;
        }
        auto o = origin->media.find(s.start);
        if (o == origin->media.end()) continue;  // a slot the origin playlist does not list
        const hls::MediaInitState& want = o->second;
        if (origin->has_map || !in_force.map.empty()) {
          if (want.map.empty() ? in_force.map.empty() : SameTagValue(in_force.map, want.map)) {
            results_.Pass("hls.map.content_init_restored");
          } else {
            fail("hls.map.content_init_restored", "content " + s.uri + " is under EXT-X-MAP " + Shown(in_force.map) +
                                                      "; the origin has " + Shown(want.map));
          }
        }
        if (origin->has_key || !in_force.keys.empty()) {
          if (SameKeys(in_force, want)) {
            results_.Pass("hls.key.content_key_restored");
          } else {
            fail("hls.key.content_key_restored", "content " + s.uri + " is under EXT-X-KEY " + ShownKeys(in_force) +
                                                     "; the origin has " + ShownKeys(want));
          }
        }
      }
    }
  }

  // splice.* and ttl.no_ad_after_end for SSAI responses, slot by slot against the ground truth.
  // When the break was planned to end (the OUT's announced duration, the cue's duration).
  static UnixMicros PlannedEnd(const TruthBreak& t) { return t.cue_time + SecondsToMicros(t.planned_duration_s); }
  // Ended a slot or more before its plan: stopped through the API, or an early IN.
  bool StoppedEarly(const TruthBreak& t) const { return t.end_time < PlannedEnd(t) - tol_; }

  void SpliceSsai() {
    // (viewer, rendition, break index) -> msn -> slot as last seen, for ad seconds.
    std::map<std::tuple<std::string, std::string, size_t>, std::map<int64_t, Slot>> seen;
    for (const Parsed& p : parsed_) {
      if (!p.playlist || p.fetch->mode != InsertionMode::kSsai) continue;
      const Fetch& f = *p.fetch;
      for (size_t i = 0; i < p.slots.size(); ++i) {
        const Slot& s = p.slots[i];
        const std::string where = Where(f) + " MSN " + std::to_string(s.msn);
        auto fail = [&](const char* id, const std::string& msg) {
          results_.Fail(id, f.response_time, where, msg + " (slot " + FormatIso8601Millis(s.start) + ")",
                        Excerpt(f.body, s.line, profile_.excerpt_lines));
        };
        const TruthBreak* b = BreakAt(s.start);
        for (size_t k = 0; k < truth_.size(); ++k) {
          const TruthBreak& t = truth_[k];
          // Up to the planned end (an ad running past an early end counts here), but never into
          // the next break (a stopped break followed by another one, issue 16).
          UnixMicros until = std::max(t.return_point, PlannedEnd(t)) + seg_;
          if (k + 1 < truth_.size()) until = std::min(until, truth_[k + 1].splice_point - tol_);
          if (s.start >= t.splice_point - seg_ - tol_ && s.start < until) {
            seen[{f.viewer, f.rendition, k}][s.msn] = s;
          }
        }
        if (b != nullptr) {
          const bool first = std::llabs(s.start - b->splice_point) <= tol_;
          const bool pod_covers = s.start - b->splice_point + s.duration / 2 < SecondsToMicros(b->pod_s);
          if (s.kind == Kind::kContent) {
            if (first) {
              fail("splice.ad_starts_within", "content where " + b->label + " should start");
            } else if (!pod_covers) {
              fail("splice.slate_fills_short_pod", "content inside " + b->label + " where slate should fill");
            } else {
              fail("splice.no_content_in_break", "content inside " + b->label);
            }
            continue;
          }
          results_.Pass(first ? "splice.ad_starts_within" : pod_covers ? "splice.no_content_in_break"
                                                                        : "splice.slate_fills_short_pod");
          // The first segment of a window needs no tag: DISCONTINUITY-SEQUENCE accounts for it
          // (RFC 8216 §4.3.3.3; splicer.h "Discontinuities").
          if (first && i > 0) {
            if (s.discontinuity) {
              results_.Pass("splice.discontinuity_at_ad_start");
            } else {
              fail("splice.discontinuity_at_ad_start", "first ad slot of " + b->label + " has no EXT-X-DISCONTINUITY");
            }
          }
          if (b->pod_of_creatives) {
            // Pods of creatives (splicer.h): each creative, and the slate after them, is its own
            // timeline; nothing of the pod plays past the return slot.
            if (s.start + s.duration > b->return_point + kPodEndToleranceUs) {
              fail("splice.pod_fill_or_truncate", std::string(KindName(s.kind)) + " " + s.uri + " ends " +
                                                      FormatIso8601Millis(s.start + s.duration) + ", after " +
                                                      b->label + " returns at " + FormatIso8601Millis(b->return_point));
            } else {
              results_.Pass("splice.pod_fill_or_truncate");
            }
            if (i > 0 && p.slots[i - 1].kind != Kind::kContent && BreakAt(p.slots[i - 1].start) == b) {
              const Slot& prev = p.slots[i - 1];
              auto dir = [](const std::string& u) { return u.substr(0, u.rfind('/')); };
              const bool new_piece = prev.kind != s.kind || (s.kind == Kind::kAd && dir(prev.uri) != dir(s.uri));
              if (new_piece) {
                if (s.discontinuity) {
                  results_.Pass("splice.creative_discontinuity");
                } else {
                  fail("splice.creative_discontinuity", std::string(KindName(s.kind)) + " " + s.uri + " follows " +
                                                            prev.uri + " in " + b->label + " without EXT-X-DISCONTINUITY");
                }
              }
            }
          }
          // The harness's ad server names each rendition's URI by its bitrate; another ad server's
          // naming is unknown (skipped below).
          // (Demuxed audio is named by language, subtitles have none: variants.audio_aligned.)
          if (s.kind == Kind::kAd && obs_.decisions_known && f.alternate.empty()) {
            const std::string marker = "/" + std::to_string(f.bandwidth_bps) + "/";
            if (s.uri.find(marker) != std::string::npos) {
              results_.Pass("splice.ad_bitrate_matches_rendition");
            } else {
              fail("splice.ad_bitrate_matches_rendition",
                   "ad " + s.uri + " is not the " + std::to_string(f.bandwidth_bps) + " bps variant");
            }
          }
          continue;
        }
        // Outside every break: content, the origin's.
        const TruthBreak* after = nullptr;   // the break this slot follows
        const TruthBreak* before = nullptr;  // the break this slot precedes
        for (const TruthBreak& t : truth_) {
          if (s.start >= t.return_point - tol_) after = &t;
          if (!before && s.start < t.splice_point - tol_) before = &t;
        }
        // A break that ended before its plan (an API stop, an early CUE-IN or SCTE-35 return) is
        // judged by ttl.no_ad_after_stop: whatever KV or a cache still holds of its plan, the
        // viewer must not see it (issue 16).
        const char* after_check = after != nullptr && StoppedEarly(*after) ? "ttl.no_ad_after_stop" : "ttl.no_ad_after_end";
        if (s.kind != Kind::kContent) {
          if (after != nullptr && std::llabs(s.start - after->return_point) <= tol_) {
            fail("splice.content_resumes_at_pdt", std::string(KindName(s.kind)) + " where content should resume after " +
                                                      after->label);
          }
          if (after != nullptr) {
            fail(after_check, std::string(KindName(s.kind)) + " after the end of " + after->label + " (" +
                                  FormatIso8601Millis(after->end_time) +
                                  (StoppedEarly(*after) ? ", planned " + FormatIso8601Millis(PlannedEnd(*after)) : "") + ")");
          } else {
            fail("splice.ad_starts_within", std::string(KindName(s.kind)) + " before " +
                                                (before ? before->label : std::string("any break")));
          }
          continue;
        }
        results_.Pass(after_check);
        auto o = p.origin_uris.find(s.start);
        if (o != p.origin_uris.end()) {
          if (UriEndsWith(s.uri, o->second)) {
            results_.Pass("splice.content_unchanged");
          } else {
            fail("splice.content_unchanged", "content " + s.uri + " but the origin has " + o->second + " at this PDT");
          }
        }
        for (const TruthBreak& t : truth_) {
          if (t.return_point <= t.splice_point || std::llabs(s.start - t.return_point) > tol_) continue;
          results_.Pass("splice.content_resumes_at_pdt");
          if (i == 0) continue;  // first in the window: see splice.discontinuity_at_ad_start
          if (s.discontinuity) {
            results_.Pass("splice.discontinuity_on_return");
          } else {
            fail("splice.discontinuity_on_return", "content returns after " + t.label + " without EXT-X-DISCONTINUITY");
          }
        }
      }
    }
    // Ad seconds per viewer, rendition and break, once the viewer saw the whole break.
    const double tolerance_s = profile_.ad_seconds_tolerance_segments * MicrosToSeconds(seg_) + 0.001;
    for (const auto& [key, slots] : seen) {
      const TruthBreak& t = truth_[std::get<2>(key)];
      bool saw_start = false, saw_return = false;
      double ad_s = 0;
      UnixMicros last_time = 0;
      for (const auto& [msn, s] : slots) {
        saw_start |= std::llabs(s.start - t.splice_point) <= tol_;
        saw_return |= std::llabs(s.start - t.return_point) <= tol_;
        if (s.kind != Kind::kContent) ad_s += MicrosToSeconds(s.duration);
        last_time = std::max(last_time, s.start);
      }
      if (!saw_start || !saw_return || t.return_point <= t.splice_point) continue;
      if (t.pod_of_creatives) {
        // The pod (ad + slate) fills the break's slots exactly: slate after a short pod, the ad
        // playing at the return cut there.
        const double span_s = MicrosToSeconds(t.return_point - t.splice_point);
        bool has_slate = false;
        Kind last = Kind::kContent;
        for (const auto& [msn, s] : slots) {
          if (s.kind == Kind::kContent || s.start < t.splice_point - tol_ || s.start >= t.return_point - tol_) continue;
          has_slate |= s.kind == Kind::kSlate;
          last = s.kind;
        }
        std::string problem;
        if (std::fabs(ad_s - span_s) > 0.01) {
          problem = "shown " + Secs(ad_s) + " of ad/slate for the " + Secs(span_s) + " between its splice and return slots";
        } else if (t.pod_s < span_s - 0.01 && (!has_slate || last != Kind::kSlate)) {
          problem = "a " + Secs(t.pod_s) + " pod in " + Secs(span_s) + " is not filled with slate to the end";
        } else if (t.pod_s >= span_s - 0.01 && has_slate) {
          problem = "slate in a " + Secs(t.pod_s) + " pod that fills " + Secs(span_s);
        }
        if (problem.empty()) {
          results_.Pass("splice.pod_fill_or_truncate");
        } else {
          results_.Fail("splice.pod_fill_or_truncate", t.end_time, std::get<0>(key) + " " + std::get<1>(key),
                        t.label + ": " + problem);
        }
      }
      if (std::fabs(ad_s - t.duration_s) <= tolerance_s) {
        results_.Pass("splice.ad_seconds_match_break");
      } else {
        results_.Fail("splice.ad_seconds_match_break", t.end_time, std::get<0>(key) + " " + std::get<1>(key),
                      "shown " + Secs(ad_s) + " of ad/slate for " + t.label + " lasting " + Secs(t.duration_s) +
                          " (tolerance " + Secs(tolerance_s) + ")");
      }
    }
  }

  struct Interstitial {
    std::string id;
    UnixMicros start = 0;
    double duration_s = -1;
  };
  static std::vector<Interstitial> Interstitials(const hls::MediaPlaylist& p) {
    std::vector<Interstitial> out;
    hls::ForEachInterstitial(p, [&](const hls::AttributeList& a) {
      Interstitial i;
      i.id = std::string(a.GetQuotedString("ID").value_or(""));
      i.start = a.GetDate("START-DATE").value_or(0);
      i.duration_s = a.GetFloat("DURATION").value_or(-1);
      out.push_back(i);
    });
    return out;
  }

  // SGAI (bis Appendix D): content untouched, one interstitial per break at the cue.
  void SpliceSgai() {
    const double tolerance_s = profile_.ad_seconds_tolerance_segments * MicrosToSeconds(seg_) + 0.001;
    const DurationMicros start_tol = SecondsToMicros(profile_.sgai_start_tolerance_s);
    for (const Parsed& p : parsed_) {
      if (!p.playlist || p.fetch->mode != InsertionMode::kSgai || p.slots.empty()) continue;
      const Fetch& f = *p.fetch;
      const std::string excerpt = Excerpt(f.body, 0, profile_.excerpt_lines);
      for (const Slot& s : p.slots) {
        auto o = p.origin_uris.find(s.start);
        if (s.kind != Kind::kContent) {
          results_.Fail("splice.content_unchanged", f.response_time, Where(f),
                        "SGAI response replaced MSN " + std::to_string(s.msn) + " with " + s.uri,
                        Excerpt(f.body, s.line, profile_.excerpt_lines));
        } else if (o != p.origin_uris.end()) {
          if (UriEndsWith(s.uri, o->second)) {
            results_.Pass("splice.content_unchanged");
          } else {
            results_.Fail("splice.content_unchanged", f.response_time, Where(f),
                          "MSN " + std::to_string(s.msn) + " is " + s.uri + ", origin has " + o->second,
                          Excerpt(f.body, s.line, profile_.excerpt_lines));
          }
        }
      }
      const UnixMicros window_start = p.slots.front().start;
      const UnixMicros window_end = p.slots.back().start + p.slots.back().duration;
      const std::vector<Interstitial> found = Interstitials(*p.playlist);
      for (const TruthBreak& t : truth_) {
        // A break whose first slot is in the window must be announced there.
        if (t.splice_point < window_start || t.splice_point >= window_end) continue;
        // The splice point, not the cue time: a cue inside a segment splices at the next boundary
        // (SSAI replaces whole segments), and an interstitial there resumes the primary content
        // on a segment boundary too, so SSAI and SGAI viewers see the break at the same instant.
        const Interstitial* match = nullptr;
        for (const Interstitial& i : found) {
          if (std::llabs(i.start - t.splice_point) <= start_tol) match = &i;
        }
        if (match == nullptr) {
          results_.Fail("splice.sgai_interstitial_at_cue", f.response_time, Where(f),
                        "no interstitial starting at the splice point " + FormatIso8601Millis(t.splice_point) + " for " + t.label, excerpt);
          continue;
        }
        results_.Pass("splice.sgai_interstitial_at_cue");
        if (std::fabs(match->duration_s - t.duration_s) <= tolerance_s) {
          results_.Pass("splice.ad_seconds_match_break");
        } else {
          results_.Fail("splice.ad_seconds_match_break", f.response_time, Where(f),
                        "interstitial " + match->id + " lasts " + Secs(match->duration_s) + ", " + t.label +
                            " lasts " + Secs(t.duration_s),
                        excerpt);
        }
        if (match->start + SecondsToMicros(match->duration_s) > t.end_time + seg_) {
          results_.Fail("ttl.no_ad_after_end", f.response_time, Where(f),
                        "interstitial " + match->id + " runs past the end of " + t.label, excerpt);
        } else {
          results_.Pass("ttl.no_ad_after_end");
        }
      }
      for (const Interstitial& i : found) {
        bool known = false;
        for (const TruthBreak& t : truth_) known |= std::llabs(i.start - t.splice_point) <= start_tol;
        if (!known) {
          results_.Fail("splice.sgai_interstitial_at_cue", f.response_time, Where(f),
                        "interstitial " + i.id + " at " + FormatIso8601Millis(i.start) + " matches no cue", excerpt);
        }
        sgai_ids_[i.start / kMicrosPerSecond].insert(i.id);
      }
    }
  }

  // splice.sgai_asset_matches_rendition (issue 16): bis Appendix D.2 lets a player play an
  // interstitial's asset like any playlist; a media playlist above the viewer's variant BANDWIDTH
  // is played anyway (the stall SSAI's bitrate matching avoids), a multivariant one is chosen from.
  void SgaiAssets() {
    static constexpr std::string_view kId = "splice.sgai_asset_matches_rendition";
    int64_t unknown = 0;
    for (const SgaiAssetRecord& a : obs_.sgai_assets) {
      const std::string where = a.viewer + " " + a.rendition + " (" + std::to_string(a.bandwidth_bps) + " bps) interstitial " +
                                a.interstitial_id;
      const std::string source = a.list_url.empty() ? "X-ASSET-URI" : "X-ASSET-LIST " + a.list_url;
      if (!a.error.empty()) {
        results_.Fail(kId, a.time, where, source + ": " + (a.asset_url.empty() ? "" : a.asset_url + ": ") + a.error);
        continue;
      }
      if (a.multivariant) {
        if (a.variants > 0) {
          results_.Pass(kId);
        } else {
          results_.Fail(kId, a.time, where, source + ": " + a.asset_url + " is a multivariant playlist with no variant");
        }
        continue;
      }
      // A media playlist's bitrate: the harness's ad server names each variant's URI by its
      // bitrate (".../{bps}.m3u8", as splice.ad_bitrate_matches_rendition reads it), else the
      // playlist's own EXT-X-BITRATE.
      int64_t bps = a.declared_bitrate_bps;
      if (obs_.decisions_known && !obs_.ad_uri_prefix.empty() && a.asset_url.starts_with(obs_.ad_uri_prefix)) {
        const std::string file = SegmentFileName(a.asset_url);
        if (file.ends_with(".m3u8")) {
          if (std::optional<int64_t> n = ParseInt64(std::string_view(file).substr(0, file.size() - 5)); n && *n > 0) bps = *n;
        }
      }
      if (bps <= 0) {
        ++unknown;
        continue;
      }
      if (bps <= a.bandwidth_bps) {
        results_.Pass(kId);
      } else {
        results_.Fail(kId, a.time, where,
                      source + ": " + a.asset_url + " is a " + std::to_string(bps) + " bps media playlist, above the viewer's " +
                          std::to_string(a.bandwidth_bps) + " bps variant (and not a multivariant playlist to choose from)");
      }
    }
    if (unknown > 0) {
      results_.Note(kId, std::to_string(unknown) + " asset(s) are media playlists of unknown bitrate (an ad server the "
                         "harness does not know, no EXT-X-BITRATE): not judged");
    }
  }

  // splice.no_duplicate_break: one decision request and one event id per break.
  void Duplicates() {
    for (const TruthBreak& t : truth_) {
      if (obs_.decisions_observed) {
        std::vector<std::string> ids;
        for (const DecisionRequestRecord& d : obs_.decision_requests) {
          if (d.time >= t.cue_time - seg_ && d.time < t.end_time) ids.push_back(d.event_id);
        }
        if (ids.size() <= 1) {
          results_.Pass("splice.no_duplicate_break");
        } else {
          std::string list;
          for (const std::string& id : ids) list += (list.empty() ? "" : ", ") + id;
          results_.Fail("splice.no_duplicate_break", t.cue_time, "decision service",
                        std::to_string(ids.size()) + " decision requests during " + t.label + ": " + list);
        }
      }
      std::set<std::string> events;
      UnixMicros when = 0;
      for (const Parsed& p : parsed_) {
        if (!p.playlist || p.slots.empty() || p.fetch->event_id.empty()) continue;
        const UnixMicros newest = p.slots.back().start;
        if (newest >= t.splice_point - tol_ && newest < t.return_point - tol_) {
          if (events.insert(p.fetch->event_id).second) when = p.fetch->response_time;
        }
      }
      if (events.size() > 1) {
        std::string list;
        for (const std::string& id : events) list += (list.empty() ? "" : ", ") + id;
        results_.Fail("splice.no_duplicate_break", when, "manifest responses",
                      "responses inside " + t.label + " name " + std::to_string(events.size()) + " breaks: " + list);
      } else if (!events.empty()) {
        results_.Pass("splice.no_duplicate_break");
      }
    }
    for (const auto& [second, ids] : sgai_ids_) {
      if (ids.size() > 1) {
        std::string list;
        for (const std::string& id : ids) list += (list.empty() ? "" : ", ") + id;
        results_.Fail("splice.no_duplicate_break", second * kMicrosPerSecond, "SGAI responses",
                      "several interstitials start at the same second: " + list);
      }
    }
  }

  void Kv() {
    if (!obs_.kv_observed) return;
    std::map<std::string, UnixMicros> last_accepted;
    for (const KvPut& p : obs_.kv_puts) {
      const std::string where = "KV put " + p.key;
      if (p.ttl_s < kKvMinExpirationTtlS) {
        results_.Fail("ttl.min_60", p.time, where, "expirationTtl " + std::to_string(p.ttl_s) + " s");
      } else {
        results_.Pass("ttl.min_60");
      }
      if (!p.accepted && p.error.find("write/s") != std::string::npos) {
        results_.Fail("kv.write_rate_per_key", p.time, where, "rejected: " + p.error);
      } else {
        results_.Pass("kv.write_rate_per_key");
      }
      if (p.key.rfind("adbreak:", 0) == 0) {
        Result<AdBreakState> s = ParseAdBreakState(p.value);
        if (!s.ok()) {
          results_.Fail("kv.document_valid", p.time, where, s.status().message(), p.value.substr(0, 400));
          continue;
        }
        results_.Pass("kv.document_valid");
        // The seed's floor(duration)+60 for a write at startTime; a later write (the cue seen after
        // its first segment was published, a rewrite after an early IN or a restart) keeps the
        // key's expiry at most 60 s past endTime: min(floor(d), ceil(end - now)) + 60
        // (coordinator.h). Either way never more than floor(d)+60, never under 60.
        const UnixMicros put_ms = p.time / kMicrosPerMilli * kMicrosPerMilli;
        const int64_t left_s = std::max<int64_t>(0, (s->end_time - put_ms + kMicrosPerSecond - 1) / kMicrosPerSecond);
        const int64_t want = std::min(AdBreakTtlSeconds(s->duration_s), left_s + kAdBreakTtlMarginS);
        if (p.ttl_s == want) {
          results_.Pass("ttl.break_key_ttl");
        } else {
          results_.Fail("ttl.break_key_ttl", p.time, where,
                        "expirationTtl " + std::to_string(p.ttl_s) + " s, want min(floor(" + FormatDouble(s->duration_s) +
                            "), " + std::to_string(left_s) + " s to endTime)+60 = " + std::to_string(want) + " s");
        }
        if (p.time + p.ttl_s * kMicrosPerSecond >= s->end_time) {
          results_.Pass("ttl.key_outlives_break");
        } else {
          results_.Fail("ttl.key_outlives_break", p.time, where,
                        "key expires at " + FormatIso8601Millis(p.time + p.ttl_s * kMicrosPerSecond) +
                            ", before the break ends at " + FormatIso8601Millis(s->end_time));
        }
      } else if (p.key.rfind(kChannelStateKeyPrefix, 0) == 0) {
        Result<ChannelState> s = ParseChannelState(p.value);
        if (s.ok()) {
          results_.Pass("kv.document_valid");
        } else {
          results_.Fail("kv.document_valid", p.time, where, s.status().message(), p.value.substr(0, 400));
        }
      }
    }
    for (const KvExpiryProbe& e : obs_.kv_expiry) {
      if (e.still_visible_at.empty()) {
        results_.Pass("ttl.key_gone_after_expiry");
      } else {
        std::string at;
        for (const std::string& s : e.still_visible_at) at += (at.empty() ? "" : ", ") + s;
        results_.Fail("ttl.key_gone_after_expiry", e.probed_at, "KV key " + e.key,
                      "expired at " + FormatIso8601Millis(e.expires_at) + " but still returned by " + at);
      }
    }
  }

  // kv.hit_rate.min per POP, over media requests that consulted KV (the state source each
  // response reports; a real-time target needs no KV access for this one).
  void KvHitRate() {
    if (!obs_.reads_kv) {
      results_.Note("kv.hit_rate.min", "the build does not read KV");
      return;
    }
    std::map<std::string, std::pair<int64_t, int64_t>> per_pop;  // hits, reads
    for (const Fetch& f : obs_.fetches) {
      if (f.rendition.empty() || f.http_status != 200 || f.state_source.empty()) continue;
      auto& [hits, reads] = per_pop[f.pop];
      ++reads;
      hits += f.state_source == "kv-hit";
    }
    std::string summary;
    for (const auto& [pop, hr] : per_pop) {
      const double rate = hr.second ? static_cast<double>(hr.first) / static_cast<double>(hr.second) : 1;
      std::string r;
      AppendFixed(rate, 3, &r);
      summary += (summary.empty() ? "" : ", ") + pop + " " + r;
      if (rate + 1e-12 >= profile_.kv_hit_rate_min) {
        results_.Pass("kv.hit_rate.min");
      } else {
        std::string min;
        AppendFixed(profile_.kv_hit_rate_min, 3, &min);
        results_.Fail("kv.hit_rate.min", 0, "POP " + pop,
                      "KV hit rate " + r + " (" + std::to_string(hr.first) + "/" + std::to_string(hr.second) +
                          ") under the minimum " + min);
      }
    }
    results_.Note("kv.hit_rate.min", "hit rate per POP: " + summary);
  }

  void Latency() {
    std::vector<std::pair<DurationMicros, const Fetch*>> lat;
    for (const Fetch& f : obs_.fetches) {
      if (f.response_time != 0) lat.emplace_back(f.response_time - f.request_time, &f);
    }
    if (lat.empty()) return;
    std::sort(lat.begin(), lat.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    // Nearest rank.
    const size_t rank = static_cast<size_t>(std::ceil(0.95 * static_cast<double>(lat.size())));
    const DurationMicros p95 = lat[std::max<size_t>(rank, 1) - 1].first;
    const double p95_ms = static_cast<double>(p95) / 1000.0;
    const double max_ms = static_cast<double>(lat.back().first) / 1000.0;
    std::string note = "P95 " + FormatDouble(p95_ms) + " ms, max " + FormatDouble(max_ms) + " ms over " +
                       std::to_string(lat.size()) + " responses";
    results_.Note("latency.p95.max", note);
    results_.Note("latency.max", note);
    if (p95_ms <= profile_.latency_p95_max_ms) {
      results_.Pass("latency.p95.max");
    } else {
      const Fetch& f = *lat.back().second;
      results_.Fail("latency.p95.max", f.request_time, Where(f),
                    "P95 " + FormatDouble(p95_ms) + " ms > " + FormatDouble(profile_.latency_p95_max_ms) +
                        " ms (slowest shown: " + FormatDouble(max_ms) + " ms, source " + f.state_source + ")");
    }
    for (const auto& [us, f] : lat) {
      const double ms = static_cast<double>(us) / 1000.0;
      if (ms <= profile_.latency_max_ms) {
        results_.Pass("latency.max");
      } else {
        results_.Fail("latency.max", f->request_time, Where(*f),
                      FormatDouble(ms) + " ms > " + FormatDouble(profile_.latency_max_ms) + " ms (source " +
                          f->state_source + ")");
      }
    }
  }

  void Api() {
    for (const ApiProbeRecord& p : obs_.api_probes) {
      const std::string where = "POST /cue " + p.body;
      if (!p.allowed_statuses.empty()) {
        JudgeProbeByClass(p, where);
        continue;
      }
      const bool status_ok = p.expected_status == 0 ? (p.http_status == 0 || (p.http_status >= 400 && p.http_status < 500))
                                                    : p.http_status == p.expected_status;
      if (p.refused && status_ok && p.error.find(p.expected) != std::string::npos) {
        results_.Pass(p.check_id);
      } else if (p.refused && !status_ok) {
        results_.Fail(p.check_id, 0, where,
                      "refused with HTTP " + std::to_string(p.http_status) + " \"" + p.error + "\", want HTTP " +
                          (p.expected_status ? std::to_string(p.expected_status) : std::string("4xx")));
      } else {
        results_.Fail(p.check_id, 0, where,
                      p.refused ? "refused with \"" + p.error + "\", want an error containing \"" + p.expected + "\""
                                : "accepted (" + p.error + "), want a refusal containing \"" + p.expected + "\"");
      }
      if (!obs_.http_api || !p.refused) continue;
      // api.error.json: the refusal is a JSON object {"error": "..."} naming the problem.
      nlohmann::json j = nlohmann::json::parse(p.response_body, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.contains("error") && j["error"].is_string() &&
          j["error"].get<std::string>().find(p.expected) != std::string::npos) {
        results_.Pass("api.error.json");
      } else {
        results_.Fail("api.error.json", 0, where,
                      "HTTP " + std::to_string(p.http_status) + " body is not {\"error\": \"...\"} naming \"" +
                          p.expected + "\": " + p.response_body.substr(0, 200));
      }
    }
    if (!obs_.api_strict) {
      for (const char* id : {"api.cue.unknown_field", "api.cue.pod_id_length", "api.cue.body_size"}) {
        results_.Note(id, "our server's own strictness and limits (unknown fields refused, 128-char pod id, 64 KiB "
                          "body); a third-party target sets its own: judged only with cue.api_checks \"strict\"");
      }
    }
    if (!obs_.http_api && !obs_.observe_only) {
      for (const char* id : {"api.auth.missing_token", "api.auth.wrong_token", "api.error.json"}) {
        results_.Note(id, "the target has no HTTP API (builtin: the cue reaches the coordinator in-process)");
      }
    }
    const DurationMicros lead_max = SecondsToMicros(profile_.api_cue_lead_max_s);
    for (const CueApiRecord& c : obs_.cues) {
      // A stop's acknowledged times are those of the break it ends: ttl.no_ad_after_stop judges it.
      if (!c.ok || c.duplicate || c.stop || c.start_time == 0) continue;
      const std::string where = "POST /cue " + c.body;
      // 1 s of slack for a remote target's clock (the harness stamps c.time when it sends).
      if (c.start_time < c.time - kMicrosPerSecond) {
        results_.Fail("api.cue.start_announced", c.time, where,
                      "acknowledged startTime " + FormatIso8601Millis(c.start_time) + " is before the cue was sent");
      } else if (c.start_time - c.time > lead_max) {
        results_.Fail("api.cue.start_announced", c.time, where,
                      "acknowledged startTime " + FormatIso8601Millis(c.start_time) + " is " +
                          Secs(MicrosToSeconds(c.start_time - c.time)) + " after the cue, more than api_cue_lead_max_s " +
                          Secs(profile_.api_cue_lead_max_s));
      } else {
        results_.Pass("api.cue.start_announced");
      }
    }
    for (const CueApiRecord& c : obs_.cues) {
      const std::string where = "POST /cue " + c.body;
      if (!c.expect_duplicate) {
        if (c.ok && !c.duplicate) {
          results_.Pass("api.cue.valid_accepted");
        } else {
          results_.Fail("api.cue.valid_accepted", c.time, where,
                        c.ok ? "acknowledged as a duplicate of " + c.event_id : "refused: " + c.error);
        }
      } else if (!obs_.cue_duplicate_observed) {
        results_.Note("api.cue.duplicate_acknowledged",
                      "the target profile names no cue.duplicate_pointer: its answers do not say whether a cue was a "
                      "duplicate (splice.no_duplicate_break still judges the playlists)");
      } else if (c.ok && c.duplicate) {
        results_.Pass("api.cue.duplicate_acknowledged");
      } else {
        results_.Fail("api.cue.duplicate_acknowledged", c.time, where,
                      c.ok ? "a repeated cue made a new break " + c.event_id : "refused: " + c.error);
      }
    }
  }

  // A third-party target's refusal (cue.api_checks "classes"): a fitting 4xx and a JSON body say
  // "refused, and why" in a way a client can handle; the wording and our limits are its own.
  void JudgeProbeByClass(const ApiProbeRecord& p, const std::string& where) {
    std::string allowed;
    bool status_ok = false;
    for (int st : p.allowed_statuses) {
      allowed += (allowed.empty() ? "" : "/") + std::to_string(st);
      status_ok |= p.http_status == st;
    }
    if (status_ok) {
      results_.Pass(p.check_id);
    } else {
      results_.Fail(p.check_id, 0, where,
                    (p.http_status == 0 ? "no answer (" + p.error + ")"
                     : p.refused        ? "refused with HTTP " + std::to_string(p.http_status)
                                        : "accepted (HTTP " + std::to_string(p.http_status) + ")") +
                        ", want a refusal (" + p.expected + ") with HTTP " + allowed);
    }
    if (!p.refused) return;
    nlohmann::json j = nlohmann::json::parse(p.response_body, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && !j.empty()) {
      results_.Pass("api.error.json");
    } else {
      results_.Fail("api.error.json", 0, where,
                    "HTTP " + std::to_string(p.http_status) + " body is not a JSON object a client can read: " +
                        p.response_body.substr(0, 200));
    }
  }

  // ---- Issue 15: server-side tracking beacons and VAST --------------------------------------
  // An ad segment's creative and index: "{ad_uri_prefix}{ad}/{bps}/seg_{i}.ts" (builtin) or
  // "{ad_uri_prefix}{ad}/{bps}_{i}.ts" (the harness's ad server); ".m4s" for CMAF ads.
  static std::optional<std::pair<std::string, int>> AdSegmentOf(std::string_view uri, std::string_view prefix) {
    // MPEG-TS ads end in .ts, CMAF ads (issue 14) in .m4s.
    size_t ext = 0;
    if (uri.ends_with(".ts")) ext = 3;
    if (uri.ends_with(".m4s")) ext = 4;
    if (prefix.empty() || !uri.starts_with(prefix) || ext == 0) return std::nullopt;
    std::string_view rest = uri.substr(prefix.size(), uri.size() - prefix.size() - ext);
    const size_t slash = rest.find('/');
    const size_t under = rest.rfind('_');
    if (slash == std::string_view::npos || under == std::string_view::npos || under < slash) return std::nullopt;
    std::optional<int64_t> i = ParseInt64(rest.substr(under + 1));
    if (!i || *i < 0 || *i > 1'000'000) return std::nullopt;
    return std::make_pair(std::string(rest.substr(0, slash)), static_cast<int>(*i));
  }
  // The segment of ad `spec` whose delivery makes `event` due (beacons.h: impression/start with the
  // first, each quartile with the one holding it, complete with the last); -1 if unknown.
  static int HoldingIndex(const AdSpec& spec, std::string_view event) {
    const double seg = spec.segment_duration_s > 0 ? spec.segment_duration_s : 0;
    if (seg <= 0 || spec.duration_s <= 0) return -1;
    if (event == "impression" || event == "start") return 0;
    const int last = std::max(0, static_cast<int>(std::ceil(spec.duration_s / seg - 1e-9)) - 1);
    if (event == "complete") return last;
    const double f = event == "firstQuartile" ? 0.25 : event == "midpoint" ? 0.5 : event == "thirdQuartile" ? 0.75 : -1;
    if (f < 0) return -1;
    return std::min(last, static_cast<int>(std::floor(f * spec.duration_s / seg + 1e-9)));
  }

  // The break an ad slot belongs to: the latest whose slots (from one segment before its splice
  // point) had begun; -1 before the first.
  int BreakIndexAt(UnixMicros t) const {
    int latest = -1;
    for (size_t k = 0; k < truth_.size(); ++k) {
      if (t >= truth_[k].splice_point - seg_ &&
          (latest < 0 || truth_[k].splice_point > truth_[static_cast<size_t>(latest)].splice_point)) {
        latest = static_cast<int>(k);
      }
    }
    return latest;
  }

  // beacon.*: the ad server's log against what each session's playlists delivered, per break.
  //
  // Per break, not per ad: two breaks serving the same creative must each get their beacons (one
  // break's beacons must not stand in for the other's, nor count twice). An ad slot's break is
  // the slot's time (BreakIndexAt). A beacon's break is the break whose delivery made it due: the
  // one whose segment holding that event reached the session last at or before the beacon (within
  // the slack), else the first delivered after it. This needs nothing from the target (over
  // HTTP the beacon URLs are the ad server's, fired verbatim, and the time is the harness's own
  // log): a third-party deployment cannot dodge it by not passing our parameters through, and a
  // break whose beacons never fire is found as that break's missing impression.
  //
  // Wrapper impressions (VAST 4.3 §2.3.5: every wrapper's Impression fires with the InLine's) name
  // no creative over HTTP (ad="" in the record): each goes to the session's nearest creative
  // impression within the slack that has not had that URL yet; one left over is a failure, and a
  // creative impression without one of its chain's wrappers' impressions is too.
  void Beacons() {
    if (!obs_.beacons_observed) return;
    std::map<std::string, const AdSpec*> ads;
    for (const AdSpec& a : scenario_.decision.ads) {
      if (a.segment_duration_s > 0) ads[a.id] = &a;
    }
    if (ads.empty()) return;
    using Group = std::tuple<std::string, int, std::string>;  // (session, break index, ad)
    auto where_of = [this](const Group& g) {
      const auto& [session, brk, ad] = g;
      return "session " + session + (brk >= 0 ? " " + truth_[static_cast<size_t>(brk)].label : "") + " ad " + ad;
    };
    // (session, break, ad, index) -> when a playlist listing it was first delivered to the session;
    // and the creatives whose first segment a session got at the live edge (not in its first
    // playlist of that rendition: the player certainly plays it).
    std::map<std::tuple<std::string, int, std::string, int>, UnixMicros> delivered;
    std::set<Group> first_at_edge;
    std::set<std::string> seen_viewer_rendition;
    for (const Parsed& p : parsed_) {
      if (!p.playlist || p.fetch->mode != InsertionMode::kSsai) continue;
      const std::string session = SessionOfViewer(p.fetch->viewer);
      const bool first = seen_viewer_rendition.insert(p.fetch->viewer + "|" + p.fetch->rendition).second;
      for (const Slot& sl : p.slots) {
        if (sl.kind != Kind::kAd) continue;
        std::optional<std::pair<std::string, int>> a = AdSegmentOf(sl.uri, obs_.ad_uri_prefix);
        if (!a || !ads.count(a->first)) continue;
        const int brk = BreakIndexAt(sl.start);
        auto [it, inserted] = delivered.try_emplace({session, brk, a->first, a->second}, p.fetch->response_time);
        if (!inserted) it->second = std::min(it->second, p.fetch->response_time);
        if (a->second == 0 && !first) first_at_edge.insert({session, brk, a->first});
      }
    }
    // Real-time targets: the server fires a beacon just before it answers, so the ad server may
    // log it a little before the harness logs the answer.
    const DurationMicros slack = obs_.run_start != 0 ? kMicrosPerSecond : 0;
    std::map<Group, std::vector<const BeaconRecord*>> by_group;
    std::vector<const BeaconRecord*> wrapper_impressions;
    for (const BeaconRecord& b : obs_.beacons) {
      if (b.ad_id.empty() && b.event == "impression") {
        wrapper_impressions.push_back(&b);
        continue;
      }
      auto spec = ads.find(b.ad_id);
      const int k = spec != ads.end() ? HoldingIndex(*spec->second, b.event) : -1;
      int brk = -1;
      UnixMicros best = 0;
      for (size_t i = 0; k >= 0 && i < truth_.size(); ++i) {
        auto d = delivered.find({b.session, static_cast<int>(i), b.ad_id, k});
        if (d == delivered.end()) continue;
        const bool before = d->second <= b.time + slack;
        const bool best_before = brk >= 0 && best <= b.time + slack;
        if (brk < 0 || (before && (!best_before || d->second > best)) || (!before && !best_before && d->second < best)) {
          brk = static_cast<int>(i);
          best = d->second;
        }
      }
      const Group g{b.session, brk, b.ad_id};
      if (brk < 0) {
        results_.Fail("beacon.none_for_unserved_ad", b.time, where_of(g),
                      b.event + " fired, but " +
                          (spec == ads.end() ? std::string("the scenario's pod has no such creative")
                                             : "segment " + std::to_string(k) + " of " + b.ad_id +
                                                   " was never in a playlist delivered to this session"));
        continue;
      }
      results_.Pass("beacon.none_for_unserved_ad");
      by_group[g].push_back(&b);
    }
    // Wrapper impressions over HTTP: to the nearest creative impression of the session.
    std::stable_sort(wrapper_impressions.begin(), wrapper_impressions.end(),
                     [](const BeaconRecord* a, const BeaconRecord* b) { return a->time < b->time; });
    for (const BeaconRecord* w : wrapper_impressions) {
      const Group* pick = nullptr;
      DurationMicros pick_dt = 0;
      for (auto& [g, list] : by_group) {
        if (std::get<0>(g) != w->session) continue;
        bool has_url = false;
        const BeaconRecord* inline_impression = nullptr;
        for (const BeaconRecord* b : list) {
          if (b->event != "impression") continue;
          has_url |= b->url == w->url;
          if (inline_impression == nullptr) inline_impression = b;
        }
        if (has_url || inline_impression == nullptr) continue;
        const DurationMicros dt = std::llabs(inline_impression->time - w->time);
        if (dt <= slack && (pick == nullptr || dt < pick_dt)) {
          pick = &g;
          pick_dt = dt;
        }
      }
      if (pick == nullptr) {
        results_.Fail("beacon.impression_once_per_delivery", w->time, "session " + w->session,
                      "wrapper impression " + w->url + " fired with no creative impression of this session within " +
                          Secs(MicrosToSeconds(slack)) + " (or once more than the creatives impressed)");
        continue;
      }
      by_group.at(*pick).push_back(w);
    }
    std::set<Group> impressed;
    const VastSpec& v = scenario_.decision.vast;
    const size_t chain_impressions =
        v.wrappers > 0 && v.wrappers <= v.max_wrapper_depth ? static_cast<size_t>(1 + v.wrappers) : 0;
    for (auto& [g, list] : by_group) {
      const std::string where = where_of(g);
      const std::string& ad = std::get<2>(g);
      std::stable_sort(list.begin(), list.end(),
                       [](const BeaconRecord* a, const BeaconRecord* b) { return a->time < b->time; });
      // Over HTTP the server sends the beacons one delivery made due concurrently, so two of them may
      // arrive swapped: within the slack, the order the server decided (kBeaconEvents) counts.
      auto rank = [](const BeaconRecord* b) {
        return std::find(kBeaconEvents.begin(), kBeaconEvents.end(), b->event) - kBeaconEvents.begin();
      };
      for (size_t i = 1; slack > 0 && i < list.size(); ++i) {
        for (size_t j = i; j > 0 && list[j - 1]->time + slack >= list[j]->time && rank(list[j - 1]) > rank(list[j]); --j) {
          std::swap(list[j - 1], list[j]);
        }
      }
      const AdSpec& spec = *ads.at(ad);
      size_t next = 1;  // kBeaconEvents index of the next linear event expected (start)
      std::map<std::string, int> impressions;  // by URL: the InLine's and each wrapper's fire once
      for (const BeaconRecord* b : list) {
        if (b->event == "impression") {
          impressed.insert(g);
          if (const int n = ++impressions[b->url]; n > 1) {
            results_.Fail("beacon.impression_once_per_delivery", b->time, where, "impression " + b->url +
                          " fired again (" + std::to_string(n) + " times)");
          } else {
            results_.Pass("beacon.impression_once_per_delivery");
          }
          continue;
        }
        const int k = HoldingIndex(spec, b->event);
        const UnixMicros d = delivered.at({std::get<0>(g), std::get<1>(g), ad, k});
        const auto e = std::find(kBeaconEvents.begin(), kBeaconEvents.end(), b->event) - kBeaconEvents.begin();
        if (static_cast<size_t>(e) != next) {
          results_.Fail("beacon.quartiles_in_order", b->time, where,
                        b->event + " fired when " +
                            (next < kBeaconEvents.size() ? std::string(kBeaconEvents[next]) + " was due next"
                                                         : std::string("every event had fired")));
        } else if (d > b->time + slack) {
          results_.Fail("beacon.quartiles_in_order", b->time, where,
                        b->event + " fired " + Secs(MicrosToSeconds(d - b->time)) + " before segment " +
                            std::to_string(k) + " (the one reaching its position) was delivered");
        } else {
          results_.Pass("beacon.quartiles_in_order");
        }
        if (static_cast<size_t>(e) >= next) next = static_cast<size_t>(e) + 1;
      }
      // The InLine's impression and each wrapper's of the chain (the decision resolved through it).
      if (chain_impressions > 0 && !impressions.empty() && impressions.size() < chain_impressions) {
        results_.Fail("beacon.impression_once_per_delivery", list.front()->time, where,
                      std::to_string(impressions.size()) + " distinct impression URLs fired, want " +
                          std::to_string(chain_impressions) + " (the InLine's and each of the " +
                          std::to_string(v.wrappers) + " wrappers', VAST 4.3 §2.3.5)");
      }
    }
    // A creative whose first segment reached a session at the live edge got its impression, in
    // that break.
    for (const Group& g : first_at_edge) {
      if (impressed.count(g)) continue;
      results_.Fail("beacon.impression_once_per_delivery", 0, where_of(g),
                    "the creative's first segment was delivered at the live edge but no impression fired");
    }
  }

  // vast.*: the ad server's VAST log.
  void Vast() {
    if (!obs_.vast_observed) return;
    const VastSpec& v = scenario_.decision.vast;
    // wrapper_depth: a chain deeper than the limit is cut at the limit (its inline never fetched).
    // One chain per decision: the ad tag, then each VASTAdTagURI followed (the wrappers below it and
    // the InLine at the bottom). Followed = fetches after the ad tag.
    if (v.wrappers > 0) {
      std::vector<int> followed;
      for (const VastFetchRecord& f : obs_.vast_fetches) {
        if (f.path == "/vast/" + v.tag) {
          followed.push_back(0);
        } else if (!followed.empty()) {
          ++followed.back();
        }
      }
      for (int n : followed) {
        if (n > v.max_wrapper_depth) {
          results_.Fail("vast.wrapper_depth", 0, v.tag,
                        "followed " + std::to_string(n) + " VASTAdTagURIs from the ad tag (limit " +
                            std::to_string(v.max_wrapper_depth) + " wrappers)");
        } else {
          results_.Pass("vast.wrapper_depth");
        }
      }
    }
    if (v.expect_error_code > 0) {
      bool fired = false;
      std::string got;
      for (const VastErrorPing& e : obs_.vast_error_pings) {
        fired |= e.code == v.expect_error_code;
        got += (got.empty() ? "" : ", ") + std::to_string(e.code);
      }
      if (fired) {
        results_.Pass("vast.error_url_fired");
      } else {
        results_.Fail("vast.error_url_fired", 0, v.tag,
                      "no Error URL fired with code " + std::to_string(v.expect_error_code) +
                          (got.empty() ? " (none fired)" : " (fired: " + got + ")"));
      }
    }
  }

  const Observations& obs_;
  const Profile& profile_;
  const std::function<double()>& now_ms_;
  Results results_;
  std::vector<TruthBreak> truth_;
  DurationMicros seg_;
  DurationMicros tol_;
  std::vector<Parsed> parsed_;
  std::unordered_map<std::string, std::unique_ptr<OriginInfo>> origin_cache_;
  int64_t master_linted_ = 0;
  std::map<int64_t, std::set<std::string>> sgai_ids_;
  const Scenario& scenario_;
};

}  // namespace

std::vector<CheckResult> Evaluate(const Observations& observations, const Scenario& scenario, const Profile& profile,
                                  const std::function<double()>& now_ms) {
  if (observations.run_start != 0 && observations.run_start != scenario.origin.start_time) {
    const Scenario shifted = ShiftedTo(scenario, observations.run_start);
    return Evaluator(observations, shifted, profile, now_ms).Run();
  }
  return Evaluator(observations, scenario, profile, now_ms).Run();
}

}  // namespace ssai::conformance
