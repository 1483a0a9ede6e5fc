# Attachment policy (issue 3): graph_attach_mailboxes, _allow_types,
# _deny_extensions, _sniff, name sanitising and the form limits.  Every
# rule both accepts and refuses: a refusal is a Graph-shaped JSON error,
# nothing reaches the stand-in, and the keep-alive connection still serves
# a good upload; an acceptance reaches the stand-in byte for byte.

use strict;
use warnings;
use utf8 ();
use FindBin;
use lib "$FindBin::Bin/lib";
use Encode qw(encode);
use Test::More;
use Time::HiRes qw(time sleep);
use GraphAttach::Test;
use GraphAttach::Hostile;

my $t = GraphAttach::Test->new(workers => 1);
my ($p2) = GraphAttach::Test::free_ports(1);

sub loc { graph_location(@_) }

my $server = join '',
    loc('/mb/', 'graph_attach_mailboxes alice@contoso.com '
              . '"~^svc-[a-z]+@contoso\.com$" "~*@fabrikam\.com$";'),
    loc('/types/', 'graph_attach_allow_types application/pdf image/* '
                 . 'text/plain;'),
    loc('/anytype/', 'graph_attach_allow_types */*;'),
    loc('/offtypes/', 'graph_attach_allow_types off;'),
    loc('/ext/', 'graph_attach_deny_extensions .pdf ZIP;'),
    loc('/noext/', 'graph_attach_deny_extensions off;'),
    loc('/nosniff/', 'graph_attach_sniff off;'),
    loc('/limits/', 'graph_attach_part_header_size 512; '
                  . 'graph_attach_part_headers 4; graph_attach_max_fields 3;');

