/*
 * IRQs: DEVICE_GET_IRQ_INFO and DEVICE_SET_IRQS (eventfds in batches the
 * server's max_msg_fds allows; masks, unmasks, triggers).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"

int vuc_irq_info(struct vuc_ctx *ctx, uint32_t index, struct vu_irq_info *out) {
    struct vu_irq_info q = {.argsz = sizeof(q), .index = index};
    struct vuc_request req = {
        .cmd = VU_CMD_DEVICE_GET_IRQ_INFO, .payload = &q, .payload_len = sizeof(q)};
    vuc_id id;
    int rc = vuc_call(ctx, &req, NULL, &id);
    if (rc < 0)
        return rc;
    *out = vuc_req_find(ctx, id)->reply.u.irq_info;
    vuc_release(ctx, id);
    return 0;
}

static int set_irqs_msg(struct vuc_ctx *ctx, const struct vu_irq_set *s, const uint8_t *bools,
                        const int *fds, size_t nfds) {
    struct vuc_request req = {.cmd = VU_CMD_DEVICE_SET_IRQS,
                              .payload = s,
                              .payload_len = sizeof(*s),
                              .data = bools,
                              .data_len = bools ? s->count : 0,
                              .fds = fds,
                              .nfds = nfds};
    return vuc_call(ctx, &req, NULL, NULL);
}

int vuc_set_irqs_eventfd(struct vuc_ctx *ctx, uint32_t index, uint32_t start, uint32_t count,
                         const int *fds) {
    uint32_t batch = ctx->caps.max_msg_fds;
    if (count == 0 || batch == 0 || start + count < start)
        return -EINVAL;
    for (uint32_t i = 0; i < count; i++)
        if (fds[i] < 0)
            return -EBADF;
    for (uint32_t done = 0; done < count;) {
        uint32_t n = count - done < batch ? count - done : batch;
        struct vu_irq_set s = {.argsz = sizeof(s),
                               .flags = VU_IRQ_SET_DATA_EVENTFD | VU_IRQ_SET_ACTION_TRIGGER,
                               .index = index,
                               .start = start + done,
                               .count = n};
        int rc = set_irqs_msg(ctx, &s, NULL, fds + done, n);
        if (rc < 0)
            return rc;
        done += n;
    }
    return 0;
}

int vuc_set_irqs(struct vuc_ctx *ctx, uint32_t index, uint32_t start, uint32_t count,
                 uint32_t flags, const uint8_t *bools) {
    uint32_t data = flags & VU_IRQ_SET_DATA_MASK;
    if (data == VU_IRQ_SET_DATA_EVENTFD || (data == VU_IRQ_SET_DATA_BOOL) != (bools != NULL))
        return -EINVAL;
    struct vu_irq_set s = {.argsz = (uint32_t)(sizeof(s) + (bools ? count : 0)),
                           .flags = flags,
                           .index = index,
                           .start = start,
                           .count = count};
    return set_irqs_msg(ctx, &s, bools, NULL, 0);
}

int vuc_intx_unmask(struct vuc_ctx *ctx) {
    return vuc_set_irqs(ctx, VU_PCI_INTX_IRQ, 0, 1, VU_IRQ_SET_DATA_NONE | VU_IRQ_SET_ACTION_UNMASK,
                        NULL);
}
