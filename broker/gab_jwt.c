/*
 * Copyright (C) graph-attach authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "gab_conf.h"
#include "gab_jwt.h"


static char *gab_jwt_header(X509 *cert, int alg);
static char *gab_jwt_payload(const gab_jwt_claims_t *c, const char *jti);
static char *gab_jwt_part(const char *json);
static int gab_jwt_sign(EVP_PKEY *key, int alg, const char *input,
    unsigned char **sig, size_t *siglen);
static void gab_jwt_error(char *err, size_t errlen, const char *what);


char *
gab_jwt_assertion(EVP_PKEY *key, X509 *cert, const gab_jwt_claims_t *claims,
    char *err, size_t errlen)
{
    char            *header, *payload, *h64, *p64, *jwt;
    char             jti[37];
    size_t           len, siglen;
    unsigned char   *sig;

    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        snprintf(err, errlen, "the private key is not an RSA key");
        return NULL;
    }

    if (claims->jti == NULL && gab_jwt_guid(jti) != 0) {
        gab_jwt_error(err, errlen, "no random bytes for the jti");
        return NULL;
    }

    header = gab_jwt_header(cert, claims->alg);
    payload = gab_jwt_payload(claims, claims->jti ? claims->jti : jti);

    h64 = header ? gab_jwt_part(header) : NULL;
    p64 = payload ? gab_jwt_part(payload) : NULL;

    free(header);
    free(payload);

    jwt = NULL;
    sig = NULL;

    if (h64 == NULL || p64 == NULL) {
        snprintf(err, errlen, "cannot build the assertion: out of memory");
        goto done;
    }

    /* header "." payload "." signature: room for a 16384-bit signature */

    len = strlen(h64) + 1 + strlen(p64) + 1 + 2732 + 1;

    jwt = malloc(len);
    if (jwt == NULL) {
        snprintf(err, errlen, "cannot build the assertion: out of memory");
        goto done;
    }

    snprintf(jwt, len, "%s.%s", h64, p64);

    if (gab_jwt_sign(key, claims->alg, jwt, &sig, &siglen) != 0
        || siglen > 2048)
    {
        gab_jwt_error(err, errlen, "cannot sign the assertion");
        free(jwt);
        jwt = NULL;
        goto done;
    }

    len = strlen(jwt);
    jwt[len++] = '.';
    gab_base64url(sig, siglen, jwt + len);

done:

    free(h64);
    free(p64);
    OPENSSL_free(sig);

    return jwt;
}


void
gab_jwt_free(char *jwt)
{
    if (jwt) {
        OPENSSL_cleanse(jwt, strlen(jwt));
        free(jwt);
    }
}


static char *
gab_jwt_header(X509 *cert, int alg)
{
    char   *s;
    char    x5t[29], x5t_s256[44];
    cJSON  *json;

    if (gab_jwt_thumbprints(cert, x5t, x5t_s256) != 0) {
        return NULL;
    }

    json = cJSON_CreateObject();
    if (json == NULL) {
        return NULL;
    }

    s = NULL;

    if (cJSON_AddStringToObject(json, "alg",
                                alg == GAB_ALG_PS256 ? "PS256" : "RS256")
        && cJSON_AddStringToObject(json, "typ", "JWT")
        && cJSON_AddStringToObject(json, "x5t", x5t)
        && cJSON_AddStringToObject(json, "x5t#S256", x5t_s256))
    {
        s = cJSON_PrintUnformatted(json);
    }

    cJSON_Delete(json);

    return s;
}


static char *
gab_jwt_payload(const gab_jwt_claims_t *c, const char *jti)
{
    char    *s;
    cJSON   *json;
    time_t   lifetime;

    lifetime = c->lifetime ? c->lifetime : GAB_JWT_LIFETIME;

    json = cJSON_CreateObject();
    if (json == NULL) {
        return NULL;
    }

    s = NULL;

    if (cJSON_AddStringToObject(json, "aud", c->audience)
        && cJSON_AddStringToObject(json, "iss", c->client_id)
        && cJSON_AddStringToObject(json, "sub", c->client_id)
        && cJSON_AddStringToObject(json, "jti", jti)
        && cJSON_AddNumberToObject(json, "nbf", (double) c->now)
        && cJSON_AddNumberToObject(json, "iat", (double) c->now)
        && cJSON_AddNumberToObject(json, "exp", (double) (c->now + lifetime)))
    {
        s = cJSON_PrintUnformatted(json);
    }

    cJSON_Delete(json);

    return s;
}


