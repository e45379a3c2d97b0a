/* syscalls.c: the SwiftOS system-call glue newlib calls (_read, _write, _open, _sbrk, ...) plus
 * the POSIX functions newlib leaves to the platform (mkdir, getcwd, pipe, nanosleep, ...).
 *
 * Numbers, errno values and struct layouts come from the generated <swiftos/abi.h>; the
 * SWIFTOS_ABI_CHECK_LIBC block proves at compile time that newlib's errno values, O_* flags and
 * struct stat equal the ABI's, so most calls are a pass-through. Paths are (pointer, length)
 * pairs in the ABI, so every path call measures its C string first. Failures set errno and
 * return -1 (never a fake success). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#define SWIFTOS_ABI_CHECK_LIBC 1
#include <swiftos/abi.h>
#include "glue.h"

_Static_assert(sizeof(struct timespec) == sizeof(struct swiftos_timespec), "timespec");
_Static_assert(sizeof(struct utsname) == sizeof(struct swiftos_utsname), "utsname");
_Static_assert(sizeof(time_t) == 8 && sizeof(off_t) == 8, "64-bit time_t and off_t");




/* Length of a path argument, or -1 (EFAULT/ENAMETOOLONG). */
static long path_len(const char *p)
{
	if (p == NULL)
		return fail(EFAULT);
	size_t n = strnlen(p, SWIFTOS_PATH_MAX + 1);
	if (n > SWIFTOS_PATH_MAX)
		return fail(ENAMETOOLONG);
	if (n == 0)
		return fail(ENOENT);
	return (long)n;
}

#define PATH_OR_FAIL(var, p)              \
	long var = path_len(p);           \
	if (var < 0)                      \
		return -1

/* ---- files ---- */

int _read(int fd, void *buf, size_t n) { return (int)ret(sc3(SWIFTOS_SYS_READ, fd, buf, n)); }
int _write(int fd, const void *buf, size_t n) { return (int)ret(sc3(SWIFTOS_SYS_WRITE, fd, buf, n)); }

int _open(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	int mode = (flags & O_CREAT) ? va_arg(ap, int) : 0;
	va_end(ap);
	PATH_OR_FAIL(len, path);
	return (int)ret(sc4(SWIFTOS_SYS_OPEN, path, len, flags, mode));
}

int _close(int fd) { return (int)ret(sc1(SWIFTOS_SYS_CLOSE, fd)); }
off_t _lseek(int fd, off_t off, int whence) { return ret(sc3(SWIFTOS_SYS_LSEEK, fd, off, whence)); }
int _fstat(int fd, struct stat *st) { return (int)ret(sc2(SWIFTOS_SYS_FSTAT, fd, st)); }

int _stat(const char *path, struct stat *st)
{
	PATH_OR_FAIL(len, path);
	return (int)ret(sc3(SWIFTOS_SYS_STAT, path, len, st));
}
/* SwiftOS file systems have no symbolic links a program can create; lstat is stat. */
int lstat(const char *path, struct stat *st) { return _stat(path, st); }

int _isatty(int fd)
{
	long r = sc1(SWIFTOS_SYS_ISATTY, fd);
	if (r < 0) {
		set_errno((int)-r);
		return 0;
	}
	return 1;
}

int _unlink(const char *path)
{
	PATH_OR_FAIL(len, path);
	return (int)ret(sc2(SWIFTOS_SYS_UNLINK, path, len));
}

int _rename(const char *from, const char *to)
{
	PATH_OR_FAIL(a, from);
	PATH_OR_FAIL(b, to);
	return (int)ret(sc4(SWIFTOS_SYS_RENAME, from, a, to, b));
}

/* Hard links do not exist in the SwiftOS ABI. */
int _link(const char *a, const char *b)
{
	(void)a;
	(void)b;
	return (int)fail(ENOSYS);
}

int mkdir(const char *path, mode_t mode)
{
	PATH_OR_FAIL(len, path);
	return (int)ret(sc3(SWIFTOS_SYS_MKDIR, path, len, mode));
}

int _mkdir(const char *path, mode_t mode) { return mkdir(path, mode); }

int rmdir(const char *path)
{
	PATH_OR_FAIL(len, path);
	return (int)ret(sc2(SWIFTOS_SYS_RMDIR, path, len));
}

