
/*
 * Copyright (C) graph-attach authors
 *
 * SIMD base64 encoding after W. Muła and D. Lemire, "Faster Base64
 * Encoding and Decoding using AVX2 Instructions" (ACM TOW 2018), and
 * "Base64 encoding and decoding at almost the speed of a memory copy"
 * (SPE 2019) for AVX-512 VBMI.  Written here from the papers'
 * description; the identity with the scalar encoder is proven by
 * t/unit/test_base64_simd.c and fuzz/fuzz_base64_simd.c.
 *
 * Every 3 input bytes a, b, c become the four 6-bit indices
 *
 *     i0 = a >> 2, i1 = (a & 3) << 4 | b >> 4,
 *     i2 = (b & 15) << 2 | c >> 6, i3 = c & 63,
 *
 * one a byte of the output, then each index its letter.  A vector does
 * many groups at once: a byte shuffle spreads every 3 bytes into a 32-bit
 * word, shifts and masks (or one multishift) put each 6-bit field in a
 * byte of its own, and a lookup turns indices into letters.
 */


#include "ga_base64_simd.h"


#if (GA_BASE64_SIMD)

#include <immintrin.h>


#define GA_AVX2       __attribute__((target("avx2")))
#define GA_AVX512     __attribute__((target("avx512vbmi,avx512bw,avx512f")))

/* a call would pass the vector through memory at nginx's -O */
#define GA_INLINE     inline __attribute__((always_inline))


static GA_INLINE GA_AVX2 __m256i ga_base64_avx2_block(__m256i in);


/*
 * AVX2: 24 input bytes a step, 12 in each 128-bit lane, since vpshufb
 * cannot cross lanes.  Two 16-byte loads (the second at +12) put them
 * there without a cross-lane permute; the step reads 28 bytes of input.
 */

GA_AVX2 size_t
ga_base64_avx2_encode(const u_char *in, size_t len, u_char *out)
{
    __m256i        v0, v1;
    const u_char  *start;

    start = in;

    /* two steps a turn: their dependency chains overlap */

    while (len >= 52) {
        v0 = _mm256_inserti128_si256(
                 _mm256_castsi128_si256(_mm_loadu_si128((__m128i *) in)),
                 _mm_loadu_si128((__m128i *) (in + 12)), 1);
        v1 = _mm256_inserti128_si256(
                 _mm256_castsi128_si256(_mm_loadu_si128((__m128i *)
                                                        (in + 24))),
                 _mm_loadu_si128((__m128i *) (in + 36)), 1);

        _mm256_storeu_si256((__m256i *) out, ga_base64_avx2_block(v0));
        _mm256_storeu_si256((__m256i *) (out + 32), ga_base64_avx2_block(v1));

        in += 48;
        out += 64;
        len -= 48;
    }

    if (len >= 28) {
        v0 = _mm256_inserti128_si256(
                 _mm256_castsi128_si256(_mm_loadu_si128((__m128i *) in)),
                 _mm_loadu_si128((__m128i *) (in + 12)), 1);

        _mm256_storeu_si256((__m256i *) out, ga_base64_avx2_block(v0));

        in += 24;
    }

    /*
     * the upper halves of the YMM registers cleared, as compilers do only
     * when optimising: SSE code after them would pay for the dirty state
     * on older Intel CPUs.  The last 0 to 27 bytes are the scalar loop's
     */

    _mm256_zeroupper();

    return (size_t) (in - start);
}


static GA_INLINE GA_AVX2 __m256i
ga_base64_avx2_block(__m256i in)
{
    __m256i  v, hi, lo, idx, off;

    /*
     * group g of a lane (bytes 3g, 3g + 1, 3g + 2: a, b, c) becomes the
     * little-endian word b, a, c, b: its low half holds a:b, i0 and i1 at
     * bits 15..10 and 9..4; its high half b:c, i2 and i3 at 11..6 and 5..0
     */

    v = _mm256_shuffle_epi8(in, _mm256_setr_epi8(
            1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10,
            1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10));

    /*
     * one multiply shifts each 16-bit half by its own amount: the high
     * product of i0 by 2^6 is i0 >> 10, of i2 by 2^10 is i2 >> 6, so i0
     * lands in byte 0 and i2 in byte 2; the low product of i1 by 2^4 and
     * of i3 by 2^8 lands them in bytes 1 and 3
     */

    hi = _mm256_mulhi_epu16(_mm256_and_si256(v, _mm256_set1_epi32(0x0fc0fc00)),
                            _mm256_set1_epi32(0x04000040));
    lo = _mm256_mullo_epi16(_mm256_and_si256(v, _mm256_set1_epi32(0x003f03f0)),
                            _mm256_set1_epi32(0x01000010));

    idx = _mm256_or_si256(hi, lo);

    /*
     * an index becomes its letter by adding an offset that depends on its
     * range: A-Z (0-25) +65, a-z (26-51) +71, 0-9 (52-61) -4, '+' (62)
     * -19, '/' (63) -16.  The range is found without branches: index - 51
     * saturated is 0 for 0-51 and 1-12 above, and 0-25 is marked 13; a
     * 16-entry vpshufb table holds the offset of each of those
     */

    off = _mm256_subs_epu8(idx, _mm256_set1_epi8(51));
    off = _mm256_or_si256(off,
              _mm256_and_si256(_mm256_cmpgt_epi8(_mm256_set1_epi8(26), idx),
                               _mm256_set1_epi8(13)));

    off = _mm256_shuffle_epi8(_mm256_setr_epi8(
              71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 65, 0, 0,
              71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 65, 0, 0),
              off);

    return _mm256_add_epi8(idx, off);
}


