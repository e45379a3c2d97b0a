/* readv/writev over read/write. POSIX semantics for the result: the bytes transferred, stopping
 * at the first short transfer; -1 with errno only if nothing was transferred. EINVAL for a bad
 * iovcnt or a total that overflows ssize_t. Not atomic against concurrent writers. */
#include <errno.h>
#include <limits.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef SSIZE_MAX
#define SSIZE_MAX LONG_MAX
#endif

static int iov_valid(const struct iovec *iov, int iovcnt)
{
	size_t total = 0;
	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return 0;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > (size_t)SSIZE_MAX - total)
			return 0;
		total += iov[i].iov_len;
	}
	return 1;
}

static ssize_t transfer(int fd, const struct iovec *iov, int iovcnt, int writing)
{
	ssize_t done = 0;
	if (!iov_valid(iov, iovcnt)) {
		errno = EINVAL;
		return -1;
	}
	for (int i = 0; i < iovcnt; i++) {
		size_t off = 0;
		while (off < iov[i].iov_len) {
			char *p = (char *)iov[i].iov_base + off;
			size_t want = iov[i].iov_len - off;
			ssize_t n = writing ? write(fd, p, want) : read(fd, p, want);
			if (n < 0)
				return done > 0 ? done : -1;
			if (n == 0)
				return done;
			off += (size_t)n;
			done += n;
			if (!writing && (size_t)n < want)
				return done;
		}
	}
	return done;
}

ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	return transfer(fd, iov, iovcnt, 0);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	return transfer(fd, iov, iovcnt, 1);
}
