// The machine-readable figure line every bench-* program prints with
// --figures, for bench/report.sh:
//   FIGURE <key> <median> <min> <max> <unit>
// (tab-separated; the unit may hold spaces). Header-only, C++ benches.
#pragma once

#include <algorithm>
#include <cstdio>
#include <vector>

namespace rcsim::bench {

inline double median(std::vector<double> v) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

inline void figure(const char *key, std::vector<double> v, const char *unit) {
    if (v.empty())
        return;
    std::sort(v.begin(), v.end());
    std::printf("FIGURE\t%s\t%.6g\t%.6g\t%.6g\t%s\n", key, v[v.size() / 2], v.front(), v.back(),
                unit);
}

} // namespace rcsim::bench
