#include "conformance/report.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <pugixml.hpp>

#include "conformance/checks/catalogue.h"
#include "conformance/expectations.h"
#include "reference/base/strings.h"
#include "simulator/chart.h"

namespace ssai::conformance {

namespace {

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 when invalid.
size_t Utf8Length(std::string_view s, size_t i, uint32_t* cp) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  uint32_t v = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
  for (size_t k = 1; k < n; ++k) {
    const unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d >> 6) != 0x2) return 0;
    v = (v << 6) | (d & 0x3F);
  }
  *cp = v;
  return n;
}

enum class EscapeMode { kHtml, kXmlChars };

// kHtml: markup escaped for HTML text and attributes; kXmlChars: markup left alone (pugixml
// escapes it), only what XML 1.0 cannot carry replaced. Both: invalid UTF-8 becomes U+FFFD.
std::string Escape(std::string_view text, EscapeMode mode) {
  const bool markup = mode == EscapeMode::kHtml;
  std::string out;
  out.reserve(text.size() + 16);
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    const size_t n = Utf8Length(text, i, &cp);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    switch (markup ? cp : 0x20) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: {
        // XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
        const bool ok = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                        (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
        if (ok) {
          out.append(text.substr(i, n));
        } else {
          out += "\xEF\xBF\xBD";
        }
      }
    }
    i += n;
  }
  return out;
}

// "origin event 1001: 12, origin event 1002: 3"
std::string ByBreak(const CheckResult& c) {
  std::string out;
  for (const auto& [label, n] : c.failures_by_break) {
    out += (out.empty() ? "" : ", ") + label + ": " + std::to_string(n);
  }
  return out;
}

std::string EvidenceText(const CheckResult& c) {
  std::string out;
  if (!c.note.empty()) out += c.note + "\n";
  for (const Evidence& e : c.evidence) {
    std::string t;
    AppendFixed(e.t_s, 3, &t);
    out += "- t=+" + t + " s" + (e.time.empty() ? "" : " (" + e.time + ")") + " " + e.where + ": " + e.message + "\n";
    if (!e.excerpt.empty()) out += e.excerpt;
  }
  if (c.failures > static_cast<int64_t>(c.evidence.size())) {
    out += "(" + std::to_string(c.failures - static_cast<int64_t>(c.evidence.size())) + " more)\n";
  }
  if (!c.failures_by_break.empty()) out += "failures by break: " + ByBreak(c) + "\n";
  return out;
}

std::string Fixed(double v, int decimals) {
  std::string s;
  AppendFixed(v, decimals, &s);
  return s;
}

// The HTML id of a run's evidence: its index among the runs (target and scenario names may hold
// any character; an index is a valid fragment).
std::string RunAnchor(const RunResult& r, const std::vector<RunResult>& runs) {
  return "run-" + std::to_string(&r - runs.data());
}

}  // namespace

std::string XmlChars(std::string_view text) { return Escape(text, EscapeMode::kXmlChars); }
std::string HtmlEscape(std::string_view text) { return Escape(text, EscapeMode::kHtml); }

