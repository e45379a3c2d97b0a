/* socket.c: BSD socket API, poll/select and IPv4 text conversions over the SwiftOS socket calls
 * (IPv4 only). struct sockaddr_in and struct pollfd have the ABI's layouts (asserted below), so
 * addresses and poll sets pass straight through. Every call needs capNet; without it the
 * kernel answers EPERM. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <swiftos/abi.h>
#include "glue.h"

_Static_assert(sizeof(struct sockaddr_in) == sizeof(struct swiftos_sockaddr_in), "sockaddr_in");
_Static_assert(__builtin_offsetof(struct sockaddr_in, sin_port) == __builtin_offsetof(struct swiftos_sockaddr_in, sin_port), "sin_port");
_Static_assert(__builtin_offsetof(struct sockaddr_in, sin_addr) == __builtin_offsetof(struct swiftos_sockaddr_in, sin_addr), "sin_addr");
_Static_assert(sizeof(struct sockaddr) == sizeof(struct sockaddr_in), "sockaddr");
_Static_assert(sizeof(struct pollfd) == sizeof(struct swiftos_pollfd), "pollfd");
_Static_assert(__builtin_offsetof(struct pollfd, revents) == __builtin_offsetof(struct swiftos_pollfd, revents), "revents");




#define SC(n, a, b, c, d, e, f) ret(sc6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f)))

/* An input address must be a whole sockaddr_in of family AF_INET. */
static int check_in(const struct sockaddr *a, socklen_t len)
{
	if (a == NULL)
		return (int)fail(EFAULT);
	if (len < sizeof(struct sockaddr_in))
		return (int)fail(EINVAL);
	if (a->sa_family != AF_INET)
		return (int)fail(EAFNOSUPPORT);
	return 0;
}

/* Copy a kernel-filled address out to a caller buffer of *len bytes (truncating, as POSIX). */
static void copy_out(struct sockaddr *dst, socklen_t *len, const struct sockaddr_in *src)
{
	if (dst == NULL || len == NULL)
		return;
	size_t n = *len < sizeof *src ? *len : sizeof *src;
	memcpy(dst, src, n);
	*len = sizeof *src;
}

int socket(int domain, int type, int protocol)
{
	if (domain != AF_INET)
		return (int)fail(EAFNOSUPPORT);
	return (int)SC(SWIFTOS_SYS_SOCKET, domain, type, protocol, 0, 0, 0);
}

int bind(int fd, const struct sockaddr *a, socklen_t len)
{
	if (check_in(a, len) < 0)
		return -1;
	return (int)SC(SWIFTOS_SYS_BIND, fd, a, sizeof(struct sockaddr_in), 0, 0, 0);
}

int listen(int fd, int backlog) { return (int)SC(SWIFTOS_SYS_LISTEN, fd, backlog, 0, 0, 0, 0); }

int accept4(int fd, struct sockaddr *a, socklen_t *len, int flags)
{
	struct sockaddr_in peer;
	memset(&peer, 0, sizeof peer);
	int r = (int)SC(SWIFTOS_SYS_ACCEPT, fd, &peer, flags, 0, 0, 0);
	if (r >= 0)
		copy_out(a, len, &peer);
	return r;
}

int accept(int fd, struct sockaddr *a, socklen_t *len) { return accept4(fd, a, len, 0); }

int connect(int fd, const struct sockaddr *a, socklen_t len)
{
	if (check_in(a, len) < 0)
		return -1;
	return (int)SC(SWIFTOS_SYS_CONNECT, fd, a, sizeof(struct sockaddr_in), 0, 0, 0);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	return SC(SWIFTOS_SYS_SEND, fd, buf, len, flags, 0, 0);
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	return SC(SWIFTOS_SYS_RECV, fd, buf, len, flags, 0, 0);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t tolen)
{
	if (to == NULL)
		return send(fd, buf, len, flags);
	if (check_in(to, tolen) < 0)
		return -1;
	return SC(SWIFTOS_SYS_SENDTO, fd, buf, len, flags, to, sizeof(struct sockaddr_in));
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen)
{
	struct sockaddr_in peer;
	memset(&peer, 0, sizeof peer);
	long r = SC(SWIFTOS_SYS_RECVFROM, fd, buf, len, flags, &peer, 0);
	if (r >= 0)
		copy_out(from, fromlen, &peer);
	return r;
}

