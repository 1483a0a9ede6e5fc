/*
 * Copyright (C) graph-attach authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "gab_credential.h"
#include "pki.h"
#include "tap.h"


static char  dir[64];
static char  err[1024];


static const char *
path(const char *name)
{
    static char  buf[4][128];
    static int   i;

    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);

    return buf[i];
}


static void
write_file(const char *name, const void *data, size_t len, mode_t mode)
{
    FILE  *f;

    f = fopen(path(name), "w");
    fwrite(data, 1, len, f);
    fclose(f);
    chmod(path(name), mode);
}


static void
write_key(const char *name, EVP_PKEY *key, const char *password)
{
    FILE  *f;

    f = fopen(path(name), "w");

    if (password) {
        PEM_write_PrivateKey(f, key, EVP_aes_128_cbc(), NULL, 0, NULL,
                             (void *) password);

    } else {
        PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    }

    fclose(f);
    chmod(path(name), 0600);
}


static void
write_cert(const char *name, X509 *cert)
{
    FILE  *f;

    f = fopen(path(name), "w");
    PEM_write_X509(f, cert);
    fclose(f);
}


static void
secret(const char *name, const char *data, size_t len, mode_t mode,
    const char *want, int want_flags, const char *label)
{
    int    flags;
    char  *s;

    write_file(name, data, len, mode);

    flags = 0;
    err[0] = '\0';
    s = gab_secret_read("client_secret_file", path(name), &flags, err,
                        sizeof(err));

    if (want) {
        if (!ok(s && strcmp(s, want) == 0 && flags == want_flags,
                "secret: %s", label))
        {
            diag("got \"%s\", flags %d, err \"%s\"", s ? s : "NULL", flags,
                 err);
        }

    } else if (!ok(s == NULL && strstr(err, "client_secret_file \"")
                   && strstr(err, want_flags ? "control" : ""),
                   "secret refused: %s", label))
    {
        diag("err \"%s\"", err);
    }

    gab_secret_free(s);
}


static void
test_secret(void)
{
    int    flags;
    char  *s, big[5000];

    secret("s1", "abc8Q~secret", 12, 0600, "abc8Q~secret", 0, "as is");
    secret("s2", "abc8Q~secret\n", 13, 0600, "abc8Q~secret", 0,
           "trailing LF dropped");
    secret("s3", "abc8Q~secret \r\n\r\n", 17, 0640, "abc8Q~secret", 0,
           "trailing CR LF and space dropped");
    secret("s4", "  lead", 6, 0600, "  lead", 0, "leading spaces kept");
    secret("s5", "abc8Q~secret\n", 13, 0644, "abc8Q~secret",
           GAB_CREDENTIAL_WORLD_READABLE, "world-readable: flagged");
    secret("s6", "", 0, 0600, NULL, 0, "empty");
    secret("s7", "\n\n", 2, 0600, NULL, 0, "only newlines");
    secret("s8", "two\nlines", 9, 0600, NULL, 1, "two lines");
    secret("s9", "nul\0inside", 10, 0600, NULL, 1, "a NUL");
    secret("s10", "tab\there", 8, 0600, NULL, 1, "a tab");

    memset(big, 'x', sizeof(big));

    write_file("s12", big, 4097, 0600);
    flags = 0;
    s = gab_secret_read("client_secret_file", path("s12"), &flags, err,
                        sizeof(err));
    ok(s == NULL && strstr(err, "more than 4096"), "secret refused: 4097 "
       "bytes");

    write_file("s13", big, 4096, 0600);
    s = gab_secret_read("client_secret_file", path("s13"), &flags, err,
                        sizeof(err));
    ok(s && strlen(s) == 4096, "4096 bytes: taken");
    gab_secret_free(s);

    s = gab_secret_read("client_secret_file", path("missing"), &flags, err,
                        sizeof(err));
    ok(s == NULL && strstr(err, "No such file"), "a missing file");

    s = gab_secret_read("redis_password_file", dir, &flags, err,
                        sizeof(err));
    ok(s == NULL && strstr(err, "redis_password_file \"")
       && strstr(err, "not a regular file"), "a directory, named as asked");

    gab_secret_free(NULL);
}


static void
test_cert(void)
{
    int         flags;
    X509       *cert, *c, *expired;
    EVP_PKEY   *key, *other, *ec, *k;
    long long   left;

    key = pki_rsa(2048);
    other = pki_rsa(2048);
    ec = EVP_EC_gen("P-256");
    cert = pki_cert(key, "broker", 365);
    expired = pki_cert(key, "old", -1);

    write_key("key.pem", key, NULL);
    write_key("other.pem", other, NULL);
    write_key("ec.pem", ec, NULL);
    write_key("enc.pem", key, "passphrase");
    write_cert("cert.pem", cert);
    write_cert("expired.pem", expired);
    write_file("garbage.pem", "-----BEGIN CERTIFICATE-----\nxx\n", 31, 0644);

    flags = 0;
    ok(gab_cert_load(path("key.pem"), path("cert.pem"), &k, &c, &flags, err,
                     sizeof(err)) == 0, "key and certificate load");
    ok(k && c && X509_cmp(c, cert) == 0, "the certificate");
    ok(EVP_PKEY_eq(k, key) == 1, "the key");
    is_int(flags, 0, "0600 key: no flag");

    left = gab_cert_seconds_left(c);
    ok(left > 364LL * 86400 && left <= 365LL * 86400,
       "365 days left: %lld s", left);

    EVP_PKEY_free(k);
    X509_free(c);

    ok(gab_cert_load(path("key.pem"), path("expired.pem"), &k, &c, &flags,
                     err, sizeof(err)) == 0, "an expired certificate loads");
    ok(gab_cert_seconds_left(c) < 0, "and has no time left");
    EVP_PKEY_free(k);
    X509_free(c);

    chmod(path("key.pem"), 0644);
    flags = 0;
    gab_cert_load(path("key.pem"), path("cert.pem"), &k, &c, &flags, err,
                  sizeof(err));
    is_int(flags, GAB_CREDENTIAL_WORLD_READABLE, "a world-readable key");
    EVP_PKEY_free(k);
    X509_free(c);

#define refused(kp, cp, want, label)                                         \
    err[0] = '\0';                                                           \
    if (!ok(gab_cert_load(path(kp), path(cp), &k, &c, &flags, err,           \
                          sizeof(err)) == -1                                 \
            && k == NULL && c == NULL && strstr(err, want),                  \
            "refused: " label))                                              \
    {                                                                        \
        diag("err \"%s\"", err);                                             \
    }

    refused("other.pem", "cert.pem", "does not belong to", "another key");
    refused("ec.pem", "cert.pem", "is not an RSA key", "an EC key");
    refused("enc.pem", "cert.pem", "no unencrypted PEM private key",
            "an encrypted key (no prompt)");
    refused("cert.pem", "cert.pem", "no unencrypted PEM private key",
            "a certificate as the key");
    refused("key.pem", "key.pem", "holds no PEM certificate",
            "a key as the certificate");
    refused("key.pem", "garbage.pem", "holds no PEM certificate",
            "a broken certificate");
    refused("missing.pem", "cert.pem", "private_key \"", "a missing key");
    refused("key.pem", "missing.pem", "certificate \"", "a missing cert");

#undef refused

    X509_free(cert);
    X509_free(expired);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
    EVP_PKEY_free(ec);
}


int
main(void)
{
    char  cmd[128];

    strcpy(dir, "/tmp/gab-unit.XXXXXX");

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    test_secret();
    test_cert();

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    (void) !system(cmd);

    return done_testing();
}
