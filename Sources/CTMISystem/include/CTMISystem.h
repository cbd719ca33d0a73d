#ifndef TMI_CSYSTEM_H
#define TMI_CSYSTEM_H
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <errno.h>
#include <unistd.h>
#include <signal.h>

/* errno as a function: Swift cannot read the thread-local macro portably. */
int tmi_errno(void);
/* accept4 with SOCK_NONBLOCK|SOCK_CLOEXEC. */
int tmi_accept_nonblocking(int fd, struct sockaddr *addr, socklen_t *len);
/* A non-blocking, close-on-exec TCP socket of the given family. */
int tmi_socket_nonblocking(int family);
/* write(2) that never waits: pwritev2 with RWF_NOWAIT at the file's position. -1 with errno
   EAGAIN when it would wait, EOPNOTSUPP where the file or kernel cannot say. */
long tmi_write_nowait(int fd, const void *bytes, unsigned long count);
/* The data member of an epoll_event (a packed union Swift imports awkwardly). */
static inline uint64_t tmi_epoll_event_data(const struct epoll_event *event) { return event->data.u64; }
static inline void tmi_epoll_event_set_data(struct epoll_event *event, uint64_t data) { event->data.u64 = data; }
#endif
