
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_TYPE_H_INCLUDED_
#define _GA_TYPE_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


/*
 * Media types as declared by a client ("Image/PNG; name=x"): the essence
 * type "/" subtype, both RFC 9110 tokens, surrounding spaces and tabs and
 * any parameters ignored, compared ASCII case-insensitively.
 */

typedef struct {
    const u_char  *type;
    size_t         type_len;
    const u_char  *subtype;
    size_t         subtype_len;
} ga_type_t;


/*
 * Splits a declared type into *t (pointing into s).  Returns 1, or 0 if
 * it is malformed: empty, no '/', an empty part, a byte that is not a
 * token character.
 */
int ga_type_parse(const u_char *s, size_t len, ga_type_t *t);

/*
 * The form of a declared type that is forwarded to Graph and judged:
 * "type/subtype" in lower case, and for the text types the charset
 * parameter, if it is given once as a token of at most GA_TYPE_CHARSET_MAX
 * bytes, as "; charset=" and the value in lower case.  Every other
 * parameter is
 * dropped ("text/csv; name=payload.exe" names a second file that no rule
 * judged).  out must have room for len + 1 bytes.  Returns the length
 * written, 0 if the type is malformed (ga_type_parse()).
 */
size_t ga_type_normalize(const u_char *s, size_t len, u_char *out);

#define GA_TYPE_CHARSET_MAX  40

/*
 * 1 if the type matches the pattern (graph_attach_allow_types): a type
 * "image/png", a type with the subtype '*' (all images), or '*' '/' '*'
 * (everything).  A malformed type matches nothing, not even the last; a
 * malformed pattern matches nothing either: "image", "", a type '*' with
 * a subtype other than '*'.
 */
int ga_type_match(const u_char *type, size_t type_len,
    const u_char *pattern, size_t pattern_len);

/*
 * A conventional extension for the type, without the dot, for naming an
 * attachment whose name sanitised to nothing: the first extension of its
 * entry in the table of ga_type_ext.c, "pdf" for application/pdf; "bin"
 * for a type with no entry that names, or a malformed one.  Never an
 * extension of ga_name_default_deny.
 */
const char *ga_type_extension(const u_char *type, size_t type_len);


#endif /* _GA_TYPE_H_INCLUDED_ */
