
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_TYPE_EXT_H_INCLUDED_
#define _GA_TYPE_EXT_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


/*
 * The type to extension table of docs/security.md: the extensions each
 * media type maps to, lower case, without the dot.  It has two readers,
 * and an entry says which may use it:
 */

/* ga_type_extension(): the first extension names an unnamed attachment */
#define GA_TYPE_EXT_NAMES  0x01

/* ga_ext_for_type(): graph_attach_allow_types binds names to the list */
#define GA_TYPE_EXT_BINDS  0x02


/*
 * The extensions (NULL-terminated) of the type's entry if that entry is
 * for use (GA_TYPE_EXT_NAMES or GA_TYPE_EXT_BINDS); NULL if it is not, if
 * the type has no entry or if it is malformed.  The type is matched ASCII
 * case-insensitively, without its parameters.
 */
const char *const *ga_type_ext_lookup(const u_char *type, size_t len,
    unsigned use);


#endif /* _GA_TYPE_EXT_H_INCLUDED_ */
