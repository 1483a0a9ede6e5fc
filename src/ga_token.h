
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_TOKEN_H_INCLUDED_
#define _GA_TOKEN_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>
#include <time.h>


/*
 * The value a token broker writes to Redis (docs/tokens.md): the raw
 * access token, or, when the value starts with "{", JSON
 * {"access_token":"...","expires_on":...} with other members ignored.
 * Leading and trailing spaces, tabs, CR and LF are removed first.  The
 * token is opaque: 1 to GA_TOKEN_MAX_LEN bytes, none of them a space or
 * a control character; the whole value at most GA_TOKEN_MAX_VALUE bytes.
 */


#define GA_TOKEN_MAX_LEN    16384
#define GA_TOKEN_MAX_VALUE  65536

/* the largest expires_on number; a string of digits may go up to time_t */
#define GA_TOKEN_MAX_EXPIRES_ON  1e11

/* an expiry that is not known: the largest time_t */
#define GA_TOKEN_NEVER                                                       \
    ((time_t) ((((unsigned long long) 1) << (sizeof(time_t) * 8 - 1)) - 1))


enum {
    GA_TOKEN_OK = 0,
    GA_TOKEN_ERR_VALUE_TOO_LARGE = -1,
    GA_TOKEN_ERR_JSON = -2,
    GA_TOKEN_ERR_ACCESS_TOKEN = -3,
    GA_TOKEN_ERR_EXPIRES_ON = -4,
    GA_TOKEN_ERR_EMPTY = -5,
    GA_TOKEN_ERR_TOO_LARGE = -6,
    GA_TOKEN_ERR_CHARSET = -7,
    GA_TOKEN_ERR_EXPIRED = -8
};


typedef struct {
    u_char  *data;          /* the bare token, inside the value */
    size_t   len;
    time_t   expires_on;    /* Unix seconds; 0: not given */
} ga_token_t;


/*
 * Parses value, len bytes, in place: value must have room for len + 1
 * bytes, and the token may be moved to the start of the value.  On
 * GA_TOKEN_OK, tok->data[tok->len] is '\0'.  Otherwise a GA_TOKEN_ERR_*
 * and tok->len is 0.
 *
 * cJSON reads the JSON form.  A JSON value holding a NUL character, raw
 * or as \u0000, is GA_TOKEN_ERR_JSON: cJSON strings end at a NUL, so such
 * a value cannot be read as it was written.  When a member is repeated,
 * the first one counts.
 */
int ga_token_parse(u_char *value, size_t len, ga_token_t *tok);

/*
 * When a token stops being usable: the earlier of now + ttl_ms (the key's
 * PTTL; negative: the key has no TTL) and expires_on (0: not given), less
 * skew if skew is positive; GA_TOKEN_NEVER if neither is known.
 * GA_TOKEN_ERR_EXPIRED if that is not after now.  now must not be
 * negative.
 */
int ga_token_expires(time_t now, long long ttl_ms, time_t expires_on,
    time_t skew, time_t *expires);

/* a static message that fits "token key "..." %s" */
const char *ga_token_strerror(int rc);


#endif /* _GA_TOKEN_H_INCLUDED_ */