# A second server: lists set at server level, inherited by one location
# and replaced in another.
my $http = <<"EOF";
    server {
        listen 127.0.0.1:$p2;
        graph_attach_allow_types image/*;
        graph_attach_deny_extensions txt;
@{[ loc('/inherit/', '') ]}
@{[ loc('/replace/', 'graph_attach_allow_types text/plain; '
                   . 'graph_attach_deny_extensions png;') ]}
    }
EOF

$t->start(server => $server, http => $http);

my $token = 'eyJ0eXAi.policy-token-' . int(rand(1e9));
$GraphAttach::Hostile::TOKEN = $token;
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

sub path_for {
    my ($prefix, $mailbox) = @_;
    $mailbox //= 'alice@contoso.com';
    return "/$prefix/users/$mailbox/messages/AAMkAGI1AAA=/attachments";
}

sub file_part {
    my ($filename, $type, $data) = @_;
    return { name => 'file', filename => $filename,
             (defined $type ? (type => $type) : ()), data => $data };
}

my $pdf = pdf_bytes();
my $png = png_bytes();
my $jpeg = jpeg_bytes();

# --- graph_attach_mailboxes -----------------------------------------------

for my $c (
    [ 'exact', 'alice@contoso.com' ],
    [ 'exact, other case', 'ALICE@Contoso.COM' ],
    [ 'exact, percent-encoded @', 'alice%40contoso.com' ],
    [ '~regex', 'svc-billing@contoso.com' ],
    [ '~*regex, other case', 'Bob@FABRIKAM.com' ],
) {
    my ($label, $mb) = @$c;
    try_accepted($t, "mailbox $label", path => path_for('mb', $mb),
                 parts => [ file_part('a.txt', 'text/plain', 'mb') ],
                 want => { name => 'a.txt', type => 'text/plain',
                           data => 'mb' });
}

for my $c (
    [ 'not listed', 'bob@contoso.com' ],
    [ 'not listed, percent-encoded', 'bob%40contoso.com' ],
    [ '~regex is case-sensitive', 'SVC-billing@contoso.com' ],
    [ '~regex anchored', 'svc-billing@contoso.com.evil.example' ],
    [ 'exact is not a prefix', 'alice@contoso.com.evil.example' ],
    [ 'exact is not a suffix', 'xalice@contoso.com' ],
    [ 'user object id', '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0' ],
) {
    my ($label, $mb) = @$c;
    try_refused($t, 403, 'MailboxNotAllowed', "mailbox $label",
                path => path_for('mb', $mb),
                parts => [ file_part('a.txt', 'text/plain', 'mb') ]);
}

# default: any mailbox
try_accepted($t, 'no graph_attach_mailboxes: any mailbox',
             path => path_for('graph', 'someone@else.example'),
             parts => [ file_part('a.txt', 'text/plain', 'any') ],
             want => { name => 'a.txt', data => 'any',
                       path => '/v1.0/users/someone@else.example/messages/'
                             . 'AAMkAGI1AAA=/attachments' });

# 403 comes before the body is read: a 3 MB body is announced, 100 bytes
# are sent, and the answer still arrives at once, without 100 Continue.
for my $expect (0, 1) {
    $t->graph_clear;
    my $c = $t->connect;
    my $start = time;
    $c->send("POST " . path_for('mb', 'bob@contoso.com') . " HTTP/1.1\r\n"
             . "Host: localhost\r\n"
             . "Content-Type: multipart/form-data; boundary=b\r\n"
             . ($expect ? "Expect: 100-continue\r\n" : '')
             . "Content-Length: 3000000\r\n\r\n"
             . ($expect ? '' : "--b\r\n" . ('x' x 95)));
    my $r = $c->read_response(timeout => 3 * $t->slow, keep_1xx => 1);
    $t->seen($r);
    my $label = 'mailbox refused before the body'
              . ($expect ? ' (Expect: 100-continue)' : '');
    refused($t, $r, 403, 'MailboxNotAllowed', $label);
    cmp_ok(time - $start, '<', 2 * $t->slow, "$label: answered at once");
    $c->close;
}

# --- graph_attach_allow_types -------------------------------------------

# Graph gets the type as judged: lower case, parameters dropped but a
# text charset (issue 7)
for my $c (
    [ 'application/pdf', 'a.pdf', 'application/pdf', $pdf ],
    [ 'type case-insensitive', 'a.pdf', 'Application/PDF', $pdf,
      'application/pdf' ],
    [ 'image/* matches image/png', 'a.png', 'image/png', $png ],
    [ 'image/* matches image/gif', 'a.gif', 'image/gif', "GIF89a\1\0\1\0" ],
    [ 'parameters ignored', 'a.txt', 'text/plain; charset=utf-8', 'txt' ],
    [ 'parameters ignored, spaces', 'a.txt', 'text/plain ;format=flowed',
      'txt', 'text/plain' ],
) {
    my ($label, $fn, $type, $data, $sent) = @$c;
    try_accepted($t, "allow_types: $label", path => path_for('types'),
                 parts => [ file_part($fn, $type, $data) ],
                 want => { name => $fn, type => $sent // $type,
                           data => $data });
}

for my $c (
    [ 'application/zip', 'a.zip', 'application/zip', "PK\3\4zip" ],
    [ 'no part Content-Type (application/octet-stream)', 'a.bin', undef,
      'bin' ],
    [ 'text/* is not listed', 'a.csv', 'text/csv', 'a,b' ],
    [ 'image/* does not match imagex/png', 'a.png', 'imagex/png', $png ],
    [ 'pdf as a parameter', 'a.pdf', 'text/html; x=application/pdf', 'x' ],
) {
    my ($label, $fn, $type, $data) = @$c;
    try_refused($t, 415, 'AttachmentTypeNotAllowed', "allow_types: $label",
                path => path_for('types'),
                parts => [ file_part($fn, $type, $data) ]);
}

# a type that is not type/subtype cannot be cut down to one: refused
# whether a rule would have judged it or not
for my $p ('types', 'anytype') {
    try_refused($t, 400, 'InvalidContentType', "a bare type ($p)",
                path => path_for($p),
                parts => [ file_part('a.pdf', 'application', $pdf) ]);
}

# the contentType field overrides the part's type, and is what is judged
try_accepted($t, 'allow_types: contentType field makes it allowed',
             path => path_for('types'),
             parts => [ file_part('a.pdf', 'application/zip', $pdf),
                        { name => 'contentType', data => 'application/pdf' } ],
             want => { name => 'a.pdf', type => 'application/pdf',
                       data => $pdf });
try_refused($t, 415, 'AttachmentTypeNotAllowed',
            'allow_types: contentType field makes it refused',
            path => path_for('types'),
            parts => [ { name => 'contentType', data => 'application/zip' },
                       file_part('a.pdf', 'application/pdf', $pdf) ]);

try_accepted($t, 'allow_types */*: anything',
             path => path_for('anytype'),
             parts => [ file_part('a.xyz', 'application/x-whatever', 'w') ],
             want => { name => 'a.xyz', type => 'application/x-whatever',
                       data => 'w' });
