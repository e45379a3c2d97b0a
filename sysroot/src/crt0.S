/* crt0.S: process entry for static SwiftOS programs (see os/abi/src/layout.rs).
 *
 * The kernel enters `_start` with sp -> argc, argv[0..argc], NULL, envp..., NULL and, in
 * addition, x0 = argc, x1 = argv, x2 = envp. The registers are used when x1 is non-zero;
 * otherwise the vector is decoded from the stack. Control passes to __swiftos_start(argc,
 * argv, envp), which never returns. */
	.text
	.global	_start
	.type	_start, %function
_start:
	mov	x29, #0			/* terminate frame-pointer chains */
	mov	x30, #0
	cbnz	x1, 1f
	mov	x9, sp
	ldr	x0, [x9]		/* argc */
	add	x1, x9, #8		/* argv */
	add	x2, x1, x0, lsl #3
	add	x2, x2, #8		/* envp = &argv[argc + 1] */
1:	mov	x9, sp
	and	x9, x9, #~15		/* AAPCS64: 16-byte aligned stack */
	mov	sp, x9
	bl	__swiftos_start
	brk	#0x3e8			/* not reached */
	.size	_start, . - _start
	.section .note.GNU-stack,"",%progbits
