
/*
 * Copyright (C) graph-attach authors
 */


#include <stdlib.h>
#include <string.h>

#include "ga_ascii.h"
#include "ga_filename_decode.h"
#include "ga_header_params.h"
#include "ga_multipart.h"
#include "ga_type.h"
#include "tap.h"


/*
 * The shared character helpers, and the character classes of the parsers
 * over every byte, through their public functions: what each grammar
 * lets into a token.
 */


#define S(s)  (const u_char *) (s), sizeof(s) - 1


static int
in(int c, const char *set)
{
    return c != '\0' && strchr(set, c) != NULL;
}


static int
alnum(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9');
}


/* RFC 9110 section 5.6.2 */

static int
rfc9110_tchar(int c)
{
    return alnum(c) || in(c, "!#$%&'*+-.^_`|~");
}


/* RFC 2045 section 5.1: any CHAR except SPACE, CTLs and tspecials */

static int
rfc2045_token(int c)
{
    return c > 0x20 && c < 0x7f && !in(c, "()<>@,;:\\\"/[]?=");
}


/* RFC 8187 section 3.2.1 */

static int
rfc8187_attr_char(int c)
{
    return alnum(c) || in(c, "!#$&+-.^_`|~");
}


static int
hex_value(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    return -1;
}


static size_t  header_name_len;


static int
on_header(void *data, const u_char *name, size_t name_len,
    const u_char *value, size_t value_len)
{
    header_name_len = name_len;
    return 0;
}


static void
classes(void)
{
    int                       c, rc, bad_type, bad_header, bad_value,
                              bad_ext, bad_hex;
    u_char                    buf[64], out[64];
    size_t                    n;
    ga_type_t                 t;
    ga_multipart_t            mp;
    ga_disposition_t          d;
    ga_multipart_callbacks_t  cb;

    memset(&cb, 0, sizeof(cb));
    cb.on_header = on_header;

    bad_type = 0;
    bad_header = 0;
    bad_value = 0;
    bad_ext = 0;
    bad_hex = 0;

    for (c = 0; c < 256; c++) {

        /* media types: RFC 9110 tokens, ';' starts the parameters */

        memcpy(buf, "a/b?d", 5);
        buf[3] = (u_char) c;

        if (ga_type_parse(buf, 5, &t) != (rfc9110_tchar(c) || c == ';')) {
            diag("  type byte 0x%02x", c);
            bad_type++;
        }

        /* part header names: RFC 9110 tokens too */

        n = sizeof("--b\r\nX?Y: v\r\n\r\n") - 1;
        memcpy(buf, "--b\r\nX?Y: v\r\n\r\n", n);
        buf[6] = (u_char) c;
        header_name_len = 0;

        ga_multipart_init(&mp, (const u_char *) "b", 1, out, sizeof(out), 0,
                          &cb, NULL);
        rc = ga_multipart_execute(&mp, buf, n);

        if ((rc == GA_MP_OK && header_name_len == 3) != rfc9110_tchar(c)) {
            diag("  header name byte 0x%02x", c);
            bad_header++;
        }

        /* Content-Disposition values: RFC 2045 tokens */

        n = sizeof("form-data; name=a?b") - 1;
        memcpy(buf, "form-data; name=a?b", n);
        buf[n - 2] = (u_char) c;

        rc = ga_disposition_parse(buf, n, &d, out, sizeof(out));

        if ((rc == GA_HP_OK && d.name_len == 3) != rfc2045_token(c)) {
            diag("  disposition value byte 0x%02x", c);
            bad_value++;
        }

        /* filename*: RFC 8187 attr-char, and the hex digits of %XX */

        memcpy(buf, "UTF-8''a?b", 10);
        buf[8] = (u_char) c;

        rc = ga_filename_decode_ext(buf, 10, out, &n);

        if ((rc == 0 && n == 3) != rfc8187_attr_char(c)) {
            diag("  filename* byte 0x%02x", c);
            bad_ext++;
        }

        memcpy(buf, "UTF-8''%3?", 10);
        buf[9] = (u_char) c;

        rc = ga_filename_decode_ext(buf, 10, out, &n);

        if (hex_value(c) < 0
            ? rc != -1
            : rc != 0 || n != 1 || out[0] != 0x30 + hex_value(c))
        {
            diag("  hex digit byte 0x%02x", c);
            bad_hex++;
        }
    }

    ok(bad_type == 0, "media type: RFC 9110 tchar");
    ok(bad_header == 0, "part header name: RFC 9110 tchar");
    ok(bad_value == 0, "Content-Disposition value: RFC 2045 token");
    ok(bad_ext == 0, "filename*: RFC 8187 attr-char");
    ok(bad_hex == 0, "filename*: hex digits, either case");
}


static void
helpers(void)
{
    int     c, d, bad_tchar, bad_hex, bad_lower, bad_eq;
    u_char  a, b;

    bad_tchar = 0;
    bad_hex = 0;
    bad_lower = 0;
    bad_eq = 0;

    for (c = 0; c < 256; c++) {
        if (ga_ascii_tchar(c) != rfc9110_tchar(c)) {
            diag("  tchar 0x%02x", c);
            bad_tchar++;
        }

        if (ga_ascii_hex((u_char) c) != hex_value(c)) {
            diag("  hex 0x%02x", c);
            bad_hex++;
        }

        if (ga_ascii_lower(c) != ((c >= 'A' && c <= 'Z') ? c + 32 : c)) {
            diag("  lower 0x%02x", c);
            bad_lower++;
        }

        /* one byte against every other: equal only as ASCII letters */

        a = (u_char) c;

        for (d = 0; d < 256; d++) {
            b = (u_char) d;

            if (ga_ascii_caseeq(&a, 1, &b, 1)
                != (a == b || (ga_ascii_lower(a) == ga_ascii_lower(b)
                               && ga_ascii_lower(a) >= 'a'
                               && ga_ascii_lower(a) <= 'z')))
            {
                bad_eq++;
            }
        }
    }

    ok(bad_tchar == 0, "ga_ascii_tchar() is RFC 9110 tchar");
    ok(bad_hex == 0, "ga_ascii_hex() of every byte");
    ok(bad_lower == 0, "ga_ascii_lower() folds A-Z only");
    ok(bad_eq == 0, "ga_ascii_caseeq() of every pair of bytes");

    ok(ga_ascii_caseeq(S("Form-Data"), S("form-DATA")), "mixed case");
    ok(!ga_ascii_caseeq(S("form-data"), S("form-dat")), "a prefix is not");
    ok(!ga_ascii_caseeq(S("form-dat"), S("form-data")), "nor the reverse");
    ok(ga_ascii_caseeq(S(""), S("")), "empty equals empty");
    ok(!ga_ascii_caseeq(S("\xc0"), S("\xe0")), "0xC0 is not 0xE0");
    ok(!ga_ascii_caseeq(S("@"), S("`")), "'@' is not '`'");

    ok(ga_ascii_caseeq_str(S("mailFolders"), "MAILFOLDERS"), "string");
    ok(ga_ascii_caseeq_str(S("UTF-8"), "utf-8"), "string, lower case");
    ok(!ga_ascii_caseeq_str(S("utf-8x"), "utf-8"), "string, longer");
    ok(!ga_ascii_caseeq_str(S("utf-"), "utf-8"), "string, shorter");
    ok(ga_ascii_caseeq_str(S(""), ""), "empty string");
}


int
main(void)
{
    helpers();
    classes();

    return done_testing();
}
