
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_BASE64_H_INCLUDED_
#define _GA_BASE64_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


/*
 * Streaming standard base64 (RFC 4648, "+/" alphabet, "=" padding, no line
 * breaks): Graph's Edm.Binary rejects anything else.  The file arrives in
 * arbitrary pieces, so up to two bytes of an incomplete 3-byte group are
 * carried to the next call.
 */

typedef struct {
    u_char    carry[2];
    size_t    ncarry;
} ga_base64_t;


/* max output of one ga_base64_update() of len input bytes, carry included */
#define ga_base64_update_bound(len)  (((len) + 2) / 3 * 4)


/*
 * The encoders of the bulk of an update.  The scalar one always works; a
 * SIMD one only where the compiler can build it and the CPU runs it.
 */

typedef enum {
    GA_BASE64_SCALAR = 0,
    GA_BASE64_AVX2,
    GA_BASE64_AVX512VBMI,
    GA_BASE64_NIMPL
} ga_base64_impl_e;


void ga_base64_init(ga_base64_t *b);
size_t ga_base64_update(ga_base64_t *b, const u_char *in, size_t len,
    u_char *out);
size_t ga_base64_final(ga_base64_t *b, u_char *out);

/*
 * The encoder of every later update in the process, chosen once at start
 * (before any other thread or request): ga_base64_select() takes the
 * fastest the CPU has, or scalar when use_simd is 0; ga_base64_use()
 * forces one (tests, the benchmark) and fails with -1 if the CPU or the
 * build lacks it.
 */
ga_base64_impl_e ga_base64_select(int use_simd);
int ga_base64_use(ga_base64_impl_e impl);
int ga_base64_supported(ga_base64_impl_e impl);
ga_base64_impl_e ga_base64_current(void);
const char *ga_base64_name(ga_base64_impl_e impl);


#endif /* _GA_BASE64_H_INCLUDED_ */
