
/*
 * Copyright (C) graph-attach authors
 */


#include "ga_base64.h"
#include "ga_base64_simd.h"


typedef size_t (*ga_base64_bulk_pt)(const u_char *in, size_t len,
    u_char *out);


static const u_char  ga_base64_alphabet[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static const char  *ga_base64_names[GA_BASE64_NIMPL] = {
    "scalar", "avx2", "avx512vbmi"
};

/*
 * Set once at start, read by every update; scalar until then, so tests
 * and fuzz targets that never select get the scalar encoder.  A NULL
 * bulk encoder leaves every group to the scalar loop.
 */
static ga_base64_impl_e   ga_base64_impl = GA_BASE64_SCALAR;
static ga_base64_bulk_pt  ga_base64_bulk = NULL;


int
ga_base64_supported(ga_base64_impl_e impl)
{
    switch (impl) {

    case GA_BASE64_SCALAR:
        return 1;

#if (GA_BASE64_SIMD)

    case GA_BASE64_AVX2:
        return ga_base64_avx2_supported();

    case GA_BASE64_AVX512VBMI:
        return ga_base64_avx512vbmi_supported();

#endif

    default:
        return 0;
    }
}


int
ga_base64_use(ga_base64_impl_e impl)
{
    ga_base64_bulk_pt  bulk;

    if (!ga_base64_supported(impl)) {
        return -1;
    }

    switch (impl) {

#if (GA_BASE64_SIMD)

    case GA_BASE64_AVX2:
        bulk = ga_base64_avx2_encode;
        break;

    case GA_BASE64_AVX512VBMI:
        bulk = ga_base64_avx512vbmi_encode;
        break;

#endif

    default:
        bulk = NULL;
        break;
    }

    ga_base64_impl = impl;
    ga_base64_bulk = bulk;

    return 0;
}


ga_base64_impl_e
ga_base64_select(int use_simd)
{
    if (use_simd) {

        /* VBMI does 48 bytes a step to AVX2's 24, and its tail too */

        if (ga_base64_use(GA_BASE64_AVX512VBMI) == 0) {
            return GA_BASE64_AVX512VBMI;
        }

        if (ga_base64_use(GA_BASE64_AVX2) == 0) {
            return GA_BASE64_AVX2;
        }
    }

    (void) ga_base64_use(GA_BASE64_SCALAR);

    return GA_BASE64_SCALAR;
}


ga_base64_impl_e
ga_base64_current(void)
{
    return ga_base64_impl;
}


const char *
ga_base64_name(ga_base64_impl_e impl)
{
    if ((unsigned) impl >= GA_BASE64_NIMPL) {
        return "unknown";
    }

    return ga_base64_names[impl];
}


void
ga_base64_init(ga_base64_t *b)
{
    b->ncarry = 0;
}


size_t
ga_base64_update(ga_base64_t *b, const u_char *in, size_t len, u_char *out)
{
    size_t         n;
    u_char        *p;
    const u_char  *last;

    p = out;

    /* complete a group started by the previous call */

    if (b->ncarry) {
        while (b->ncarry < 2 && len) {
            b->carry[b->ncarry++] = *in++;
            len--;
        }

        if (len == 0) {
            return 0;
        }

        /* two carried bytes and one new one make a group */

        p[0] = ga_base64_alphabet[b->carry[0] >> 2];
        p[1] = ga_base64_alphabet[((b->carry[0] & 0x03) << 4)
                                  | (b->carry[1] >> 4)];
        p[2] = ga_base64_alphabet[((b->carry[1] & 0x0f) << 2) | (in[0] >> 6)];
        p[3] = ga_base64_alphabet[in[0] & 0x3f];
        p += 4;
        in++;
        len--;
        b->ncarry = 0;
    }

    /*
     * the bulk of whole groups straight from the input: the SIMD encoder
     * takes what it can, the scalar loop below the rest of the groups, and
     * only the bytes of an incomplete group are carried
     */

    if (ga_base64_bulk != NULL) {
        n = ga_base64_bulk(in, len, p);

        in += n;
        len -= n;
        p += n / 3 * 4;
    }

    last = in + len - len % 3;

    while (in < last) {
        p[0] = ga_base64_alphabet[in[0] >> 2];
        p[1] = ga_base64_alphabet[((in[0] & 0x03) << 4) | (in[1] >> 4)];
        p[2] = ga_base64_alphabet[((in[1] & 0x0f) << 2) | (in[2] >> 6)];
        p[3] = ga_base64_alphabet[in[2] & 0x3f];
        p += 4;
        in += 3;
    }

    len %= 3;

    while (len--) {
        b->carry[b->ncarry++] = *in++;
    }

    return (size_t) (p - out);
}


size_t
ga_base64_final(ga_base64_t *b, u_char *out)
{
    size_t  n;

    n = b->ncarry;
    b->ncarry = 0;

    if (n == 0) {
        return 0;
    }

    out[0] = ga_base64_alphabet[b->carry[0] >> 2];

    if (n == 1) {
        out[1] = ga_base64_alphabet[(b->carry[0] & 0x03) << 4];
        out[2] = '=';

    } else {
        out[1] = ga_base64_alphabet[((b->carry[0] & 0x03) << 4)
                                    | (b->carry[1] >> 4)];
        out[2] = ga_base64_alphabet[(b->carry[1] & 0x0f) << 2];
    }

    out[3] = '=';

    return 4;
}
