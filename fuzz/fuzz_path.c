
/*
 * Copyright (C) graph-attach authors
 */


/*
 * libFuzzer target for ga_path_parse():
 *
 *     clang -fsanitize=fuzzer,address,undefined -Isrc \
 *         fuzz/fuzz_path.c src/ga_path.c src/ga_mailbox.c src/ga_ascii.c \
 *         src/ga_utf8.c
 *
 * The first input byte picks the location prefix, what /me stands for
 * (bits 4 and 5) and whether a leading '/' is added, the rest is the raw
 * path.  Buffers are malloc()ed to the documented sizes exactly, so ASan
 * sees any write past them.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ga_mailbox.h"
#include "ga_path.h"


static const char  *prefixes[] = {
    NULL, "/graph/", "/graph", "/", "", "/api/v2/graph/", "/v1.0/", "/users/"
};


/* graph_attach_user: none, empty, a mailbox with escaped bytes, a hostile */

static const char  *mes[] = {
    NULL, "", "o'neil!^~@contoso.com", "a/../users/b?#"
};


static int
allowed(u_char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9')
           || c == '-' || c == '_' || c == '.' || c == '~' || c == '@'
           || c == '=';
}


static int
upper_hex(u_char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}


static int
hexval(u_char c)
{
    return (c <= '9') ? c - '0' : c - 'A' + 10;
}


static void
check_out(const u_char *out, size_t len)
{
    size_t         i, seg;
    const u_char  *end;

    if (len < 6 + sizeof("/attachments") - 1) {
        abort();
    }

    if (memcmp(out, "/v1.0/", 6) != 0 && memcmp(out, "/beta/", 6) != 0) {
        abort();
    }

    end = out + len - (sizeof("/attachments") - 1);

    if (memcmp(end, "/attachments", sizeof("/attachments") - 1) != 0) {
        abort();
    }

    if (memcmp(out + 6, "users/", 6) != 0) {
        abort();
    }

    /* only allowed bytes, %XX in upper case, no empty or dot segments */

    seg = 0;

    for (i = 1; i <= len; i++) {

        if (i == len || out[i] == '/') {
            if (seg == 0) {
                abort();
            }

            if (out[i - 1] == '.'
                && (seg == 1 || (seg == 2 && out[i - 2] == '.')))
            {
                abort();
            }

            seg = 0;
            continue;
        }

        seg++;

        if (out[i] == '%') {
            if (i + 2 >= len || !upper_hex(out[i + 1])
                || !upper_hex(out[i + 2]))
            {
                abort();
            }

            /* a byte kept raw is never escaped: one spelling per id */

            if (allowed((u_char) (hexval(out[i + 1]) << 4
                                  | hexval(out[i + 2]))))
            {
                abort();
            }

            i += 2;
            seg += 2;
            continue;
        }

        if (!allowed(out[i])) {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int              rc, rc2;
    size_t           raw_len, out_len, out_len2, me_len, out_size;
    u_char          *raw, *scratch, *out, *scratch2, *out2, *me;
    const char      *prefix, *me_str;
    ga_path_info_t   info, info2;

    if (size == 0) {
        return 0;
    }

    prefix = prefixes[data[0] % (sizeof(prefixes) / sizeof(prefixes[0]))];
    me_str = mes[(data[0] >> 4) & 3];
    me_len = me_str ? strlen(me_str) : 0;

    me = NULL;

    if (me_str) {
        me = malloc(me_len ? me_len : 1);
        memcpy(me, me_str, me_len);
    }

    raw_len = size - 1;
    raw = malloc(raw_len + 1);

    if (data[0] & 0x80) {
        raw[0] = '/';
        memcpy(raw + 1, data + 1, raw_len);
        raw_len++;

    } else {
        memcpy(raw, data + 1, raw_len);
    }

    out_size = 3 * (raw_len + me_len) + 16;
    scratch = malloc(raw_len ? raw_len : 1);
    out = malloc(out_size);

    out_len = (size_t) -1;
    memset(&info, 0, sizeof(info));

    rc = ga_path_parse(raw, raw_len, (const u_char *) prefix,
                       prefix ? strlen(prefix) : 0, me, me_len, scratch,
                       raw_len, out, out_size, &out_len, &info);

    switch (rc) {

    case GA_PATH_OK:
        if (out_len > out_size) {
            abort();
        }

        check_out(out, out_len);

        if (info.kind != GA_PATH_MESSAGE && info.kind != GA_PATH_EVENT) {
            abort();
        }

        if (memcmp(out + 1, info.version, 4) != 0) {
            abort();
        }

        if (info.me) {

            /* /me is what me says, and only a mailbox */

            if (me == NULL
                || info.mailbox != me
                || info.mailbox_len != me_len
                || ga_mailbox_check(me, me_len) != GA_MAILBOX_OK)
            {
                abort();
            }

        } else if (info.mailbox < scratch
                   || info.mailbox_len == 0
                   || info.mailbox_len > GA_PATH_MAX_SEGMENT
                   || info.mailbox + info.mailbox_len > scratch + raw_len)
        {
            abort();
        }

        /* the canonical path is a fixed point */

        scratch2 = malloc(out_len);
        out2 = malloc(3 * out_len + 16);

        rc2 = ga_path_parse(out, out_len, (const u_char *) "/", 1, NULL, 0,
                            scratch2, out_len, out2, 3 * out_len + 16,
                            &out_len2, &info2);

        if (rc2 != GA_PATH_OK
            || out_len2 != out_len
            || memcmp(out, out2, out_len) != 0
            || info2.kind != info.kind
            || info2.mailbox_len != info.mailbox_len
            || memcmp(info2.mailbox, info.mailbox, info.mailbox_len) != 0)
        {
            abort();
        }

        free(scratch2);
        free(out2);
        break;

    case GA_PATH_UNRESOLVED:
        if (me == NULL || ga_mailbox_check(me, me_len) == GA_MAILBOX_OK) {
            abort();
        }

        /* fall through */

    case GA_PATH_NOT_FOUND:
    case GA_PATH_INVALID:
        if (out_len != (size_t) -1) {
            abort();
        }

        break;

    default:
        /* GA_PATH_TOO_LONG cannot happen with the documented sizes */
        abort();
    }

    free(raw);
    free(me);
    free(scratch);
    free(out);

    return 0;
}
