
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_HEADER_PARAMS_H_INCLUDED_
#define _GA_HEADER_PARAMS_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>

#include "ga_multipart.h"


/*
 * MIME header parameters (RFC 2045 token / quoted-string, RFC 2183,
 * RFC 7578): the request Content-Type and a part's Content-Disposition.
 */


enum {
    GA_HP_OK = 0,
    GA_HP_ERR_SYNTAX = -1,
    GA_HP_ERR_NOT_MULTIPART = -2,
    GA_HP_ERR_NO_BOUNDARY = -3,
    GA_HP_ERR_BAD_BOUNDARY = -4,
    GA_HP_ERR_DUPLICATE = -5,
    GA_HP_ERR_NOT_FORM_DATA = -6,
    GA_HP_ERR_BAD_VALUE = -7
};


/*
 * Content-Type value -> boundary, copied into boundary (room for
 * GA_MP_MAX_BOUNDARY bytes, what the parser takes), unquoted, validated
 * against RFC 2046 bchars.
 */
int ga_content_type_boundary(const u_char *value, size_t len,
    u_char *boundary, size_t *boundary_len);


typedef struct {
    const u_char  *name;
    size_t         name_len;
    int            has_name;
    u_char        *filename;
    size_t         filename_len;
    /* filename or filename* present, even empty */
    int            has_filename;
} ga_disposition_t;


/*
 * Part Content-Disposition value.  The decoded name and filename are
 * written into buf (buf_size bytes) and d points into it.  buf needs
 * room for the raw name value plus the raw filename value, or twice the
 * raw filename* value if that is larger; GA_HP_ERR_BAD_VALUE if not.
 */
int ga_disposition_parse(const u_char *value, size_t len,
    ga_disposition_t *d, u_char *buf, size_t buf_size);


#endif /* _GA_HEADER_PARAMS_H_INCLUDED_ */
