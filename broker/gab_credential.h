/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GAB_CREDENTIAL_H_INCLUDED_
#define _GAB_CREDENTIAL_H_INCLUDED_


#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>


/*
 * A tenant's credential, read from its files at each token request (so
 * that a rotated secret or certificate is used without a reload, and
 * the secret stays in memory only while a request is built): the client
 * secret file, or the private key and certificate PEM files.
 */


#define GAB_SECRET_MAX  4096

/* the credential's files may be read by users other than the broker's */
#define GAB_CREDENTIAL_WORLD_READABLE  1


/*
 * A secret file (what names it in errors: "client_secret_file"): the
 * file's bytes less trailing spaces, CR and LF; no control characters,
 * 1 to GAB_SECRET_MAX bytes.  To be wiped and freed with
 * gab_secret_free().  NULL with err set on error.  *flags gets
 * GAB_CREDENTIAL_WORLD_READABLE if the file is readable by all.
 */
char *gab_secret_read(const char *what, const char *path, int *flags,
    char *err, size_t errlen);

void gab_secret_free(char *secret);

/*
 * The private key (unencrypted PEM, RSA) and the first certificate of
 * cert_path, which must belong together.  0, or -1 with err set.
 */
int gab_cert_load(const char *key_path, const char *cert_path,
    EVP_PKEY **key, X509 **cert, int *flags, char *err, size_t errlen);

/* seconds until the certificate's notAfter; negative once it passed */
long long gab_cert_seconds_left(X509 *cert);


#endif /* _GAB_CREDENTIAL_H_INCLUDED_ */
