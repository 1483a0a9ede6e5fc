
/*
 * Copyright (C) graph-attach authors
 */


#include <stdio.h>
#include <string.h>

#include "ga_json.h"
#include "tap.h"


/*
 * Escapes s, checks ga_json_escape_len() agrees with what was written and
 * that nothing was written past it, and compares with the expected text.
 */

static int
check(const char *s, size_t len, const char *expected, const char *name)
{
    size_t   n;
    u_char  *end, buf[1024];

    n = ga_json_escape_len((const u_char *) s, len);

    memset(buf, '!', sizeof(buf));
    end = ga_json_escape(buf, (const u_char *) s, len);

    if ((size_t) (end - buf) != n || buf[n] != '!') {
        return ok(0, "%s: escape_len %zu, written %zu", name, n,
                  (size_t) (end - buf));
    }

    return is_mem(buf, n, expected, strlen(expected), "%s", name);
}


#define CHECK(s, expected, name)  check(s, sizeof(s) - 1, expected, name)


int
main(void)
{
    int     good;
    size_t  i, n;
    u_char  c, *end, buf[16];
    char    want[16];

    /* the short escapes */

    CHECK("\"", "\\\"", "quote");
    CHECK("\\", "\\\\", "backslash");
    CHECK("\b", "\\b", "backspace");
    CHECK("\f", "\\f", "form feed");
    CHECK("\n", "\\n", "newline");
    CHECK("\r", "\\r", "carriage return");
    CHECK("\t", "\\t", "tab");

    /* other control bytes, DEL */

    check("\0", 1, "\\u0000", "NUL");
    CHECK("\x01", "\\u0001", "0x01");
    CHECK("\x0b", "\\u000b", "vertical tab");
    CHECK("\x1b", "\\u001b", "escape");
    CHECK("\x1f", "\\u001f", "0x1f");
    CHECK("\x7f", "\\u007f", "DEL");

    /* passed through */

    CHECK("", "", "empty");
    CHECK(" ", " ", "space");
    CHECK("/", "/", "solidus is not escaped");
    CHECK("'", "'", "apostrophe");
    CHECK("<script>&", "<script>&", "html characters");
    CHECK("~", "~", "tilde");
    CHECK("report 2024.pdf", "report 2024.pdf", "plain file name");

    /* UTF-8 passes through raw */

    CHECK("caf\xc3\xa9.txt", "caf\xc3\xa9.txt", "2-byte UTF-8 (e acute)");
    CHECK("\xe6\x97\xa5\xe6\x9c\xac.doc", "\xe6\x97\xa5\xe6\x9c\xac.doc",
          "3-byte UTF-8 (CJK)");
    CHECK("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", "4-byte UTF-8 (emoji)");
    CHECK("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9",
          "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9",
          "emoji ZWJ sequence (e2 80 8d stays raw)");
    CHECK("\xc2\x80\xc2\x9f", "\xc2\x80\xc2\x9f", "C1 controls stay raw");
    CHECK("\xef\xbb\xbf", "\xef\xbb\xbf", "BOM stays raw");
    CHECK("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf", "U+10FFFF stays raw");

    /* U+2028, U+2029 and their neighbours */

    CHECK("\xe2\x80\xa8", "\\u2028", "U+2028 line separator");
    CHECK("\xe2\x80\xa9", "\\u2029", "U+2029 paragraph separator");
    CHECK("\xe2\x80\xa7", "\xe2\x80\xa7", "U+2027 stays raw");
    CHECK("\xe2\x80\xaa", "\xe2\x80\xaa", "U+202A stays raw");
    CHECK("\xe2\x81\xa8", "\xe2\x81\xa8", "U+2068 stays raw");
    CHECK("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c", "a\\u2028b\\u2029c",
          "separators inside text");
    CHECK("\xe2\x80\xa8\xe2\x80\xa8", "\\u2028\\u2028",
          "two separators in a row");

    /* truncated sequences at the end (invalid input) are not overread */

    CHECK("x\xe2", "x\xe2", "lone e2 at the end");
    CHECK("x\xe2\x80", "x\xe2\x80", "e2 80 at the end");

    /* mixtures */

    CHECK("a\"b\\c\nd", "a\\\"b\\\\c\\nd", "mixed escapes");
    CHECK("C:\\temp\\\"x\".txt", "C:\\\\temp\\\\\\\"x\\\".txt",
          "windows path with quotes");
    CHECK("line1\r\nline2\t\x01\xc3\xa9\xf0\x9f\x8e\x89",
          "line1\\r\\nline2\\t\\u0001\xc3\xa9\xf0\x9f\x8e\x89",
          "controls around multi-byte UTF-8");
    CHECK("\"\xf0\x9f\x98\x80\"", "\\\"\xf0\x9f\x98\x80\\\"",
          "quoted emoji");

    /* every single byte against its expected class */

    good = 1;

    for (i = 0; i < 256; i++) {
        c = (u_char) i;

        switch (c) {
        case '"':
        case '\\':
            want[0] = '\\';
            want[1] = (char) c;
            want[2] = '\0';
            break;
        case '\b':
            strcpy(want, "\\b");
            break;
        case '\f':
            strcpy(want, "\\f");
            break;
        case '\n':
            strcpy(want, "\\n");
            break;
        case '\r':
            strcpy(want, "\\r");
            break;
        case '\t':
            strcpy(want, "\\t");
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                snprintf(want, sizeof(want), "\\u%04x", c);

            } else {
                want[0] = (char) c;
                want[1] = '\0';
            }
        }

        n = ga_json_escape_len(&c, 1);
        memset(buf, '!', sizeof(buf));
        end = ga_json_escape(buf, &c, 1);

        if (n != strlen(want) || (size_t) (end - buf) != n
            || memcmp(buf, want, n) != 0 || buf[n] != '!')
        {
            diag("byte 0x%02x", c);
            good = 0;
        }
    }

    ok(good, "each of the 256 bytes alone");

    /* a long string: length and output agree over a table of all bytes */

    {
        u_char  all[256], big[256 * 6];

        for (i = 0; i < 256; i++) {
            all[i] = (u_char) i;
        }

        n = ga_json_escape_len(all, 256);
        end = ga_json_escape(big, all, 256);

        is_int(end - big, n, "all bytes in a row: length agrees");

        /* 27 controls and DEL as \u00XX, 7 short escapes, 221 raw */
        is_int(n, 28 * 6 + 7 * 2 + 221, "all bytes in a row: length");
    }

    return done_testing();
}
