/* dirent.c: opendir/readdir/closedir over the SwiftOS getdents call, which fills a buffer with
 * packed records (struct swiftos_dirent_header + name, padded to reclen). Records are
 * validated before use; a malformed buffer is reported as EIO, never read out of bounds. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <swiftos/abi.h>
#include "glue.h"


struct __swiftos_dir {
	int fd;
	size_t pos, len;
	struct dirent ent;
	_Alignas(8) unsigned char buf[4096];
};

static long getdents(int fd, void *buf, size_t len)
{
	return sc3(SWIFTOS_SYS_GETDENTS, fd, buf, len);
}

DIR *fdopendir(int fd)
{
	DIR *d = malloc(sizeof *d);
	if (d == NULL)
		return NULL;
	d->fd = fd;
	d->pos = d->len = 0;
	return d;
}

DIR *opendir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return NULL;
	DIR *d = fdopendir(fd);
	if (d == NULL)
		close(fd);
	return d;
}

struct dirent *readdir(DIR *d)
{
	if (d->pos >= d->len) {
		long n = getdents(d->fd, d->buf, sizeof d->buf);
		if (n < 0) {
			set_errno((int)-n);
			return NULL;
		}
		if (n == 0 || (size_t)n > sizeof d->buf)
			return NULL;
		d->pos = 0;
		d->len = (size_t)n;
	}
	const size_t hdr = sizeof(struct swiftos_dirent_header);
	if (d->len - d->pos < hdr) {
		d->pos = d->len;
		set_errno(EIO);
		return NULL;
	}
	struct swiftos_dirent_header h;
	memcpy(&h, d->buf + d->pos, hdr);
	if (h.reclen < hdr + h.namelen || h.reclen > d->len - d->pos) {
		d->pos = d->len;
		set_errno(EIO);
		return NULL;
	}
	d->ent.d_ino = (ino_t)h.ino;
	d->ent.d_type = h.kind;
	memcpy(d->ent.d_name, d->buf + d->pos + hdr, h.namelen);
	d->ent.d_name[h.namelen] = '\0';
	d->pos += h.reclen;
	return &d->ent;
}

void rewinddir(DIR *d)
{
	lseek(d->fd, 0, SEEK_SET);
	d->pos = d->len = 0;
}

int dirfd(DIR *d) { return d->fd; }

int closedir(DIR *d)
{
	int r = close(d->fd);
	free(d);
	return r;
}
