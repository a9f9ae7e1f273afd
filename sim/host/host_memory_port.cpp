#include "host_memory_port.hpp"

namespace rcsim {

void HostMemoryPort::start_read(uint64_t addr, unsigned len) {
    Read r{addr, len, 0, false, std::vector<uint32_t>(len, 0)};
    r.err = mem_.dma_read(addr, r.dws.data(), size_t(len) * 4) != MemStatus::Ok;
    reads_.push_back(std::move(r));
}

void HostMemoryPort::take_write_beat(const RtlOut &out) {
    if (out.hmem_wr_sop) {
        in_burst_ = true;
        wr_addr_ = out.hmem_wr_addr;
        wr_len_ = out.hmem_wr_len_dw;
        wr_fbe_ = out.hmem_wr_first_be;
        wr_lbe_ = out.hmem_wr_len_dw == 1 ? out.hmem_wr_first_be : out.hmem_wr_last_be;
        wr_dws_.clear();
    }
    for (unsigned i = 0; i < lanes_ && wr_dws_.size() < wr_len_; ++i)
        wr_dws_.push_back(out.hmem_wr_data[i]);
    if (!out.hmem_wr_eop)
        return;
    in_burst_ = false;
    wrsp_.push_back({wr_addr_, wr_len_, !apply_write()});
}

// Writes the enabled bytes; refuses the whole burst if any enabled byte lies
// outside a writable window (the root port then counts it unsupported).
// Byte enables exist only for the first and the last DW (PCIe 2.2.5): every
// DW between them is written whole, so the burst is stored from the beats'
// DWs in place, in at most a few runs, without a per-byte pass.
bool HostMemoryPort::apply_write() {
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
                  "the DWs of a beat are stored as host memory bytes in place");
    wr_dws_.resize(wr_len_, 0);
    const size_t size = size_t(wr_len_) * 4;
    const size_t mid_end = wr_len_ > 1 ? size - 4 : 0; // whole DWs are [4, mid_end)
    auto enabled = [&](size_t i) {
        if (i < 4 && !(wr_fbe_ & (1u << i)))
            return false;
        return !(wr_len_ > 1 && i >= size - 4 && !(wr_lbe_ & (1u << (i - (size - 4)))));
    };
    size_t first = 0, last = size;
    while (first < last && !enabled(first))
        ++first;
    while (last > first && !enabled(last - 1))
        --last;
    if (first == last)
        return true; // zero-length write: nothing to store
    if (mem_.check(wr_addr_ + first, last - first, MemPerm::Write) != MemStatus::Ok)
        return false;
    const uint8_t *bytes = reinterpret_cast<const uint8_t *>(wr_dws_.data());
    for (size_t i = first; i < last;) { // one write per run of enabled bytes
        if (!enabled(i)) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j < last && enabled(j))
            j = (j >= 4 && j < mid_end) ? mid_end : j + 1;
        mem_.dma_write(wr_addr_ + i, bytes + i, j - i);
        i = j;
    }
    return true;
}

void HostMemoryPort::on_edge(const RtlOut &out, RtlIn &in) {
    if (in.hmem_rd_ready && out.hmem_rd_valid)
        start_read(out.hmem_rd_addr, out.hmem_rd_len_dw);
    if (in.hmem_rdata_valid && out.hmem_rdata_ready) {
        Read &r = reads_.front();
        const unsigned beats = (r.len + lanes_ - 1) / lanes_;
        if (r.err || ++r.beat == beats)
            reads_.pop_front();
    }
    if (in.hmem_wr_ready && out.hmem_wr_valid)
        take_write_beat(out);
    if (in.hmem_wrsp_valid && out.hmem_wrsp_ready) {
        const Wrsp w = wrsp_.front();
        wrsp_.pop_front();
        if (write_done_)
            write_done_(w.addr, w.len, w.err);
    }

    in.hmem_rd_ready = true;
    in.hmem_wr_ready = true;
    in.hmem_rdata_valid = !reads_.empty();
    if (!reads_.empty()) {
        const Read &r = reads_.front();
        const unsigned beats = (r.len + lanes_ - 1) / lanes_;
        Lanes l{};
        for (unsigned i = 0; i < lanes_ && !r.err; ++i) {
            const unsigned k = r.beat * lanes_ + i;
            if (k < r.len)
                l[i] = r.dws[k];
        }
        in.hmem_rdata = l;
        in.hmem_rdata_err = r.err;
        in.hmem_rdata_last = r.err || r.beat + 1 == beats;
    }
    in.hmem_wrsp_valid = !wrsp_.empty();
    in.hmem_wrsp_err = !wrsp_.empty() && wrsp_.front().err;
}

} // namespace rcsim