try_accepted($t, 'allow_types default (*/*): anything',
             parts => [ file_part('a.xyz', 'application/x-whatever', 'w') ],
             want => { name => 'a.xyz', type => 'application/x-whatever',
                       data => 'w' });

# "off" turns the rule off: any type passes, as with */*
for my $type ('application/x-whatever', 'text/plain') {
    try_accepted($t, "allow_types off: $type accepted",
                 path => path_for('offtypes'),
                 parts => [ file_part('a.txt', $type, 'w') ],
                 want => { name => 'a.txt', type => $type, data => 'w' });
}

# lists at server level, inherited or replaced at location level
{
    my %p2 = (port => $p2, good_path => path_for('replace'));

    try_accepted($t, 'server-level image/* inherited: image/png',
                 port => $p2, path => path_for('inherit'),
                 parts => [ file_part('a.png', 'image/png', $png) ],
                 want => { name => 'a.png', type => 'image/png',
                           data => $png });
    try_refused($t, 415, 'AttachmentTypeNotAllowed',
                'server-level image/* inherited: text/plain refused',
                %p2, path => path_for('inherit'),
                parts => [ file_part('a.md', 'text/plain', 'md') ]);
    try_refused($t, 415, 'ExtensionNotAllowed',
                'server-level deny txt inherited',
                %p2, path => path_for('inherit'),
                parts => [ file_part('a.txt', 'image/png', $png) ]);
    # issue 7: allow_types binds the name, so a.exe is no image/png even
    # though the server's deny list replaced the default one
    try_refused($t, 415, 'AttachmentTypeNotAllowed',
                'server-level deny list replaced the default: .exe',
                %p2, path => path_for('inherit'),
                parts => [ file_part('a.exe', 'image/png', $png) ]);

    try_accepted($t, 'location list replaces server list: text/plain',
                 port => $p2, path => path_for('replace'),
                 parts => [ file_part('a.txt', 'text/plain', 'r') ],
                 want => { name => 'a.txt', type => 'text/plain',
                           data => 'r' });
    try_refused($t, 415, 'AttachmentTypeNotAllowed',
                'location list replaces server list: image/png refused',
                %p2, path => path_for('replace'),
                parts => [ file_part('a.gif', 'image/png', $png) ]);
    try_refused($t, 415, 'ExtensionNotAllowed',
                'location deny list replaces server list: .png',
                %p2, path => path_for('replace'),
                parts => [ file_part('a.png', 'text/plain', 'p') ]);
}

# --- graph_attach_deny_extensions ----------------------------------------

my $rlo = encode('UTF-8', "\x{202E}");

