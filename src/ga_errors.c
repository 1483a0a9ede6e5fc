
/*
 * Copyright (C) graph-attach authors
 */


#include "ga_errors.h"
#include "ga_multipart.h"


#define GA_ERR_413_MESSAGE                                                    \
    "The upload is larger than this gateway accepts (graph_attach_max_size)."


static const ga_error_t  ga_errors[GA_ERR_LAST] = {

    [GA_ERR_NONE] = { 0, "", "" },

    [GA_ERR_METHOD_NOT_ALLOWED] = { 405, "MethodNotAllowed",
        "Only POST creates an attachment." },
    [GA_ERR_UNSUPPORTED_PATH] = { 404, "UnsupportedPath",
        "Attachments are created at users/{mailbox}/messages/{id}/attachments "
        "or users/{mailbox}/events/{id}/attachments." },
    [GA_ERR_BAD_PATH_SEGMENT] = { 400, "InvalidPathSegment",
        "A path segment is empty, \".\" or \"..\", or contains \"/\", "
        "\"\\\" or a control character." },
    [GA_ERR_PATH_TOO_LONG] = { 414, "InvalidPathSegment",
        "The request path is too long." },
    [GA_ERR_USER_EMPTY] = { 403, "MailboxNotResolved",
        "No mailbox is known for the authenticated user: /me stands for "
        "nothing (graph_attach_user is empty)." },
    [GA_ERR_USER_NOT_MAILBOX] = { 403, "MailboxNotResolved",
        "The authenticated user does not name a mailbox (a user principal "
        "name or an object id): /me stands for nothing." },
    [GA_ERR_MAILBOX_NOT_ALLOWED] = { 403, "MailboxNotAllowed",
        "This gateway may not attach files in that mailbox." },
    [GA_ERR_NOT_MULTIPART] = { 415, "UnsupportedMediaType",
        "The request must be multipart/form-data." },
    [GA_ERR_NO_BOUNDARY] = { 400, "InvalidBoundary",
        "The Content-Type has no boundary." },
    [GA_ERR_TWO_BOUNDARIES] = { 400, "InvalidBoundary",
        "The Content-Type has more than one boundary." },
    [GA_ERR_BAD_BOUNDARY] = { 400, "InvalidBoundary",
        "The multipart boundary is not valid (RFC 2046: 1 to 70 "
        "characters)." },
    [GA_ERR_CONTENT_ENCODING] = { 415, "UnsupportedMediaType",
        "A compressed request body (Content-Encoding) is not accepted." },
    [GA_ERR_MISSING_BODY] = { 400, "MissingBody",
        "The request has no body." },
    [GA_ERR_UPLOAD_TOO_LARGE] = { 413, "AttachmentTooLarge",
        GA_ERR_413_MESSAGE },
    [GA_ERR_MISCONFIGURED] = { 500, "InternalError",
        "The gateway is misconfigured." },

    [GA_ERR_NO_DELIMITER] = { 400, "InvalidMultipart",
        "The body has no delimiter with the declared boundary." },
    [GA_ERR_TRUNCATED] = { 400, "TruncatedBody",
        "The body ends before the closing multipart delimiter." },
    [GA_ERR_PART_HEADER_TOO_LONG] = { 400, "PartHeaderTooLarge",
        "A part header line is too long." },
    [GA_ERR_TOO_MANY_PART_HEADERS] = { 400, "PartHeaderTooLarge",
        "A part has too many header lines." },
    [GA_ERR_BAD_PART_HEADER] = { 400, "InvalidPartHeader",
        "A part header is malformed." },
    [GA_ERR_BAD_MULTIPART] = { 400, "InvalidMultipart",
        "The multipart body is malformed." },

    [GA_ERR_TOO_MANY_FIELDS] = { 400, "TooManyFields",
        "The form has too many fields." },
    [GA_ERR_TWO_DISPOSITIONS] = { 400, "InvalidPartHeader",
        "A part has two Content-Disposition headers." },
    [GA_ERR_TWO_PART_TYPES] = { 400, "InvalidPartHeader",
        "A part has two Content-Type headers." },
    [GA_ERR_NO_DISPOSITION] = { 400, "InvalidPartHeader",
        "A part has no Content-Disposition." },
    [GA_ERR_DISPOSITION_PARAM_REPEATED] = { 400, "InvalidPartHeader",
        "A Content-Disposition parameter is repeated." },
    [GA_ERR_NOT_FORM_DATA] = { 400, "InvalidPartHeader",
        "A part's Content-Disposition is not form-data." },
    [GA_ERR_BAD_DISPOSITION] = { 400, "InvalidPartHeader",
        "A part's Content-Disposition is malformed." },
    [GA_ERR_BAD_FILENAME] = { 400, "InvalidFileName",
        "A field name or filename is not valid (bad encoding, not UTF-8, "
        "or a raw control character)." },
    [GA_ERR_TRANSFER_ENCODING] = { 400, "UnsupportedTransferEncoding",
        "Content-Transfer-Encoding other than binary, 8bit or 7bit is not "
        "accepted." },
    [GA_ERR_PART_TYPE_NOT_PRINTABLE] = { 400, "InvalidContentType",
        "The file part's Content-Type is empty, too long or not printable "
        "ASCII." },
    [GA_ERR_PART_TYPE_NOT_MEDIA_TYPE] = { 400, "InvalidContentType",
        "The file part's Content-Type is not a media type (type/subtype)." },
    [GA_ERR_FIELD_NAMED_FILENAME] = { 400, "InvalidField",
        "A form field may not be named \"filename\"; the \"name\" field "
        "names the attachment." },
    [GA_ERR_FIELD_REPEATED] = { 400, "InvalidField",
        "A form field (name, contentType, isInline or contentId) is "
        "repeated." },
    [GA_ERR_FIELD_TOO_LONG] = { 400, "InvalidField",
        "A form field is too long." },
    [GA_ERR_NAME_NOT_UTF8] = { 400, "InvalidFileName",
        "The attachment name is not valid UTF-8." },
    [GA_ERR_NAME_ENCODED_WORD] = { 400, "InvalidFileName",
        "The attachment name holds an RFC 2047 encoded word "
        "(=?charset?B|Q?...?=); send the name as UTF-8." },
    [GA_ERR_FIELD_TYPE_NOT_PRINTABLE] = { 400, "InvalidField",
        "The contentType field is empty, too long or not printable "
        "ASCII." },
    [GA_ERR_FIELD_TYPE_NOT_MEDIA_TYPE] = { 400, "InvalidField",
        "The contentType field is not a media type (type/subtype)." },
    [GA_ERR_FIELD_IS_INLINE] = { 400, "InvalidField",
        "The isInline field must be true or false." },
    [GA_ERR_FIELD_CONTENT_ID] = { 400, "InvalidField",
        "The contentId field must be 1 to 250 printable ASCII characters "
        "(RFC 2392), without spaces." },
    [GA_ERR_TOO_MANY_FILES] = { 400, "TooManyFiles",
        "The form has more than one file part; send one file per "
        "request." },
    [GA_ERR_NO_FILE_PART] = { 400, "NoFilePart",
        "The form has no file part (a part with a filename)." },
    [GA_ERR_EMPTY_FILE] = { 400, "EmptyFile",
        "The file is empty." },
    [GA_ERR_FILE_TOO_LARGE] = { 413, "AttachmentTooLarge",
        "The file is larger than this gateway accepts "
        "(graph_attach_max_size)." },

    [GA_ERR_FILE_NEEDS_SESSION] = { 413, "AttachmentTooLarge",
        "The file needs an upload session, which this gateway has not "
        "enabled (graph_attach_upload)." },

    [GA_ERR_TYPE_NOT_ALLOWED] = { 415, "AttachmentTypeNotAllowed",
        "This content type may not be attached here." },
    [GA_ERR_EXTENSION_NOT_ALLOWED] = { 415, "ExtensionNotAllowed",
        "Files with this extension may not be attached." },
    [GA_ERR_CONTENT_MISMATCH] = { 415, "ContentMismatch",
        "The file's content does not match its declared type or "
        "extension." },

    [GA_ERR_TOKEN_UNAVAILABLE] = { 503, "TokenUnavailable",
        "No service token is available for this mailbox; retry later." },
    [GA_ERR_BODY_NOT_READ] = { 500, "InternalError",
        "The request body was not read." },
    [GA_ERR_OUT_OF_MEMORY] = { 500, "InternalError",
        "Out of memory." },

    [GA_ERR_UPLOAD_HOST] = { 502, "UploadHostNotAllowed",
        "Microsoft Graph named an upload host this gateway may not send to "
        "(graph_attach_upload_hosts)." },
    [GA_ERR_UPLOAD_FAILED] = { 502, "UploadFailed",
        "The upload session to Microsoft Graph failed." },
    [GA_ERR_BAD_UPLOAD_SESSION] = { 502, "BadUploadSession",
        "Microsoft Graph answered the upload session with something this "
        "gateway could not read." },

    [GA_ERR_UPLOAD_OUTCOME_UNKNOWN] = { 502, "UploadOutcomeUnknown",
        "Microsoft Graph's answer to the last range was lost, and the file "
        "may be attached: look before sending it again." },
    [GA_ERR_ATTACH_FAILED] = { 502, "AttachFailed",
        "Microsoft Graph refused to add an attachment for now; none of this "
        "upload's files is attached." },
    [GA_ERR_ATTACH_UNDO_FAILED] = { 502, "AttachUndoFailed",
        "An attachment of this upload failed, and attachments made before "
        "it could not be deleted again (innerError.notDeleted): look before "
        "sending it again." },
    [GA_ERR_ATTACH_OUTCOME_UNKNOWN] = { 502, "AttachOutcomeUnknown",
        "Microsoft Graph's answer to adding an attachment was lost, and that "
        "file may be attached: look before sending it again." },

    [GA_ERR_ITEM_EMPTY] = { 400, "InvalidItem",
        "The item field is empty." },
    [GA_ERR_ITEM_TOO_LARGE] = { 400, "InvalidItem",
        "The item is larger than this gateway accepts "
        "(graph_attach_max_item_size)." },
    [GA_ERR_ITEM_NOT_UTF8] = { 400, "InvalidItem",
        "The item is not valid UTF-8." },
    [GA_ERR_ITEM_SYNTAX] = { 400, "InvalidItem",
        "The item is not JSON (RFC 8259)." },
    [GA_ERR_ITEM_COMMENT] = { 400, "InvalidItem",
        "The item holds a comment, which JSON does not allow." },
    [GA_ERR_ITEM_NAN] = { 400, "InvalidItem",
        "The item holds NaN or Infinity, which JSON does not allow." },
    [GA_ERR_ITEM_NUMBER] = { 400, "InvalidItem",
        "The item holds a number too large for a double." },
    [GA_ERR_ITEM_CONTROL] = { 400, "InvalidItem",
        "A string in the item holds a raw control character; escape it." },
    [GA_ERR_ITEM_SURROGATE] = { 400, "InvalidItem",
        "A string in the item holds an unpaired UTF-16 surrogate escape "
        "(U+D800 to U+DFFF)." },
    [GA_ERR_ITEM_NUL] = { 400, "InvalidItem",
        "A string or member name in the item holds U+0000." },
    [GA_ERR_ITEM_TRAILING] = { 400, "InvalidItem",
        "The item has more after its JSON value." },
    [GA_ERR_ITEM_NOT_OBJECT] = { 400, "InvalidItem",
        "The item is not a JSON object." },
    [GA_ERR_ITEM_TOO_DEEP] = { 400, "InvalidItem",
        "The item is nested more than 32 levels deep." },
    [GA_ERR_ITEM_TOO_MANY_MEMBERS] = { 400, "InvalidItem",
        "The item has more than 10000 members and array elements, all "
        "levels counted." },
    [GA_ERR_ITEM_DUPLICATE] = { 400, "InvalidItem",
        "An object in the item has two members of the same name." },
    [GA_ERR_ITEM_NO_TYPE] = { 400, "InvalidItem",
        "The item has no @odata.type string." },
    [GA_ERR_ITEM_UNKNOWN_TYPE] = { 400, "InvalidItem",
        "The item's @odata.type is not #microsoft.graph.message, "
        "#microsoft.graph.event or #microsoft.graph.contact." },
    [GA_ERR_ITEM_PART_TYPE] = { 400, "InvalidItem",
        "The item part's Content-Type is not application/json." },
    [GA_ERR_FIELD_NOT_FOR_ITEM] = { 400, "InvalidField",
        "The contentType, isInline and contentId fields are for files, "
        "not for an item." },

    [GA_ERR_METRICS_METHOD] = { 405, "MethodNotAllowed",
        "The metrics are read with GET or HEAD." },

    [GA_ERR_NGINX_BAD_REQUEST] = { 400, "BadRequest",
        "The request could not be read." },
    [GA_ERR_NGINX_FORBIDDEN] = { 403, "Forbidden",
        "Access to this gateway is denied." },
    [GA_ERR_NGINX_NOT_FOUND] = { 404, "UnsupportedPath",
        "Nothing is served at this path." },
    [GA_ERR_NGINX_TIMEOUT] = { 408, "RequestTimeout",
        "The request body did not arrive in time." },
    [GA_ERR_NGINX_TOO_MANY_REQUESTS] = { 429, "TooManyRequests",
        "Too many requests; retry later." },
    [GA_ERR_INTERNAL] = { 500, "InternalError",
        "The gateway failed to process the request." },
    [GA_ERR_NGINX_BAD_GATEWAY] = { 502, "BadGateway",
        "Microsoft Graph could not be reached." },
    [GA_ERR_NGINX_UNAVAILABLE] = { 503, "ServiceUnavailable",
        "The gateway is unavailable; retry later." },
    [GA_ERR_NGINX_GATEWAY_TIMEOUT] = { 504, "GatewayTimeout",
        "Microsoft Graph did not answer in time." },
    [GA_ERR_NGINX_OTHER] = { 0, "RequestFailed",
        "The request failed." },
};


