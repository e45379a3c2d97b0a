/* <sys/uio.h>: scatter/gather I/O. readv/writev are loops over read/write (sysroot/src/uio.c):
 * correct results, but not atomic with respect to other writers of the same file. */
#ifndef _SYS_UIO_H
#define _SYS_UIO_H
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iovec {
	void *iov_base;
	size_t iov_len;
};

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

ssize_t readv(int fd, const struct iovec *iov, int iovcnt);
ssize_t writev(int fd, const struct iovec *iov, int iovcnt);

#ifdef __cplusplus
}
#endif
#endif
