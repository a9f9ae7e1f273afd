// DMA_READ/DMA_WRITE from the server -> device-originated MemRd/MemWr TLPs
// (split by MRRS/MPS and 4 KiB) through the root port into host memory; the
// reply goes to the server when the last piece is done: reads when their
// completions came back, writes when host memory acknowledged the burst.
#include "bridge.hpp"
#include "tlp_rules.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace rcsim {

int Bridge::dma_trampoline(void *opaque, vuc_dma_op *op) {
    return static_cast<Bridge *>(opaque)->start_dma(op);
}

// The sync client (client_style.hpp) sets the command aside while a
// request of ours awaits its reply; take_up_set_aside() serves it later.
namespace {
std::string dma_label(const vuc_dma_op *op) {
    return std::string(op->cmd == VU_CMD_DMA_WRITE ? "DMA_WRITE" : "DMA_READ") + " #" +
           std::to_string(op->msg_id) + " " + vuc_sock_name(op->sock);
}
} // namespace

int Bridge::start_dma(vuc_dma_op *op) {
    if (style_ == ClientStyle::Sync && !pending_.empty()) {
        ++counters_.set_aside;
        set_aside_.push_back(op);
        dma_bytes_ += op->count;
        if (on_set_aside_) {
            std::string ours;
            for (const std::string &w : awaited())
                ours += (ours.empty() ? "" : ", ") + w;
            on_set_aside_("set-aside", dma_label(op) + " (awaiting " + ours + ")");
        }
        return VUC_DMA_PENDING;
    }
    return take_up_dma(op);
}

std::vector<std::string> Bridge::set_aside() const {
    std::vector<std::string> v;
    for (const vuc_dma_op *op : set_aside_)
        v.push_back(dma_label(op));
    return v;
}

// In arrival order, while nothing of ours is outstanding (taking one up may
// send a command of the harness's own: the rest wait for its reply).
void Bridge::take_up_set_aside() {
    while (pending_.empty() && !set_aside_.empty()) {
        vuc_dma_op *op = set_aside_.front();
        set_aside_.pop_front();
        dma_bytes_ -= op->count;
        if (on_set_aside_)
            on_set_aside_("take-up", dma_label(op));
        const int rc = take_up_dma(op);
        if (rc == VUC_DMA_PENDING)
            continue;
        complete_dma(op, rc < 0 ? rc : 0);
    }
}

int Bridge::take_up_dma(vuc_dma_op *op) {
    if (dma_hooks_) {
        const int refused = dma_hooks_->dma_started(op);
        if (refused < 0)
            return refused;
    }
    const bool write = op->cmd == VU_CMD_DMA_WRITE;
    const std::vector<tlp::Piece> pieces =
        tlp::split_request(op->addr, op->count, write ? mps_ : mrrs_);
    if (pieces.empty())
        return 0; // zero-length DMA: nothing to move
    dma_phase_ = true;
    const uint64_t job = next_job_++;
    jobs_[job] = DmaJob{op, pieces.size(), 0};
    dma_bytes_ += op->count;
    uint64_t offset = 0;
    for (const tlp::Piece &p : pieces) {
        if (write) {
            const tlp::Tlp t = tlp::Tlp::mem_write(p.addr, op->data + offset, p.bytes, device_bdf_);
            inject(t);
            if (in_peer_window(p.addr)) {
                rx_.back().peer_write = true;
                rx_.back().job = job;
                rx_.back().bytes = p.bytes;
            } else {
                expected_writes_.push_back({job, p.addr & ~uint64_t(3), t.length_dws(), p.bytes});
            }
        } else {
            read_queue_.push_back({job, p.addr, p.bytes, offset, 0});
        }
        offset += p.bytes;
    }
    if (write)
        ++counters_.dma_writes;
    else
        ++counters_.dma_reads;
    issue_reads();
    return VUC_DMA_PENDING;
}

// Read pieces go out as tags free up; at most a few hundred TLPs of the
// whole transfer sit in the receive FIFO at once.
void Bridge::issue_reads() {
    while (!read_queue_.empty() && !free_tags_.empty() && rx_beats_ < 1024) {
        ReadPiece p = std::move(read_queue_.front());
        read_queue_.pop_front();
        const uint8_t tag = free_tags_.front();
        free_tags_.pop_front();
        inject(tlp::Tlp::mem_read(p.addr, p.bytes, device_bdf_, tag));
        tags_.emplace(tag, std::move(p));
    }
}

// Stores a completion's bytes straight into the op's buffer (no copy of
// the whole piece first): the payload continues the piece's stream, which
// starts addr & 3 bytes before the piece (the first DW's lead bytes) and
// may run past its end (the last DW's tail). An error later in the piece
// makes the reply an error reply, so bytes stored early are never seen.
void Bridge::take_read_data(ReadPiece &p, const std::vector<uint8_t> &payload) {
    const auto j = jobs_.find(p.job);
    const size_t lead = size_t(p.addr & 3), start = p.got, end = p.got + payload.size();
    p.got = end;
    const size_t lo = std::max(start, lead), hi = std::min(end, lead + p.bytes);
    if (j == jobs_.end() || lo >= hi)
        return;
    std::memcpy(j->second.op->data + p.offset + (lo - lead), payload.data() + (lo - start),
                hi - lo);
}

std::vector<uint64_t> Bridge::peer_reads() const {
    std::vector<uint64_t> out;
    for (const auto &kv : tags_)
        if (in_peer_window(kv.second.addr))
            out.push_back(kv.second.addr);
    return out;
}

