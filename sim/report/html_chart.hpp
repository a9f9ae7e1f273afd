// The report's message sequence chart as SVG markup (html_chart.cpp): six
// lanes, one group per row and per folded record, laid out all-closed.
// Classes the browser test counts (inside #chart): msg-arrow (one per
// message), decision-mark (one per decision), cross-band (one per crossing).
#pragma once

#include "report_model.hpp"

#include <string>
#include <vector>

namespace rcsim {

std::string chart_svg(const std::vector<TraceRecord> &records, const ReportModel &model);

// Rows first..last with their folded records drawn open (svg id "closeup"):
// the moment a finding is about, at a glance. Empty for a bad range.
std::string closeup_svg(const std::vector<TraceRecord> &records, const ReportModel &model,
                        size_t first, size_t last);

} // namespace rcsim
