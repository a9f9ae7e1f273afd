/*
 * Interrupts: DEVICE_GET_IRQ_INFO, DEVICE_SET_IRQS (validated as
 * libvfio-user validates it) and delivery through the client's eventfds.
 * INTx is masked automatically after each delivery until the client unmasks
 * it (VFIO's rule); MSI and MSI-X honour the enable bits and masks in config
 * space and the MSI-X table, leaving masked vectors pending until unmasked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "server_private.h"

#define CMD_INTX_DISABLE 0x0400u
#define MSI_ENABLE 0x0001u
#define MSIX_ENABLE 0x8000u
#define MSIX_FUNC_MASK 0x4000u

int vus_h_irq_info(struct vus_ctx *ctx, struct vus_msg *msg) {
    struct vu_irq_info in;
    if (msg->body_len < sizeof(in)) {
        return -EINVAL;
    }
    memcpy(&in, msg->body, sizeof(in));
    if (in.argsz < sizeof(in) || in.index >= VU_PCI_NUM_IRQS) {
        return -EINVAL;
    }
    struct vu_irq_info out = {
        .argsz = sizeof(out),
        .flags = VU_IRQ_INFO_F_EVENTFD,
        .index = in.index,
        .count = ctx->irq_count[in.index],
    };
    if (!ctx->cfg.libvfio_user_irq_flags) {
        if (in.index == VU_PCI_INTX_IRQ) {
            out.flags |= VU_IRQ_INFO_F_MASKABLE | VU_IRQ_INFO_F_AUTOMASKED;
        } else if (in.index == VU_PCI_MSI_IRQ || in.index == VU_PCI_MSIX_IRQ) {
            out.flags |= VU_IRQ_INFO_F_NORESIZE;
        }
    }
    msg->out = malloc(sizeof(out));
    if (msg->out == NULL) {
        return -ENOMEM;
    }
    memcpy(msg->out, &out, sizeof(out));
    msg->out_len = sizeof(out);
    return 0;
}

static int signal_efd(struct vus_ctx *ctx, unsigned index, unsigned vector) {
    int fd = ctx->efds[index][vector];
    if (fd < 0) {
        return -ENOENT;
    }
    uint64_t one = 1;
    if (write(fd, &one, sizeof(one)) != (ssize_t)sizeof(one)) {
        return -errno;
    }
    return 1;
}

static bool msi_masked(const struct vus_ctx *ctx, unsigned vector) {
    return (vus_cfg_r32(ctx, ctx->msi_off + 0x10) >> vector) & 1;
}

static void msi_set_pending(struct vus_ctx *ctx, unsigned vector, bool on) {
    uint32_t p = vus_cfg_r32(ctx, ctx->msi_off + 0x14);
    p = on ? p | (1u << vector) : p & ~(1u << vector);
    for (unsigned i = 0; i < 4; i++) {
        ctx->space[ctx->msi_off + 0x14 + i] = (uint8_t)(p >> (8 * i));
    }
}

static bool msix_vector_masked(const struct vus_ctx *ctx, unsigned vector) {
    return ctx->msix_table[16 * vector + 12] & 1;
}

static void msix_set_pending(struct vus_ctx *ctx, unsigned vector, bool on) {
    uint8_t bit = (uint8_t)(1u << (vector % 8));
    if (on) {
        ctx->msix_pba[vector / 8] |= bit;
    } else {
        ctx->msix_pba[vector / 8] &= (uint8_t)~bit;
    }
}

static bool msix_pending(const struct vus_ctx *ctx, unsigned vector) {
    return ctx->msix_pba[vector / 8] & (1u << (vector % 8));
}

static int trigger_intx(struct vus_ctx *ctx) {
    if (ctx->intx_masked || (vus_cfg_r16(ctx, 0x04) & CMD_INTX_DISABLE)) {
        ctx->intx_pending = true;
        return 0;
    }
    int ret = signal_efd(ctx, VU_PCI_INTX_IRQ, 0);
    if (ret > 0) {
        ctx->intx_masked = true;
        ctx->intx_pending = false;
    }
    return ret;
}

static int trigger_msi(struct vus_ctx *ctx, unsigned vector) {
    uint16_t ctl = vus_cfg_r16(ctx, ctx->msi_off + 2);
    if (!(ctl & MSI_ENABLE)) {
        return -EPERM;
    }
    if (vector >= (1u << ((ctl >> 4) & 7))) {
        return -EINVAL;
    }
    if (msi_masked(ctx, vector)) {
        msi_set_pending(ctx, vector, true);
        return 0;
    }
    return signal_efd(ctx, VU_PCI_MSI_IRQ, vector);
}

static int trigger_msix(struct vus_ctx *ctx, unsigned vector) {
    uint16_t ctl = vus_cfg_r16(ctx, ctx->msix_off + 2);
    if (!(ctl & MSIX_ENABLE)) {
        return -EPERM;
    }
    if ((ctl & MSIX_FUNC_MASK) || msix_vector_masked(ctx, vector)) {
        msix_set_pending(ctx, vector, true);
        return 0;
    }
    return signal_efd(ctx, VU_PCI_MSIX_IRQ, vector);
}

int vus_irq_trigger(struct vus_ctx *ctx, unsigned index, unsigned vector) {
    if (index >= VU_PCI_NUM_IRQS || vector >= ctx->irq_count[index]) {
        return -EINVAL;
    }
    pthread_mutex_lock(&ctx->lock);
    int ret;
    switch (index) {
    case VU_PCI_INTX_IRQ:
        ret = trigger_intx(ctx);
        break;
    case VU_PCI_MSI_IRQ:
        ret = trigger_msi(ctx, vector);
        break;
    case VU_PCI_MSIX_IRQ:
        ret = trigger_msix(ctx, vector);
        break;
    default:
        ret = signal_efd(ctx, index, vector);
        break;
    }
    pthread_mutex_unlock(&ctx->lock);
    return ret;
}

void vus_msix_after_table_write(struct vus_ctx *ctx, unsigned vector) {
    uint16_t ctl = vus_cfg_r16(ctx, ctx->msix_off + 2);
    if (!(ctl & MSIX_ENABLE) || (ctl & MSIX_FUNC_MASK) || !msix_pending(ctx, vector) ||
        msix_vector_masked(ctx, vector)) {
        return;
    }
    if (signal_efd(ctx, VU_PCI_MSIX_IRQ, vector) > 0) {
        msix_set_pending(ctx, vector, false);
    }
}

void vus_irq_after_cfg_write(struct vus_ctx *ctx) {
    if (ctx->intx_pending) {
        trigger_intx(ctx);
    }
    if (ctx->msi_off != 0 && (vus_cfg_r16(ctx, ctx->msi_off + 2) & MSI_ENABLE)) {
        uint32_t pend = vus_cfg_r32(ctx, ctx->msi_off + 0x14);
        for (unsigned v = 0; v < ctx->msi_nvec; v++) {
            if (((pend >> v) & 1) && !msi_masked(ctx, v) &&
                signal_efd(ctx, VU_PCI_MSI_IRQ, v) > 0) {
                msi_set_pending(ctx, v, false);
            }
        }
    }
    for (unsigned v = 0; v < ctx->msix_nvec; v++) {
        vus_msix_after_table_write(ctx, v);
    }
}

void vus_irq_reset(struct vus_ctx *ctx) {
    for (unsigned i = 0; i < VU_PCI_NUM_IRQS; i++) {
        if (ctx->efds[i] != NULL) {
            vus_close_fds(ctx->efds[i], ctx->irq_count[i]);
        }
    }
    ctx->intx_masked = false;
    ctx->intx_pending = false;
}

/* libvfio-user's checks, in its order. */
static bool valid_set_irqs(const struct vus_ctx *ctx, const struct vus_msg *msg,
                           const struct vu_irq_set *s) {
    uint32_t action = s->flags & VU_IRQ_SET_ACTION_MASK_ALL;
    uint32_t data = s->flags & VU_IRQ_SET_DATA_MASK;
    bool err_req = s->index == VU_PCI_ERR_IRQ || s->index == VU_PCI_REQ_IRQ;
    if (s->argsz < sizeof(*s) ||
        (data == VU_IRQ_SET_DATA_BOOL && msg->body_len - sizeof(*s) != s->count) ||
        s->index >= VU_PCI_NUM_IRQS ||
        (action != VU_IRQ_SET_ACTION_MASK && action != VU_IRQ_SET_ACTION_UNMASK &&
         action != VU_IRQ_SET_ACTION_TRIGGER) ||
        (data != VU_IRQ_SET_DATA_NONE && data != VU_IRQ_SET_DATA_BOOL &&
         data != VU_IRQ_SET_DATA_EVENTFD) ||
        (s->flags & ~(VU_IRQ_SET_ACTION_MASK_ALL | VU_IRQ_SET_DATA_MASK)) != 0) {
        return false;
    }
    uint32_t n = ctx->irq_count[s->index];
    if (s->start >= n || s->count > n - s->start) {
        return false;
    }
    if ((err_req && (action != VU_IRQ_SET_ACTION_TRIGGER || s->count > 1)) ||
        (s->count == 0 &&
         (s->start != 0 || action != VU_IRQ_SET_ACTION_TRIGGER || data != VU_IRQ_SET_DATA_NONE)) ||
        (msg->nfds != 0 && data != VU_IRQ_SET_DATA_EVENTFD) ||
        (msg->nfds != 0 && msg->nfds != s->count)) {
        return false;
    }
    return true;
}

