/* posix.c: conformance checks for the C runtime pieces added for issue 12 — newlib's C99
 * printf/scanf formats, <endian.h>, <sys/uio.h> readv/writev. One "ok NAME" or "FAIL NAME" line
 * per check, then "posix: N checks, M failed". The QEMU test asserts no FAIL and the count. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static int checks, failed;

static void check(const char *name, int ok)
{
	checks++;
	if (!ok)
		failed++;
	printf("%s %s\n", ok ? "ok" : "FAIL", name);
}

static void check_str(const char *name, const char *got, const char *want)
{
	check(name, strcmp(got, want) == 0);
	if (strcmp(got, want) != 0)
		printf("  got \"%s\", want \"%s\"\n", got, want);
}

static void printf_formats(void)
{
	char b[128];
	snprintf(b, sizeof b, "%a", M_PI);
	check_str("printf %a pi", b, "0x1.921fb54442d18p+1");
	snprintf(b, sizeof b, "%a", 1.0);
	check_str("printf %a 1.0", b, "0x1p+0");
	snprintf(b, sizeof b, "%hhd", 300);
	check_str("printf %hhd", b, "44");
	snprintf(b, sizeof b, "%zu", (size_t)-1);
	check_str("printf %zu", b, "18446744073709551615");
	snprintf(b, sizeof b, "%lld", -9223372036854775807LL - 1);
	check_str("printf %lld", b, "-9223372036854775808");
	snprintf(b, sizeof b, "%jd", (intmax_t)INT64_MAX);
	check_str("printf %jd", b, "9223372036854775807");
	snprintf(b, sizeof b, "%" PRIu64 " %tx", UINT64_MAX, (ptrdiff_t)255);
	check_str("printf PRIu64 %tx", b, "18446744073709551615 ff");
}

static void scanf_formats(void)
{
	long long ll = 0;
	signed char hh = 0;
	size_t z = 0;
	intmax_t j = 0;
	double d = 0;
	int n = sscanf("-9223372036854775808 -5 4294967296 123456789012 0x1.8p+1", "%lld %hhd %zu %jd %la",
		       &ll, &hh, &z, &j, &d);
	check("sscanf count", n == 5);
	check("sscanf %lld", ll == INT64_MIN);
	check("sscanf %hhd", hh == -5);
	check("sscanf %zu", z == 4294967296ULL);
	check("sscanf %jd", j == 123456789012LL);
	check("sscanf %a", d == 3.0);
}

static void endian_macros(void)
{
	check("BYTE_ORDER little", BYTE_ORDER == LITTLE_ENDIAN);
	check("htobe16", htobe16(0x1234) == 0x3412);
	check("htobe32", htobe32(0x12345678u) == 0x78563412u);
	check("htobe64", htobe64(0x0102030405060708ULL) == 0x0807060504030201ULL);
	check("le32toh identity", le32toh(0xdeadbeefu) == 0xdeadbeefu);
	check("be64toh roundtrip", be64toh(htobe64(0x1122334455667788ULL)) == 0x1122334455667788ULL);
}

static void uio(void)
{
	const char *path = "/tmp/posix-uio.txt";
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
	check("uio open", fd >= 0);
	struct iovec w[3] = {{"hello", 5}, {", ", 2}, {"world", 5}};
	check("writev returns 12", writev(fd, w, 3) == 12);
	check("lseek 0", lseek(fd, 0, SEEK_SET) == 0);
	char a[4] = {0}, b[16] = {0};
	struct iovec r[2] = {{a, 3}, {b, sizeof b - 1}};
	check("readv returns 12", readv(fd, r, 2) == 12);
	check("readv first", memcmp(a, "hel", 3) == 0);
	check("readv second", strcmp(b, "lo, world") == 0);
	check("readv at eof 0", readv(fd, r, 2) == 0);
	errno = 0;
	check("writev iovcnt -1 EINVAL", writev(fd, w, -1) == -1 && errno == EINVAL);
	close(fd);
	check("readv bad fd", readv(-1, r, 2) == -1);
	unlink(path);
}

int main(void)
{
	printf_formats();
	scanf_formats();
	endian_macros();
	uio();
	printf("posix: %d checks, %d failed\n", checks, failed);
	return failed != 0;
}
