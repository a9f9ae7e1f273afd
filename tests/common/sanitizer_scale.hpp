// The sanitizer build (make -f Makefile.ci sanitize) runs the same suite on
// the same 2-core CI machine several times slower (ASan's allocator and
// shadow checks on every access, every forked run's server included), and
// CI machines of one kind differ by 2x and more in speed. Tests whose cost
// is a count of runs keep their full count in the normal build and check
// the same property on a smaller count under the sanitizers, so that every
// test stays well inside its ctest limit on a slow machine too.
#pragma once

#include <cstddef>

namespace rcsim_test {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif

// `normal` in the normal build, `sanitized` under ASan/UBSan.
constexpr size_t scaled(size_t normal, size_t sanitized) {
    return kSanitizerBuild ? sanitized : normal;
}

} // namespace rcsim_test
