// The report page's inline style and script (html_assets.cpp): no file of
// the page is fetched, so they travel inside it.
#pragma once

namespace rcsim {

extern const char kReportStyle[];
extern const char kReportScript[];

} // namespace rcsim
