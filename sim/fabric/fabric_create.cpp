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
    *out = std::move(f);
    return 0;
}

// Walks the plan (depth first: every bridge before what lies below it) and
// records, for each function, the model port its link leaves by.
int Fabric::attach(const topology::Plan &plan, std::string *error) {
    models_.emplace_back();
    models_[0].model = make_root_complex_model();
    models_[0].sink[Model::kUp].kind = Sink::Kind::Host;
    models_[0].name[Model::kUp] = "host";
    std::vector<At> at(plan.functions.size());
    std::vector<bool> placed(plan.functions.size(), false);
    for (size_t i = 0; i < plan.functions.size(); i++) {
        const PlannedFunction &fn = plan.functions[i];
        const int parent = fn.parent;
        if (fn.kind == FunctionKind::RootPort || fn.kind == FunctionKind::SwitchDown) {
            // a port function of a model: device k+1 is port k
            const size_t m = fn.kind == FunctionKind::RootPort
                                 ? 0
                                 : (parent >= 0 ? at[size_t(parent)].model : 0);
            const bool ok_parent =
                fn.kind == FunctionKind::RootPort
                    ? (parent < 0 && fn.bus == 0)
                    : (parent >= 0 && placed[size_t(parent)] &&
                       plan.functions[size_t(parent)].kind == FunctionKind::SwitchUp);
            if (!ok_parent || fn.dev < 1 || fn.dev > Model::kDownPorts) {
                *error = "fabric: no model port for " + where(fn) +
                         " (ports are devices 1..8 of a root complex on bus 0 or of a switch)";
                return -EINVAL;
            }
            at[i] = At{m, fn.dev - 1};
            models_[m].present |= uint8_t(1u << (fn.dev - 1));
            models_[m].name[fn.dev - 1] = fn.name;
            placed[i] = true;
            continue;
        }
        // a switch's upstream port or a device: on the link below a port
        if (parent < 0 || !placed[size_t(parent)] || !plan.functions[size_t(parent)].bridge() ||
            plan.functions[size_t(parent)].kind == FunctionKind::SwitchUp) {
            *error = "fabric: " + where(fn) + " is not below a root port or switch port";
            return -EINVAL;
        }
        const At below = at[size_t(parent)];
        if (models_[below.model].sink[below.port].kind != Sink::Kind::None) {
            *error = "fabric: " + where(fn) + ": the link below '" +
                     plan.functions[size_t(parent)].name + "' already holds a device";
            return -EINVAL;
        }
        if (fn.kind == FunctionKind::SwitchUp) {
            const size_t m = models_.size();
            models_.emplace_back();
            models_[m].model = make_switch_model();
            models_[m].name[Model::kUp] = fn.name;
            models_[below.model].sink[below.port] = Sink{Sink::Kind::Model, m, Model::kUp};
            models_[m].sink[Model::kUp] = Sink{Sink::Kind::Model, below.model, below.port};
            at[i] = At{m, Model::kUp};
        } else {
            models_[below.model].sink[below.port] = Sink{Sink::Kind::Device, device_at_.size(), 0};
            device_at_.push_back(below);
            device_bdf_.push_back(uint16_t((fn.bus & 0xffu) << 8 | (fn.dev & 0x1fu) << 3));
            at[i] = below;
        }
        placed[i] = true;
    }
    return 0;
}

} // namespace rcsim::fabric
