/* rcsim's idle announcement: a side channel beside vfio-user, never part of
 * it (sim/sched/README.md, "Idle announcement"). A harness that starts a
 * server process may give it one shared page: a memfd, its descriptor
 * number in the environment variable VU_IDLE_ANNOUNCE_ENV. A server that
 * opts in maps the page and writes VU_IDLE_MAGIC and VU_IDLE_VERSION into it;
 * then, each time it is about to block waiting for a message, it announces
 * "I am blocked waiting for a message, having read `consumed` messages from
 * the client and written `sent` to it (all sockets, counted from the
 * connection's accept), and nothing of mine runs until a message arrives",
 * and it retracts that when it wakes.
 *
 * The page is written only by the server and read only by the harness;
 * both use the compiler's __atomic builtins (C11 and C++17 alike). `seq` is
 * a sequence lock: odd while announced, even while awake; the server writes
 * the counts while `seq` is even, then makes it odd (release), and makes it
 * even again (release) before it does anything else. The harness reads
 * `seq`, the counts, then `seq` again (acquire) and believes the counts
 * only if both reads gave the same odd value.
 *
 * The page is untrusted input to the harness: a wrong magic or version is
 * "not opted in"; counts that contradict what the harness sent and received
 * are a violation (the run fails, the harness falls back to /proc). */
#ifndef VFIO_USER_IDLE_ANNOUNCE_H
#define VFIO_USER_IDLE_ANNOUNCE_H

#include "vfio_user/proto.h" /* VU_STATIC_ASSERT */

#include <stddef.h>
#include <stdint.h>

#define VU_IDLE_ANNOUNCE_ENV "RCSIM_IDLE_ANNOUNCE_FD"
#define VU_IDLE_MAGIC 0x454c4449u /* "IDLE" in little-endian bytes */
#define VU_IDLE_VERSION 1u
#define VU_IDLE_PAGE_SIZE 4096u

struct vu_idle_page {
    uint32_t magic;    /* VU_IDLE_MAGIC once the server opted in, else 0 */
    uint32_t version;  /* VU_IDLE_VERSION */
    uint64_t seq;      /* odd: announced idle; even: awake */
    uint64_t consumed; /* messages read from the client when announced */
    uint64_t sent;     /* messages written to the client when announced */
    /* The process that opted in: the harness believes only the server it
     * started (a wrapper's child, e.g. behind a proxy, is not it). */
    uint32_t pid;
    uint32_t reserved; /* 0; makes the tail padding explicit */
};

/* The page is shared by a C11 server and a C++17 harness: its layout is
 * fixed here, not left to either compiler. */
VU_STATIC_ASSERT(sizeof(struct vu_idle_page) == 40, "vu_idle_page is 40 bytes");
VU_STATIC_ASSERT(offsetof(struct vu_idle_page, seq) == 8, "seq at 8");
VU_STATIC_ASSERT(offsetof(struct vu_idle_page, consumed) == 16, "consumed at 16");
VU_STATIC_ASSERT(offsetof(struct vu_idle_page, sent) == 24, "sent at 24");
VU_STATIC_ASSERT(offsetof(struct vu_idle_page, pid) == 32, "pid at 32");
VU_STATIC_ASSERT(sizeof(struct vu_idle_page) <= VU_IDLE_PAGE_SIZE, "fits the page");

#endif