for my $c (
    [ 'invoice.pdf.exe', 'invoice.pdf.exe' ],
    [ 'a.EXE', 'a.EXE' ],
    [ 'trailing dot', 'a.exe.' ],
    [ 'trailing dots and spaces', 'a.exe. . ' ],
    [ 'trailing space', 'a.exe ' ],
    [ 'NTFS stream', 'a.exe::$DATA' ],
    [ 'NTFS named stream', 'a.exe:zone.txt' ],
    [ 'U+202E hiding .exe', "invoice${rlo}fdp.exe" ],
    [ 'U+202E inside the extension', "invoice.e${rlo}xe" ],
    [ 'zero-width space inside the extension',
      'a.e' . encode('UTF-8', "\x{200B}") . 'xe' ],
    [ 'directory part hides nothing', 'C:\\fakepath\\a.exe' ],
    [ 'percent-encoded (aiohttp style)', 'a%2Eexe' ],
    [ 'dll', 'x.dll' ], [ 'scr', 'x.scr' ], [ 'com', 'x.com' ],
    [ 'bat', 'x.bat' ], [ 'cmd', 'x.cmd' ], [ 'ps1', 'x.ps1' ],
    [ 'vbs', 'x.vbs' ], [ 'js', 'x.js' ], [ 'jse', 'x.jse' ],
    [ 'wsf', 'x.wsf' ], [ 'hta', 'x.hta' ], [ 'msi', 'x.msi' ],
    [ 'lnk', 'x.lnk' ], [ 'iso', 'x.iso' ], [ 'Ps1 mixed case', 'x.Ps1' ],
) {
    my ($label, $fn) = @$c;
    try_refused($t, 415, 'ExtensionNotAllowed', "default deny: $label",
                parts => [ file_part($fn, 'application/octet-stream',
                                     'plain bytes') ]);
}

# filename* is decoded before it is judged
try_refused($t, 415, 'ExtensionNotAllowed', 'default deny: filename* a.exe',
            parts => [ { head => q{Content-Disposition: form-data; }
                                 . q{name="file"; filename="a.txt"; }
                                 . q{filename*=UTF-8''a%2Eexe},
                         data => 'x' } ]);

for my $c (
    [ '.exe only as a middle extension', 'a.exe.txt', 'a.exe.txt' ],
    [ 'exe as the stem', 'exe', 'exe' ],
    [ 'U+202E making pdf look like exe', "report${rlo}exe.pdf",
      'reportexe.pdf' ],
    [ 'executable-looking word in the name', 'setup.exe notes.txt',
      'setup.exe notes.txt' ],
) {
    my ($label, $fn, $want) = @$c;
    try_accepted($t, "default deny: $label",
                 parts => [ file_part($fn, 'text/plain', 'plain text') ],
                 want => { name => $want, type => 'text/plain',
                           data => 'plain text' });
}

# a custom list replaces the default one; ".pdf" and "ZIP" in the config
try_refused($t, 415, 'ExtensionNotAllowed', 'custom deny: .pdf',
            path => path_for('ext'),
            parts => [ file_part('a.pdf', 'application/pdf', $pdf) ]);
try_refused($t, 415, 'ExtensionNotAllowed', 'custom deny: a.zip (ZIP)',
            path => path_for('ext'),
            parts => [ file_part('a.zip', 'application/zip', "PK\3\4z") ]);
try_accepted($t, 'custom deny: .exe no longer denied',
             path => path_for('ext'),
             parts => [ file_part('a.exe', 'application/octet-stream',
                                  'not a PE') ],
             want => { name => 'a.exe', data => 'not a PE' });
try_accepted($t, 'deny_extensions off: .exe',
             path => path_for('noext'),
             parts => [ file_part('tool.exe', 'application/octet-stream',
                                  'not a PE') ],
             want => { name => 'tool.exe', data => 'not a PE' });

# the name field overrides the filename, and is what is judged
try_refused($t, 415, 'ExtensionNotAllowed', 'name field a.exe over a.txt',
            parts => [ file_part('a.txt', 'text/plain', 'x'),
                       { name => 'name', data => 'a.exe' } ]);
try_refused($t, 415, 'ExtensionNotAllowed', 'name field (before) a.exe',
            parts => [ { name => 'name', data => 'dir/a.exe. ' },
                       file_part('a.txt', 'text/plain', 'x') ]);
try_accepted($t, 'name field a.txt over a.exe',
             parts => [ file_part('a.exe', 'text/plain', 'x'),
                        { name => 'name', data => 'renamed.txt' } ],
             want => { name => 'renamed.txt', type => 'text/plain',
                       data => 'x' });

# --- graph_attach_sniff ------------------------------------------------

