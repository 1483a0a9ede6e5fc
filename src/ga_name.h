
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_NAME_H_INCLUDED_
#define _GA_NAME_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


/* the longest sanitised name, in bytes (NTFS and most file systems) */
#define GA_NAME_MAX      255

/* a last ".ext" longer than this is not kept when a name is shortened */
#define GA_NAME_EXT_MAX  32


/*
 * Attachment names: what Graph gets and what the extension rules judge.
 *
 * ga_name_sanitize() turns a decoded file name (UTF-8) into a safe name:
 *   1. '/' and '\' at the end are dropped, then only the part after the
 *      last '/' or '\' is kept;
 *   2. every character ga_utf8_invisible() names (controls, line and
 *      paragraph separators, format characters such as U+202E and the
 *      soft hyphen, default-ignorable code points) is dropped, and so is
 *      any byte that is not part of valid UTF-8;
 *   3. leading spaces, trailing spaces and trailing dots are dropped;
 *   4. a name longer than GA_NAME_MAX bytes is cut on a character
 *      boundary, keeping its last extension if that is at most
 *      GA_NAME_EXT_MAX bytes;
 *   5. "." and ".." become empty.
 * out must have room for len bytes; out may be in (in place).  Returns the
 * length of the result, 0 if nothing is left: the caller then names the
 * attachment "attachment." plus ga_type_extension().
 */
size_t ga_name_sanitize(const u_char *in, size_t len, u_char *out);

/*
 * The last extension of name, without the dot, ignoring trailing dots and
 * spaces as Windows does; NULL if the name has none ("a", "a.", "").
 * A leading dot counts: ".exe" has the extension "exe".
 */
const u_char *ga_name_extension(const u_char *name, size_t len,
    size_t *ext_len);


/*
 * The default graph_attach_deny_extensions list: lower case, no dots,
 * NULL-terminated.  See ga_name.c for its source.
 */
extern const char  *ga_name_default_deny[];


#endif /* _GA_NAME_H_INCLUDED_ */
