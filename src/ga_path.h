
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_PATH_H_INCLUDED_
#define _GA_PATH_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


/*
 * The Graph target grammar: the raw request path under the location prefix
 * becomes a canonical upstream path such as
 * "/v1.0/users/alice@contoso.com/messages/AAMk=/attachments", rebuilt from
 * validated segments so that nothing in a segment can turn the request into
 * another Graph call.
 */

enum {
    GA_PATH_OK = 0,
    GA_PATH_NOT_FOUND = -1,       /* not a supported shape: 404 */
    GA_PATH_INVALID = -2,         /* a bad segment: 400 */
    GA_PATH_TOO_LONG = -3,        /* out (or scratch) too small: 414 */
    GA_PATH_UNRESOLVED = -4       /* /me, and me is not a mailbox: 403 */
};


enum {
    GA_PATH_MESSAGE = 1,
    GA_PATH_EVENT = 2
};


/* a variable segment longer than this, decoded, is GA_PATH_INVALID */
#define GA_PATH_MAX_SEGMENT  1024

/* the most childFolders/{c} levels accepted under mailFolders/{f} */
#define GA_PATH_MAX_DEPTH    16


typedef struct {
    int            kind;          /* GA_PATH_MESSAGE or GA_PATH_EVENT */
    const u_char  *mailbox;       /* decoded, points into scratch */
    size_t         mailbox_len;
    const char    *version;       /* "v1.0" or "beta" */
    int            me;            /* a /me path: the mailbox is me */
} ga_path_info_t;


/*
 * raw: the request path as sent, starting with '/', without the query.
 * prefix: the location name, decoded ("/graph/", "/graph", "/"), or NULL
 * for a regex location: then the Graph path starts at the first segment
 * equal to "v1.0", "beta" or "users".
 * me: the mailbox "/me" stands for (graph_attach_user), as it is, not
 * percent-encoded; NULL when "/me" stands for nothing, and a /me path is
 * then GA_PATH_NOT_FOUND, as any other shape that is not supported.  A
 * /me path is sent as "users/{me}"; with a me that ga_mailbox_check()
 * refuses (empty included) it is GA_PATH_UNRESOLVED.  For a regex
 * location, "me" is then also where a Graph path may start.
 * scratch: raw_len bytes suffice; out: 3 * (raw_len + me_len) + 16 bytes
 * suffice.
 * out is not NUL-terminated; *out_len and *info are set on GA_PATH_OK only.
 */

int ga_path_parse(const u_char *raw, size_t raw_len, const u_char *prefix,
    size_t prefix_len, const u_char *me, size_t me_len, u_char *scratch,
    size_t scratch_size, u_char *out, size_t out_size, size_t *out_len,
    ga_path_info_t *info);


#endif /* _GA_PATH_H_INCLUDED_ */