static void set_intx_mask(struct vus_ctx *ctx, const struct vu_irq_set *s, const uint8_t *bools) {
    if (s->index != VU_PCI_INTX_IRQ || s->count == 0) {
        return; /* masking MSI/MSI-X goes through config space and the table */
    }
    if ((s->flags & VU_IRQ_SET_DATA_BOOL) && bools[0] == 0) {
        return;
    }
    ctx->intx_masked = (s->flags & VU_IRQ_SET_ACTION_MASK) != 0;
    if (!ctx->intx_masked && ctx->intx_pending) {
        trigger_intx(ctx);
    }
}

static void trigger_range(struct vus_ctx *ctx, const struct vu_irq_set *s, const uint8_t *bools) {
    for (uint32_t i = 0; i < s->count; i++) {
        if (bools == NULL || bools[i] == 1) {
            signal_efd(ctx, s->index, s->start + i);
        }
    }
}

int vus_h_set_irqs(struct vus_ctx *ctx, struct vus_msg *msg) {
    struct vu_irq_set s;
    if (msg->body_len < sizeof(s)) {
        return -EINVAL;
    }
    memcpy(&s, msg->body, sizeof(s));
    if (!valid_set_irqs(ctx, msg, &s)) {
        vus_log_dbg(ctx, "invalid SET_IRQS flags=%#x index=%u start=%u count=%u nfds=%zu", s.flags,
                    s.index, s.start, s.count, msg->nfds);
        return -EINVAL;
    }
    const uint8_t *bools = (s.flags & VU_IRQ_SET_DATA_BOOL) ? msg->body + sizeof(s) : NULL;
    uint32_t action = s.flags & VU_IRQ_SET_ACTION_MASK_ALL;
    pthread_mutex_lock(&ctx->lock);
    if (action != VU_IRQ_SET_ACTION_TRIGGER) {
        set_intx_mask(ctx, &s, bools);
    } else if (s.count == 0) {
        vus_close_fds(ctx->efds[s.index], ctx->irq_count[s.index]);
    } else if (s.flags & VU_IRQ_SET_DATA_EVENTFD) {
        for (uint32_t i = 0; i < s.count; i++) {
            int *slot = &ctx->efds[s.index][s.start + i];
            if (*slot >= 0) {
                close(*slot);
            }
            *slot = msg->nfds != 0 ? msg->fds[i] : -1;
            if (msg->nfds != 0) {
                msg->fds[i] = -1;
            }
        }
        /* A vector left pending for want of an eventfd can go out now. */
        vus_irq_after_cfg_write(ctx);
    } else {
        trigger_range(ctx, &s, bools);
    }
    pthread_mutex_unlock(&ctx->lock);
    return 0;
}
