
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _UNIT_H_INCLUDED_
#define _UNIT_H_INCLUDED_


/* What the unit tests share beyond TAP (tap.h). */

#include <string.h>

#include "ga_name.h"


/* 1 if ext (lower case, no dot) is on the default deny list */

static inline int
default_denied(const char *ext)
{
    const char  **d;

    for (d = ga_name_default_deny; *d; d++) {
        if (strcmp(*d, ext) == 0) {
            return 1;
        }
    }

    return 0;
}


#endif /* _UNIT_H_INCLUDED_ */
