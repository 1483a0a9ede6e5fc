
/*
 * Copyright (C) graph-attach authors
 *
 * The error table against docs/errors.md: every row of the table is a
 * row of the documentation (status, code and message), and every row of
 * the documentation's tables is a row of the table, so neither can drift.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ga_errors.h"
#include "ga_multipart.h"
#include "tap.h"


#define DOC_ROWS_MAX  256


typedef struct {
    unsigned  status;            /* 0: "any other" */
    char      code[64];
    char      message[512];
    int       matched;
} doc_row_t;


static doc_row_t  rows[DOC_ROWS_MAX];
static size_t     nrows;


/* the cells of a Markdown table row, "\|" and "\\" unescaped */

static int
split_row(const char *line, char cells[][512], int max)
{
    int          n;
    size_t       k;
    const char  *p;

    if (line[0] != '|') {
        return 0;
    }

    n = 0;
    k = 0;

    for (p = line + 1; *p && *p != '\n'; p++) {
        if (*p == '\\' && (p[1] == '|' || p[1] == '\\')) {
            p++;

        } else if (*p == '|') {
            cells[n][k] = '\0';

            if (++n == max) {
                return n;
            }

            k = 0;
            continue;
        }

        if (k < 511) {
            cells[n][k++] = *p;
        }
    }

    return n;
}


static void
trim(char *s)
{
    size_t  len;

    len = strlen(s);

    while (len && s[len - 1] == ' ') {
        s[--len] = '\0';
    }

    memmove(s, s + strspn(s, " "), strlen(s + strspn(s, " ")) + 1);
}


static void
read_docs(const char *path)
{
    int     n;
    char    line[4096], cells[8][512], *code;
    FILE   *f;

    f = fopen(path, "r");
    if (f == NULL) {
        ok(0, "cannot open %s", path);
        return;
    }

    while (fgets(line, sizeof(line), f) && nrows < DOC_ROWS_MAX) {
        n = split_row(line, cells, 8);

        /* | Status | `Code` | (When |) Message | */

        if (n < 3) {
            continue;
        }

        trim(cells[0]);
        trim(cells[1]);
        trim(cells[n - 1]);

        code = cells[1];

        if (code[0] != '`' || code[strlen(code) - 1] != '`') {
            continue;
        }

        code[strlen(code) - 1] = '\0';
        code++;

        if (strcmp(cells[0], "any other") == 0) {
            rows[nrows].status = 0;

        } else {
            rows[nrows].status = (unsigned) atoi(cells[0]);

            if (rows[nrows].status < 400) {
                continue;
            }
        }

        snprintf(rows[nrows].code, sizeof(rows[0].code), "%.63s", code);
        snprintf(rows[nrows].message, sizeof(rows[0].message), "%.511s",
                 cells[n - 1]);
        nrows++;
    }

    fclose(f);
}


int
main(int argc, char **argv)
{
    int                e, found;
    size_t             i, len;
    const ga_error_t  *err;

    read_docs(argc > 1 ? argv[1] : "docs/errors.md");

    ok(nrows > 40, "docs/errors.md has its tables (%zu rows)", nrows);

    for (e = GA_ERR_NONE + 1; e < GA_ERR_LAST; e++) {
        err = ga_error(e);

        ok(err->code && err->code[0] && err->message && err->message[0],
           "error %d has a code and a message", e);

        found = 0;
        len = strlen(err->message);

        for (i = 0; i < nrows; i++) {

            /* a message cell may go on with a note after the message */

            if (rows[i].status == err->status
                && strcmp(rows[i].code, err->code) == 0
                && strncmp(rows[i].message, err->message, len) == 0
                && (rows[i].message[len] == '\0'
                    || rows[i].message[len] == ' '))
            {
                /* one code may be documented for several causes */
                rows[i].matched = 1;
                found = 1;
            }
        }

        ok(found, "documented: %u %s \"%s\"", err->status, err->code,
           err->message);
    }

    for (i = 0; i < nrows; i++) {
        ok(rows[i].matched, "in the table: docs row %u %s \"%s\"",
           rows[i].status, rows[i].code, rows[i].message);
    }

    /* nginx's own responses, by status */

    is_int(ga_error_for_status(413), GA_ERR_UPLOAD_TOO_LARGE, "413");
    is_int(ga_error_for_status(405), GA_ERR_METHOD_NOT_ALLOWED, "405");
    is_int(ga_error_for_status(500), GA_ERR_INTERNAL, "500");
    is_int(ga_error_for_status(401), GA_ERR_NGINX_OTHER, "401: other");
    is_int(ga_error(GA_ERR_LAST)->status, 0, "out of range: none");

    /* the parser's errors: the client's, but a failed callback's */

    is_int(ga_error(ga_error_for_multipart(GA_MP_ERR_CALLBACK))->status, 500,
           "a callback that failed without a cause: 500, not 400");
    is_int(ga_error_for_multipart(GA_MP_ERR_CALLBACK), GA_ERR_INTERNAL,
           "... InternalError");
    is_int(ga_error(ga_error_for_multipart(GA_MP_ERR_TRUNCATED))->status, 400,
           "truncated: 400");
    is_int(ga_error_for_multipart(GA_MP_ERR_BAD_DELIMITER),
           GA_ERR_BAD_MULTIPART, "bad delimiter: InvalidMultipart");
    is_int(ga_error_for_multipart(GA_MP_ERR_STATE), GA_ERR_BAD_MULTIPART,
           "state: InvalidMultipart");

    return done_testing();
}