/* what a response nginx made itself is called, by its status */

static const ga_err_e  ga_errors_nginx[] = {
    GA_ERR_NGINX_BAD_REQUEST,
    GA_ERR_NGINX_FORBIDDEN,
    GA_ERR_NGINX_NOT_FOUND,
    GA_ERR_METHOD_NOT_ALLOWED,
    GA_ERR_NGINX_TIMEOUT,
    GA_ERR_UPLOAD_TOO_LARGE,
    GA_ERR_PATH_TOO_LONG,
    GA_ERR_NGINX_TOO_MANY_REQUESTS,
    GA_ERR_INTERNAL,
    GA_ERR_NGINX_BAD_GATEWAY,
    GA_ERR_NGINX_UNAVAILABLE,
    GA_ERR_NGINX_GATEWAY_TIMEOUT
};


const ga_error_t *
ga_error(ga_err_e e)
{
    if ((unsigned) e >= GA_ERR_LAST) {
        e = GA_ERR_NONE;
    }

    return &ga_errors[e];
}


ga_err_e
ga_error_for_status(unsigned status)
{
    size_t  i;

    for (i = 0; i < sizeof(ga_errors_nginx) / sizeof(ga_errors_nginx[0]);
         i++)
    {
        if (ga_errors[ga_errors_nginx[i]].status == status) {
            return ga_errors_nginx[i];
        }
    }

    return GA_ERR_NGINX_OTHER;
}


ga_err_e
ga_error_for_multipart(int rc)
{
    switch (rc) {

    case GA_MP_ERR_NO_DELIMITER:
        return GA_ERR_NO_DELIMITER;

    case GA_MP_ERR_TRUNCATED:
        return GA_ERR_TRUNCATED;

    case GA_MP_ERR_HEADER_TOO_LARGE:
        return GA_ERR_PART_HEADER_TOO_LONG;

    case GA_MP_ERR_TOO_MANY_HEADERS:
        return GA_ERR_TOO_MANY_PART_HEADERS;

    case GA_MP_ERR_BAD_HEADER:
        return GA_ERR_BAD_PART_HEADER;

    case GA_MP_ERR_CALLBACK:
        return GA_ERR_INTERNAL;

    default:
        return GA_ERR_BAD_MULTIPART;
    }
}