/*
 * AVX-512 VBMI: 48 input bytes a step.  vpermb crosses the whole
 * register, so group g (bytes 3g to 3g + 2: a, b, c) becomes the
 * little-endian word c, b, a, x: the 24 bits a:b:c in bits 23..0, and
 * i0..i3 at bits 18, 12, 6 and 0 of it.  vpmultishiftqb takes the byte
 * at any bit offset of a 64-bit word, so one instruction puts the four
 * (two words a quadword: the second at offsets + 32) in their bytes, two
 * stray high bits each; a vpermb on the 64-letter alphabet, which reads
 * only an index's low 6 bits, is the lookup.
 */

#define ga_base64_cba(g)   (3 * (g) + 2), (3 * (g) + 1), (3 * (g)), (3 * (g))


static const u_char  ga_base64_vbmi_spread[64] = {
    ga_base64_cba(0), ga_base64_cba(1), ga_base64_cba(2), ga_base64_cba(3),
    ga_base64_cba(4), ga_base64_cba(5), ga_base64_cba(6), ga_base64_cba(7),
    ga_base64_cba(8), ga_base64_cba(9), ga_base64_cba(10), ga_base64_cba(11),
    ga_base64_cba(12), ga_base64_cba(13), ga_base64_cba(14), ga_base64_cba(15)
};

static const u_char  ga_base64_vbmi_alphabet[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";


GA_AVX512 size_t
ga_base64_avx512vbmi_encode(const u_char *in, size_t len, u_char *out)
{
    size_t         n;
    __m512i        spread, shifts, alphabet, v0, v1;
    __mmask64      mask;
    const u_char  *start;

    start = in;

    spread = _mm512_loadu_si512(ga_base64_vbmi_spread);
    alphabet = _mm512_loadu_si512(ga_base64_vbmi_alphabet);

    /* the bit offsets 18, 12, 6, 0, then 50, 44, 38, 32 */
    shifts = _mm512_set1_epi64(0x20262c3200060c12);

    /* two steps a turn; a full 64-byte load needs 64 bytes of input */

    while (len >= 112) {
        v0 = _mm512_permutexvar_epi8(spread, _mm512_loadu_si512(in));
        v1 = _mm512_permutexvar_epi8(spread, _mm512_loadu_si512(in + 48));

        v0 = _mm512_multishift_epi64_epi8(shifts, v0);
        v1 = _mm512_multishift_epi64_epi8(shifts, v1);

        _mm512_storeu_si512(out, _mm512_permutexvar_epi8(v0, alphabet));
        _mm512_storeu_si512(out + 64, _mm512_permutexvar_epi8(v1, alphabet));

        in += 96;
        out += 128;
        len -= 96;
    }

    /*
     * the rest, 0 to 111 bytes: masked loads and stores touch only the
     * bytes they are given (and fault on none past them), so whole groups
     * up to the last are done here, and only 0 to 2 bytes are left over
     */

    while (len >= 3) {
        n = len / 3;
        n = (n < 16) ? n : 16;

        mask = (n == 16) ? ~(__mmask64) 0 : ((__mmask64) 1 << (4 * n)) - 1;

        v0 = _mm512_maskz_loadu_epi8(((__mmask64) 1 << (3 * n)) - 1, in);
        v0 = _mm512_permutexvar_epi8(spread, v0);
        v0 = _mm512_multishift_epi64_epi8(shifts, v0);

        _mm512_mask_storeu_epi8(out, mask,
                                _mm512_permutexvar_epi8(v0, alphabet));

        in += 3 * n;
        out += 4 * n;
        len -= 3 * n;
    }

    _mm256_zeroupper();

    return (size_t) (in - start);
}


int
ga_base64_avx2_supported(void)
{
    /*
     * libgcc and compiler-rt say yes only if the OS also saves the YMM
     * (and for AVX-512 the ZMM and mask) registers, as XCR0 tells
     */

    __builtin_cpu_init();

    return __builtin_cpu_supports("avx2");
}


int
ga_base64_avx512vbmi_supported(void)
{
    __builtin_cpu_init();

    return __builtin_cpu_supports("avx512f")
           && __builtin_cpu_supports("avx512bw")
           && __builtin_cpu_supports("avx512vbmi");
}


#endif /* GA_BASE64_SIMD */