int chdir(const char *path)
{
	PATH_OR_FAIL(len, path);
	return (int)ret(sc2(SWIFTOS_SYS_CHDIR, path, len));
}

char *getcwd(char *buf, size_t size)
{
	int allocated = 0;
	if (buf == NULL) {
		size = size ? size : SWIFTOS_PATH_MAX + 1;
		buf = malloc(size);
		if (buf == NULL)
			return NULL;
		allocated = 1;
	}
	if (size == 0) {
		set_errno(EINVAL);
		return NULL;
	}
	long r = ret(sc2(SWIFTOS_SYS_GETCWD, buf, size - 1));
	if (r < 0 || (size_t)r >= size) {
		if (r >= 0)
			set_errno(ERANGE);
		if (allocated)
			free(buf);
		return NULL;
	}
	buf[r] = '\0';
	return buf;
}

int chmod(const char *path, mode_t mode)
{
	PATH_OR_FAIL(len, path);
	return (int)ret(sc3(SWIFTOS_SYS_CHMOD, path, len, mode));
}

int chown(const char *path, uid_t uid, gid_t gid)
{
	PATH_OR_FAIL(len, path);
	return (int)ret(sc4(SWIFTOS_SYS_CHOWN, path, len, uid, gid));
}

int ftruncate(int fd, off_t len) { return (int)ret(sc2(SWIFTOS_SYS_FTRUNCATE, fd, len)); }

int truncate(const char *path, off_t len)
{
	int fd = _open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	int r = ftruncate(fd, len);
	int e = errno;
	_close(fd);
	set_errno(e);
	return r;
}

int dup(int fd) { return (int)ret(sc1(SWIFTOS_SYS_DUP, fd)); }
int dup2(int a, int b) { return (int)ret(sc2(SWIFTOS_SYS_DUP2, a, b)); }
int pipe(int fds[2]) { return (int)ret(sc1(SWIFTOS_SYS_PIPE, fds)); }

int _fcntl(int fd, int cmd, int arg) { return (int)ret(sc3(SWIFTOS_SYS_FCNTL, fd, cmd, arg)); }

int fsync(int fd)
{
	/* Writes are synchronous in SwiftOS; only validate the descriptor. */
	struct stat st;
	return _fstat(fd, &st);
}

/* ---- identity ---- */

static int identity(struct swiftos_identity *id) { return (int)ret(sc1(SWIFTOS_SYS_GET_IDENTITY, id)); }

int _getpid(void) { return (int)ret(sc0(SWIFTOS_SYS_GETPID)); }
pid_t getppid(void) { return (pid_t)ret(sc0(SWIFTOS_SYS_GETPPID)); }

uid_t getuid(void)
{
	struct swiftos_identity id;
	return identity(&id) < 0 ? (uid_t)-1 : (uid_t)id.uid;
}
uid_t geteuid(void) { return getuid(); }
gid_t getgid(void)
{
	struct swiftos_identity id;
	return identity(&id) < 0 ? (gid_t)-1 : (gid_t)id.gid;
}
gid_t getegid(void) { return getgid(); }

int access(const char *path, int mode)
{
	struct stat st;
	if (_stat(path, &st) < 0)
		return -1;
	if (mode == F_OK)
		return 0;
	struct swiftos_identity id;
	if (identity(&id) < 0)
		return -1;
	if (id.uid == 0 && !(mode & X_OK))
		return 0;
	unsigned shift = (st.st_uid == id.uid) ? 6 : (st.st_gid == id.gid) ? 3 : 0;
	unsigned bits = (st.st_mode >> shift) & 7;
	if (id.uid == 0)
		bits |= (st.st_mode & 0111) ? 1 : 0;
	unsigned want = ((mode & R_OK) ? 4 : 0) | ((mode & W_OK) ? 2 : 0) | ((mode & X_OK) ? 1 : 0);
	if ((bits & want) != want)
		return (int)fail(EACCES);
	return 0;
}

int uname(struct utsname *u) { return (int)ret(sc1(SWIFTOS_SYS_UNAME, u)); }

int gethostname(char *name, size_t len)
{
	struct utsname u;
	if (uname(&u) < 0)
		return -1;
	size_t n = strnlen(u.nodename, sizeof u.nodename);
	if (n + 1 > len)
		return (int)fail(ENAMETOOLONG);
	memcpy(name, u.nodename, n);
	name[n] = '\0';
	return 0;
}

