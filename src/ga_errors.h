
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_ERRORS_H_INCLUDED_
#define _GA_ERRORS_H_INCLUDED_


#include <stddef.h>


/*
 * Every error the module answers, and every code it gives a response
 * nginx made itself: one table, so that docs/errors.md can be checked
 * against it (t/unit/test_errors.c).  Clients branch on the code; the
 * message is for people.
 */

typedef enum {
    GA_ERR_NONE = 0,

    /* before the body is read */
    GA_ERR_METHOD_NOT_ALLOWED,
    GA_ERR_UNSUPPORTED_PATH,
    GA_ERR_BAD_PATH_SEGMENT,
    GA_ERR_PATH_TOO_LONG,
    GA_ERR_USER_EMPTY,
    GA_ERR_USER_NOT_MAILBOX,
    GA_ERR_MAILBOX_NOT_ALLOWED,
    GA_ERR_NOT_MULTIPART,
    GA_ERR_NO_BOUNDARY,
    GA_ERR_TWO_BOUNDARIES,
    GA_ERR_BAD_BOUNDARY,
    GA_ERR_CONTENT_ENCODING,
    GA_ERR_MISSING_BODY,
    GA_ERR_UPLOAD_TOO_LARGE,
    GA_ERR_MISCONFIGURED,

    /* the multipart body */
    GA_ERR_NO_DELIMITER,
    GA_ERR_TRUNCATED,
    GA_ERR_PART_HEADER_TOO_LONG,
    GA_ERR_TOO_MANY_PART_HEADERS,
    GA_ERR_BAD_PART_HEADER,
    GA_ERR_BAD_MULTIPART,

    /* the form */
    GA_ERR_TOO_MANY_FIELDS,
    GA_ERR_TWO_DISPOSITIONS,
    GA_ERR_TWO_PART_TYPES,
    GA_ERR_NO_DISPOSITION,
    GA_ERR_DISPOSITION_PARAM_REPEATED,
    GA_ERR_NOT_FORM_DATA,
    GA_ERR_BAD_DISPOSITION,
    GA_ERR_BAD_FILENAME,
    GA_ERR_TRANSFER_ENCODING,
    GA_ERR_PART_TYPE_NOT_PRINTABLE,
    GA_ERR_PART_TYPE_NOT_MEDIA_TYPE,
    GA_ERR_FIELD_NAMED_FILENAME,
    GA_ERR_FIELD_REPEATED,
    GA_ERR_FIELD_TOO_LONG,
    GA_ERR_NAME_NOT_UTF8,
    GA_ERR_NAME_ENCODED_WORD,
    GA_ERR_FIELD_TYPE_NOT_PRINTABLE,
    GA_ERR_FIELD_TYPE_NOT_MEDIA_TYPE,
    GA_ERR_FIELD_IS_INLINE,
    GA_ERR_FIELD_CONTENT_ID,
    GA_ERR_TOO_MANY_FILES,
    GA_ERR_NO_FILE_PART,
    GA_ERR_EMPTY_FILE,
    GA_ERR_FILE_TOO_LARGE,
    GA_ERR_FILE_NEEDS_SESSION,

    /* the policy, on the complete form */
    GA_ERR_TYPE_NOT_ALLOWED,
    GA_ERR_EXTENSION_NOT_ALLOWED,
    GA_ERR_CONTENT_MISMATCH,

    /* the token, the gateway */
    GA_ERR_TOKEN_UNAVAILABLE,
    GA_ERR_BODY_NOT_READ,
    GA_ERR_OUT_OF_MEMORY,

    /* upload sessions */
    GA_ERR_UPLOAD_HOST,
    GA_ERR_UPLOAD_FAILED,
    GA_ERR_BAD_UPLOAD_SESSION,
    GA_ERR_UPLOAD_OUTCOME_UNKNOWN,

    /* several files */
    GA_ERR_ATTACH_FAILED,
    GA_ERR_ATTACH_OUTCOME_UNKNOWN,
    GA_ERR_ATTACH_UNDO_FAILED,

    /* item attachments: the "item" field (ga_item.h) */
    GA_ERR_ITEM_EMPTY,
    GA_ERR_ITEM_TOO_LARGE,
    GA_ERR_ITEM_NOT_UTF8,
    GA_ERR_ITEM_SYNTAX,
    GA_ERR_ITEM_COMMENT,
    GA_ERR_ITEM_NAN,
    GA_ERR_ITEM_NUMBER,
    GA_ERR_ITEM_CONTROL,
    GA_ERR_ITEM_SURROGATE,
    GA_ERR_ITEM_NUL,
    GA_ERR_ITEM_TRAILING,
    GA_ERR_ITEM_NOT_OBJECT,
    GA_ERR_ITEM_TOO_DEEP,
    GA_ERR_ITEM_TOO_MANY_MEMBERS,
    GA_ERR_ITEM_DUPLICATE,
    GA_ERR_ITEM_NO_TYPE,
    GA_ERR_ITEM_UNKNOWN_TYPE,
    GA_ERR_ITEM_PART_TYPE,
    GA_ERR_FIELD_NOT_FOR_ITEM,

    /* the graph_attach_metrics location */
    GA_ERR_METRICS_METHOD,

    /* responses nginx made itself, by status */
    GA_ERR_NGINX_BAD_REQUEST,
    GA_ERR_NGINX_FORBIDDEN,
    GA_ERR_NGINX_NOT_FOUND,
    GA_ERR_NGINX_TIMEOUT,
    GA_ERR_NGINX_TOO_MANY_REQUESTS,
    GA_ERR_INTERNAL,
    GA_ERR_NGINX_BAD_GATEWAY,
    GA_ERR_NGINX_UNAVAILABLE,
    GA_ERR_NGINX_GATEWAY_TIMEOUT,
    GA_ERR_NGINX_OTHER,

    GA_ERR_LAST
} ga_err_e;


typedef struct {
    unsigned     status;          /* 0: the response's own (NGINX_OTHER) */
    const char  *code;
    const char  *message;
} ga_error_t;


/* the entry of e; GA_ERR_NONE and out-of-range values give status 0 */
const ga_error_t *ga_error(ga_err_e e);

/*
 * The code for a response nginx made itself with this status: one of
 * the nginx rows, or the rows of the module's own that share their
 * message (405, 413, 414); GA_ERR_NGINX_OTHER for any other status.
 */
ga_err_e ga_error_for_status(unsigned status);

/*
 * The answer to a multipart parser error (GA_MP_ERR_*) that no callback
 * explained: the client's malformed body, 400; but GA_MP_ERR_CALLBACK,
 * a callback that failed without saying why (memory, the digest, an
 * output buffer), is the gateway's fault, 500.
 */
ga_err_e ga_error_for_multipart(int rc);


#endif /* _GA_ERRORS_H_INCLUDED_ */
