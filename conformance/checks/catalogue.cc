#include "conformance/checks/catalogue.h"

#include "reference/media/hls/lint.h"

namespace ssai::conformance {

std::string_view SeverityName(Severity severity) {
  return severity == Severity::kError ? "error" : "warning";
}

namespace {

constexpr Severity kE = Severity::kError;
constexpr Severity kW = Severity::kWarning;

std::vector<CheckInfo> MakeCatalogue() {
  std::vector<CheckInfo> c;
  // hls.*: the lint rules, id for id (RuleInfo carries the section). A finding counts against
  // the target only when the origin playlist it was made from does not already break that rule.
  for (const hls::RuleInfo& r : hls::LintRules()) {
    c.push_back({std::string(r.id), std::string(r.section),
                 r.severity == hls::Severity::kError ? kE : kW, "hls", std::string(r.description)});
  }
  c.push_back({"hls.response.ok", "RFC 8216 §6.2.1 / bis §6.2.1 (the server MUST make the playlist available)",
               kE, "hls", "every playlist request is answered 200 with a playlist that parses"});

  // hls.map.* / hls.key.*: EXT-X-MAP and EXT-X-KEY across the splice (CMAF and encrypted
  // streams, issue 14). Judged on every segment from the tags in force in the served playlist
  // against the origin's at the same PDT; skipped when neither the origin nor the ads have any.
  const char* map_s = "RFC 8216 §4.3.2.5 / bis §4.4.4.5 (a MAP applies until the next MAP; DISCONTINUITY does not reset it)";
  const char* key_s = "RFC 8216 §4.3.2.4 / bis §4.4.4.4 (a KEY applies until the next KEY of its KEYFORMAT; NONE ends it)";
  c.push_back({"hls.map.ad_has_own_init", map_s, kE, "hls",
               "in fMP4 content every ad and slate segment is under an EXT-X-MAP of its own, not the content's"});
  c.push_back({"hls.map.content_init_restored", map_s, kE, "hls",
               "every content segment is under the EXT-X-MAP the origin has in force for it (declared again after ads)"});
  c.push_back({"hls.key.ad_key_declared", key_s, kE, "hls",
               "in encrypted content no ad or slate segment is under a content EXT-X-KEY (METHOD=NONE or its own key)"});
  c.push_back({"hls.key.content_key_restored", key_s, kE, "hls",
               "every content segment is under the EXT-X-KEYs the origin has in force for it (declared again after ads)"});

  // variants.*: bis §6.2.4 (RFC 8216 §6.2.4), compared across the renditions one viewer loads at
  // the same instant.
  const char* v = "RFC 8216 §6.2.4 / bis §6.2.4";
  c.push_back({"variants.media_sequence_aligned", v, kE, "variants",
               "renditions fetched at the same instant have the same EXT-X-MEDIA-SEQUENCE"});
  c.push_back({"variants.discontinuity_sequence_aligned", v, kE, "variants",
               "renditions fetched at the same instant have the same EXT-X-DISCONTINUITY-SEQUENCE"});
  c.push_back({"variants.discontinuities_aligned", v, kE, "variants",
               "EXT-X-DISCONTINUITY sits on the same media sequence numbers in every rendition"});
  c.push_back({"variants.pdt_aligned", v, kE, "variants",
               "the same media sequence number has the same PROGRAM-DATE-TIME in every rendition"});
  c.push_back({"variants.dateranges_identical", v, kE, "variants",
               "every rendition carries the same EXT-X-DATERANGE set with the same attributes"});
  c.push_back({"variants.target_duration_same", v, kE, "variants",
               "every rendition has the same EXT-X-TARGETDURATION"});
  c.push_back({"variants.ad_slots_aligned", "bis §6.2.4; cross-rendition splice (Eyevinn hls-splice #55; docs/phase1-design.md)", kE,
               "variants", "a slot is ad, slate or content in every rendition alike"});
  // Issue 14: demuxed renditions (EXT-X-MEDIA) loaded with a variant.
  c.push_back({"variants.audio_aligned", "bis §6.2.4, §4.4.6.1 (RFC 8216 §6.2.4)", kE, "variants",
               "each audio rendition has the variant's MEDIA-SEQUENCE, DISCONTINUITY-SEQUENCE, DISCONTINUITYs, PDTs and "
               "DATERANGEs, and ad audio (or silence) exactly where the variant plays ads or slate"});
  c.push_back({"variants.subtitles_aligned", "bis §6.2.4, §3.1.4 (RFC 8216 §6.2.4, §3.5)", kE, "variants",
               "each subtitle rendition is aligned with the variant likewise, and shows no content cues during a break "
               "(blank WebVTT where the variant plays ads or slate)"});

  // splice.*: against the scenario's ground truth (cue times, durations, early INs, decisions).
  c.push_back({"splice.ad_starts_within", "DESIGN.md Splicer; splicer.h slots (cue snapped to the next boundary)",
               kE, "splice",
               "the first slot of every break is an ad/slate at every POP and rendition, and none before it"});
  c.push_back({"splice.no_content_in_break", "DESIGN.md Splicer (SSAI replaces content in the break)", kE,
               "splice", "no content slot is served inside a break after its first slot"});
  c.push_back({"splice.ad_seconds_match_break", "MediaTailor ad behaviour: content skipped = ad time (an avail is replaced, not extended), within one segment",
               kE, "splice", "ad + slate seconds a viewer is shown equal the break duration within one segment"});
  c.push_back({"splice.content_resumes_at_pdt", "Phase 1 design: PDT_CONTINUITY_FIX (docs/phase1-design.md)", kE, "splice",
               "content returns on the slot at the break's end (PDT) with the origin's segment"});
  c.push_back({"splice.content_unchanged", "splicer.h (content slots are the origin's; pods shift MSN, not PDT)", kE,
               "splice", "every content slot carries the origin's segment for that PROGRAM-DATE-TIME"});
  c.push_back({"splice.discontinuity_at_ad_start", "RFC 8216 §4.3.2.3 / bis §4.4.4.3, §6.2.1", kE, "splice",
               "the first ad/slate slot of a break carries EXT-X-DISCONTINUITY"});
  c.push_back({"splice.discontinuity_on_return", "RFC 8216 §4.3.2.3 / bis §4.4.4.3, §6.2.1", kE, "splice",
               "the first content slot after a break carries EXT-X-DISCONTINUITY"});
  c.push_back({"splice.slate_fills_short_pod", "DESIGN.md Splicer (slate when the pod is short)", kE, "splice",
               "break time the pod does not cover (short pod, decision timeout) is slate, not content"});
  c.push_back({"splice.no_duplicate_break", "Phase 1 design: HOTFIX_DUPLICATE_ADS (docs/phase1-design.md); coordinator.h (each break once)", kE,
               "splice", "a repeated cue makes no second break: one decision request and one event id per break"});
  c.push_back({"splice.creative_discontinuity",
               "RFC 8216 §4.3.2.3 / bis §4.4.4.3 (timestamps change); real_world_ssai.md §2 MediaTailor (ad->ad)",
               kE, "splice",
               "in a pod of creatives, each creative and the slate after them start with EXT-X-DISCONTINUITY"});
  c.push_back({"splice.pod_fill_or_truncate",
               "real_world_ssai.md §2 MediaTailor live avails (slate fills, CUE-IN truncates); splicer.h pods",
               kE, "splice",
               "a pod of creatives ends exactly at the return slot: slate fills a short pod, a long one is cut "
               "there, nothing of it plays past the break"});
  c.push_back({"splice.ad_bitrate_matches_rendition", "DESIGN.md Splicer (bitrate-matched ads); bis §6.2.4 CODECS/BANDWIDTH",
               kE, "splice", "ad segments come from the ad variant picked for the rendition's bandwidth"});
  c.push_back({"splice.sgai_interstitial_at_cue", "bis Appendix D.2 (START-DATE is the splice time)", kE, "splice",
               "in SGAI mode the interstitial DATERANGE starts at the splice point (the first segment boundary at or after the cue, where SSAI starts the ads) and lasts the break"});
  c.push_back({"splice.sgai_asset_matches_rendition",
               "HLS Interstitials: RFC 8216bis Appendix D.2 (X-ASSET-URI, X-ASSET-LIST ASSETS URI); bis §4.3.4.2 BANDWIDTH",
               kE, "splice",
               "an interstitial's asset (X-ASSET-URI, or each X-ASSET-LIST entry) is a multivariant playlist the player "
               "chooses from, or a media playlist whose bitrate does not exceed the viewer's variant BANDWIDTH"});

  // ttl.*: the seed's getAdBreakTTL and isAdBreakActive.
  c.push_back({"ttl.break_key_ttl", "Phase 1 design: getAdBreakTTL: expirationTtl = floor(duration) + 60; coordinator.h", kE, "ttl",
               "adbreak: puts have expirationTtl floor(duration)+60 (at startTime; later writes end 60 s after endTime)"});
  c.push_back({"ttl.min_60", "Workers KV: expirationTtl >= 60 s", kE, "ttl",
               "no KV put asks for an expirationTtl under 60 s"});
  c.push_back({"ttl.no_ad_after_end", "Phase 1 design: isAdBreakActive (endTime); adbreak_state.h IsActiveAt", kE, "ttl",
               "no ad or slate at or after a break's endTime, even while its KV key lives"});
  c.push_back({"ttl.no_ad_after_stop", "SCTE 35 §9.7.3 (splice_insert out_of_network_indicator=0: return); issue 16 (cue API stop)", kE, "ttl",
               "no ad or slate after a break stopped before its plan (API stop, early CUE-IN), however long KV or a cache still holds the plan"});
  c.push_back({"ttl.key_gone_after_expiry", "Workers KV expirationTtl (absolute expiry)", kE, "ttl",
               "once a key's expiry has passed no location returns it"});
  c.push_back({"ttl.key_outlives_break", "Phase 1 design: getAdBreakTTL (the extra minute for far POPs)", kW, "ttl",
               "a break's KV key is written to live at least until the break's end"});

  // kv.*
  c.push_back({"kv.document_valid", "Phase 1 design: the KV record (docs/phase1-design.md); channel_state.h", kE, "kv",
               "every adbreak:/chstate: value written parses and validates"});
  c.push_back({"kv.write_rate_per_key", "Workers KV: 1 write per second per key", kE, "kv",
               "no key is written twice within one second (no put rejected for rate)"});
  c.push_back({"kv.hit_rate.min", "Phase 1 design: 'Expected 70-90%' cache hit rate (docs/phase1-design.md); profile kv_hit_rate_min", kW, "kv",
               "the share of KV-reading requests answered from KV is at least the profile's minimum"});

  // latency.*
  c.push_back({"latency.p95.max", "Phase 1 design: manifest latency < 100 ms P95 (docs/phase1-design.md); profile latency_p95_max_ms", kE,
               "latency", "manifest latency P95 (request to response) is at most the profile's maximum"});
  c.push_back({"latency.max", "RFC 8216 §6.2.1 (new segment within 1.5 x TD); profile latency_max_ms", kW,
               "latency", "no manifest response takes longer than the profile's maximum"});

  // api.*: the seed's POST /cue (coordinator.h ParseCueRequest / Coordinator::Cue).
  const char* a = "Phase 1 design: POST /cue; coordinator.h ParseCueRequest";
  c.push_back({"api.cue.invalid_json", a, kE, "api", "a body that is not a JSON object is refused, naming the JSON"});
  c.push_back({"api.cue.missing_field", a, kE, "api", "a body without org/channel/duration is refused naming the field"});
  c.push_back({"api.cue.wrong_type", a, kE, "api", "a duration that is not a number is refused naming the type"});
  c.push_back({"api.cue.duration_range", a, kE, "api", "a duration <= 0 or > 3600 s is refused naming the range"});
  c.push_back({"api.cue.unknown_field", a, kE, "api", "an unknown field is refused by name"});
  c.push_back({"api.cue.invalid_name", a, kE, "api", "org/channel outside [A-Za-z0-9_-]{1,64} are refused"});
  c.push_back({"api.cue.pod_id_length", a, kE, "api", "a pod_id over 128 characters is refused"});
  c.push_back({"api.cue.body_size", a, kE, "api", "a body over 64 KiB is refused"});
  c.push_back({"api.cue.unknown_channel", "Phase 1 design: POST /cue; coordinator.h Coordinator::Cue", kE, "api",
               "a cue for a channel the coordinator does not own is refused with NotFound"});
  c.push_back({"api.cue.valid_accepted", "Phase 1 design: POST /cue; coordinator.h (durable before acknowledged)", kE, "api",
               "every valid scheduled cue is acknowledged"});
  c.push_back({"api.cue.duplicate_acknowledged", "coordinator.h Cue (same cue while active = duplicate)", kE,
               "api", "a repeated cue inside its break is acknowledged as a duplicate, not a new break"});
  c.push_back({"api.cue.start_announced", "Phase 1 design: POST /cue (startTime); SCTE 35 §9.7.3 splice_time (pre-roll); profile api_cue_lead_max_s",
               kE, "api", "an acknowledged cue's startTime is no earlier than its receipt and at most api_cue_lead_max_s after it"});
  // HTTP targets only (serve:, http): the builtin target calls the coordinator in-process.
  c.push_back({"api.auth.missing_token", "RFC 6750 §3.1 (401 + WWW-Authenticate); Phase 1 design: POST /cue auth", kE, "api",
               "a cue without credentials is refused with 401 and creates no break"});
  c.push_back({"api.auth.wrong_token", "RFC 6750 §3.1 (invalid_token => 401)", kE, "api",
               "a cue with a wrong bearer token is refused with 401 and creates no break"});
  c.push_back({"api.error.json", "RFC 8259; reference/server/README.md (errors are JSON naming the problem)", kE, "api",
               "every refused probe answers 4xx with a JSON object whose \"error\" string names the problem"});
  // Issue 15: server-side tracking beacons and VAST (builtin: every pod scenario; serve: VAST ones).
  c.push_back({"beacon.impression_once_per_delivery",
               "VAST 4.3 §3.4.4 (Impression); real_world_ssai.md §2 MediaTailor server-side beacons; beacons.h", kE,
               "beacon",
               "a creative's impression fires once per viewer session, and does fire when its first segment reaches "
               "the session at the live edge"});
  c.push_back({"beacon.quartiles_in_order", "VAST 4.3 §3.14 (start, quartiles, complete); beacons.h", kE, "beacon",
               "start, firstQuartile, midpoint, thirdQuartile, complete fire once each, in that order, none before "
               "the segment reaching its position was delivered to the session"});
  c.push_back({"beacon.none_for_unserved_ad", "real_world_ssai.md §2 (beacons on delivery, not on decision); beacons.h",
               kE, "beacon",
               "no beacon fires for a creative position a session was never served (a cut creative's complete, a "
               "creative after the viewer left)"});
  c.push_back({"vast.wrapper_depth", "VAST 4.3 §2.3.5.1 (at most 5 wrappers; past that 302)", kE, "vast",
               "a wrapper chain is followed at most max_wrapper_depth deep; a deeper chain's InLine is never fetched"});
  c.push_back({"vast.error_url_fired", "VAST 4.3 §2.3.6 (Error, [ERRORCODE])", kE, "vast",
               "a VAST failure (malformed XML 100, no fill 303, wrapper limit 302, no playable MediaFile 403, "
               "timeout 301) fires the Error URL with its code"});
  return c;
}

}  // namespace

const std::vector<CheckInfo>& Catalogue() {
  static const std::vector<CheckInfo>* catalogue = new std::vector<CheckInfo>(MakeCatalogue());
  return *catalogue;
}

const CheckInfo* FindCheck(std::string_view id) {
  for (const CheckInfo& c : Catalogue()) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

}  // namespace ssai::conformance
