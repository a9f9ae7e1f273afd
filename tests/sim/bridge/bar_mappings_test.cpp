// The areas a server offers for mmap, as the harness maps them
// (bar_mappings.*): what is refused (and named), what is mapped, and which
// accesses a mapping serves. The offers are built by hand as a parsed
// DEVICE_GET_REGION_INFO reply (struct vuc_region) with a memfd.
#include "bar_mappings.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

using rcsim::BarMappings;

namespace {

int memfd(off_t size, bool sealed = false) {
    const int fd = memfd_create("bar", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd >= 0 && size > 0 && ftruncate(fd, size) < 0)
        return -1;
    if (fd >= 0 && sealed && fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) < 0)
        return -1;
    return fd;
}

// A read/write region of `size` offered for mmap with the given areas.
vuc_region offer(uint64_t size, int fd, std::initializer_list<vu_sparse_mmap_area> areas) {
    vuc_region r{};
    r.info.argsz = sizeof(r.info);
    r.info.flags = VU_REGION_F_READ | VU_REGION_F_WRITE | VU_REGION_F_MMAP;
    r.info.size = size;
    r.fd = fd;
    for (const vu_sparse_mmap_area &a : areas)
        r.areas[r.nr_areas++] = a;
    r.nr_areas_stored = r.nr_areas;
    return r;
}

bool fd_open(int fd) {
    return fcntl(fd, F_GETFD) >= 0;
}

} // namespace

TEST(BarMappings, ServesAccessesWhollyInsideOneArea) {
    BarMappings m;
    const int fd = memfd(0x4000);
    ASSERT_GE(fd, 0);
    const int keep = dup(fd); // to look at the bytes after the mapping took fd
    vuc_region r = offer(0x4000, fd, {{0x0, 0x1000}, {0x2000, 0x1000}});
    std::string err;
    ASSERT_EQ(m.map_region(1, r, &err), 0) << err;
    EXPECT_EQ(r.fd, -1);
    EXPECT_FALSE(fd_open(fd)) << "the fd is closed once mapped";
    EXPECT_EQ(m.areas(), 2u);
    EXPECT_EQ(m.describe(),
              (std::vector<std::string>{"BAR1 [0x0,+0x1000)", "BAR1 [0x2000,+0x1000)"}));
    EXPECT_NE(m.find(1, 0x0, 4), nullptr);
    EXPECT_NE(m.find(1, 0xffc, 4), nullptr);
    EXPECT_EQ(m.find(1, 0xffe, 4), nullptr) << "straddles the area's end";
    EXPECT_EQ(m.find(1, 0x1000, 4), nullptr) << "page 1 is not offered";
    EXPECT_EQ(m.find(0, 0x0, 4), nullptr) << "another BAR";
    // A store through the mapping is in the fd at region offset 0x2000 + 8.
    uint8_t *p = m.find(1, 0x2008, 4);
    ASSERT_NE(p, nullptr);
    const uint8_t v[4] = {1, 2, 3, 4};
    std::memcpy(p, v, 4);
    uint8_t back[4] = {};
    ASSERT_EQ(pread(keep, back, 4, 0x2008), 4);
    EXPECT_EQ(std::memcmp(back, v, 4), 0);
    close(keep);
}

// MMAP without a sparse capability: the whole region is mappable (VFIO).
TEST(BarMappings, MmapWithoutAreasMapsTheWholeRegion) {
    BarMappings m;
    vuc_region r = offer(0x2000, memfd(0x2000), {});
    std::string err;
    ASSERT_EQ(m.map_region(0, r, &err), 0) << err;
    EXPECT_EQ(m.describe(), (std::vector<std::string>{"BAR0 [0x0,+0x2000)"}));
    EXPECT_NE(m.find(0, 0x1ffc, 4), nullptr);
}

TEST(BarMappings, RegionNotOfferedIsLeftAloneAndItsFdClosed) {
    BarMappings m;
    const int fd = memfd(0x1000);
    vuc_region r = offer(0x1000, fd, {{0, 0x1000}});
    r.info.flags &= ~VU_REGION_F_MMAP;
    std::string err;
    EXPECT_EQ(m.map_region(0, r, &err), 0);
    EXPECT_EQ(m.areas(), 0u);
    EXPECT_FALSE(fd_open(fd));
}

struct BadOffer {
    const char *what;
    uint64_t size;
    off_t fd_size; // -1: no fd
    bool sealed;
    vu_sparse_mmap_area area;
    uint64_t fd_offset;
    int rc;
    const char *error;
};

class BarMappingsRefuse : public ::testing::TestWithParam<BadOffer> {};

TEST_P(BarMappingsRefuse, WithAReasonNamingTheBarAndArea) {
    const BadOffer &b = GetParam();
    const int fd = b.fd_size < 0 ? -1 : memfd(b.fd_size, b.sealed);
    vuc_region r = offer(b.size, fd, {b.area});
    r.info.offset = b.fd_offset;
    BarMappings m;
    std::string err;
    EXPECT_EQ(m.map_region(2, r, &err), b.rc) << b.what;
    EXPECT_EQ(err, b.error) << b.what;
    EXPECT_EQ(m.areas(), 0u);
    if (fd >= 0) {
        EXPECT_FALSE(fd_open(fd)) << b.what;
    }
}

const BadOffer kBad[] = {
    {"no fd",
     0x1000,
     -1,
     false,
     {0, 0x1000},
     0,
     -EPROTO,
     "BAR2's mmap offer has the MMAP flag but the reply carried no fd"},
    {"unaligned area",
     0x2000,
     0x2000,
     false,
     {0x10, 0x100},
     0,
     -EPROTO,
     "BAR2's mmap offer: area [0x10,+0x100) is not page aligned (4 KiB) at fd offset 0x0"},
    {"unaligned fd offset",
     0x1000,
     0x2000,
     false,
     {0, 0x1000},
     0x800,
     -EPROTO,
     "BAR2's mmap offer: area [0x0,+0x1000) is not page aligned (4 KiB) at fd offset 0x800"},
    {"outside the region",
     0x1000,
     0x2000,
     false,
     {0x1000, 0x1000},
     0,
     -EPROTO,
     "BAR2's mmap offer: area [0x1000,+0x1000) lies outside the region (size 0x1000)"},
    {"fd too short",
     0x2000,
     0x1000,
     false,
     {0x1000, 0x1000},
     0,
     -EPROTO,
     "BAR2's mmap offer: area [0x1000,+0x1000) ends at fd offset 0x2000 but the fd has only "
     "0x1000 bytes (an access there would raise SIGBUS)"},
    {"fd offset past the fd",
     0x1000,
     0x1000,
     false,
     {0, 0x1000},
     0x1000,
     -EPROTO,
     "BAR2's mmap offer: area [0x0,+0x1000) ends at fd offset 0x2000 but the fd has only "
     "0x1000 bytes (an access there would raise SIGBUS)"},
    {"sealed against writes",
     0x1000,
     0x1000,
     true,
     {0, 0x1000},
     0,
     -EPERM,
     "BAR2's mmap offer: area [0x0,+0x1000) cannot be mapped: Operation not permitted"},
};

INSTANTIATE_TEST_SUITE_P(Offers, BarMappingsRefuse, ::testing::ValuesIn(kBad));
