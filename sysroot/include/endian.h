/* <endian.h>: byte-order macros and conversions (glibc/BSD names) over newlib's
 * <machine/endian.h>. SwiftOS is AArch64 little-endian. */
#ifndef _SWIFTOS_ENDIAN_H
#define _SWIFTOS_ENDIAN_H
#include <machine/endian.h>

#ifndef LITTLE_ENDIAN
#define LITTLE_ENDIAN _LITTLE_ENDIAN
#endif
#ifndef BIG_ENDIAN
#define BIG_ENDIAN _BIG_ENDIAN
#endif
#ifndef BYTE_ORDER
#define BYTE_ORDER _BYTE_ORDER
#endif

#if _BYTE_ORDER == _LITTLE_ENDIAN
#define htobe16(x) __bswap16(x)
#define htobe32(x) __bswap32(x)
#define htobe64(x) __bswap64(x)
#define htole16(x) ((__uint16_t)(x))
#define htole32(x) ((__uint32_t)(x))
#define htole64(x) ((__uint64_t)(x))
#else
#define htobe16(x) ((__uint16_t)(x))
#define htobe32(x) ((__uint32_t)(x))
#define htobe64(x) ((__uint64_t)(x))
#define htole16(x) __bswap16(x)
#define htole32(x) __bswap32(x)
#define htole64(x) __bswap64(x)
#endif
#define be16toh(x) htobe16(x)
#define be32toh(x) htobe32(x)
#define be64toh(x) htobe64(x)
#define le16toh(x) htole16(x)
#define le32toh(x) htole32(x)
#define le64toh(x) htole64(x)
#endif
