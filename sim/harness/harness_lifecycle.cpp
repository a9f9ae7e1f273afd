// The device's lifecycle as a VMM drives it, for scenarios: DEVICE_RESET and
// DMA_UNMAP / DMA_MAP of a configured window at run time. Each message goes
// through the bridge (vuc_submit, not the client's blocking calls), so the
// scheduler admits it and its reply like any other message, and a DMA of
// the server may be in flight when it goes out: the crossings the #279
// discussion names (reset, unmap) are reachable by exploration.
#include "harness.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace rcsim {

// A posted write returns once the root port has it, before its TLP reaches
// the bridge. A VMM traps a guest's MMIO write and sends its REGION_WRITE
// before the vCPU goes on, so a command the host sends after a write goes
// after the write's message: the posted writes still inside the root port
// are carried to the bridge first (not awaited: their replies may come
// later). Bounded: a write the root port does not forward ends the wait.
void Harness::flush_posted(uint64_t max_cycles) {
    advance([&] { return dev_->bridge->posted_dws_taken() >= dev_->posted_dws_sent; }, max_cycles);
}

int Harness::host_command(const vuc_request &req, const std::string &what, uint64_t max_cycles,
                          std::string *error) {
    return host_call(req, what, max_cycles, nullptr, error);
}

int Harness::host_call(const vuc_request &req, const std::string &what, uint64_t max_cycles,
                       std::vector<uint8_t> *reply, std::string *error) {
    if (!dev_->bridge) {
        *error = "not connected to a server";
        return -ENOTCONN;
    }
    flush_posted(max_cycles);
    vuc_id id = 0;
    int rc = dev_->bridge->submit_awaited(req, what, &id);
    if (rc < 0) {
        *error = what + " could not be sent: " + strerror(-rc);
        return rc;
    }
    int status = 0;
    bool got = false;
    advance(
        [&] {
            if (!got)
                got = dev_->bridge->take_command_result(id, &status, reply);
            return got;
        },
        max_cycles);
    if (!got) {
        *error = "no reply to " + what + " within " + std::to_string(max_cycles) + " cycles";
        return -ETIMEDOUT;
    }
    // -EPROTO: the client found the reply malformed (a server's own EPROTO
    // error reply reads the same; the problem text tells them apart when
    // the client has one).
    if (status == -EPROTO) {
        const char *problem = vuc_protocol_problem(dev_->ctx);
        *error = "the reply to " + what + " broke the protocol" +
                 (problem ? std::string(": ") + problem
                          : std::string(" (it does not fit the request: client_parse.h)"));
        return status;
    }
    if (status < 0) {
        *error = "the server refused " + what + ": " + strerror(-status) + " (errno " +
                 std::to_string(-status) + ")";
        return status;
    }
    return 0;
}

int Harness::device_reset(uint64_t max_cycles, std::string *error) {
    vuc_request req{};
    req.cmd = VU_CMD_DEVICE_RESET;
    return host_command(req, "DEVICE_RESET", max_cycles, error);
}

const MemWindow *Harness::dma_window(const std::string &name, std::string *error) const {
    for (const MemWindow &w : cfg_.dma_windows)
        if (w.name == name)
            return &w;
    std::string names;
    for (const MemWindow &w : cfg_.dma_windows)
        names += (names.empty() ? "" : ", ") + w.name;
    *error = "no DMA window named '" + name +
             "' (the windows: " + (names.empty() ? std::string("none") : names) + ")";
    return nullptr;
}

bool Harness::dma_window_mapped(const std::string &name) const {
    for (const std::string &n : dev_->unmapped_windows)
        if (n == name)
            return false;
    return true;
}

void Harness::note_window(const MemWindow &w, bool mapped) {
    dev_->unmapped_windows.erase(
        std::remove(dev_->unmapped_windows.begin(), dev_->unmapped_windows.end(), w.name),
        dev_->unmapped_windows.end());
    if (!mapped)
        dev_->unmapped_windows.push_back(w.name);
    if (dev_->refusals)
        dev_->refusals->set_unmapped(w.name, !mapped);
    if (dev_->dma_gate)
        dev_->dma_gate->window_mapped(w, mapped);
}

// The client's map table loses the window once the server accepted the
// unmap (as vuc_dma_unmap does): the server may finish a DMA into it until
// it replies, and one sent after that is refused as outside every window.
int Harness::dma_unmap(const std::string &name, uint64_t max_cycles, std::string *error) {
    const MemWindow *w = dma_window(name, error);
    if (!w)
        return -ENOENT;
    if (!dma_window_mapped(name)) {
        *error = "DMA window " + name + " is not mapped (unmapped before)";
        return -ENOENT;
    }
    vu_dma_unmap u{};
    u.argsz = sizeof u;
    u.addr = w->base;
    u.size = w->size;
    vuc_request req{};
    req.cmd = VU_CMD_DMA_UNMAP;
    req.payload = &u;
    req.payload_len = sizeof u;
    const int rc = host_command(req, "DMA_UNMAP " + name, max_cycles, error);
    if (rc < 0)
        return rc;
    vuc_dma_table_remove(dev_->ctx, w->base, w->size);
    note_window(*w, false);
    return 0;
}

// The table gains the window before the DMA_MAP goes out, as an IOMMU is
// set up before the device is told; a refused map takes it out again.
int Harness::dma_map(const std::string &name, uint64_t max_cycles, std::string *error) {
    const MemWindow *w = dma_window(name, error);
    if (!w)
        return -ENOENT;
    if (dma_window_mapped(name)) {
        *error = "DMA window " + name + " is mapped already";
        return -EEXIST;
    }
    uint32_t prot = 0;
    if (uint8_t(w->perm) & uint8_t(MemPerm::Read))
        prot |= VU_DMA_MAP_F_READ;
    if (uint8_t(w->perm) & uint8_t(MemPerm::Write))
        prot |= VU_DMA_MAP_F_WRITE;
    int peer = -1; // a socket window's end for the server
    int rc = w->socket ? vuc_dma_table_add_socket(dev_->ctx, w->base, w->size, prot, nullptr, &peer)
                       : vuc_dma_table_add(dev_->ctx, w->base, w->size, prot, nullptr);
    if (rc < 0) {
        *error =
            "DMA window " + name + " cannot be entered in the client's table: " + strerror(-rc);
        return rc;
    }
    vu_dma_map m{};
    m.argsz = sizeof m;
    m.flags = prot | (w->socket ? VU_DMA_MAP_F_RCSIM_SOCKET : 0u);
    m.addr = w->base;
    m.size = w->size;
    vuc_request req{};
    req.cmd = VU_CMD_DMA_MAP;
    req.payload = &m;
    req.payload_len = sizeof m;
    // A shared window goes back with its memfd: its bytes stayed in it while
    // it was unmapped, as guest RAM stays while a device's map is gone.
    const int fd = w->socket ? peer : mem_.shared_fd(w->base);
    if (fd >= 0) {
        req.fds = &fd;
        req.nfds = 1;
    }
    rc = host_command(req, "DMA_MAP " + name, max_cycles, error);
    if (peer >= 0)
        close(peer); // the request took its own copy
    if (rc < 0) {
        vuc_dma_table_remove(dev_->ctx, w->base, w->size);
        return rc;
    }
    note_window(*w, true);
    return 0;
}

} // namespace rcsim
