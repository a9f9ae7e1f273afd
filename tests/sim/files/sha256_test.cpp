// SHA-256 against the FIPS 180-2 appendix B vectors (hex digests copied from
// the standard), plus file hashing.
#include "sha256.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <sys/stat.h>
#include <string>
#include <unistd.h>

TEST(Sha256, FipsOneBlockMessageAbc) {
    EXPECT_EQ(rcsim::sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, FipsMultiBlock448BitMessage) {
    EXPECT_EQ(rcsim::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, FipsLongMessageMillionAInOddChunks) {
    rcsim::Sha256 h;
    std::string chunk(997, 'a');
    size_t left = 1000000;
    while (left > 0) {
        size_t n = std::min(left, chunk.size());
        h.update(chunk.data(), n);
        left -= n;
    }
    EXPECT_EQ(rcsim::to_hex(h.finish()),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// A copy goes on from where the original was, independently: the running
// digest of a run's decisions is finished on a copy.
TEST(Sha256, CopyMidMessageContinuesIndependently) {
    rcsim::Sha256 h;
    h.update("ab", 2);
    rcsim::Sha256 copy = h;
    copy.update("c", 1);
    h.update("cdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 54);
    EXPECT_EQ(rcsim::to_hex(copy.finish()),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(rcsim::to_hex(h.finish()),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, EmptyMessage) {
    EXPECT_EQ(rcsim::sha256_hex(""),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, FileHashMatchesVectorAndMissingFileIsAnError) {
    char path[] = "/tmp/sim_sha256_XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, "abc", 3), 3);
    close(fd);
    std::string hex;
    EXPECT_EQ(rcsim::sha256_file_hex(path, &hex), 0);
    EXPECT_EQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    unlink(path);
    EXPECT_EQ(rcsim::sha256_file_hex(path, &hex), -ENOENT);
}

// A FIFO (no writer: a blocking read would wait for ever) and /dev/zero
// (never ends) are not files to hash.
TEST(Sha256, OnlyARegularFileIsHashed) {
    char dir[] = "/tmp/sim_sha256_XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    const std::string fifo = std::string(dir) + "/fifo";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
    std::string hex;
    EXPECT_EQ(rcsim::sha256_file_hex(fifo, &hex), -EINVAL);
    EXPECT_EQ(rcsim::sha256_file_hex("/dev/zero", &hex), -EINVAL);
    EXPECT_EQ(rcsim::sha256_file_hex(dir, &hex), -EINVAL);
    unlink(fifo.c_str());
    rmdir(dir);
}
