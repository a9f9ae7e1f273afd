// A stand-in server for ServerProcess's own test: it binds its socket, waits
// DELAY_MS, and only then listens. The model servers do the same in two
// syscalls, and a connect() between them is refused; here the window is wide
// enough that a readiness check which only looks for the socket file meets it
// every time. Usage: late_listener SOCKET DELAY_MS
#include <cstdlib>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3)
        return 2;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (strlen(argv[1]) >= sizeof(addr.sun_path))
        return 2;
    memcpy(addr.sun_path, argv[1], strlen(argv[1]) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) < 0)
        return 1;
    usleep(useconds_t(atoi(argv[2])) * 1000);
    if (listen(fd, 1) < 0)
        return 1;
    // Serve one client by holding it open until it hangs up; ServerProcess
    // ends us with SIGTERM.
    int c = accept(fd, nullptr, nullptr);
    char b;
    while (c >= 0 && read(c, &b, 1) > 0) {
    }
    pause();
    return 0;
}
