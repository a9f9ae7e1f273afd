/*
 * The client's side of a fuzzed server-library connection: the input goes
 * to the server as one byte stream over a socketpair (with 0-3 eventfds
 * attached, as SET_IRQS would carry), and a reader thread drains and closes
 * whatever the server sends back (replies, DMA commands, a twin socket).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* pthread start routine: reads *(int *)fd until EOF, closing received fds. */
void *server_stream_drain(void *fd);
/* Sends data with nfds (0..3) fresh eventfds attached. 0 or -1. */
int server_stream_send(int fd, const uint8_t *data, size_t size, unsigned nfds);
