#include "handle_store.hpp"

namespace rcsim::fabric {

HandleStore::HandleStore(size_t capacity) : slots_(capacity) {
    for (size_t k = capacity; k > 0; --k)
        free_.push_back(uint32_t(k));
}

uint32_t HandleStore::put(const tlp::Tlp &t, unsigned refs) {
    if (free_.empty() || refs == 0)
        return 0;
    const uint32_t h = free_.back();
    free_.pop_back();
    slots_[h - 1] = Slot{t, refs};
    std::vector<uint8_t>().swap(slots_[h - 1]->tlp.payload); // freed, not just emptied
    return h;
}

const tlp::Tlp *HandleStore::get(uint32_t handle) const {
    if (handle == 0 || handle > slots_.size() || !slots_[handle - 1])
        return nullptr;
    return &slots_[handle - 1]->tlp;
}

bool HandleStore::take(uint32_t handle, tlp::Tlp *out) {
    const tlp::Tlp *t = get(handle);
    if (t == nullptr)
        return false;
    *out = *t;
    release(handle);
    return true;
}

size_t HandleStore::payload_bytes() const {
    size_t n = 0;
    for (const std::optional<Slot> &s : slots_)
        n += s ? s->tlp.payload.size() : 0;
    return n;
}

void HandleStore::release(uint32_t handle) {
    if (get(handle) == nullptr)
        return;
    if (--slots_[handle - 1]->refs > 0)
        return;
    slots_[handle - 1].reset();
    free_.push_back(handle);
}

} // namespace rcsim::fabric