/* ---- memory ---- */

void *_sbrk(ptrdiff_t incr)
{
	static uintptr_t cur;
	if (cur == 0) {
		long r = sc1(SWIFTOS_SYS_BRK, 0);
		if (r < 0 && r >= -SWIFTOS_ERRNO_MAX) {
			set_errno(ENOMEM);
			return (void *)-1;
		}
		cur = (uintptr_t)r;
	}
	uintptr_t old = cur;
	if (incr == 0)
		return (void *)old;
	uintptr_t want = old + (uintptr_t)incr;
	if ((incr > 0 && want < old) || (incr < 0 && want > old)) {
		set_errno(ENOMEM);
		return (void *)-1;
	}
	long r = sc1(SWIFTOS_SYS_BRK, want);
	if ((r < 0 && r >= -SWIFTOS_ERRNO_MAX) || (uintptr_t)r != want) {
		set_errno(ENOMEM);
		return (void *)-1;
	}
	cur = want;
	return (void *)old;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (!(flags & MAP_ANONYMOUS) || fd != -1 || off != 0) {
		set_errno(ENODEV);
		return MAP_FAILED;
	}
	long r = sc4(SWIFTOS_SYS_MMAP, addr, len, prot, flags);
	if (r < 0 && r >= -SWIFTOS_ERRNO_MAX) {
		set_errno((int)-r);
		return MAP_FAILED;
	}
	return (void *)r;
}

int munmap(void *addr, size_t len) { return (int)ret(sc2(SWIFTOS_SYS_MUNMAP, addr, len)); }

long sysconf(int name)
{
	switch (name) {
	case _SC_PAGESIZE:
		return SWIFTOS_PAGE_SIZE;
	case _SC_OPEN_MAX:
		return SWIFTOS_MAX_FDS;
	case _SC_CLK_TCK:
		return CLOCKS_PER_SEC;
	case _SC_ARG_MAX:
		return SWIFTOS_MAX_ARG_BYTES;
	case _SC_NPROCESSORS_CONF:
	case _SC_NPROCESSORS_ONLN: {
		struct swiftos_sysinfo si;
		if (ret(sc1(SWIFTOS_SYS_SYSINFO, &si)) < 0)
			return -1;
		return si.ncpus ? si.ncpus : 1;
	}
	default:
		return fail(EINVAL);
	}
}

int getpagesize(void) { return SWIFTOS_PAGE_SIZE; }

/* ---- processes ---- */

void _exit(int code)
{
	sc1(SWIFTOS_SYS_EXIT, code);
	for (;;)
		__asm__ volatile("wfi");
}

/* Signal numbers and wait statuses are newlib's (checked by the generated header). */
int _kill(int pid, int sig) { return (int)ret(sc2(SWIFTOS_SYS_KILL, pid, sig)); }

pid_t waitpid(pid_t pid, int *status, int options)
{
	int st = 0;
	long r = ret(sc3(SWIFTOS_SYS_WAIT, pid, &st, options));
	if (r > 0 && status)
		*status = st;
	return (pid_t)r;
}
int _wait(int *status) { return waitpid(-1, status, 0); }

/* fork() cannot exist: SwiftOS starts programs with spawn (a fresh address space). */
int _fork(void) { return (int)fail(ENOSYS); }

static long fill_slices(struct swiftos_str_slice *out, char *const v[], size_t max)
{
	size_t n = 0;
	if (v == NULL)
		return 0;
	for (; v[n] != NULL; n++) {
		if (n == max)
			return fail(E2BIG);
		out[n].ptr = (uint64_t)(uintptr_t)v[n];
		out[n].len = strlen(v[n]);
	}
	return (long)n;
}

int _execve(const char *path, char *const argv[], char *const envp[])
{
	static struct swiftos_str_slice a[SWIFTOS_MAX_ARGS], e[SWIFTOS_MAX_ARGS];
	PATH_OR_FAIL(len, path);
	long argc = fill_slices(a, argv, SWIFTOS_MAX_ARGS);
	if (argc < 0)
		return -1;
	long envc = fill_slices(e, envp, SWIFTOS_MAX_ARGS);
	if (envc < 0)
		return -1;
	return (int)ret(sc6(SWIFTOS_SYS_EXEC, (long)path, len, (long)a, argc, (long)e, envc));
}