int shutdown(int fd, int how) { return (int)SC(SWIFTOS_SYS_SHUTDOWN, fd, how, 0, 0, 0, 0); }

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	return (int)SC(SWIFTOS_SYS_SETSOCKOPT, fd, level, name, val, len, 0);
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	if (len == NULL)
		return (int)fail(EFAULT);
	long r = SC(SWIFTOS_SYS_GETSOCKOPT, fd, level, name, val, *len, 0);
	if (r < 0)
		return -1;
	*len = (socklen_t)r;
	return 0;
}

int getsockname(int fd, struct sockaddr *a, socklen_t *len)
{
	struct sockaddr_in me;
	memset(&me, 0, sizeof me);
	if (SC(SWIFTOS_SYS_GETSOCKNAME, fd, &me, 0, 0, 0, 0) < 0)
		return -1;
	copy_out(a, len, &me);
	return 0;
}

int getpeername(int fd, struct sockaddr *a, socklen_t *len)
{
	struct sockaddr_in peer;
	memset(&peer, 0, sizeof peer);
	if (SC(SWIFTOS_SYS_GETPEERNAME, fd, &peer, 0, 0, 0, 0) < 0)
		return -1;
	copy_out(a, len, &peer);
	return 0;
}

int poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	if (n > SWIFTOS_POLL_MAX)
		return (int)fail(EINVAL);
	return (int)SC(SWIFTOS_SYS_POLL, fds, n, (long)timeout_ms, 0, 0, 0);
}

/* select() on top of poll(). */
int select(int nfds, fd_set *r, fd_set *w, fd_set *x, struct timeval *tv)
{
	struct pollfd p[FD_SETSIZE];
	int n = 0;
	if (nfds < 0 || nfds > FD_SETSIZE)
		return (int)fail(EINVAL);
	for (int fd = 0; fd < nfds; fd++) {
		short ev = 0;
		if (r && FD_ISSET(fd, r))
			ev |= POLLIN;
		if (w && FD_ISSET(fd, w))
			ev |= POLLOUT;
		if (x && FD_ISSET(fd, x))
			ev |= POLLPRI;
		if (ev) {
			p[n].fd = fd;
			p[n].events = ev;
			p[n].revents = 0;
			n++;
		}
	}
	int timeout = -1;
	if (tv) {
		if (tv->tv_sec < 0 || tv->tv_usec < 0)
			return (int)fail(EINVAL);
		long long ms = (long long)tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000;
		timeout = ms > 0x7fffffff ? 0x7fffffff : (int)ms;
	}
	int k = poll(p, (nfds_t)n, timeout);
	if (k < 0)
		return -1;
	if (r)
		FD_ZERO(r);
	if (w)
		FD_ZERO(w);
	if (x)
		FD_ZERO(x);
	int count = 0;
	for (int i = 0; i < n; i++) {
		if (p[i].revents & POLLNVAL)
			return (int)fail(EBADF);
		short got = p[i].revents;
		if (r && (p[i].events & POLLIN) && (got & (POLLIN | POLLHUP | POLLERR))) {
			FD_SET(p[i].fd, r);
			count++;
		}
		if (w && (p[i].events & POLLOUT) && (got & (POLLOUT | POLLERR))) {
			FD_SET(p[i].fd, w);
			count++;
		}
		if (x && (p[i].events & POLLPRI) && (got & POLLPRI)) {
			FD_SET(p[i].fd, x);
			count++;
		}
	}
	return count;
}

/* ---- IPv4 text conversions ---- */

/* Strict dotted quad: exactly four decimal parts 0..255. Returns 1 on success. */
static int parse_quad(const char *s, uint8_t out[4])
{
	for (int i = 0; i < 4; i++) {
		if (*s < '0' || *s > '9')
			return 0;
		unsigned v = 0;
		int digits = 0;
		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (unsigned)(*s++ - '0');
			if (++digits > 3 || v > 255)
				return 0;
		}
		out[i] = (uint8_t)v;
		if (i < 3 && *s++ != '.')
			return 0;
	}
	return *s == '\0';
}

int inet_pton(int af, const char *src, void *dst)
{
	if (af != AF_INET)
		return (int)fail(EAFNOSUPPORT);
	uint8_t q[4];
	if (!parse_quad(src, q))
		return 0;
	memcpy(dst, q, 4);
	return 1;
}

int inet_aton(const char *cp, struct in_addr *inp)
{
	uint8_t q[4];
	if (!parse_quad(cp, q))
		return 0;
	if (inp)
		memcpy(&inp->s_addr, q, 4);
	return 1;
}

in_addr_t inet_addr(const char *cp)
{
	struct in_addr a;
	return inet_aton(cp, &a) ? a.s_addr : INADDR_NONE;
}

