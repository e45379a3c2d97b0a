/* glue.h: shared by the sysroot's C glue (not installed): the system-call instruction and the
 * errno convention.
 *
 * newlib keeps two errno cells: the per-reent one that `errno` (*__errno()) reads, and a global
 * `errno` variable that its `_read_r`-style wrappers copy into the reent after calling our
 * `_read` & co. The glue sets both, so a failure is visible whether the caller went through a
 * newlib wrapper or called a glue function (mkdir, poll, socket, ...) directly. */
#ifndef _SWIFTOS_GLUE_H
#define _SWIFTOS_GLUE_H

#include <errno.h>
#include <swiftos/abi.h>

extern int __swiftos_global_errno __asm__("errno");

static inline void set_errno(int e)
{
	errno = e;
	__swiftos_global_errno = e;
}

/* `svc #0`: number in x8, arguments in x0..x5, result in x0; the kernel preserves every other
 * register. */
static inline long sc6(long n, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}
#define sc0(n) sc6(n, 0, 0, 0, 0, 0, 0)
#define sc1(n, a) sc6(n, (long)(a), 0, 0, 0, 0, 0)
#define sc2(n, a, b) sc6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sc3(n, a, b, c) sc6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sc4(n, a, b, c, d) sc6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

static inline int is_err(long r) { return r < 0 && r >= -SWIFTOS_ERRNO_MAX; }

/* The C convention: -1 with errno set, or the value. */
static inline long ret(long r)
{
	if (is_err(r)) {
		set_errno((int)-r);
		return -1;
	}
	return r;
}

static inline long fail(int e)
{
	set_errno(e);
	return -1;
}

#endif /* _SWIFTOS_GLUE_H */
