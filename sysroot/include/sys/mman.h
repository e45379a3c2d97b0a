/* <sys/mman.h> for SwiftOS: anonymous private mappings only (see the ABI's mmap). */
#ifndef _SYS_MMAN_H
#define _SYS_MMAN_H

#include <sys/types.h>
#include <swiftos/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PROT_NONE SWIFTOS_PROT_NONE
#define PROT_READ SWIFTOS_PROT_READ
#define PROT_WRITE SWIFTOS_PROT_WRITE
#define PROT_EXEC SWIFTOS_PROT_EXEC
#define MAP_SHARED SWIFTOS_MAP_SHARED
#define MAP_PRIVATE SWIFTOS_MAP_PRIVATE
#define MAP_FIXED SWIFTOS_MAP_FIXED
#define MAP_ANONYMOUS SWIFTOS_MAP_ANONYMOUS
#define MAP_ANON MAP_ANONYMOUS
#define MAP_FAILED ((void *)-1)

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int munmap(void *addr, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* _SYS_MMAN_H */
