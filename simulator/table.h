// The summary tables of `ssai sim` reports (one run: report.cc; a sweep: sweep.cc), written as
// padded text for the terminal and as an HTML <table> for index.html from one column list, so the
// two never disagree and every header carries its meaning (tooltip) in the HTML.
#ifndef SSAI_SIMULATOR_TABLE_H_
#define SSAI_SIMULATOR_TABLE_H_

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "reference/base/strings.h"

namespace ssai::sim {

struct TableColumn {
  const char* header;
  int width;         // text: < 0 left-aligned in -width, > 0 right-aligned in width, 0 unpadded
  const char* help;  // what the column means (HTML header tooltip)
  bool name = false;  // HTML: a left-aligned monospace cell (build names, sweep points)
};

using TableRows = std::vector<std::vector<std::string>>;

// Header line then one line per row; cells separated by one space.
inline std::string TextTable(std::span<const TableColumn> columns, const TableRows& rows) {
  std::string out;
  auto line = [&](auto cell_at) {
    for (size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) out += ' ';
      const std::string text = cell_at(c);
      const int width = columns[c].width;
      const size_t w = static_cast<size_t>(width < 0 ? -width : width);
      const std::string pad(text.size() < w ? w - text.size() : 0, ' ');
      out += width < 0 ? text + pad : pad + text;
    }
    out += '\n';
  };
  line([&](size_t c) { return std::string(columns[c].header); });
  for (const std::vector<std::string>& row : rows) line([&](size_t c) { return c < row.size() ? row[c] : ""; });
  return out;
}

// <table class='summary'> (styles: kTableCss) with an optional caption.
inline std::string HtmlTable(std::span<const TableColumn> columns, const TableRows& rows,
                             const std::string& caption = "") {
  std::string h = "<table class='summary'>";
  if (!caption.empty()) h += "<caption>" + HtmlEscape(caption) + "</caption>";
  h += "<tr>";
  for (const TableColumn& c : columns) h += "<th title='" + HtmlEscape(c.help) + "'>" + HtmlEscape(c.header) + "</th>";
  h += "</tr>";
  for (const std::vector<std::string>& row : rows) {
    h += "<tr>";
    for (size_t c = 0; c < row.size() && c < columns.size(); ++c) {
      h += std::string(columns[c].name ? "<td class='name'>" : "<td>") + HtmlEscape(row[c]) + "</td>";
    }
    h += "</tr>";
  }
  return h + "</table>";
}

inline constexpr const char* kTableCss =
    "table.summary{border-collapse:collapse;font-size:13px;margin:8px 0}"
    "table.summary caption{text-align:left;font-size:13px;color:#333;padding:2px 0}"
    "table.summary th,table.summary td{border:1px solid #ccc;padding:3px 8px;text-align:right}"
    "table.summary th{background:#f0f0f0;cursor:help}table.summary td.name{text-align:left;font-family:monospace}";

}  // namespace ssai::sim

#endif  // SSAI_SIMULATOR_TABLE_H_
