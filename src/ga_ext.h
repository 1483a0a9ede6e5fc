
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_EXT_H_INCLUDED_
#define _GA_EXT_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


/* a folded extension longer than this matches no list */
#define GA_EXT_MAX  64

/* names up to this long are folded whole before they are split */
#define GA_EXT_NAME_MAX  1024


typedef struct {
    size_t   len;                    /* may exceed GA_EXT_MAX */
    u_char   data[GA_EXT_MAX];
} ga_ext_t;


/*
 * Folds ext into out (room for len bytes: folding never grows): ASCII
 * upper case, and every character whose compatibility form (NFKC) or case
 * fold is ASCII, become ASCII lower case: fullwidth forms U+FF01..U+FF5E,
 * U+0130 and U+0131 (dotted and dotless i), U+017F (long s), U+212A
 * (Kelvin sign), mathematical, circled and squared letters and digits,
 * letterlike symbols, one-letter Roman numerals, superscripts, subscripts
 * and modifier letters, the ligatures U+FB00..U+FB06, and the look-alike
 * dots U+2024 and U+FE52; any other character is copied as is.  Returns
 * the length.
 */
size_t ga_ext_fold(const u_char *ext, size_t len, u_char *out);

/*
 * The extensions every rule judges, folded (ga_ext_fold), in ext[0..n-1];
 * returns n, 0 if the name has none.  The one extension function of the
 * module: trailing dots and spaces are ignored as Windows does, and a name
 * with a ':' (an NTFS stream, "a.pdf:x", "a.exe::$DATA") has two: that of
 * the part before the first ':', what Windows opens, first, and the last
 * one of the whole name, if it differs.
 */
int ga_ext_get(const u_char *name, size_t len, ga_ext_t ext[2]);

/* 1 if e equals s (folded too) */
int ga_ext_eq(const ga_ext_t *e, const u_char *s, size_t len);

/*
 * The extensions (lower case, NULL-terminated) a media type maps to, for
 * binding graph_attach_allow_types to names; NULL if the type binds none
 * in the table of ga_type_ext.c (docs/security.md).  Parameters are
 * ignored.
 */
const char *const *ga_ext_for_type(const u_char *type, size_t len);

/* 1 if e is one of the extensions ga_ext_for_type() gives for type */
int ga_ext_type_maps(const u_char *type, size_t len, const ga_ext_t *e);


#endif /* _GA_EXT_H_INCLUDED_ */
