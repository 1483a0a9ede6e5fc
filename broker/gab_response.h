/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GAB_RESPONSE_H_INCLUDED_
#define _GAB_RESPONSE_H_INCLUDED_


#include <stddef.h>


/*
 * What the token endpoint answered.  Success (200):
 *
 *   {"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,
 *    "access_token":"eyJ0eXAi..."}
 *
 * expires_in a number or a string of digits (the v1 endpoint and some
 * proxies send "3599").  An error (4xx, 5xx):
 *
 *   {"error":"invalid_client","error_description":"AADSTS7000215: Invalid
 *    client secret provided. ...\r\nTrace ID: ...\r\nCorrelation ID: ...",
 *    "error_codes":[7000215],"timestamp":"2024-07-15 11:14:02Z",
 *    "trace_id":"18ca6aad-...","correlation_id":"5cdbfdc4-...",
 *    "error_uri":"https://login.microsoftonline.com/error?code=7000215"}
 *
 * Every string kept from an error is printable ASCII (others become "?")
 * and cut to its field: they go into log lines.
 */


#define GAB_RESPONSE_MAX_CODES       4
#define GAB_RESPONSE_QUOTE_MIN       8
#define GAB_RESPONSE_MAX_EXPIRES_IN  (86400LL * 366)

enum {
    GAB_RESPONSE_TOKEN = 0,
    GAB_RESPONSE_ERROR,         /* not 200: error fields, if any */
    GAB_RESPONSE_INVALID        /* 200, but no usable token */
};


typedef struct {
    int          kind;
    long         status;

    char        *access_token;  /* TOKEN: wiped and freed by _free() */
    long long    expires_in;    /* TOKEN: seconds, 1 or more */

    const char  *invalid;       /* INVALID: a static reason */

    char         error[64];
    long long    codes[GAB_RESPONSE_MAX_CODES];
    unsigned     ncodes;
    char         trace_id[64];
    char         correlation_id[64];
    char         timestamp[32];
    char         description[200];  /* its first line, without "AADSTSn: " */
} gab_response_t;


/* always fills r, never fails but for memory (-1) */
int gab_response_parse(const char *body, size_t len, long status,
    gab_response_t *r);

void gab_response_free(gab_response_t *r);

/* "AADSTS7000215 AADSTS50012", or "" */
void gab_response_codes(const gab_response_t *r, char *buf, size_t size);


/*
 * whether s (a field kept from an error) quotes a piece of secret: 8
 * bytes of it in a row, or %-encoded; the caller withholds the field
 */
int gab_response_quotes(const char *s, const char *secret);


#endif /* _GAB_RESPONSE_H_INCLUDED_ */
