/* <sys/utsname.h> for SwiftOS (newlib has none): filled by the uname system call. */
#ifndef _SYS_UTSNAME_H
#define _SYS_UTSNAME_H

#ifdef __cplusplus
extern "C" {
#endif

struct utsname {
	char sysname[64];
	char nodename[64];
	char release[64];
	char version[64];
	char machine[64];
};

int uname(struct utsname *);

#ifdef __cplusplus
}
#endif
#endif /* _SYS_UTSNAME_H */
