
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_MULTIPART_H_INCLUDED_
#define _GA_MULTIPART_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


/*
 * Incremental multipart/form-data parser (RFC 2046 section 5.1.1,
 * RFC 7578).  It never allocates and never copies body bytes: a partial
 * delimiter at the end of a buffer is kept as a match index, and if the
 * match later fails the matched prefix is re-emitted from the parser's own
 * copy of the delimiter, so on_data may point into mp->delim.
 */


/* RFC 2046: 1 to 70 bchars; ga_content_type_boundary() checks them */
#define GA_MP_MAX_BOUNDARY  70


enum {
    GA_MP_OK = 0,
    GA_MP_ERR_NO_DELIMITER = -1,
    GA_MP_ERR_TRUNCATED = -2,
    GA_MP_ERR_HEADER_TOO_LARGE = -3,
    GA_MP_ERR_TOO_MANY_HEADERS = -4,
    GA_MP_ERR_BAD_HEADER = -5,
    GA_MP_ERR_BAD_DELIMITER = -6,
    GA_MP_ERR_CALLBACK = -7,
    GA_MP_ERR_STATE = -8
};


/* any pointer may be NULL; a non-zero return stops with GA_MP_ERR_CALLBACK */

typedef struct {
    int   (*on_part_begin)(void *data);
    /* one complete header line: name without the colon, value trimmed */
    int   (*on_header)(void *data, const u_char *name, size_t name_len,
              const u_char *value, size_t value_len);
    int   (*on_headers_complete)(void *data);
    /* part body bytes, any number of calls, never delimiter bytes */
    int   (*on_data)(void *data, const u_char *p, size_t len);
    int   (*on_part_end)(void *data);
    /* the closing delimiter was seen */
    int   (*on_done)(void *data);
} ga_multipart_callbacks_t;


/* all state is public so that the caller can embed it; do not touch it */

typedef struct {
    const ga_multipart_callbacks_t  *cb;
    void                            *data;

    u_char                          *hbuf;
    size_t                           hbuf_size;
    size_t                           hlen;
    size_t                           max_headers;
    size_t                           nheaders;

    size_t                           delim_len;
    size_t                           match;

    int                              state;
    int                              error;

    /* "\r\n--" boundary and its KMP failure table */
    u_char                           delim[GA_MP_MAX_BOUNDARY + 4];
    u_char                           fail[GA_MP_MAX_BOUNDARY + 5];
} ga_multipart_t;


/*
 * boundary is the bare boundary (no leading "--"), at most
 * GA_MP_MAX_BOUNDARY bytes; a longer one is cut there (validate it first
 * with ga_content_type_boundary()).  header_buf holds one header line at
 * a time; max_headers limits header lines per part, 0 means no limit.
 */
void ga_multipart_init(ga_multipart_t *mp, const u_char *boundary,
    size_t boundary_len, u_char *header_buf, size_t header_buf_size,
    size_t max_headers, const ga_multipart_callbacks_t *cb, void *data);

/* consumes all of p; errors are sticky */
int ga_multipart_execute(ga_multipart_t *mp, const u_char *p, size_t len);

/* end of body: GA_MP_OK only if the closing delimiter was seen */
int ga_multipart_finish(ga_multipart_t *mp);

const char *ga_multipart_strerror(int rc);

/* the delimiter search: AVX2 if use_simd and the CPU has it (returns 1) */
int ga_multipart_select(int use_simd);


#endif /* _GA_MULTIPART_H_INCLUDED_ */
