/*
 * Copyright (C) graph-attach authors
 */


#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "gab_credential.h"


static BIO *gab_credential_open(const char *path, const char *what,
    int *flags, char *err, size_t errlen);
static int gab_credential_no_password(char *buf, int size, int rwflag,
    void *u);


char *
gab_secret_read(const char *what, const char *path, int *flags, char *err,
    size_t errlen)
{
    int           fd;
    char         *buf, *p;
    size_t        len;
    ssize_t       n;
    struct stat   st;

    /*
     * O_NONBLOCK: a FIFO put in place of the file would block the open,
     * and with it every tenant and the signals, until a writer came; it
     * does nothing to a regular file
     */

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd == -1) {
        snprintf(err, errlen, "%s \"%s\": %s", what, path,
                 strerror(errno));
        return NULL;
    }

    if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s \"%s\" is not a regular file", what,
                 path);
        close(fd);
        return NULL;
    }

    if (st.st_mode & S_IROTH) {
        *flags |= GAB_CREDENTIAL_WORLD_READABLE;
    }

    buf = malloc(GAB_SECRET_MAX + 2);
    if (buf == NULL) {
        snprintf(err, errlen, "out of memory");
        close(fd);
        return NULL;
    }

    len = 0;

    for ( ;; ) {
        n = read(fd, buf + len, GAB_SECRET_MAX + 1 - len);

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n == -1) {
            snprintf(err, errlen, "%s \"%s\": %s", what, path,
                     strerror(errno));
            goto failed;
        }

        if (n == 0 || (len += n) > GAB_SECRET_MAX) {
            break;
        }
    }

    close(fd);
    fd = -1;

    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'
                   || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
    {
        len--;
    }

    buf[len] = '\0';

    if (len == 0 || len > GAB_SECRET_MAX) {
        snprintf(err, errlen, "%s \"%s\" %s", what, path,
                 len ? "holds more than 4096 bytes" : "is empty");
        goto failed;
    }

    for (p = buf; p < buf + len; p++) {
        if ((unsigned char) *p < 0x20 || *p == 0x7f) {
            snprintf(err, errlen, "%s \"%s\" holds control characters or "
                     "several lines", what, path);
            goto failed;
        }
    }

    return buf;

failed:

    if (fd != -1) {
        close(fd);
    }

    OPENSSL_cleanse(buf, GAB_SECRET_MAX + 2);
    free(buf);

    return NULL;
}


void
gab_secret_free(char *secret)
{
    if (secret) {
        OPENSSL_cleanse(secret, GAB_SECRET_MAX + 2);
        free(secret);
    }
}


int
gab_cert_load(const char *key_path, const char *cert_path, EVP_PKEY **key,
    X509 **cert, int *flags, char *err, size_t errlen)
{
    BIO  *bio;

    *key = NULL;
    *cert = NULL;

    bio = gab_credential_open(key_path, "private_key", flags, err, errlen);
    if (bio == NULL) {
        return -1;
    }

    *key = PEM_read_bio_PrivateKey(bio, NULL, gab_credential_no_password,
                                   NULL);
    BIO_free(bio);

    if (*key == NULL) {
        ERR_clear_error();
        snprintf(err, errlen, "private_key \"%s\" holds no unencrypted PEM "
                 "private key", key_path);
        return -1;
    }

    if (EVP_PKEY_get_base_id(*key) != EVP_PKEY_RSA) {
        snprintf(err, errlen, "private_key \"%s\" is not an RSA key "
                 "(Entra ID signs with RS256 or PS256)", key_path);
        goto failed;
    }

    bio = gab_credential_open(cert_path, "certificate", flags, err, errlen);
    if (bio == NULL) {
        goto failed;
    }

    *cert = PEM_read_bio_X509(bio, NULL, gab_credential_no_password, NULL);
    BIO_free(bio);

    if (*cert == NULL) {
        ERR_clear_error();
        snprintf(err, errlen, "certificate \"%s\" holds no PEM "
                 "certificate", cert_path);
        goto failed;
    }

    if (X509_check_private_key(*cert, *key) != 1) {
        ERR_clear_error();
        snprintf(err, errlen, "private_key \"%s\" does not belong to "
                 "certificate \"%s\"", key_path, cert_path);
        goto failed;
    }

    return 0;

failed:

    EVP_PKEY_free(*key);
    X509_free(*cert);
    *key = NULL;
    *cert = NULL;

    return -1;
}


long long
gab_cert_seconds_left(X509 *cert)
{
    int              days, secs;
    const ASN1_TIME  *na;

    na = X509_get0_notAfter(cert);

    if (ASN1_TIME_diff(&days, &secs, NULL, na) != 1) {
        return 0;
    }

    return (long long) days * 86400 + secs;
}


static BIO *
gab_credential_open(const char *path, const char *what, int *flags,
    char *err, size_t errlen)
{
    int           fd;
    BIO          *bio;
    struct stat   st;

    /* the file opened is the file checked; a FIFO does not block */

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd == -1) {
        snprintf(err, errlen, "%s \"%s\": %s", what, path, strerror(errno));
        return NULL;
    }

    if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s \"%s\" is not a regular file", what, path);
        close(fd);
        return NULL;
    }

    if (strcmp(what, "private_key") == 0 && (st.st_mode & S_IROTH)) {
        *flags |= GAB_CREDENTIAL_WORLD_READABLE;
    }

    bio = BIO_new_fd(fd, BIO_CLOSE);
    if (bio == NULL) {
        ERR_clear_error();
        snprintf(err, errlen, "%s \"%s\": out of memory", what, path);
        close(fd);
    }

    return bio;
}


/* never a prompt on a terminal: an encrypted key is an error */

static int
gab_credential_no_password(char *buf, int size, int rwflag, void *u)
{
    return -1;
}

