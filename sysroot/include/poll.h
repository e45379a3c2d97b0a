/* <poll.h> for SwiftOS: poll over sockets, pipes and the console (layout of the ABI's PollFd). */
#ifndef _POLL_H
#define _POLL_H

#include <swiftos/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned int nfds_t;

struct pollfd {
	int fd;
	short events;
	short revents;
};

#define POLLIN SWIFTOS_POLLIN
#define POLLPRI SWIFTOS_POLLPRI
#define POLLOUT SWIFTOS_POLLOUT
#define POLLERR SWIFTOS_POLLERR
#define POLLHUP SWIFTOS_POLLHUP
#define POLLNVAL SWIFTOS_POLLNVAL
#define POLLRDNORM POLLIN
#define POLLWRNORM POLLOUT

int poll(struct pollfd *fds, nfds_t nfds, int timeout_ms);

#ifdef __cplusplus
}
#endif
#endif /* _POLL_H */
