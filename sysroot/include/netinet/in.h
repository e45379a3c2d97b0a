/* <netinet/in.h> for SwiftOS: IPv4 addresses (layout of the ABI's SockAddrIn). */
#ifndef _NETINET_IN_H
#define _NETINET_IN_H

#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint16_t in_port_t;
typedef uint32_t in_addr_t;

struct in_addr {
	in_addr_t s_addr;
};

struct sockaddr_in {
	sa_family_t sin_family;
	in_port_t sin_port;
	struct in_addr sin_addr;
	unsigned char sin_zero[8];
};

#define IPPROTO_IP SWIFTOS_IPPROTO_IP
#define IPPROTO_TCP SWIFTOS_IPPROTO_TCP
#define IPPROTO_UDP SWIFTOS_IPPROTO_UDP
#define INADDR_ANY ((in_addr_t)SWIFTOS_INADDR_ANY)
#define INADDR_LOOPBACK ((in_addr_t)SWIFTOS_INADDR_LOOPBACK)
#define INADDR_BROADCAST ((in_addr_t)0xffffffff)
#define INADDR_NONE ((in_addr_t)0xffffffff)
#define INET_ADDRSTRLEN 16

static inline uint16_t htons(uint16_t x) { return __builtin_bswap16(x); }
static inline uint16_t ntohs(uint16_t x) { return __builtin_bswap16(x); }
static inline uint32_t htonl(uint32_t x) { return __builtin_bswap32(x); }
static inline uint32_t ntohl(uint32_t x) { return __builtin_bswap32(x); }

#ifdef __cplusplus
}
#endif
#endif /* _NETINET_IN_H */