// Written with pugixml (the XML library the VAST parser uses): it escapes markup in text and
// attributes; XmlChars first replaces what XML 1.0 cannot carry at all (control characters,
// invalid UTF-8 from a target's answers), which no escaping can express.
std::string JunitXml(const std::vector<RunResult>& runs) {
  const std::vector<DefectVerdict> defects = DefectVerdicts(runs);
  int64_t tests = static_cast<int64_t>(defects.size()), failures = 0, skipped = 0, errors = 0;
  for (const DefectVerdict& v : defects) failures += !v.caught();
  for (const RunResult& r : runs) {
    errors += !r.status.ok();
    for (const CheckResult& c : r.checks) {
      ++tests;
      failures += c.outcome == Outcome::kFail && c.severity == Severity::kError && c.expected_reason.empty();
      skipped += c.outcome == Outcome::kSkip || !c.expected_reason.empty();
    }
  }
  auto attr = [](pugi::xml_node n, const char* name, std::string_view value) {
    n.append_attribute(name).set_value(XmlChars(value).c_str());
  };
  auto num = [&](pugi::xml_node n, const char* name, int64_t value) { attr(n, name, std::to_string(value)); };
  auto text = [](pugi::xml_node n, const char* name, std::string_view value) {
    n.append_child(name).append_child(pugi::node_pcdata).set_value(XmlChars(value).c_str());
  };
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version").set_value("1.0");
  decl.append_attribute("encoding").set_value("UTF-8");
  pugi::xml_node root = doc.append_child("testsuites");
  attr(root, "name", "ssai conform");
  num(root, "tests", tests);
  num(root, "failures", failures);
  num(root, "errors", errors);
  num(root, "skipped", skipped);
  for (const RunResult& r : runs) {
    int64_t f = 0, sk = 0;
    for (const CheckResult& c : r.checks) {
      f += c.outcome == Outcome::kFail && c.severity == Severity::kError && c.expected_reason.empty();
      sk += c.outcome == Outcome::kSkip || !c.expected_reason.empty();
    }
    const std::string cls = r.target + "." + r.scenario;
    pugi::xml_node suite = root.append_child("testsuite");
    attr(suite, "name", r.target + " | " + r.scenario);
    num(suite, "tests", static_cast<int64_t>(r.checks.size()));
    num(suite, "failures", f);
    num(suite, "errors", r.status.ok() ? 0 : 1);
    num(suite, "skipped", sk);
    attr(suite, "time", Fixed(r.wall_ms / 1000.0, 6));
    pugi::xml_node props = suite.append_child("properties");
    pugi::xml_node p1 = props.append_child("property");
    attr(p1, "name", "scenario_file");
    attr(p1, "value", r.scenario_file);
    pugi::xml_node p2 = props.append_child("property");
    attr(p2, "name", "defect_build");
    attr(p2, "value", r.defect ? "true" : "false");
    if (!r.status.ok()) {
      pugi::xml_node tc = suite.append_child("testcase");
      attr(tc, "classname", cls);
      attr(tc, "name", "run");
      attr(tc, "time", Fixed(r.wall_ms / 1000.0, 6));
      attr(tc.append_child("error"), "message", r.status.ToString());
    }
    for (const CheckResult& c : r.checks) {
      // time: measured (the check's evaluation plus its share of the target run), in seconds.
      pugi::xml_node tc = suite.append_child("testcase");
      attr(tc, "classname", cls);
      attr(tc, "name", c.id);
      attr(tc, "time", Fixed(c.time_ms / 1000.0, 6));
      if (c.outcome == Outcome::kPass) {
        if (!c.note.empty()) text(tc, "system-out", c.note);
      } else if (c.outcome == Outcome::kSkip) {
        attr(tc.append_child("skipped"), "message", c.note);
      } else if (!c.expected_reason.empty()) {
        // An expected failure (pytest's xfail): skipped with the reason, the evidence kept.
        pugi::xml_node sk_node = tc.append_child("skipped");
        attr(sk_node, "type", "xfail");
        attr(sk_node, "message", c.expected_reason);
        text(tc, "system-out", "EXPECTED FAILURE (" + std::to_string(c.failures) + " findings)\n" + EvidenceText(c));
      } else if (c.severity == Severity::kError) {
        pugi::xml_node fail = tc.append_child("failure");
        attr(fail, "type", "error");
        attr(fail, "message", c.evidence.empty() ? c.note : c.evidence.front().message);
        fail.append_child(pugi::node_pcdata).set_value(XmlChars(EvidenceText(c)).c_str());
      } else {
        text(tc, "system-out", "WARNING (" + std::to_string(c.failures) + " findings)\n" + EvidenceText(c));
      }
    }
  }
  if (!defects.empty()) {
    // A defect build exists to be caught: one test case per defect build, failed when no error
    // check caught it in any run.
    int64_t uncaught = 0;
    for (const DefectVerdict& v : defects) uncaught += !v.caught();
    pugi::xml_node suite = root.append_child("testsuite");
    attr(suite, "name", "defect builds caught");
    num(suite, "tests", static_cast<int64_t>(defects.size()));
    num(suite, "failures", uncaught);
    num(suite, "errors", 0);
    num(suite, "skipped", 0);
    attr(suite, "time", "0");
    for (const DefectVerdict& v : defects) {
      pugi::xml_node tc = suite.append_child("testcase");
      attr(tc, "classname", "defect_builds");
      attr(tc, "name", v.target);
      attr(tc, "time", "0");
      if (v.caught()) {
        std::string by;
        for (const std::string& c : v.caught_by) by += c + "\n";
        text(tc, "system-out", "caught by:\n" + by);
      } else {
        pugi::xml_node fail = tc.append_child("failure");
        attr(fail, "type", "not_caught");
        attr(fail, "message", "defect build " + v.target + " was not caught: no error check failed in its " +
                                  std::to_string(v.runs) + " run(s); the suite would miss this bug");
      }
    }
  }
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

nlohmann::json CheckSummaryJson(const RunResult& run) {
  int64_t passed = 0, failed = 0, skipped = 0;
  nlohmann::json failures = nlohmann::json::array();
  for (const CheckResult& c : run.checks) {
    passed += c.outcome == Outcome::kPass;
    skipped += c.outcome == Outcome::kSkip;
    if (c.outcome != Outcome::kFail) continue;
    ++failed;
    nlohmann::json f = {{"id", c.id}, {"severity", SeverityName(c.severity)}, {"failures", c.failures}};
    if (!c.evidence.empty()) f["first"] = c.evidence.front().where + ": " + c.evidence.front().message;
    if (!c.expected_reason.empty()) f["expected"] = c.expected_reason;
    failures.push_back(std::move(f));
  }
  return {{"passed", passed},
          {"failed", failed},
          {"skipped", skipped},
          {"unexpected_error_failures", run.UnexpectedErrorFailures()},
          {"expected_failures", run.ExpectedFailures()},
          {"warning_failures", run.WarningFailures()},
          {"failed_checks", std::move(failures)}};
}

nlohmann::json ReportJson(const std::vector<RunResult>& runs, const Profile& profile) {
  nlohmann::json j;
  j["tool"] = "ssai conform";
  j["profile"] = ProfileToJson(profile);
  j["catalogue_size"] = Catalogue().size();
  nlohmann::json out = nlohmann::json::array();
  int64_t error_failures = 0, expected_failures = 0;
  for (const RunResult& r : runs) {
    nlohmann::json run;
    run["target"] = r.target;
    run["defect_build"] = r.defect;
    run["scenario"] = r.scenario;
    run["scenario_file"] = r.scenario_file;
    run["status"] = r.status.ok() ? "ok" : r.status.ToString();
    run["wall_ms"] = r.wall_ms;
    run["error_failures"] = r.ErrorFailures();
    run["unexpected_error_failures"] = r.UnexpectedErrorFailures();
    run["expected_failures"] = r.ExpectedFailures();
    run["warning_failures"] = r.WarningFailures();
    run["stats"] = r.stats;
    if (!r.pop_urls.empty()) {  // real-time targets: which URLs each POP's viewers played
      nlohmann::json pops = nlohmann::json::object();
      for (const auto& [pop, modes] : r.pop_urls) {
        for (const auto& [mode, u] : modes) {
          pops[pop][mode] = {{"from", u.from}, {"master_url", u.master_url}, {"variant_url", u.variant_url}};
        }
      }
      run["pop_urls"] = std::move(pops);
    }
    error_failures += r.ErrorFailures();
    expected_failures += r.ExpectedFailures();
    nlohmann::json checks = nlohmann::json::array();
    for (const CheckResult& c : r.checks) {
      nlohmann::json cj = {{"id", c.id},
                           {"severity", SeverityName(c.severity)},
                           {"outcome", OutcomeName(c.outcome)},
                           {"evaluated", c.evaluated},
                           {"failures", c.failures},
                           {"time_ms", c.time_ms}};
      if (!c.note.empty()) cj["note"] = c.note;
      if (!c.expected_reason.empty()) cj["expected"] = c.expected_reason;
      if (!c.evidence.empty()) {
        nlohmann::json ev = nlohmann::json::array();
        for (const Evidence& e : c.evidence) {
          ev.push_back({{"where", e.where}, {"t_s", e.t_s}, {"time", e.time}, {"message", e.message}, {"excerpt", e.excerpt}});
        }
        cj["evidence"] = ev;
      }
      if (!c.failures_by_break.empty()) {
        nlohmann::json by = nlohmann::json::array();
        for (const auto& [label, n] : c.failures_by_break) by.push_back({{"break", label}, {"failures", n}});
        cj["failures_by_break"] = by;
      }
      checks.push_back(std::move(cj));
    }
    run["checks"] = std::move(checks);
    out.push_back(std::move(run));
  }
  j["runs"] = std::move(out);
  j["error_failures"] = error_failures;        // every error-severity failure, expected or not
  j["expected_failures"] = expected_failures;  // of those, the expected ones (expectations.h)
  nlohmann::json defects = nlohmann::json::array();
  for (const DefectVerdict& v : DefectVerdicts(runs)) {
    defects.push_back({{"target", v.target}, {"runs", v.runs}, {"caught", v.caught()}, {"caught_by", v.caught_by}});
  }
  j["defect_builds"] = std::move(defects);
  const int64_t unexpected = UnexpectedFailures(runs);
  j["unexpected_failures"] = unexpected;  // what sets the exit status
  j["verdict"] = unexpected == 0 ? "pass" : "fail";
  return j;
}

namespace {

// Playlist latency per target (the runner's latency_p50_us / latency_p95_us, median over the
// target's scenarios), grouped bars in the one chart module's look with each build in its colour
// everywhere (simulator/chart_style.h): a series is named "BUILD (kind)" so the colour follows the
// build. Defect builds are test instruments, not deployments: left out.
std::string LatencyChart(const std::vector<RunResult>& runs, const std::vector<std::string>& targets) {
  std::vector<std::pair<std::string, std::vector<double>>> series;
  for (const std::string& t : targets) {
    std::vector<double> p50, p95;
    bool defect = false;
    for (const RunResult& r : runs) {
      if (r.target != t) continue;
      defect |= r.defect;
      auto a = r.stats.find("latency_p50_us"), b = r.stats.find("latency_p95_us");
      if (a != r.stats.end()) p50.push_back(static_cast<double>(a->second) / 1000);
      if (b != r.stats.end()) p95.push_back(static_cast<double>(b->second) / 1000);
    }
    if (defect || p50.empty()) continue;
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    const size_t colon = t.find(':');
    const std::string name = colon == std::string::npos ? t : t.substr(colon + 1) + " (" + t.substr(0, colon) + ")";
    series.push_back({name, {median(p50), median(p95)}});
  }
  if (series.empty()) return "";
  return "<h2>Playlist latency</h2>\n" +
         sim::SvgBarChart("Playlist latency per target (median over its scenarios)", "ms",
                          {"P50", "P95"}, series) +
         "\n";
}

}  // namespace

std::string ReportHtml(const std::vector<RunResult>& runs, const Profile& profile) {
  std::vector<std::string> targets, scenarios;
  for (const RunResult& r : runs) {
    if (std::find(targets.begin(), targets.end(), r.target) == targets.end()) targets.push_back(r.target);
    if (std::find(scenarios.begin(), scenarios.end(), r.scenario) == scenarios.end()) scenarios.push_back(r.scenario);
  }
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ssai conform report</title>\n<style>"
      "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;font-size:13px}"
      "th,td{border:1px solid #ccc;padding:3px 6px;text-align:center}th{background:#f3f3f3}"
      "td.id{text-align:left;font-family:monospace}.pass{background:#dff5df}.fail{background:#f9d0d0}"
      ".warn{background:#fbeec8}.xfail{background:#e3e3f5}.skip{color:#999}"
      ".verdict{font-size:1.2em;padding:6px 10px;display:inline-block}pre{background:#f7f7f7;padding:6px;overflow:auto;font-size:12px}"
      "th.rot{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}</style></head><body>\n";
  h += "<h1>ssai conform</h1>\n<p>" + std::to_string(runs.size()) + " runs: " + std::to_string(targets.size()) +
       " targets &times; " + std::to_string(scenarios.size()) + " scenarios, " + std::to_string(Catalogue().size()) +
       " checks in the catalogue, profile <code>" + HtmlEscape(profile.name) + "</code>.</p>\n";
  {
    // The verdict at a glance: what sets the exit status.
    int64_t expected = 0;
    for (const RunResult& r : runs) expected += r.ExpectedFailures();
    const std::vector<DefectVerdict> defects = DefectVerdicts(runs);
    int64_t caught = 0;
    for (const DefectVerdict& v : defects) caught += v.caught();
    const int64_t unexpected = UnexpectedFailures(runs);
    h += "<p class=\"verdict " + std::string(unexpected ? "fail" : "pass") + "\"><b>" + (unexpected ? "FAIL" : "PASS") +
         "</b>: " + std::to_string(unexpected) + " unexpected failures, " + std::to_string(expected) +
         " expected failures (defect builds, known findings)" +
         (defects.empty() ? std::string()
                          : ", " + std::to_string(caught) + " of " + std::to_string(defects.size()) +
                                " defect builds caught") +
         "</p>\n";
  }

  // Targets x scenarios: error failures per run.
  h += "<h2>Runs</h2>\n<table><tr><th>target</th>";
  for (const std::string& s : scenarios) h += "<th class=\"rot\">" + HtmlEscape(s) + "</th>";
  h += "</tr>\n";
  for (const std::string& t : targets) {
    h += "<tr><td class=\"id\">" + HtmlEscape(t) + "</td>";
    for (const std::string& s : scenarios) {
      const RunResult* r = nullptr;
      for (const RunResult& x : runs) {
        if (x.target == t && x.scenario == s) r = &x;
      }
      if (r == nullptr) {
        h += "<td class=\"skip\">-</td>";
        continue;
      }
      const int64_t e = r->UnexpectedErrorFailures(), x = r->ExpectedFailures(), w = r->WarningFailures();
      const std::string cls = e ? "fail" : x ? "xfail" : w ? "warn" : "pass";
      std::string title;
      for (const std::string& id : r->FailedChecks()) title += id + " ";
      const std::string label =
          e ? std::to_string(e) + " err" : x ? std::to_string(x) + " expected" : w ? std::to_string(w) + " warn" : "ok";
      // A cell with something to show links to that run's evidence below.
      const bool has_evidence = e || x || w || !r->status.ok();
      h += "<td class=\"" + cls + "\" title=\"" + HtmlEscape(title) + "\">" +
           (has_evidence ? "<a href=\"#" + RunAnchor(*r, runs) + "\">" + label + "</a>" : label) + "</td>";
    }
    h += "</tr>\n";
  }
  h += "</table>\n";

  // Real-time runs: which URLs each POP's viewers played (a profile's `pops`, serve:'s edges).
  std::string pops;
  for (const RunResult& r : runs) {
    for (const auto& [pop, modes] : r.pop_urls) {
      for (const auto& [mode, u] : modes) {
        pops += "<tr><td class=\"id\">" + HtmlEscape(r.target + " | " + r.scenario) + "</td><td class=\"id\">" +
                HtmlEscape(pop) + "</td><td>" + HtmlEscape(mode) + "</td><td class=\"id\">" + HtmlEscape(u.from) +
                "</td><td class=\"id\">" + HtmlEscape(u.master_url) + "<br>" + HtmlEscape(u.variant_url) + "</td></tr>\n";
      }
    }
  }
  if (!pops.empty()) {
    h += "<h2>POP URLs</h2>\n<table><tr><th>run</th><th>POP</th><th>mode</th><th>from</th><th>playlists</th></tr>\n" + pops +
         "</table>\n";
  }

  // Failures with evidence, what sets the exit status first: runs with unexpected errors, then
  // runs with warnings, then runs with expected failures only; inside a run the same order. The
  // unexpected errors are open.
  h += LatencyChart(runs, targets);
  h += "<h2>Failures</h2>\n";
  auto rank = [](const CheckResult& c) {
    return c.expected_reason.empty() ? (c.severity == Severity::kError ? 0 : 1) : 2;
  };
  auto run_rank = [&](const RunResult& r) {
    int best = r.status.ok() ? 3 : 0;
    for (const CheckResult& c : r.checks) {
      if (c.outcome == Outcome::kFail) best = std::min(best, rank(c));
    }
    return best;
  };
  std::vector<const RunResult*> ordered;
  for (const RunResult& r : runs) ordered.push_back(&r);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [&](const RunResult* a, const RunResult* b) { return run_rank(*a) < run_rank(*b); });
  for (const RunResult* rp : ordered) {
    const RunResult& r = *rp;
    if (run_rank(r) == 3) continue;  // nothing failed
    h += "<h3 id=\"" + RunAnchor(r, runs) + "\">" + HtmlEscape(r.target + " | " + r.scenario) + "</h3>\n";
    if (!r.status.ok()) h += "<p class=\"fail\">run failed: " + HtmlEscape(r.status.ToString()) + "</p>\n";
    std::vector<const CheckResult*> failing;
    for (const CheckResult& c : r.checks) {
      if (c.outcome == Outcome::kFail) failing.push_back(&c);
    }
    std::stable_sort(failing.begin(), failing.end(),
                     [&](const CheckResult* a, const CheckResult* b) { return rank(*a) < rank(*b); });
    for (const CheckResult* cp : failing) {
      const CheckResult& c = *cp;
      const CheckInfo* info = FindCheck(c.id);
      const bool expected = !c.expected_reason.empty();
      h += std::string(rank(c) == 0 ? "<details open>" : "<details>") + "<summary class=\"" +
           std::string(expected ? "xfail" : c.severity == Severity::kError ? "fail" : "warn") + "\">" +
           HtmlEscape(r.target + " | " + r.scenario + " | " + c.id + " (" + std::string(SeverityName(c.severity)) +
                      ", " + std::to_string(c.failures) + " failures" + (expected ? ", expected" : "") + ")") +
           "</summary>\n<p>" + HtmlEscape(info ? info->description + " [" + info->section + "]" : "") + "</p>\n";
      if (expected) h += "<p><i>" + HtmlEscape(c.expected_reason) + "</i></p>\n";
      if (!c.note.empty()) h += "<p>" + HtmlEscape(c.note) + "</p>\n";
      if (!c.failures_by_break.empty()) h += "<p>Failures by break: " + HtmlEscape(ByBreak(c)) + "</p>\n";
      for (const Evidence& e : c.evidence) {
        h += "<p><b>t=+" + Fixed(e.t_s, 3) + " s</b> " + HtmlEscape(e.time) + " <code>" + HtmlEscape(e.where) +
             "</code>: " + HtmlEscape(e.message) + "</p>\n";
        if (!e.excerpt.empty()) h += "<pre>" + HtmlEscape(e.excerpt) + "</pre>\n";
      }
      h += "</details>\n";
    }
  }
  // The whole catalogue per target, after the failures (106 rows would bury them).
  // Checks x targets: scenarios failed / evaluated.
  h += "<h2>Checks</h2>\n<table><tr><th>check</th><th>severity</th>";
  for (const std::string& t : targets) h += "<th class=\"rot\">" + HtmlEscape(t) + "</th>";
  h += "</tr>\n";
  for (const CheckInfo& info : Catalogue()) {
    std::string row = "<tr><td class=\"id\" title=\"" + HtmlEscape(info.section + ": " + info.description) + "\">" +
                      HtmlEscape(info.id) + "</td><td>" + std::string(SeverityName(info.severity)) + "</td>";
    for (const std::string& t : targets) {
      int failed = 0, applied = 0, unexpected = 0;
      for (const RunResult& r : runs) {
        if (r.target != t) continue;
        for (const CheckResult& c : r.checks) {
          if (c.id != info.id) continue;
          applied += c.outcome != Outcome::kSkip;
          failed += c.outcome == Outcome::kFail;
          unexpected += c.outcome == Outcome::kFail && c.expected_reason.empty();
        }
      }
      const std::string cls = unexpected ? (info.severity == Severity::kError ? "fail" : "warn")
                              : failed   ? "xfail"
                              : applied  ? "pass"
                                         : "skip";
      row += "<td class=\"" + cls + "\">" + (applied ? std::to_string(failed) + "/" + std::to_string(applied) : "-") + "</td>";
    }
    h += row + "</tr>\n";
  }
  h += "</table>\n<p>Cells: scenarios failing the check / scenarios it applied to. Blue: expected failures only "
       "(a defect build caught, a known finding).</p>\n";

  h += "</body></html>\n";
  return h;
}