const char *inet_ntop(int af, const void *src, char *dst, socklen_t size)
{
	if (af != AF_INET) {
		set_errno(EAFNOSUPPORT);
		return NULL;
	}
	const uint8_t *q = src;
	char tmp[INET_ADDRSTRLEN];
	int n = snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", q[0], q[1], q[2], q[3]);
	if (n < 0 || (socklen_t)n >= size) {
		set_errno(ENOSPC);
		return NULL;
	}
	memcpy(dst, tmp, (size_t)n + 1);
	return dst;
}

char *inet_ntoa(struct in_addr in)
{
	static char buf[INET_ADDRSTRLEN];
	return (char *)inet_ntop(AF_INET, &in.s_addr, buf, sizeof buf);
}

/* ---- getaddrinfo: numeric IPv4 and "localhost" only ---- */

static int parse_port(const char *service, uint16_t *port)
{
	if (service == NULL) {
		*port = 0;
		return 0;
	}
	char *end;
	long v = strtol(service, &end, 10);
	if (*service == '\0' || *end != '\0' || v < 0 || v > 65535)
		return EAI_SERVICE;
	*port = (uint16_t)v;
	return 0;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res)
{
	int family = hints ? hints->ai_family : AF_UNSPEC;
	int flags = hints ? hints->ai_flags : 0;
	if (family != AF_UNSPEC && family != AF_INET)
		return EAI_FAMILY;
	if (node == NULL && service == NULL)
		return EAI_NONAME;
	uint16_t port;
	int e = parse_port(service, &port);
	if (e)
		return e;
	uint8_t q[4];
	if (node == NULL) {
		uint32_t a = (flags & AI_PASSIVE) ? INADDR_ANY : htonl(INADDR_LOOPBACK);
		memcpy(q, &a, 4);
	} else if (strcmp(node, "localhost") == 0 && !(flags & AI_NUMERICHOST)) {
		uint32_t a = htonl(INADDR_LOOPBACK);
		memcpy(q, &a, 4);
	} else if (!parse_quad(node, q)) {
		return EAI_NONAME;
	}
	int types[2] = { SOCK_STREAM, SOCK_DGRAM };
	int protos[2] = { IPPROTO_TCP, IPPROTO_UDP };
	int want = hints ? hints->ai_socktype : 0;
	struct addrinfo *head = NULL, **tail = &head;
	for (int i = 0; i < 2; i++) {
		if (want && want != types[i])
			continue;
		struct addrinfo *ai = calloc(1, sizeof *ai + sizeof(struct sockaddr_in));
		if (ai == NULL) {
			freeaddrinfo(head);
			return EAI_MEMORY;
		}
		struct sockaddr_in *sin = (struct sockaddr_in *)(ai + 1);
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr.s_addr, q, 4);
		ai->ai_family = AF_INET;
		ai->ai_socktype = types[i];
		ai->ai_protocol = protos[i];
		ai->ai_addrlen = sizeof *sin;
		ai->ai_addr = (struct sockaddr *)sin;
		*tail = ai;
		tail = &ai->ai_next;
	}
	if (head == NULL)
		return EAI_SOCKTYPE;
	*res = head;
	return 0;
}

void freeaddrinfo(struct addrinfo *res)
{
	while (res) {
		struct addrinfo *next = res->ai_next;
		free(res);
		res = next;
	}
}

const char *gai_strerror(int err)
{
	switch (err) {
	case EAI_NONAME:
		return "Name does not resolve (only numeric IPv4 addresses and localhost are supported)";
	case EAI_SERVICE:
		return "Unrecognized service (only numeric ports are supported)";
	case EAI_FAMILY:
		return "Address family not supported";
	case EAI_SOCKTYPE:
		return "Socket type not supported";
	case EAI_MEMORY:
		return "Out of memory";
	default:
		return "Unknown getaddrinfo error";
	}
}

int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen, char *serv,
		socklen_t servlen, int flags)
{
	(void)flags;
	if (sa == NULL || salen < sizeof(struct sockaddr_in) || sa->sa_family != AF_INET)
		return EAI_FAMILY;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	if (host && hostlen && inet_ntop(AF_INET, &sin->sin_addr, host, hostlen) == NULL)
		return EAI_OVERFLOW;
	if (serv && servlen) {
		int n = snprintf(serv, servlen, "%u", ntohs(sin->sin_port));
		if (n < 0 || (socklen_t)n >= servlen)
			return EAI_OVERFLOW;
	}
	return 0;
}
