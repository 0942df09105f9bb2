// Conformance reports: JUnit XML (one test case per check per scenario per target), report.json
// (the source of truth) and index.html (self-contained: checks x targets, then every failure
// with its evidence), plus the summary table the CLI prints.
#ifndef SSAI_CONFORMANCE_REPORT_H_
#define SSAI_CONFORMANCE_REPORT_H_

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "conformance/profile.h"
#include "conformance/runner.h"
#include "reference/base/status.h"

namespace ssai::conformance {

// What XML 1.0 cannot carry (control characters, invalid UTF-8) becomes U+FFFD; markup is left
// for the XML writer (pugixml) to escape.
std::string XmlChars(std::string_view text);
// HTML text/attribute escaping, with XmlChars's replacements.
std::string HtmlEscape(std::string_view text);

// JUnit: <testsuites> with one <testsuite name="TARGET | SCENARIO"> per run and one <testcase
// classname="TARGET.SCENARIO" name="CHECK_ID" time="measured s"> per check. Error-severity
// failures are <failure>, unless expected (expectations.h: a defect build's, a known finding's):
// <skipped type="xfail" message="expected failure: ..."> with the evidence in <system-out>;
// warning-severity failures pass with the evidence in <system-out> (JUnit has no warnings);
// checks that did not apply are <skipped>. With defect builds among the runs, a last suite
// "defect builds caught" has one test case per defect build, failed when nothing caught it.
// Call MarkExpected on the runs first (the CLI does).
std::string JunitXml(const std::vector<RunResult>& runs);
nlohmann::json ReportJson(const std::vector<RunResult>& runs, const Profile& profile);
// One run's verdict without its measured times (deterministic: `ssai sim --check` puts it in the
// simulator's report, which is the same for the same scenario and seed): checks passed, failed,
// skipped, the failure counts, and each failed check with its severity, failures, first evidence
// and why it is expected ("" if not).
nlohmann::json CheckSummaryJson(const RunResult& run);
std::string ReportHtml(const std::vector<RunResult>& runs, const Profile& profile);
// Rows: targets; columns: scenarios passed, unexpected error, expected and warning failures, the
// unexpectedly failing checks; then how many defect builds were caught.
std::string SummaryTable(const std::vector<RunResult>& runs);

// Writes junit.xml, report.json and index.html into `dir` (created if needed).
Status WriteReports(const std::string& dir, const std::vector<RunResult>& runs, const Profile& profile);

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_REPORT_H_
