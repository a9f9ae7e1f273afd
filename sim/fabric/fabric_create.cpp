// Fabric::create: the models and their wiring from the plan.
#include "fabric.hpp"

#include <cerrno>
#include <cstdio>

namespace rcsim::fabric {

namespace {

using topology::FunctionKind;
using topology::PlannedFunction;

std::string where(const PlannedFunction &f) {
    char b[16];
    std::snprintf(b, sizeof b, "%02x:%02x.0", f.bus & 0xffu, f.dev & 0x1fu);
    return "'" + f.name + "' at " + b;
}

// The function above the i-th (a bridge planned before it), or nullptr: a
// plan built by hand may point anywhere.
const PlannedFunction *above(const topology::Plan &plan, size_t i) {
    const int p = plan.functions[i].parent;
    return (p >= 0 && size_t(p) < i) ? &plan.functions[size_t(p)] : nullptr;
}

} // namespace

int Fabric::create(const topology::Plan &plan, std::unique_ptr<Fabric> *out, std::string *error) {
    std::unique_ptr<Fabric> f(new Fabric());
    const int rc = f->attach(plan, error);
    if (rc != 0)
        return rc;
    for (ModelPorts &mp : f->models_) {
        uint16_t link = 0;
        for (unsigned q = 0; q < Model::kPorts; q++) {
            if (mp.sink[q].kind != Sink::Kind::None)
                link |= uint16_t(1u << q);
        }
        mp.model->set_link_up(link);
        mp.model->set_present(mp.present);
        mp.model->reset();
    }
    f->to_device_.resize(f->device_at_.size());
    f->bcast_refs_ = f->fan_out(0);
    *out = std::move(f);
    return 0;
}

// Walks the plan (depth first: every bridge before what lies below it) and
// records, for each function, the model port its link leaves by.
int Fabric::attach(const topology::Plan &plan, std::string *error) {
    models_.emplace_back();
    models_[0].model = make_root_complex_model();
    models_[0].in.fill(Wire(kWireDepth, Model::kLanes));
    models_[0].sink[Model::kUp].kind = Sink::Kind::Host;
    models_[0].name[Model::kUp] = "host";
    std::vector<At> at(plan.functions.size());
    for (size_t i = 0; i < plan.functions.size(); i++) {
        const FunctionKind k = plan.functions[i].kind;
        const int rc = (k == FunctionKind::RootPort || k == FunctionKind::SwitchDown)
                           ? attach_port(plan, i, &at, error)
                           : attach_link(plan, i, &at, error);
        if (rc != 0)
            return rc;
    }
    return 0;
}

// A root port or a switch's downstream port: a port of a model, device k+1
// being port k.
int Fabric::attach_port(const topology::Plan &plan, size_t i, std::vector<At> *at,
                        std::string *error) {
    const PlannedFunction &fn = plan.functions[i];
    const PlannedFunction *up = above(plan, i);
    const bool root = fn.kind == FunctionKind::RootPort;
    const bool ok = root ? (fn.parent < 0 && fn.bus == 0)
                         : (up != nullptr && up->kind == FunctionKind::SwitchUp);
    if (!ok || fn.dev < 1 || fn.dev > Model::kDownPorts) {
        *error = "fabric: no model port for " + where(fn) +
                 " (ports are devices 1..8 of the root complex on bus 0 or of a switch)";
        return -EINVAL;
    }
    const size_t m = root ? 0 : (*at)[size_t(fn.parent)].model;
    (*at)[i] = At{m, fn.dev - 1};
    models_[m].present |= uint8_t(1u << (fn.dev - 1));
    models_[m].name[fn.dev - 1] = fn.name;
    return 0;
}

// A switch (its upstream port) or a device: on the link below a port.
int Fabric::attach_link(const topology::Plan &plan, size_t i, std::vector<At> *at,
                        std::string *error) {
    const PlannedFunction &fn = plan.functions[i];
    const PlannedFunction *up = above(plan, i);
    if (up == nullptr || !up->bridge() || up->kind == FunctionKind::SwitchUp) {
        *error = "fabric: " + where(fn) + " is not below a root port or switch port";
        return -EINVAL;
    }
    const At below = (*at)[size_t(fn.parent)];
    if (models_[below.model].sink[below.port].kind != Sink::Kind::None) {
        *error =
            "fabric: " + where(fn) + ": the link below '" + up->name + "' already holds a device";
        return -EINVAL;
    }
    if (fn.kind == FunctionKind::SwitchUp) {
        const size_t m = models_.size();
        models_.emplace_back();
        models_[m].model = make_switch_model();
        models_[m].in.fill(Wire(kWireDepth, Model::kLanes));
        models_[m].name[Model::kUp] = fn.name;
        models_[below.model].sink[below.port] = Sink{Sink::Kind::Model, m, Model::kUp};
        models_[m].sink[Model::kUp] = Sink{Sink::Kind::Model, below.model, below.port};
        (*at)[i] = At{m, Model::kUp};
        return 0;
    }
    models_[below.model].sink[below.port] = Sink{Sink::Kind::Device, device_at_.size(), 0};
    device_at_.push_back(below);
    device_bdf_.push_back(uint16_t((fn.bus & 0xffu) << 8 | (fn.dev & 0x1fu) << 3));
    (*at)[i] = below;
    return 0;
}

// Where copies of a broadcast entering model m end: a device each, or a
// drop in a model whose ports have nothing below (the RTL copies to every
// port whose link is up).
unsigned Fabric::fan_out(size_t m) const {
    unsigned n = 0;
    for (unsigned p = 0; p < Model::kDownPorts; p++) {
        const Sink &s = models_[m].sink[p];
        if (s.kind == Sink::Kind::Device)
            n++;
        else if (s.kind == Sink::Kind::Model)
            n += fan_out(s.index);
    }
    return n == 0 ? 1 : n;
}

} // namespace rcsim::fabric
