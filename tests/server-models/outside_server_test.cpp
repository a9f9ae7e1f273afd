// The same transcript checks against servers built on libvfio-user itself,
// when the environment names them (skipped otherwise):
//   RCSIM_OUTSIDE_GPIO_SERVER  the gpio-pci-idio-16 sample, run as BINARY SOCKET
//   RCSIM_OUTSIDE_DMA_SERVER   the transcripts' dma_server, run as BINARY SOCKET
// This keeps the golden transcripts honest: if libvfio-user changes, these
// fail where our models still pass.
#include <gtest/gtest.h>

#include <cstdlib>

#include "replay.hpp"
#include "server_process.hpp"

using namespace rcsim::test;

namespace {

const char *outside(const char *var) {
    const char *v = getenv(var);
    return v != nullptr && v[0] != '\0' ? v : nullptr;
}

void replay_against(const char *binary, const std::vector<const char *> &names) {
    ServerProcess s({binary, "{sock}"});
    ASSERT_TRUE(s.ready()) << s.error();
    for (const char *name : names) {
        SCOPED_TRACE(name);
        RawSocket main, twin;
        std::string err;
        ASSERT_TRUE(main.connect_to(s.socket_path(), &err)) << err;
        ASSERT_TRUE(replay(load_transcript(name), main, twin));
    }
    EXPECT_TRUE(s.alive());
}

} // namespace

TEST(ServerOutside, GpioSampleMatchesGpioTranscript) {
    const char *bin = outside("RCSIM_OUTSIDE_GPIO_SERVER");
    if (bin == nullptr)
        GTEST_SKIP() << "RCSIM_OUTSIDE_GPIO_SERVER is not set (path of libvfio-user's "
                        "gpio-pci-idio-16 sample)";
    replay_against(bin, {"gpio"});
}

TEST(ServerOutside, DmaServerMatchesDmaTwinTranscript) {
    const char *bin = outside("RCSIM_OUTSIDE_DMA_SERVER");
    if (bin == nullptr)
        GTEST_SKIP() << "RCSIM_OUTSIDE_DMA_SERVER is not set (path of the transcripts' dma_server)";
    replay_against(bin, {"dma_twin"});
}

TEST(ServerOutside, DmaServerReproducesRace279AndServesNextClient) {
    const char *bin = outside("RCSIM_OUTSIDE_DMA_SERVER");
    if (bin == nullptr)
        GTEST_SKIP() << "RCSIM_OUTSIDE_DMA_SERVER is not set (path of the transcripts' dma_server)";
    replay_against(bin, {"race279", "race279_next_client"});
}