my $pe = "MZ\x90\0\3\0\0\0\4\0\0\0\xff\xff\0\0" . ("\0" x 48) . 'PE';
my $elf = "\x7fELF\2\1\1\0" . ("\0" x 40);
my $script = "#!/bin/sh\nrm -rf ~\n";

for my $c (
    [ 'PE under application/pdf', 'a.pdf', 'application/pdf', $pe ],
    [ 'ELF under image/png', 'a.png', 'image/png', $elf ],
    [ '#! script under text/plain, .txt', 'a.txt', 'text/plain', $script ],
    [ 'PNG declared application/pdf', 'a.pdf', 'application/pdf', $png ],
    [ 'PDF declared image/png', 'a.png', 'image/png', $pdf ],
    [ 'PE under octet-stream named .pdf', 'a.pdf',
      'application/octet-stream', $pe ],
    [ 'ZIP declared application/pdf', 'a.pdf', 'application/pdf',
      "PK\3\4" . ("\0" x 30) ],
) {
    my ($label, $fn, $type, $data) = @$c;
    try_refused($t, 415, 'ContentMismatch', "sniff: $label",
                parts => [ file_part($fn, $type, $data) ]);
}

# the final type (contentType field) is what the bytes are held against
try_refused($t, 415, 'ContentMismatch',
            'sniff: contentType field application/pdf over PNG bytes',
            parts => [ file_part('a.bin', 'application/octet-stream', $png),
                       { name => 'contentType',
                         data => 'application/pdf' } ]);

for my $c (
    [ 'JPEG declared image/png (images pass as images)', 'a.png',
      'image/png', $jpeg ],
    [ 'PNG declared image/png', 'a.png', 'image/png', $png ],
    [ 'PDF declared application/pdf', 'a.pdf', 'application/pdf', $pdf ],
    [ 'unknown bytes declared application/pdf', 'a.pdf',
      'application/pdf', "just some text\n" ],
    [ 'PE declared as an executable',  'tool.bin',
      'application/vnd.microsoft.portable-executable', $pe ],
    [ '"MZ" a bit later is text', 'a.txt', 'text/plain', "xMZ\n" ],
) {
    my ($label, $fn, $type, $data) = @$c;
    try_accepted($t, "sniff: $label",
                 parts => [ file_part($fn, $type, $data) ],
                 want => { name => $fn, type => $type, data => $data });
}

try_accepted($t, 'sniff off: PE under application/pdf',
             path => path_for('nosniff'),
             parts => [ file_part('a.pdf', 'application/pdf', $pe) ],
             want => { name => 'a.pdf', type => 'application/pdf',
                       data => $pe });
try_accepted($t, 'sniff off: PNG declared application/pdf',
             path => path_for('nosniff'),
             parts => [ file_part('a.pdf', 'application/pdf', $png) ],
             want => { name => 'a.pdf', data => $png });

# --- name sanitising ----------------------------------------------------

