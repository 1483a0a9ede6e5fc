/*
 * Copyright (C) graph-attach authors
 */


#ifndef _PKI_H_INCLUDED_
#define _PKI_H_INCLUDED_


/* Keys and self-signed certificates for the broker's unit tests. */

#include <openssl/evp.h>
#include <openssl/x509.h>


static inline EVP_PKEY *
pki_rsa(unsigned bits)
{
    return EVP_RSA_gen(bits);
}


/* a self-signed certificate for key, valid for days (negative: expired) */

static inline X509 *
pki_cert(EVP_PKEY *key, const char *cn, long days)
{
    X509       *cert;
    X509_NAME  *name;

    cert = X509_new();

    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);

    if (days >= 0) {
        X509_gmtime_adj(X509_getm_notBefore(cert), 0);
        X509_gmtime_adj(X509_getm_notAfter(cert), days * 86400);

    } else {
        X509_gmtime_adj(X509_getm_notBefore(cert), days * 2 * 86400);
        X509_gmtime_adj(X509_getm_notAfter(cert), days * 86400);
    }

    X509_set_pubkey(cert, key);

    name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *) cn, -1, -1, 0);
    X509_set_issuer_name(cert, name);

    X509_sign(cert, key, EVP_sha256());

    return cert;
}


#endif /* _PKI_H_INCLUDED_ */