/* a part of the JWT: base64url of the JSON text */

static char *
gab_jwt_part(const char *json)
{
    char    *out;
    size_t   len;

    len = strlen(json);

    out = malloc(len / 3 * 4 + 5);
    if (out == NULL) {
        return NULL;
    }

    gab_base64url((const unsigned char *) json, len, out);

    return out;
}


static int
gab_jwt_sign(EVP_PKEY *key, int alg, const char *input, unsigned char **sig,
    size_t *siglen)
{
    int            rc;
    EVP_MD_CTX    *ctx;
    EVP_PKEY_CTX  *pctx;

    *sig = NULL;

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return -1;
    }

    rc = -1;

    if (EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, key) != 1) {
        goto done;
    }

    if (alg == GAB_ALG_PS256
        && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1
            || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST)
               != 1))
    {
        goto done;
    }

    if (EVP_DigestSign(ctx, NULL, siglen, (const unsigned char *) input,
                       strlen(input))
        != 1)
    {
        goto done;
    }

    *sig = OPENSSL_malloc(*siglen);
    if (*sig == NULL) {
        goto done;
    }

    if (EVP_DigestSign(ctx, *sig, siglen, (const unsigned char *) input,
                       strlen(input))
        != 1)
    {
        OPENSSL_free(*sig);
        *sig = NULL;
        goto done;
    }

    rc = 0;

done:

    EVP_MD_CTX_free(ctx);

    return rc;
}


int
gab_jwt_thumbprints(X509 *cert, char x5t[29], char x5t_s256[44])
{
    unsigned int   n;
    unsigned char  md[EVP_MAX_MD_SIZE];

    if (X509_digest(cert, EVP_sha1(), md, &n) != 1 || n != 20) {
        return -1;
    }

    gab_base64url(md, n, x5t);

    if (X509_digest(cert, EVP_sha256(), md, &n) != 1 || n != 32) {
        return -1;
    }

    gab_base64url(md, n, x5t_s256);

    return 0;
}


size_t
gab_base64url(const unsigned char *in, size_t len, char *out)
{
    char          *p;
    size_t         i;
    unsigned long  v;

    static const char  abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz0123456789-_";

    p = out;

    for (i = 0; i + 2 < len; i += 3) {
        v = (unsigned long) in[i] << 16 | in[i + 1] << 8 | in[i + 2];

        *p++ = abc[v >> 18];
        *p++ = abc[(v >> 12) & 0x3f];
        *p++ = abc[(v >> 6) & 0x3f];
        *p++ = abc[v & 0x3f];
    }

    if (len - i == 1) {
        v = (unsigned long) in[i] << 16;

        *p++ = abc[v >> 18];
        *p++ = abc[(v >> 12) & 0x3f];

    } else if (len - i == 2) {
        v = (unsigned long) in[i] << 16 | in[i + 1] << 8;

        *p++ = abc[v >> 18];
        *p++ = abc[(v >> 12) & 0x3f];
        *p++ = abc[(v >> 6) & 0x3f];
    }

    *p = '\0';

    return p - out;
}


int
gab_jwt_guid(char out[37])
{
    unsigned char  b[16];

    if (RAND_bytes(b, sizeof(b)) != 1) {
        return -1;
    }

    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;

    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
             b[10], b[11], b[12], b[13], b[14], b[15]);

    return 0;
}


/* what, and OpenSSL's reason if it left one */

static void
gab_jwt_error(char *err, size_t errlen, const char *what)
{
    char           reason[256];
    unsigned long  e;

    e = ERR_get_error();
    ERR_clear_error();

    if (e == 0) {
        snprintf(err, errlen, "%s", what);
        return;
    }

    ERR_error_string_n(e, reason, sizeof(reason));
    snprintf(err, errlen, "%s: %s", what, reason);
}