{
    # 300 bytes of UTF-8 (2- and 3-byte characters) ending in ".pdf": cut
    # to at most 255 bytes on a character boundary, extension kept
    my $stem = ("\x{e9}\x{20ac}" x 59) . 'x';            # 59*5+1 = 296 bytes
    my $long = encode('UTF-8', $stem) . '.pdf';
    is(length $long, 300, 'the long name is 300 bytes');
    my ($cut, $bytes) = ('', 0);
    for my $ch (split //, $stem) {
        my $n = length encode('UTF-8', $ch);
        last if $bytes + $n > 255 - 4;
        $cut .= $ch;
        $bytes += $n;
    }
    my $want_long = encode('UTF-8', $cut) . '.pdf';
    cmp_ok(length $want_long, '<=', 255, 'the expected name fits 255 bytes');

    my $bidi = encode('UTF-8', "a\x{202E}b\x{200F}c\x{2066}d\x{FEFF}.txt");

    for my $c (
        [ 'C:\\fakepath\\x.pdf', 'C:\\fakepath\\x.pdf', 'x.pdf',
          'application/pdf', $pdf ],
        [ '../../x', '../../x', 'x', 'text/plain', 'dots' ],
        [ '/etc/passwd', '/etc/passwd', 'passwd', 'text/plain', 'p' ],
        [ 'mixed separators', 'a/b\\c/d.txt', 'd.txt', 'text/plain', 'm' ],
        [ 'leading spaces', '   lead.txt', 'lead.txt', 'text/plain', 'l' ],
        [ 'encoded CR LF (WHATWG)', 'a%0D%0Ab.txt', 'ab.txt',
          'text/plain', 'crlf' ],
        [ 'bidi and invisible characters', $bidi, 'abcd.txt',
          'text/plain', 'bidi' ],
        [ '300-byte UTF-8 name', $long, $want_long, 'application/pdf', $pdf ],
        [ 'empty after sanitising: ../', '../', 'attachment.pdf',
          'application/pdf', $pdf ],
        [ 'empty after sanitising: ...', '...', 'attachment.txt',
          'text/plain; charset=utf-8', 'dots only' ],
        [ 'empty after sanitising: U+202E', $rlo, 'attachment.png',
          'image/png', $png ],
        [ 'empty after sanitising: unknown type', 'x/..', 'attachment.bin',
          'application/x-unknown', 'u' ],
        [ 'filename="" with bytes', '', 'attachment.txt', 'text/plain',
          'unnamed' ],
    ) {
        my ($label, $fn, $want, $type, $data) = @$c;
        try_accepted($t, "sanitise: $label",
                     parts => [ file_part($fn, $type, $data) ],
                     want => { name => $want, type => $type, data => $data });
    }

    # controls that can only arrive encoded: filename*
    try_accepted($t, 'sanitise: controls in filename*',
                 parts => [ { head => q{Content-Disposition: form-data; }
                                    . q{name="file"; filename*=UTF-8''}
                                    . q{a%07b%7F%C2%85c%E2%80%AEd%E2%80%8B.txt}
                                    . "\r\nContent-Type: text/plain",
                              data => 'ctl' } ],
                 want => { name => 'abcd.txt', data => 'ctl' });

    # the name field is sanitised too
    try_accepted($t, 'sanitise: name field',
                 parts => [ file_part('a.txt', 'text/plain', 'nf'),
                            { name => 'name',
                              data => "..\\..\\re${rlo}port.txt. " } ],
                 want => { name => 'report.txt', data => 'nf' });
}

# --- form limits -----------------------------------------------------------

