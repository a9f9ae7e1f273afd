// room-arrows SOURCE_ROOT: checks sim/ against the rooms table of
// sim/README.md. Exit 0 clean, 1 violations, 2 usage or an unreadable tree.
#include "room_arrows.hpp"

#include <cstdio>

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: room-arrows <source-root>\n");
        return 2;
    }
    rcsim::rooms::ArrowCheck check = rcsim::rooms::check_room_arrows(argv[1]);
    if (!check.error.empty()) {
        std::fprintf(stderr, "room-arrows: %s\n", check.error.c_str());
        return 2;
    }
    for (const std::string &violation : check.violations)
        std::printf("%s\n", violation.c_str());
    if (!check.violations.empty()) {
        std::printf("room arrows: %zu rooms, %zu sources, %zu violation%s\n", check.rooms,
                    check.sources, check.violations.size(),
                    check.violations.size() == 1 ? "" : "s");
        return 1;
    }
    std::printf("room arrows: %zu rooms, %zu sources, clean\n", check.rooms, check.sources);
    return 0;
}
