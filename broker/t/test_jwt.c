/*
 * Copyright (C) graph-attach authors
 */


#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/rsa.h>

#include "gab_conf.h"
#include "gab_jwt.h"
#include "pki.h"
#include "tap.h"


#define AUD     "https://login.microsoftonline.com/contoso.onmicrosoft.com"  \
                "/oauth2/v2.0/token"
#define CLIENT  "11111111-2222-3333-4444-555555555555"


/* base64url without padding, strictly: -1 on anything else */

static long
b64url_decode(const char *in, size_t len, unsigned char *out)
{
    size_t         i, n;
    unsigned long  v;
    int            bits;
    const char    *p;

    static const char  abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz0123456789-_";

    if (len % 4 == 1) {
        return -1;
    }

    v = 0;
    bits = 0;
    n = 0;

    for (i = 0; i < len; i++) {
        p = strchr(abc, in[i]);
        if (p == NULL || in[i] == '\0') {
            return -1;
        }

        v = v << 6 | (unsigned long) (p - abc);
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char) (v >> bits);
        }
    }

    /* the unused bits of the last character are zero */

    if (v & ((1UL << bits) - 1)) {
        return -1;
    }

    return (long) n;
}


static cJSON *
part_json(const char *p, size_t len)
{
    long           n;
    cJSON         *json;
    unsigned char  buf[4096];

    n = b64url_decode(p, len, buf);
    if (n < 0) {
        return NULL;
    }

    buf[n] = '\0';
    json = cJSON_Parse((char *) buf);

    return json;
}


static const char *
str(cJSON *json, const char *name)
{
    cJSON  *v;

    v = cJSON_GetObjectItemCaseSensitive(json, name);

    return cJSON_IsString(v) ? v->valuestring : "";
}


static double
num(cJSON *json, const char *name)
{
    cJSON  *v;

    v = cJSON_GetObjectItemCaseSensitive(json, name);

    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}


static int
verify(EVP_PKEY *key, int alg, const char *input, size_t len,
    const unsigned char *sig, size_t siglen)
{
    int            rc;
    EVP_MD_CTX    *ctx;
    EVP_PKEY_CTX  *pctx;

    ctx = EVP_MD_CTX_new();

    rc = EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, key);

    if (rc == 1 && alg == GAB_ALG_PS256) {
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32);
    }

    if (rc == 1) {
        rc = EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *) input,
                              len);
    }

    EVP_MD_CTX_free(ctx);

    return rc == 1;
}


static void
test_base64url(void)
{
    char  out[64];

    static const unsigned char  bin[] = { 0xfb, 0xff, 0xfe };

#define b64(in, want)                                                        \
    gab_base64url((const unsigned char *) in, strlen(in), out);              \
    ok(strcmp(out, want) == 0, "base64url(\"%s\") = %s", in, want)

    b64("", "");
    b64("f", "Zg");
    b64("fo", "Zm8");
    b64("foo", "Zm9v");
    b64("foob", "Zm9vYg");
    b64("fooba", "Zm9vYmE");
    b64("foobar", "Zm9vYmFy");

#undef b64

    is_int(gab_base64url(bin, 3, out), 4, "length 4");
    ok(strcmp(out, "-__-") == 0, "- and _ instead of + and /");
    gab_base64url(bin, 2, out);
    ok(strcmp(out, "-_8") == 0, "two bytes, no padding");
}


static void
test_guid(void)
{
    int   i, good;
    char  a[37], b[37];

    gab_jwt_guid(a);
    gab_jwt_guid(b);

    good = (strlen(a) == 36);

    for (i = 0; i < 36 && good; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            good = (a[i] == '-');

        } else {
            good = (strchr("0123456789abcdef", a[i]) != NULL);
        }
    }

    ok(good, "GUID shape: %s", a);
    ok(a[14] == '4', "version 4");
    ok(strchr("89ab", a[19]) != NULL, "variant 10xx");
    ok(strcmp(a, b) != 0, "two GUIDs differ");
}


