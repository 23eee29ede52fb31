#pragma once
// The browser-side files of report.html, compiled into the binary from src/report/assets
// (cmake/embed_file.cmake; ECharts from node_modules as pinned by assets/package-lock.json).
#include <string_view>

namespace inferbench::embedded {

std::string_view echarts_js();  // Apache ECharts, dist/echarts.min.js
std::string_view report_js();   // assets/report.js: draws the page from its JSON data
std::string_view report_css();  // assets/report.css

}  // namespace inferbench::embedded