size_t Bridge::time_out_peer_reads(int err) {
    size_t n = 0;
    for (auto it = tags_.begin(); it != tags_.end();) {
        if (!in_peer_window(it->second.addr)) {
            ++it;
            continue;
        }
        const uint64_t job = it->second.job;
        timed_out_tags_.insert(it->first);
        it = tags_.erase(it);
        ++counters_.peer_reads_timed_out;
        ++n;
        finish_piece(job, err);
    }
    return n;
}

void Bridge::dma_completion(const tlp::Tlp &t) {
    if (t.requester_id == device_bdf_ && timed_out_tags_.count(t.tag)) {
        // A peer answering after the deadlock was broken: the read was
        // failed already. Its tag is free again after the last completion
        // (Byte Count no more than this one carries; 0 means 4096).
        ++counters_.late_peer_completions;
        const size_t left = t.byte_count ? t.byte_count : 4096;
        if (t.status != tlp::CplStatus::SC || left <= t.payload.size()) {
            timed_out_tags_.erase(t.tag);
            free_tags_.push_back(t.tag);
        }
        return;
    }
    auto it = tags_.find(t.tag);
    if (t.requester_id != device_bdf_ || it == tags_.end()) {
        ++counters_.unexpected_tlps;
        note_failure("completion for no DMA read of ours: " + t.describe());
        return;
    }
    ReadPiece &p = it->second;
    int err = 0;
    if (t.status != tlp::CplStatus::SC)
        err = t.status == tlp::CplStatus::UR ? -EFAULT : -EIO;
    else if (t.type != tlp::TlpType::CplD)
        err = -EIO;
    else
        take_read_data(p, t.payload);
    const size_t lead = size_t(p.addr & 3);
    if (err == 0 && p.got < lead + p.bytes)
        return; // more completions to come
    const uint64_t job = p.job;
    if (err == 0 && jobs_.count(job) != 0)
        (in_peer_window(p.addr) ? counters_.p2p_bytes_read : counters_.dma_bytes_read) += p.bytes;
    tags_.erase(it);
    free_tags_.push_back(t.tag);
    finish_piece(job, err);
}

bool Bridge::in_peer_window(uint64_t addr) const {
    for (const auto &w : peer_windows_)
        if (addr >= w.first && addr - w.first < w.second)
            return true;
    return false;
}

bool Bridge::expects_host_write(uint64_t dw_addr, unsigned len_dw) const {
    return !expected_writes_.empty() && expected_writes_.front().dw_addr == dw_addr &&
           expected_writes_.front().len_dw == len_dw;
}

void Bridge::host_write_done(uint64_t dw_addr, unsigned len_dw, bool err) {
    if (expected_writes_.empty()) {
        note_failure("host memory write the bridge did not send");
        return;
    }
    const ExpectedWrite w = expected_writes_.front();
    expected_writes_.pop_front();
    if (w.dw_addr != dw_addr || w.len_dw != len_dw)
        note_failure("host memory write out of order: expected a different burst");
    if (!err)
        counters_.dma_bytes_written += w.bytes;
    finish_piece(w.job, err ? -EFAULT : 0);
}

// The drop is known when the fabric takes the burst, while earlier bursts
// of this bridge may still be on their way to host memory: the burst is
// found wherever it waits (the oldest of that address and length), not
// only at the front.
void Bridge::host_write_dropped(uint64_t dw_addr, unsigned len_dw) {
    for (auto w = expected_writes_.begin(); w != expected_writes_.end(); ++w) {
        if (w->dw_addr != dw_addr || w->len_dw != len_dw)
            continue;
        const uint64_t job = w->job;
        expected_writes_.erase(w);
        finish_piece(job, 0);
        return;
    }
}

void Bridge::finish_piece(uint64_t job, int err) {
    auto j = jobs_.find(job);
    if (j == jobs_.end())
        return;
    DmaJob &d = j->second;
    if (err && !d.err)
        d.err = err;
    if (--d.pieces_left > 0)
        return;
    if (d.err)
        ++counters_.dma_errors;
    vuc_dma_op *op = d.op;
    const int e = d.err;
    dma_bytes_ -= op->count;
    jobs_.erase(j);
    if (dma_hooks_ && dma_hooks_->dma_reply_ready(op, e))
        return;
    complete_dma(op, e);
}

// Sends op's reply. A lost connection fails the run by its own EOF; a map
// socket closed under the DMA (the window's unmap) is counted: the server
// gave that DMA up, whatever the bridge did with it.
void Bridge::complete_dma(vuc_dma_op *op, int err) {
    const bool map_socket = op->sock >= VUC_SOCK_MAP0;
    const int rc = vuc_dma_complete(ctx_, op, err);
    if (rc == -ENOTCONN && map_socket && vuc_connected(ctx_))
        ++counters_.dma_replies_lost;
    else if (rc < 0 && rc != -ENOTCONN)
        note_failure("DMA reply could not be sent: errno " + std::to_string(-rc));
}

void Bridge::submit_command(const vuc_request &req, const std::string &what) {
    vuc_id id = 0;
    const int rc = vuc_submit(ctx_, &req, 0, &id);
    if (rc < 0)
        return note_failure(what + " could not be sent: errno " + std::to_string(-rc));
    track(id, {Kind::HostCmd, tlp::Tlp{}, 0, false, what});
}

int Bridge::submit_awaited(const vuc_request &req, const std::string &what, vuc_id *id) {
    const int rc = vuc_submit(ctx_, &req, 0, id);
    if (rc < 0)
        return rc;
    track(*id, {Kind::AwaitedCmd, tlp::Tlp{}, 0, false, what});
    return 0;
}

bool Bridge::take_command_result(vuc_id id, int *status, std::vector<uint8_t> *data) {
    const auto it = command_results_.find(id);
    if (it == command_results_.end())
        return false;
    *status = it->second.status;
    if (data)
        *data = std::move(it->second.data);
    command_results_.erase(it);
    return true;
}

} // namespace rcsim
