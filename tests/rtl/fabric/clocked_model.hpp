// A verilated model with `clk` and an active-low `rst_n`, owned together
// with its VerilatedContext: the fabric suites' common bench. m-> reaches
// the model's ports; tick() is one clock period (low, rising edge, low);
// reset() holds rst_n low for one tick and evaluates the released model.
#pragma once

#include <verilated.h>

#include <memory>

namespace rcsim::fabric_test {

template <class Model> class ClockedModel {
  public:
    ClockedModel()
        : ctx_(std::make_unique<VerilatedContext>()), m_(std::make_unique<Model>(ctx_.get())) {}
    ~ClockedModel() { m_->final(); }
    ClockedModel(const ClockedModel &) = delete;
    ClockedModel &operator=(const ClockedModel &) = delete;

    Model *operator->() { return m_.get(); }

    void tick() {
        m_->clk = 0;
        m_->eval();
        m_->clk = 1;
        m_->eval();
        m_->clk = 0;
        m_->eval();
    }

    void reset() {
        m_->rst_n = 0;
        tick();
        m_->rst_n = 1;
        m_->eval();
    }

  private:
    std::unique_ptr<VerilatedContext> ctx_;
    std::unique_ptr<Model> m_;
};

} // namespace rcsim::fabric_test