sub padded_part {
    my ($line_len, $extra_lines) = @_;
    my $head = 'Content-Disposition: form-data; name="file"; '
             . qq{filename="a.txt"\r\nContent-Type: text/plain};
    $head .= "\r\nX-Extra-$_: v" for 1 .. ($extra_lines // 0);
    $head .= "\r\nX-Pad: " . ('p' x ($line_len - 7)) if $line_len;
    return { head => $head, data => 'limits' };
}

sub fields { map { { name => "f$_", data => "v$_" } } 1 .. $_[0] }

# graph_attach_part_header_size 512, _part_headers 4, _max_fields 3
try_accepted($t, 'part header line of 512 bytes (limit 512)',
             path => path_for('limits'), parts => [ padded_part(512) ],
             want => { name => 'a.txt', data => 'limits' });
try_refused($t, 400, 'PartHeaderTooLarge',
            'part header line of 513 bytes (limit 512)',
            path => path_for('limits'), parts => [ padded_part(513) ]);
try_accepted($t, '4 part header lines (limit 4)',
             path => path_for('limits'), parts => [ padded_part(0, 2) ],
             want => { name => 'a.txt', data => 'limits' });
try_refused($t, 400, 'PartHeaderTooLarge', '5 part header lines (limit 4)',
            path => path_for('limits'), parts => [ padded_part(0, 3) ]);
try_accepted($t, '3 text fields (limit 3)',
             path => path_for('limits'),
             parts => [ fields(3), padded_part(0) ],
             want => { name => 'a.txt', data => 'limits' });
try_refused($t, 400, 'TooManyFields', '4 text fields (limit 3)',
            path => path_for('limits'),
            parts => [ fields(2), padded_part(0), fields(2) ]);

# the defaults: 8192-byte lines, 16 lines, 32 fields
try_accepted($t, 'default: part header line of 8192 bytes',
             parts => [ padded_part(8192) ],
             want => { name => 'a.txt', data => 'limits' });
try_refused($t, 400, 'PartHeaderTooLarge',
            'default: part header line of 8193 bytes',
            parts => [ padded_part(8193) ]);
try_accepted($t, 'default: 16 part header lines',
             parts => [ padded_part(0, 14) ],
             want => { name => 'a.txt', data => 'limits' });
try_refused($t, 400, 'PartHeaderTooLarge', 'default: 17 part header lines',
            parts => [ padded_part(0, 15) ]);
try_accepted($t, 'default: 32 text fields',
             parts => [ fields(32), padded_part(0) ],
             want => { name => 'a.txt', data => 'limits' });
try_refused($t, 400, 'TooManyFields', 'default: 33 text fields',
            parts => [ fields(33), padded_part(0) ]);

# thousands of tiny parts: 400 TooManyFields, and the worker's peak
# memory does not grow with them
{
    my $tiny = sub {
        my ($n, $empty_file) = @_;
        my $b = 'tinyparts';
        my $p = $empty_file
            ? qq{--$b\r\nContent-Disposition: form-data; name="f"; }
              . qq{filename=""\r\n\r\n\r\n}
            : qq{--$b\r\nContent-Disposition: form-data; name=f\r\n\r\n\r\n};
        my (undef, $file) = multipart(boundary => $b,
                                      parts => [ good_part() ]);
        return ("multipart/form-data; boundary=$b", ($p x $n) . $file);
    };

    my ($ct, $body) = $tiny->(100);
    $t->post(body => $body, content_type => $ct);        # warm-up

    my $before = worker_hwm_kb($t);
    ($ct, $body) = $tiny->(55_000);
    cmp_ok(length $body, '>', 2_900_000, 'tiny parts body is about 3 MB');
    cmp_ok(length $body, '<', 3 * 1024 * 1024 + 64 * 1024,
           'and within graph_attach_max_size + 64k');
    try_refused($t, 400, 'TooManyFields', '55000 tiny parts',
                body => $body, content_type => $ct);
    my $after = worker_hwm_kb($t);
    for my $pid (sort keys %$after) {
        my $grew = $after->{$pid} - ($before->{$pid} // $after->{$pid});
        cmp_ok($grew, '<', 1024,
               "55000 tiny parts: worker $pid peak memory grew < 1 MB")
            or diag("VmHWM grew by $grew kB");
    }

    # an empty <input type="file"> (filename="" and no bytes) is skipped,
    # but is a part like any other: thousands of them are refused too
    ($ct, $body) = $tiny->(20_000, 1);
    try_refused($t, 400, 'TooManyFields', '20000 empty file inputs',
                body => $body, content_type => $ct);

    # the same with a long Content-Type in each: no memory that grows
    # with the number of parts
    my $b = 'emptyfiles';
    my $p = qq{--$b\r\nContent-Disposition: form-data; name="f"; }
          . qq{filename=""\r\nContent-Type: application/}
          . ('x' x 240) . "\r\n\r\n\r\n";
    my (undef, $file) = multipart(boundary => $b, parts => [ good_part() ]);
    $body = ($p x 9_000) . $file;
    $before = worker_hwm_kb($t);
    try_refused($t, 400, 'TooManyFields',
                '9000 empty file inputs with long Content-Types',
                body => $body, content_type => "multipart/form-data; boundary=$b");
    $after = worker_hwm_kb($t);
    for my $pid (sort keys %$after) {
        my $grew = $after->{$pid} - ($before->{$pid} // $after->{$pid});
        cmp_ok($grew, '<', 1024,
               "9000 empty file inputs: worker $pid peak memory grew < 1 MB")
            or diag("VmHWM grew by $grew kB for a body of "
                    . length($body) . " bytes");
    }
}

$t->done_testing;
