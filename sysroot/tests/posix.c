/* posix.c: conformance checks for the C runtime pieces added for issue 12 — newlib's C99
 * printf/scanf formats, <endian.h>, <sys/uio.h> readv/writev, and newlib's libc/posix and
 * libc/unix sources: regex, fnmatch, basename/dirname, pread/pwrite, execvp's failure path. One "ok NAME" or "FAIL NAME" line
 * per check, then "posix: N checks, M failed". The QEMU test asserts no FAIL and the count. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libgen.h>
#include <regex.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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
	int n = sscanf("-9223372036854775808 -5 4294967296 123456789012 3.0e0", "%lld %hhd %zu %jd %la",
		       &ll, &hh, &z, &j, &d);
	check("sscanf count", n == 5);
	check("sscanf %lld", ll == INT64_MIN);
	check("sscanf %hhd", hh == -5);
	check("sscanf %zu", z == 4294967296ULL);
	check("sscanf %jd", j == 123456789012LL);
	/* newlib 3.3's scanf accepts %a but reads only decimal input; strtod reads hex floats. */
	check("sscanf %a", d == 3.0);
	check("strtod hex float", strtod("0x1.8p+1", NULL) == 3.0);
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

static void regex(void)
{
	regex_t re;
	regmatch_t m[3];
	check("regcomp ERE", regcomp(&re, "([a-z]+)-([0-9]+)", REG_EXTENDED) == 0);
	check("regexec match", regexec(&re, "id: abc-42;", 3, m, 0) == 0);
	check("regexec whole", m[0].rm_so == 4 && m[0].rm_eo == 10);
	check("regexec capture 1", m[1].rm_so == 4 && m[1].rm_eo == 7);
	check("regexec capture 2", m[2].rm_so == 8 && m[2].rm_eo == 10);
	check("regexec no match", regexec(&re, "ABC-x", 0, NULL, 0) == REG_NOMATCH);
	regfree(&re);
	check("regcomp REG_ICASE", regcomp(&re, "^hello$", REG_ICASE | REG_NOSUB) == 0);
	check("regexec icase", regexec(&re, "HeLLo", 0, NULL, 0) == 0);
	regfree(&re);
	int e = regcomp(&re, "a(b", REG_EXTENDED);
	char msg[64] = "";
	regerror(e, &re, msg, sizeof msg);
	check("regcomp bad pattern", e == REG_EPAREN && msg[0] != 0);
}

static void fnmatch_cases(void)
{
	check("fnmatch *.c", fnmatch("*.c", "main.c", 0) == 0);
	check("fnmatch *.c no", fnmatch("*.c", "main.h", 0) == FNM_NOMATCH);
	check("fnmatch [a-c]?", fnmatch("[a-c]?", "bx", 0) == 0);
	check("fnmatch [!a]", fnmatch("[!a]*", "abc", 0) == FNM_NOMATCH);
	check("fnmatch PATHNAME", fnmatch("*", "a/b", FNM_PATHNAME) == FNM_NOMATCH);
	check("fnmatch PERIOD", fnmatch("*", ".hidden", FNM_PERIOD) == FNM_NOMATCH);
	check("fnmatch escape", fnmatch("a\\*", "a*", 0) == 0);
}

static void libgen(void)
{
	static const char *cases[][3] = {
		{"/usr/lib", "lib", "/usr"}, {"/usr/", "usr", "/"}, {"usr", "usr", "."},
		{"/", "/", "/"}, {".", ".", "."}, {"..", "..", "."}, {"a/b//", "b", "a"},
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char b[32], d[32], name[48];
		strcpy(b, cases[i][0]);
		strcpy(d, cases[i][0]);
		snprintf(name, sizeof name, "basename(%s)", cases[i][0]);
		check_str(name, basename(b), cases[i][1]);
		snprintf(name, sizeof name, "dirname(%s)", cases[i][0]);
		check_str(name, dirname(d), cases[i][2]);
	}
}

static void positioned_io(void)
{
	const char *path = "/tmp/posix-pread.txt";
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
	char b[8] = {0};
	check("pwrite", write(fd, "0123456789", 10) == 10 && pwrite(fd, "ab", 2, 3) == 2);
	check("pwrite keeps offset", lseek(fd, 0, SEEK_CUR) == 10);
	check("pread", pread(fd, b, 5, 1) == 5 && memcmp(b, "12ab5", 5) == 0);
	check("pread keeps offset", lseek(fd, 0, SEEK_CUR) == 10);
	check("pread at eof", pread(fd, b, 5, 10) == 0);
	close(fd);
	unlink(path);
}

static void exec_failure(void)
{
	char *argv[] = {"no-such-program-xyz", NULL};
	errno = 0;
	check("execvp missing ENOENT", execvp("no-such-program-xyz", argv) == -1 && errno == ENOENT);
	errno = 0;
	check("execl missing", execl("/no/such/file", "x", (char *)NULL) == -1 && errno == ENOENT);
}

int main(void)
{
	printf_formats();
	scanf_formats();
	endian_macros();
	uio();
	regex();
	fnmatch_cases();
	libgen();
	positioned_io();
	exec_failure();
	printf("posix: %d checks, %d failed\n", checks, failed);
	return failed != 0;
}