std::string SummaryTable(const std::vector<RunResult>& runs) {
  struct Row {
    int runs = 0, passed = 0;
    int64_t errors = 0, expected = 0, warnings = 0;
    std::set<std::string> failed;
  };
  std::vector<std::string> order;
  std::map<std::string, Row> rows;
  for (const RunResult& r : runs) {
    if (!rows.count(r.target)) order.push_back(r.target);
    Row& row = rows[r.target];
    ++row.runs;
    row.passed += r.UnexpectedErrorFailures() == 0;
    row.errors += r.UnexpectedErrorFailures();
    row.expected += r.ExpectedFailures();
    row.warnings += r.WarningFailures();
    for (const CheckResult& c : r.checks) {
      if (c.outcome == Outcome::kFail && c.severity == Severity::kError && c.expected_reason.empty()) {
        row.failed.insert(c.id);
      }
    }
    if (!r.status.ok()) row.failed.insert("(run failed: " + r.status.message() + ")");
  }
  size_t width = 6;
  for (const std::string& t : order) width = std::max(width, t.size());
  auto pad = [](std::string s, size_t w) { return s + std::string(w > s.size() ? w - s.size() : 0, ' '); };
  std::string out = pad("target", width) + "  scenarios-ok  errors  expected  warnings  failing error checks\n";
  for (const std::string& t : order) {
    const Row& row = rows[t];
    std::string failed;
    for (const std::string& id : row.failed) failed += (failed.empty() ? "" : " ") + id;
    out += pad(t, width) + "  " + pad(std::to_string(row.passed) + "/" + std::to_string(row.runs), 12) + "  " +
           pad(std::to_string(row.errors), 6) + "  " + pad(std::to_string(row.expected), 8) + "  " +
           pad(std::to_string(row.warnings), 8) + "  " + (failed.empty() ? "-" : failed) + "\n";
  }
  const std::vector<DefectVerdict> defects = DefectVerdicts(runs);
  if (!defects.empty()) {
    int64_t caught = 0;
    for (const DefectVerdict& v : defects) caught += v.caught();
    out += "defect builds caught: " + std::to_string(caught) + " of " + std::to_string(defects.size());
    for (const DefectVerdict& v : defects) {
      if (!v.caught()) out += "; NOT CAUGHT: " + v.target;
    }
    out += "\n";
  }
  return out;
}

Status WriteReports(const std::string& dir, const std::vector<RunResult>& runs, const Profile& profile) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Unavailable("cannot create " + dir + ": " + ec.message());
  auto write = [&](const std::string& name, const std::string& text) -> Status {
    const std::string path = (std::filesystem::path(dir) / name).string();
    std::ofstream out(path, std::ios::binary);
    out << text;
    out.close();
    if (!out) return Status::Unavailable("cannot write " + path);
    return Status::Ok();
  };
  SSAI_RETURN_IF_ERROR(write("junit.xml", JunitXml(runs)));
  SSAI_RETURN_IF_ERROR(write("report.json", ReportJson(runs, profile).dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"));
  SSAI_RETURN_IF_ERROR(write("index.html", ReportHtml(runs, profile)));
  return Status::Ok();
}

}  // namespace ssai::conformance
