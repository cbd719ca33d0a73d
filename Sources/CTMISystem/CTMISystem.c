#define _GNU_SOURCE
#include "CTMISystem.h"

int tmi_errno(void) { return errno; }

int tmi_accept_nonblocking(int fd, struct sockaddr *addr, socklen_t *len) {
    return accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int tmi_socket_nonblocking(int family) {
    return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

long tmi_write_nowait(int fd, const void *bytes, unsigned long count) {
    struct iovec chunk = { (void *)bytes, count };
    return pwritev2(fd, &chunk, 1, -1, RWF_NOWAIT);
}
