/* start.c: C-level process start for SwiftOS programs, called by crt0's _start.
 * Sets `environ`, runs the constructors (.preinit_array/.init_array from the linker script),
 * registers the destructors, calls main and exits with its result. */
#include <stdlib.h>

extern char **environ;
extern int main(int argc, char **argv, char **envp);

extern void (*__preinit_array_start[])(void) __attribute__((weak));
extern void (*__preinit_array_end[])(void) __attribute__((weak));
extern void (*__init_array_start[])(void) __attribute__((weak));
extern void (*__init_array_end[])(void) __attribute__((weak));
extern void (*__fini_array_start[])(void) __attribute__((weak));
extern void (*__fini_array_end[])(void) __attribute__((weak));

/* Monotonic time at process start (nanoseconds); used by times(). */
extern long long __swiftos_start_ns;
extern long long __swiftos_monotonic_ns(void);

static void run_fini_array(void)
{
	size_t n = (size_t)(__fini_array_end - __fini_array_start);
	while (n > 0)
		__fini_array_start[--n]();
}

void __swiftos_start(int argc, char **argv, char **envp) __attribute__((noreturn));
void __swiftos_start(int argc, char **argv, char **envp)
{
	environ = envp;
	__swiftos_start_ns = __swiftos_monotonic_ns();
	for (void (**f)(void) = __preinit_array_start; f < __preinit_array_end; f++)
		(*f)();
	for (void (**f)(void) = __init_array_start; f < __init_array_end; f++)
		(*f)();
	atexit(run_fini_array);
	exit(main(argc, argv, envp));
}
