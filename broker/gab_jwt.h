/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GAB_JWT_H_INCLUDED_
#define _GAB_JWT_H_INCLUDED_


#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>


/*
 * The client assertion of a certificate credential (Microsoft identity
 * platform, "certificate credentials"): a JWT
 *
 *   header   {"alg":"RS256","typ":"JWT","x5t":"<SHA-1 thumbprint>",
 *             "x5t#S256":"<SHA-256 thumbprint>"}
 *   claims   {"aud":"<authority>/<tenant>/oauth2/v2.0/token",
 *             "iss":"<client id>","sub":"<client id>","jti":"<GUID>",
 *             "nbf":now,"iat":now,"exp":now + lifetime}
 *
 * signed with the certificate's private key, RSASSA-PKCS1-v1_5 SHA-256
 * (RS256) or RSASSA-PSS SHA-256 with a 32-byte salt (PS256); thumbprints
 * of the certificate's DER encoding, base64url without padding.
 */


#define GAB_JWT_LIFETIME  600

typedef struct {
    const char  *audience;
    const char  *client_id;
    const char  *jti;           /* NULL: a fresh GUID */
    time_t       now;
    time_t       lifetime;
    int          alg;           /* GAB_ALG_* */
} gab_jwt_claims_t;


/* the assertion, to be wiped and freed by gab_jwt_free(); NULL + err */
char *gab_jwt_assertion(EVP_PKEY *key, X509 *cert,
    const gab_jwt_claims_t *claims, char *err, size_t errlen);

void gab_jwt_free(char *jwt);

/* x5t (28 characters) and x5t#S256 (43), NUL-terminated; -1 on error */
int gab_jwt_thumbprints(X509 *cert, char x5t[29], char x5t_s256[44]);

/* base64url without padding of len bytes into out (4/3 len + 1 bytes) */
size_t gab_base64url(const unsigned char *in, size_t len, char *out);

/* a random (version 4) GUID, lower case */
int gab_jwt_guid(char out[37]);


#endif /* _GAB_JWT_H_INCLUDED_ */
