
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_UPLOAD_H_INCLUDED_
#define _GA_UPLOAD_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>


/*
 * What an upload session (docs/graph-api: createUploadSession, PUT of
 * ranges) needs to read from Graph and to write to it, apart from nginx:
 * the uploadUrl and its origin, nextExpectedRanges, the attachment id in
 * the final Location, the Content-Range of a PUT and the AttachmentItem
 * of the create call.  Everything read here comes from the network, so
 * every parser bounds what it takes and refuses what it does not know.
 */


#define GA_UPLOAD_URL_MAX        4096
#define GA_UPLOAD_ID_MAX         512
#define GA_UPLOAD_RESPONSE_MAX   65536

/* "bytes " and three 64-bit numbers: room for ga_upload_content_range() */
#define GA_UPLOAD_RANGE_LEN      (sizeof("bytes -/") - 1 + 3 * 20)


enum {
    GA_UPLOAD_OK = 0,
    GA_UPLOAD_ERR_URL = -1,
    GA_UPLOAD_ERR_JSON = -2,
    GA_UPLOAD_ERR_RANGE = -3,
    GA_UPLOAD_ERR_LOCATION = -4
};


typedef struct {
    unsigned        https:1;
    const u_char   *host;          /* a name, IPv4, or [IPv6], as sent */
    size_t          host_len;
    uint16_t        port;          /* 443 or 80 when not given */
    const u_char   *path;          /* from the '/', query included */
    size_t          path_len;
} ga_upload_url_t;


/*
 * An absolute http or https URL: scheme "://" host [":" port] path, the
 * host a DNS name (letters, digits, '-', '.'), an IPv4 address or an IPv6
 * literal in brackets; no user information, no fragment; the path and
 * query printable ASCII of RFC 3986 with well-formed %XX; at most
 * GA_UPLOAD_URL_MAX bytes.  With origin set, the URL must have no path
 * (a graph_attach_upload_hosts entry: "https://outlook.office.com").
 */
int ga_upload_url_parse(const u_char *url, size_t len, int origin,
    ga_upload_url_t *u);

/* 1 if u has the scheme, host (case-insensitively) and port of origin */
int ga_upload_same_origin(const ga_upload_url_t *u,
    const ga_upload_url_t *origin);

/*
 * The answer to createUploadSession: its "uploadUrl" (a valid URL,
 * copied to url, room GA_UPLOAD_URL_MAX) and the first offset of its
 * "nextExpectedRanges" (0 when there is none), which must be 0: a new
 * session starts at the file's first byte.  Member names are matched
 * case-insensitively: Outlook writes both camelCase and PascalCase.
 */
int ga_upload_session_parse(const u_char *json, size_t len, u_char *url,
    size_t *url_len, int64_t *next);

/*
 * The offset a 200 to a PUT asks for next: the start of the first of its
 * "nextExpectedRanges", written "N", "N-" or "N-M", below total.
 */
int ga_upload_next_range(const u_char *json, size_t len, int64_t total,
    int64_t *next);

/*
 * The attachment id in the Location of the final PUT's 201:
 * ".../Attachments('<id>')", the name in any case, the id 1 to
 * GA_UPLOAD_ID_MAX bytes of A-Z a-z 0-9 - _ = + /.  *id points into
 * location.
 */
int ga_upload_attachment_id(const u_char *location, size_t len,
    const u_char **id, size_t *id_len);

/*
 * An attachment id as Graph hands them out: 1 to GA_UPLOAD_ID_MAX bytes
 * of A-Z a-z 0-9 - _ = + /, never a path segment such as "." or ".."
 */
int ga_upload_id_valid(const u_char *id, size_t len);

/* "bytes start-end/total" into buf (GA_UPLOAD_RANGE_LEN); the length */
size_t ga_upload_content_range(u_char *buf, int64_t start, int64_t end,
    int64_t total);

/*
 * The createUploadSession body:
 * {"AttachmentItem":{"attachmentType":"file","name":...,"size":...,
 *  "contentType":...,"isInline":...[,"contentId":...]}}, strings escaped
 * by ga_json_escape().  ga_upload_item_len() gives the room it takes;
 * content_id may be NULL.
 */
size_t ga_upload_item_len(const u_char *name, size_t name_len,
    const u_char *type, size_t type_len, const u_char *cid, size_t cid_len);
u_char *ga_upload_item(u_char *out, const u_char *name, size_t name_len,
    const u_char *type, size_t type_len, int64_t size, int is_inline,
    const u_char *cid, size_t cid_len);


#endif /* _GA_UPLOAD_H_INCLUDED_ */
