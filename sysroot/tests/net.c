/* net.c: sysroot smoke test — IPv4 text conversions, getaddrinfo, poll/select over a pipe and
 * socket creation (works, or fails with EPERM without capNet / ENETDOWN without a network). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

static int failures;
#define CHECK(c)                                                                          \
	do {                                                                              \
		if (!(c)) {                                                               \
			printf("FAIL %s:%d: %s (errno %d)\n", __FILE__, __LINE__, #c, errno); \
			failures++;                                                       \
		}                                                                         \
	} while (0)

int main(void)
{
	struct in_addr a;
	char buf[INET_ADDRSTRLEN];
	CHECK(inet_pton(AF_INET, "10.0.2.2", &a) == 1);
	CHECK(ntohl(a.s_addr) == 0x0a000202);
	CHECK(strcmp(inet_ntop(AF_INET, &a, buf, sizeof buf), "10.0.2.2") == 0);
	CHECK(inet_pton(AF_INET, "256.1.1.1", &a) == 0);
	CHECK(inet_pton(AF_INET, "1.2.3", &a) == 0);
	CHECK(inet_addr("127.0.0.1") == htonl(INADDR_LOOPBACK));

	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	CHECK(getaddrinfo("192.168.1.20", "8080", &hints, &res) == 0);
	if (res) {
		struct sockaddr_in *sin = (struct sockaddr_in *)res->ai_addr;
		CHECK(res->ai_family == AF_INET && ntohs(sin->sin_port) == 8080 && res->ai_next == NULL);
		freeaddrinfo(res);
	}
	CHECK(getaddrinfo("example.invalid", "80", &hints, &res) == EAI_NONAME);

	int p[2];
	CHECK(pipe(p) == 0);
	struct pollfd pf = { .fd = p[0], .events = POLLIN, .revents = 0 };
	CHECK(poll(&pf, 1, 0) == 0);
	CHECK(write(p[1], "x", 1) == 1);
	CHECK(poll(&pf, 1, 1000) == 1 && (pf.revents & POLLIN));
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	struct timeval tv = { 0, 0 };
	CHECK(select(p[0] + 1, &rs, NULL, NULL, &tv) == 1 && FD_ISSET(p[0], &rs));
	close(p[0]);
	close(p[1]);

	int s = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(s >= 0 || errno == EPERM || errno == ENETDOWN);
	if (s >= 0)
		close(s);
	printf("net: %s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
