#include "source_commands.hpp"

#include <cerrno>
#include <cstring>

namespace rcsim {

namespace {
template <typename T> void append(std::vector<uint8_t> *v, const T &x) {
    const auto *p = reinterpret_cast<const uint8_t *>(&x);
    v->insert(v->end(), p, p + sizeof x);
}
} // namespace

// argsz covers the data sent and the room for the reply's data, as the
// client library's vuc_feature_call sets it.
int SourceCommands::feature(uint32_t flags, const std::vector<uint8_t> &data, size_t reply_len,
                            const std::string &what, std::vector<uint8_t> *reply,
                            std::string *error) {
    vu_device_feature f{};
    f.flags = flags;
    f.argsz = uint32_t(sizeof f + std::max(data.size(), reply_len));
    std::vector<uint8_t> payload;
    append(&payload, f);
    payload.insert(payload.end(), data.begin(), data.end());
    vuc_request req{};
    req.cmd = VU_CMD_DEVICE_FEATURE;
    req.payload = payload.data();
    req.payload_len = payload.size();
    return h_.host_call(req, what, max_cycles_, reply, error);
}

int SourceCommands::get_flags(uint64_t *flags, std::string *error) {
    std::vector<uint8_t> r;
    const int rc = feature(VU_DEVICE_FEATURE_GET | VU_FEATURE_MIGRATION, {}, 8,
                           "DEVICE_FEATURE GET MIGRATION", &r, error);
    if (rc < 0)
        return rc;
    vu_feature_migration m{};
    memcpy(&m, r.data(), std::min(r.size(), sizeof m)); // 8 bytes: the parser checked
    *flags = m.flags;
    return 0;
}

int SourceCommands::get_state(uint32_t *state, std::string *error) {
    std::vector<uint8_t> r;
    const int rc = feature(VU_DEVICE_FEATURE_GET | VU_FEATURE_MIG_DEVICE_STATE, {}, 8,
                           "DEVICE_FEATURE GET MIG_DEVICE_STATE", &r, error);
    if (rc < 0)
        return rc;
    vu_feature_mig_state st{};
    memcpy(&st, r.data(), std::min(r.size(), sizeof st));
    if (st.device_state >= VU_MIG_STATE_COUNT) {
        *error = "DEVICE_FEATURE GET MIG_DEVICE_STATE: the device reports state " +
                 std::to_string(st.device_state) + ", which VFIO does not have";
        return -EPROTO;
    }
    *state = st.device_state;
    return 0;
}

bool SourceCommands::probe(uint32_t feature_index, uint32_t ops) {
    std::string ignored;
    return feature(VU_DEVICE_FEATURE_PROBE | ops | feature_index, {}, 0,
                   "DEVICE_FEATURE PROBE " + std::to_string(feature_index), nullptr, &ignored) == 0;
}

int SourceCommands::set_state(uint32_t from, uint32_t to, uint64_t flags, std::string *error) {
    if (!vuc_mig_state_reachable(from, to, flags)) {
        *error = std::string("no way from ") + vuc_mig_state_name(from) + " to " +
                 vuc_mig_state_name(to) + " for this device's migration flags";
        return -EINVAL;
    }
    vu_feature_mig_state st{};
    st.device_state = to;
    std::vector<uint8_t> data, r;
    append(&data, st);
    const std::string what =
        std::string("DEVICE_FEATURE SET MIG_DEVICE_STATE ") + vuc_mig_state_name(to);
    int rc = feature(VU_DEVICE_FEATURE_SET | VU_FEATURE_MIG_DEVICE_STATE, data, 0, what, &r, error);
    if (rc < 0)
        return rc;
    // libvfio-user echoes the state set; a reply without data is argsz and
    // flags alone (the parser allows both).
    if (r.size() >= sizeof st) {
        vu_feature_mig_state got{};
        memcpy(&got, r.data(), sizeof got);
        if (got.device_state != to) {
            *error = what + ": the reply names state " + std::to_string(got.device_state) + " (" +
                     vuc_mig_state_name(got.device_state) + "), not " + vuc_mig_state_name(to);
            return -EPROTO;
        }
    }
    // And the device must say so when asked: a state it jumped to on its
    // own is the device's error, found here rather than on the destination.
    uint32_t now = 0;
    if ((rc = get_state(&now, error)) < 0)
        return rc;
    if (now != to) {
        *error = "after " + what + " the device reports state " + std::to_string(now) + " (" +
                 vuc_mig_state_name(now) + ")";
        return -EPROTO;
    }
    return 0;
}

int SourceCommands::read_data(uint32_t size, std::vector<uint8_t> *data, std::string *error) {
    vu_mig_data q{};
    q.argsz = uint32_t(sizeof q + size);
    q.size = size;
    vuc_request req{};
    req.cmd = VU_CMD_MIG_DATA_READ;
    req.payload = &q;
    req.payload_len = sizeof q;
    return h_.host_call(req, "MIG_DATA_READ " + std::to_string(size), max_cycles_, data, error);
}

int SourceCommands::logging_start(const std::vector<MemWindow> &windows, std::string *error) {
    vu_dma_logging_control c{};
    c.page_size = kPageSize;
    c.num_ranges = uint32_t(windows.size());
    std::vector<uint8_t> data;
    append(&data, c);
    for (const MemWindow &w : windows) {
        vu_dma_logging_range r{};
        r.iova = w.base;
        r.length = w.size;
        append(&data, r);
    }
    return feature(VU_DEVICE_FEATURE_SET | VU_FEATURE_DMA_LOGGING_START, data, 0,
                   "DEVICE_FEATURE SET DMA_LOGGING_START", nullptr, error);
}

int SourceCommands::logging_stop(std::string *error) {
    vu_dma_logging_control c{};
    c.page_size = kPageSize;
    std::vector<uint8_t> data;
    append(&data, c);
    return feature(VU_DEVICE_FEATURE_SET | VU_FEATURE_DMA_LOGGING_STOP, data, 0,
                   "DEVICE_FEATURE SET DMA_LOGGING_STOP", nullptr, error);
}

int SourceCommands::logging_report(const MemWindow &w, std::set<uint64_t> *pages,
                                   std::string *error) {
    const uint64_t n = w.size / kPageSize;
    const size_t bitmap = size_t((n + 63) / 64 * 8); // whole u64 words, as libvfio-user's
    vu_dma_logging_report q{};
    q.iova = w.base;
    q.length = w.size;
    q.page_size = kPageSize;
    std::vector<uint8_t> data, r;
    append(&data, q);
    const int rc =
        feature(VU_DEVICE_FEATURE_GET | VU_FEATURE_DMA_LOGGING_REPORT, data, sizeof q + bitmap,
                "DEVICE_FEATURE GET DMA_LOGGING_REPORT " + w.name, &r, error);
    if (rc < 0)
        return rc;
    // The parser checked the echo and that the bitmap has a bit per page.
    for (uint64_t i = 0; i < n && sizeof q + i / 8 < r.size(); ++i)
        if (r[sizeof q + i / 8] & (1u << (i % 8)))
            pages->insert(w.base / kPageSize + i);
    return 0;
}

} // namespace rcsim
