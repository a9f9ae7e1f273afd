/*
 * rcsim's C client on its own (no simulation): start a vfio-user server,
 * connect, negotiate, read its identity. Exits 0 when it is the regs model
 * (vendor 0x5243, BAR0 ID register 0x52435247), 1 otherwise.
 * usage: read_regs SERVER   (started as SERVER --socket DIR/sock)
 */
#define _POSIX_C_SOURCE 200809L

#include <vfio_user/client.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t start_server(const char *server, const char *sock) {
    pid_t pid = fork();
    if (pid == 0) {
        execl(server, server, "--socket", sock, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* The server listens a moment after it starts: retry for up to 5 s. */
static int connect_when_listening(struct vuc_ctx *ctx, const char *sock) {
    const struct timespec tick = {0, 10 * 1000 * 1000};
    int rc = -ENOENT;
    for (int i = 0; i < 500; i++) {
        rc = vuc_connect(ctx, sock);
        if (rc != -ENOENT && rc != -ECONNREFUSED)
            return rc;
        nanosleep(&tick, NULL);
    }
    return rc;
}

static int read_identity(struct vuc_ctx *ctx, uint16_t *vendor, uint32_t *id) {
    int rc = vuc_negotiate(ctx);
    if (rc < 0)
        return rc;
    rc = vuc_region_read(ctx, VU_PCI_CONFIG_REGION, 0, vendor, sizeof *vendor);
    if (rc < 0)
        return rc;
    rc = vuc_region_read(ctx, VU_PCI_BAR0_REGION, 0, id, sizeof *id);
    return rc < 0 ? rc : 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s SERVER\n", argv[0]);
        return 2;
    }
    char dir[] = "/tmp/read_regs-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    char sock[64];
    snprintf(sock, sizeof sock, "%s/sock", dir);
    const pid_t server = start_server(argv[1], sock);
    struct vuc_ctx *ctx = vuc_create(NULL);
    uint16_t vendor = 0;
    uint32_t id = 0;
    int rc = server < 0 ? -errno : -ENOMEM;
    if (server > 0 && ctx) {
        rc = connect_when_listening(ctx, sock);
        if (rc == 0)
            rc = read_identity(ctx, &vendor, &id);
    }
    vuc_destroy(ctx);
    if (server > 0) {
        kill(server, SIGTERM);
        waitpid(server, NULL, 0);
    }
    unlink(sock);
    rmdir(dir);
    if (rc < 0) {
        fprintf(stderr, "read_regs: %s\n", strerror(-rc));
        return 1;
    }
    printf("vendor 0x%04x, BAR0 ID 0x%08x\n", (unsigned)vendor, (unsigned)id);
    return vendor == 0x5243 && id == 0x52435247u ? 0 : 1;
}
