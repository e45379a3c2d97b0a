/* <netinet/tcp.h> for SwiftOS. */
#ifndef _NETINET_TCP_H
#define _NETINET_TCP_H
#include <swiftos/abi.h>
#define TCP_NODELAY SWIFTOS_TCP_NODELAY
#endif