/* Start `path` in a new process with the given argv/envp; the child inherits descriptors
 * 0, 1 and 2 (SwiftOS passes handles explicitly). Returns the child's pid. */
pid_t swiftos_spawn(const char *path, char *const argv[], char *const envp[])
{
	static struct swiftos_str_slice a[SWIFTOS_MAX_ARGS], e[SWIFTOS_MAX_ARGS];
	struct swiftos_handle_grant h[3];
	PATH_OR_FAIL(len, path);
	long argc = fill_slices(a, argv, SWIFTOS_MAX_ARGS);
	if (argc < 0)
		return -1;
	long envc = fill_slices(e, envp, SWIFTOS_MAX_ARGS);
	if (envc < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		h[i].parent_fd = i;
		h[i].child_fd = i;
		h[i].rights = SWIFTOS_RIGHT_ALL;
		h[i]._pad = 0;
	}
	struct swiftos_spawn_args sa;
	memset(&sa, 0, sizeof sa);
	sa.path.ptr = (uint64_t)(uintptr_t)path;
	sa.path.len = (uint64_t)len;
	sa.argv = (uint64_t)(uintptr_t)a;
	sa.argc = (uint64_t)argc;
	sa.envp = (uint64_t)(uintptr_t)e;
	sa.envc = (uint64_t)envc;
	sa.handles = (uint64_t)(uintptr_t)h;
	sa.handle_count = 3;
	return (pid_t)ret(sc1(SWIFTOS_SYS_SPAWN, &sa));
}

int sched_yield(void) { return (int)ret(sc0(SWIFTOS_SYS_SCHED_YIELD)); }

/* ---- time ---- */

long long __swiftos_start_ns;

long long __swiftos_monotonic_ns(void)
{
	struct swiftos_timespec ts;
	if (sc2(SWIFTOS_SYS_CLOCK_GETTIME, SWIFTOS_CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int clock_gettime(clockid_t clk, struct timespec *ts)
{
	return (int)ret(sc2(SWIFTOS_SYS_CLOCK_GETTIME, clk, ts));
}

int _gettimeofday(struct timeval *tv, void *tz)
{
	(void)tz;
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return -1;
	if (tv) {
		tv->tv_sec = ts.tv_sec;
		tv->tv_usec = (suseconds_t)(ts.tv_nsec / 1000);
	}
	return 0;
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (req == NULL || req->tv_nsec < 0 || req->tv_nsec >= 1000000000L || req->tv_sec < 0)
		return (int)fail(EINVAL);
	int r = (int)ret(sc1(SWIFTOS_SYS_NANOSLEEP, req));
	if (r == 0 && rem) {
		rem->tv_sec = 0;
		rem->tv_nsec = 0;
	}
	return r;
}

unsigned sleep(unsigned s)
{
	struct timespec ts = { .tv_sec = s, .tv_nsec = 0 };
	return nanosleep(&ts, NULL) == 0 ? 0 : s;
}

int usleep(useconds_t us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };
	return nanosleep(&ts, NULL);
}

/* CPU time of this process in nanoseconds (from proc_list), or -1. */
static long long own_cpu_ns(void)
{
	static struct swiftos_proc_info rows[128];
	int pid = _getpid();
	long n = sc2(SWIFTOS_SYS_PROC_LIST, rows, 128);
	if (n < 0)
		return -1;
	for (long i = 0; i < n && i < 128; i++)
		if ((int)rows[i].pid == pid)
			return (long long)rows[i].cpu_ns;
	return -1;
}

/* times(): tms_utime is this process's CPU time (what clock() reports); when the kernel cannot
 * say, the time since the process started is used instead. The result is the elapsed
 * monotonic time; all in CLOCKS_PER_SEC units. */
clock_t _times(struct tms *t)
{
	long long now = __swiftos_monotonic_ns();
	long long cpu = own_cpu_ns();
	if (cpu < 0)
		cpu = now - __swiftos_start_ns;
	long long per = 1000000000LL / CLOCKS_PER_SEC;
	if (t) {
		t->tms_utime = (clock_t)(cpu / per);
		t->tms_stime = 0;
		t->tms_cutime = 0;
		t->tms_cstime = 0;
	}
	return (clock_t)(now / per);
}

/* ---- startup helpers newlib may reference ---- */

void _init(void) {}
void _fini(void) {}
