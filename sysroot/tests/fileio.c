/* fileio.c: sysroot smoke test — stdio and POSIX file I/O under /tmp, stat, directories, time. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int failures;
#define CHECK(c)                                                      \
	do {                                                          \
		if (!(c)) {                                           \
			printf("FAIL %s:%d: %s (errno %d)\n", __FILE__, \
			       __LINE__, #c, errno);                  \
			failures++;                                   \
		}                                                     \
	} while (0)

int main(void)
{
	const char *path = "/tmp/fileio-test.txt";
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fprintf(f, "line %d\nvalue %.3f\n", 1, 3.14159);
		CHECK(fclose(f) == 0);
	}
	char buf[64] = { 0 };
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (f) {
		CHECK(fgets(buf, sizeof buf, f) != NULL && strcmp(buf, "line 1\n") == 0);
		CHECK(fgets(buf, sizeof buf, f) != NULL && strcmp(buf, "value 3.142\n") == 0);
		CHECK(fgets(buf, sizeof buf, f) == NULL);
		fclose(f);
	}
	struct stat st;
	CHECK(stat(path, &st) == 0 && st.st_size == 19 && S_ISREG(st.st_mode));
	int fd = open(path, O_RDWR | O_APPEND);
	CHECK(fd >= 0);
	CHECK(write(fd, "more\n", 5) == 5);
	CHECK(lseek(fd, 0, SEEK_END) == 24);
	CHECK(close(fd) == 0);
	CHECK(open("/tmp/does-not-exist", O_RDONLY) == -1 && errno == ENOENT);
	CHECK(mkdir("/tmp/fileio-dir", 0755) == 0);
	errno = 0;
	CHECK(mkdir("/tmp/fileio-dir", 0755) == -1 && errno == EEXIST);
	CHECK(getcwd(NULL, 0) != NULL);
	CHECK(rename(path, "/tmp/fileio-dir/moved.txt") == 0);
	DIR *d = opendir("/tmp/fileio-dir");
	CHECK(d != NULL);
	int seen = 0;
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, "moved.txt") == 0)
				seen = 1;
		closedir(d);
	}
	CHECK(seen);
	CHECK(unlink("/tmp/fileio-dir/moved.txt") == 0);
	CHECK(rmdir("/tmp/fileio-dir") == 0);
	char cwd[256];
	CHECK(getcwd(cwd, sizeof cwd) != NULL);
	CHECK(time(NULL) > 0);
	void *p = malloc(1 << 20);
	CHECK(p != NULL);
	free(p);
	printf("fileio: %s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