static void
test_assertion(EVP_PKEY *key, X509 *cert, int alg)
{
    char               *jwt, *dot1, *dot2, err[512], x5t[29], s256[44];
    long                n;
    cJSON              *h, *p;
    const char         *name;
    unsigned char       sig[1024], md[32];
    unsigned int        mdlen;
    gab_jwt_claims_t    c;

    name = (alg == GAB_ALG_PS256) ? "PS256" : "RS256";

    memset(&c, 0, sizeof(gab_jwt_claims_t));
    c.audience = AUD;
    c.client_id = CLIENT;
    c.now = 1767225600;
    c.lifetime = 600;
    c.alg = alg;

    jwt = gab_jwt_assertion(key, cert, &c, err, sizeof(err));

    if (!ok(jwt != NULL, "%s: an assertion", name)) {
        diag("%s", err);
        return;
    }

    dot1 = strchr(jwt, '.');
    dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;

    if (!ok(dot1 && dot2 && strchr(dot2 + 1, '.') == NULL,
            "%s: three parts", name))
    {
        gab_jwt_free(jwt);
        return;
    }

    ok(strpbrk(jwt, "=+/ \n") == NULL, "%s: base64url, no padding", name);

    h = part_json(jwt, dot1 - jwt);
    p = part_json(dot1 + 1, dot2 - dot1 - 1);

    ok(h && p, "%s: header and claims are base64url JSON", name);

    ok(strcmp(str(h, "alg"), name) == 0, "%s: alg", name);
    ok(strcmp(str(h, "typ"), "JWT") == 0, "%s: typ JWT", name);

    gab_jwt_thumbprints(cert, x5t, s256);

    X509_digest(cert, EVP_sha1(), md, &mdlen);
    gab_base64url(md, mdlen, x5t);
    ok(strcmp(str(h, "x5t"), x5t) == 0 && strlen(x5t) == 27,
       "%s: x5t, the SHA-1 of the DER certificate", name);

    X509_digest(cert, EVP_sha256(), md, &mdlen);
    gab_base64url(md, mdlen, s256);
    ok(strcmp(str(h, "x5t#S256"), s256) == 0 && strlen(s256) == 43,
       "%s: x5t#S256, its SHA-256", name);

    is_int(cJSON_GetArraySize(h), 4, "%s: four header members", name);

    ok(strcmp(str(p, "aud"), AUD) == 0, "%s: aud the token endpoint", name);
    ok(strcmp(str(p, "iss"), CLIENT) == 0, "%s: iss the client id", name);
    ok(strcmp(str(p, "sub"), CLIENT) == 0, "%s: sub the client id", name);
    is_int(strlen(str(p, "jti")), 36, "%s: jti a GUID", name);
    is_int(num(p, "nbf"), 1767225600, "%s: nbf now", name);
    is_int(num(p, "iat"), 1767225600, "%s: iat now", name);
    is_int(num(p, "exp"), 1767225600 + 600, "%s: exp in 10 minutes", name);

    n = b64url_decode(dot2 + 1, strlen(dot2 + 1), sig);

    ok(n == EVP_PKEY_get_size(key), "%s: a signature the size of the key",
       name);
    ok(verify(key, alg, jwt, dot2 - jwt, sig, n),
       "%s: the signature verifies", name);

    /* the same bytes, another claim: no longer valid */

    jwt[dot1 - jwt + 5] ^= 1;
    ok(!verify(key, alg, jwt, dot2 - jwt, sig, n),
       "%s: a changed claim breaks it", name);

    ok(!verify(key, alg == GAB_ALG_PS256 ? GAB_ALG_RS256 : GAB_ALG_PS256,
               jwt, dot2 - jwt, sig, n), "%s: not the other padding", name);

    cJSON_Delete(h);
    cJSON_Delete(p);
    gab_jwt_free(jwt);

    /* a fixed jti, and every assertion its own one otherwise */

    c.jti = "00000000-0000-4000-8000-000000000001";
    jwt = gab_jwt_assertion(key, cert, &c, err, sizeof(err));
    dot1 = strchr(jwt, '.');
    dot2 = strchr(dot1 + 1, '.');
    p = part_json(dot1 + 1, dot2 - dot1 - 1);
    ok(strcmp(str(p, "jti"), c.jti) == 0, "%s: a given jti", name);
    cJSON_Delete(p);
    gab_jwt_free(jwt);
}


static void
test_jti_unique(EVP_PKEY *key, X509 *cert)
{
    char              *a, *b, err[512];
    gab_jwt_claims_t   c;

    memset(&c, 0, sizeof(gab_jwt_claims_t));
    c.audience = AUD;
    c.client_id = CLIENT;
    c.now = 1767225600;

    a = gab_jwt_assertion(key, cert, &c, err, sizeof(err));
    b = gab_jwt_assertion(key, cert, &c, err, sizeof(err));

    ok(a && b && strcmp(a, b) != 0, "two assertions of one second differ "
       "(jti)");

    gab_jwt_free(a);
    gab_jwt_free(b);
}


static void
test_not_rsa(X509 *cert)
{
    char              *jwt, err[512];
    EVP_PKEY          *ec;
    gab_jwt_claims_t   c;

    ec = EVP_EC_gen("P-256");

    memset(&c, 0, sizeof(gab_jwt_claims_t));
    c.audience = AUD;
    c.client_id = CLIENT;

    jwt = gab_jwt_assertion(ec, cert, &c, err, sizeof(err));

    ok(jwt == NULL && strstr(err, "not an RSA key"), "an EC key: refused");

    EVP_PKEY_free(ec);
}


int
main(void)
{
    X509      *cert;
    EVP_PKEY  *key;

    test_base64url();
    test_guid();

    key = pki_rsa(2048);
    cert = pki_cert(key, "graph-attach-broker test", 365);

    test_assertion(key, cert, GAB_ALG_RS256);
    test_assertion(key, cert, GAB_ALG_PS256);
    test_jti_unique(key, cert);
    test_not_rsa(cert);

    X509_free(cert);
    EVP_PKEY_free(key);

    key = pki_rsa(4096);
    cert = pki_cert(key, "a 4096-bit key", 365);
    test_assertion(key, cert, GAB_ALG_RS256);
    X509_free(cert);
    EVP_PKEY_free(key);

    return done_testing();
}
