
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_BASE64_SIMD_H_INCLUDED_
#define _GA_BASE64_SIMD_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


/*
 * The SIMD bulk encoders behind ga_base64_update() (ga_base64.c is the
 * only caller).  Each is built with a function target attribute, not with
 * -mavx2 on the command line, so the module still builds with Debian's
 * default flags and runs on any x86-64: ga_base64_select() calls one only
 * after the CPU said it has the instructions.
 *
 * Elsewhere (another architecture, or a compiler without the attributes)
 * there is nothing to build, and base64 is scalar only; so it is with
 * -DGA_BASE64_NO_SIMD, to build and test that case on x86-64.
 */

#if !defined(GA_BASE64_NO_SIMD) && defined(__x86_64__)                        \
    && ((defined(__clang__) && __clang_major__ >= 7)                          \
        || (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 8))

#define GA_BASE64_SIMD  1

/*
 * Both encode whole 3-byte groups from in, as many as they like of the
 * len bytes, and return how many input bytes they took (a multiple of 3);
 * they wrote 4/3 of that to out, and never read or write past either.
 */

size_t ga_base64_avx2_encode(const u_char *in, size_t len, u_char *out);
size_t ga_base64_avx512vbmi_encode(const u_char *in, size_t len,
    u_char *out);

int ga_base64_avx2_supported(void);
int ga_base64_avx512vbmi_supported(void);

#else

#define GA_BASE64_SIMD  0

#endif


#endif /* _GA_BASE64_SIMD_H_INCLUDED_ */
