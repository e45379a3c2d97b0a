/* <sys/socket.h> for SwiftOS: IPv4 sockets over the socket system calls (values from the ABI). */
#ifndef _SYS_SOCKET_H
#define _SYS_SOCKET_H

#include <sys/types.h>
#include <stdint.h>
#include <swiftos/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t socklen_t;
typedef uint16_t sa_family_t;

struct sockaddr {
	sa_family_t sa_family;
	char sa_data[14];
};

struct sockaddr_storage {
	sa_family_t ss_family;
	char __ss_data[126];
};

#define AF_UNSPEC 0
#define AF_INET SWIFTOS_AF_INET
#define PF_UNSPEC AF_UNSPEC
#define PF_INET AF_INET
#define SOCK_STREAM SWIFTOS_SOCK_STREAM
#define SOCK_DGRAM SWIFTOS_SOCK_DGRAM
#define SOCK_NONBLOCK SWIFTOS_SOCK_NONBLOCK
#define SOCK_CLOEXEC SWIFTOS_SOCK_CLOEXEC
#define MSG_PEEK SWIFTOS_MSG_PEEK
#define MSG_DONTWAIT SWIFTOS_MSG_DONTWAIT
#define MSG_NOSIGNAL SWIFTOS_MSG_NOSIGNAL
#define SHUT_RD SWIFTOS_SHUT_RD
#define SHUT_WR SWIFTOS_SHUT_WR
#define SHUT_RDWR SWIFTOS_SHUT_RDWR
#define SOL_SOCKET SWIFTOS_SOL_SOCKET
#define SO_REUSEADDR SWIFTOS_SO_REUSEADDR
#define SO_TYPE SWIFTOS_SO_TYPE
#define SO_ERROR SWIFTOS_SO_ERROR
#define SO_SNDBUF SWIFTOS_SO_SNDBUF
#define SO_RCVBUF SWIFTOS_SO_RCVBUF
#define SO_KEEPALIVE SWIFTOS_SO_KEEPALIVE
#define SO_RCVTIMEO SWIFTOS_SO_RCVTIMEO
#define SO_SNDTIMEO SWIFTOS_SO_SNDTIMEO
#define SOMAXCONN 128

int socket(int domain, int type, int protocol);
int bind(int fd, const struct sockaddr *addr, socklen_t len);
int listen(int fd, int backlog);
int accept(int fd, struct sockaddr *addr, socklen_t *len);
int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int connect(int fd, const struct sockaddr *addr, socklen_t len);
ssize_t send(int fd, const void *buf, size_t len, int flags);
ssize_t recv(int fd, void *buf, size_t len, int flags);
ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t tolen);
ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen);
int shutdown(int fd, int how);
int setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int getsockname(int fd, struct sockaddr *addr, socklen_t *len);
int getpeername(int fd, struct sockaddr *addr, socklen_t *len);

#ifdef __cplusplus
}
#endif
#endif /* _SYS_SOCKET_H */
