
/*
 * Copyright (C) graph-attach authors
 */


#ifndef _GA_SNIFF_H_INCLUDED_
#define _GA_SNIFF_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


/*
 * The bytes the caller keeps from the start of the file for ga_sniff():
 * every signature lies within them, so a longer head says no more.
 */
#define GA_SNIFF_HEAD  64


enum {
    GA_SNIFF_UNKNOWN = 0,
    GA_SNIFF_PE,                  /* "MZ": PE or DOS executable */
    GA_SNIFF_ELF,
    GA_SNIFF_MACHO,               /* thin or fat, either byte order */
    GA_SNIFF_SCRIPT,              /* "#!" */
    GA_SNIFF_PDF,
    GA_SNIFF_PNG,
    GA_SNIFF_JPEG,
    GA_SNIFF_GIF,
    GA_SNIFF_ZIP,                 /* OOXML, ODF, jar, apk, epub, ... */
    GA_SNIFF_OLE,                 /* legacy Office, msg, msi, encrypted
                                     OOXML */
    GA_SNIFF_GZIP,
    GA_SNIFF_RTF,
    GA_SNIFF_WEBP,
    GA_SNIFF_BMP,
    GA_SNIFF_TIFF,
    GA_SNIFF_CLASS,               /* Java class: 0xCAFEBABE, as fat
                                     Mach-O, told apart by the version */
    GA_SNIFF_LAST
};


/*
 * The format the first len bytes of a file say it is, from magic numbers
 * at offset 0; never reads past len.  GA_SNIFF_UNKNOWN when nothing is
 * recognised, or when len is too short to tell.
 */
int ga_sniff(const u_char *head, size_t len);

/* 1 for PE, ELF, Mach-O, "#!" scripts and Java classes */
int ga_sniff_executable(int kind);

/* "PE executable", "PDF", ...: for log lines; "unknown" if out of range */
const char *ga_sniff_name(int kind);

/*
 * 1 if the sniffed kind contradicts the declared content type (any case,
 * parameters ignored; NULL or empty if none) or the extension of the name
 * (without the dot; NULL or empty if none).  The rules are the table in
 * ga_sniff.c.  GA_SNIFF_UNKNOWN never mismatches.
 */
int ga_sniff_mismatch(int kind, const u_char *type, size_t type_len,
    const u_char *ext, size_t ext_len);


#endif /* _GA_SNIFF_H_INCLUDED_ */
