// The server library's idle announcement and a second thread that sends
// (server_idle.c, vus_idle_before_send): the harness offers a page through
// RCSIM_IDLE_ANNOUNCE_FD (vfio_user/idle_announce.h: seq odd = announced
// idle, even = awake); the thread that announces is the loop's. A message
// the loop's thread sends leaves the announcement alone; the first one
// another thread sends withdraws it before it leaves, and the loop never
// announces again. Read from the page as the harness maps it.
// The library's internal header has no C++ guard of its own.
extern "C" {
#include "server_private.h"
}
#include "vfio_user/idle_announce.h"

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>

namespace {

class IdleWithdraw : public ::testing::Test {
  protected:
    void SetUp() override {
        fd = memfd_create("idle-page", 0);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(ftruncate(fd, VU_IDLE_PAGE_SIZE), 0);
        void *p = mmap(nullptr, VU_IDLE_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        ASSERT_NE(p, MAP_FAILED);
        page = static_cast<vu_idle_page *>(p);
        setenv(VU_IDLE_ANNOUNCE_ENV, std::to_string(fd).c_str(), 1);
        vus_config cfg{};
        cfg.socket_path = "/tmp/rcsim-idle-withdraw-unused.sock";
        ctx = vus_create(&cfg);
        ASSERT_NE(ctx, nullptr);
        ASSERT_TRUE(vus_idle_announcing(ctx));
        ASSERT_EQ(page->magic, VU_IDLE_MAGIC);
    }
    void TearDown() override {
        if (ctx)
            vus_destroy(ctx);
        if (page)
            munmap(page, VU_IDLE_PAGE_SIZE);
        if (fd >= 0)
            close(fd);
    }
    bool announced() const { return __atomic_load_n(&page->seq, __ATOMIC_SEQ_CST) & 1; }

    int fd = -1;
    vu_idle_page *page = nullptr;
    vus_ctx *ctx = nullptr;
};

TEST_F(IdleWithdraw, TheLoopThreadsOwnSendLeavesTheAnnouncement) {
    vus_idle_announce(ctx);
    ASSERT_TRUE(announced());
    vus_idle_before_send(ctx);
    EXPECT_TRUE(announced());
    vus_idle_retract(ctx);
    EXPECT_FALSE(announced());
    vus_idle_announce(ctx);
    EXPECT_TRUE(announced());
}

TEST_F(IdleWithdraw, AnotherThreadsSendWithdrawsItForGood) {
    vus_idle_announce(ctx); // this thread is the loop's from now on
    ASSERT_TRUE(announced());
    std::thread worker([this] { vus_idle_before_send(ctx); });
    worker.join();
    EXPECT_FALSE(announced()) << "withdrawn before the worker's message leaves";
    vus_idle_announce(ctx);
    EXPECT_FALSE(announced()) << "the loop never announces again";
    EXPECT_EQ(page->magic, VU_IDLE_MAGIC); // still opted in: the harness reads "awake"
}

TEST_F(IdleWithdraw, ASendBeforeTheLoopEverAnnouncedWithdrawsNothing) {
    std::thread early([this] { vus_idle_before_send(ctx); });
    early.join();
    vus_idle_announce(ctx);
    EXPECT_TRUE(announced());
}

} // namespace
