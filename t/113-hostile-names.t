# Hostile names and paths, second pass (issue 7, items 2, 4, 5 and 9):
# a rewrite in front of graph_attach, RFC 2047 encoded-word names,
# contentId values that would become a MIME header, and the extensions
# added to the default deny list.  Each refusal is a Graph-shaped JSON
# error with nothing sent to the stand-in; the allowed neighbours still
# reach it.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use GraphAttach::Test;
use GraphAttach::Hostile;

my $t = GraphAttach::Test->new(workers => 1);

sub loc { graph_location(@_) }

my $server = join '',
    loc('/pin/', 'rewrite ^/pin/users/[^/]+/(.*)$ '
               . '/pin/users/invoices@contoso.com/$1 break;'),
    loc('~ ^/graphre/', ''),
    "        location /rw/ { rewrite ^/rw/(.*)\$ /graphre/\$1 last; }\n";

$t->start(server => $server);
$t->allow_log(qr/the request URI was changed by a rewrite/);

my $token = 'eyJ0eXAi.names-token-' . int(rand(1e9));
$GraphAttach::Hostile::TOKEN = $token;
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $tail = 'users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';

# --- item 2: rewrite in front of graph_attach --------------------------

for my $c (
    [ 'rewrite ... break in the location', "/pin/$tail" ],
    [ 'rewrite ... last into a regex location', "/rw/$tail" ],
) {
    my ($label, $path) = @$c;
    my $mark = $t->log_mark;
    $t->graph_clear;
    my $r = $t->post(path => $path, parts => [ good_part() ]);
    refused($t, $r, 500, 'InternalError', $label);
    like($t->log_since($mark),
         qr/\[error\].*the request URI was changed by a rewrite/,
         "$label: an error log line says why");
}

# the regex location itself, without a rewrite, still serves
try_accepted($t, 'regex location without a rewrite',
             path => "/graphre/$tail", parts => [ good_part() ],
             want => { name => 'ok.txt' });

# --- item 4: RFC 2047 encoded words ------------------------------------

my @words = (
    [ 'B, UTF-8', '=?UTF-8?B?aW52b2ljZS5leGU=?=' ],
    [ 'b, lower case', '=?utf-8?b?aW52b2ljZS5leGU=?=' ],
    [ 'Q, ISO-8859-1', '=?ISO-8859-1?Q?invoice=2Eexe?=' ],
    [ 'word after text', 'report =?UTF-8?Q?=2Eexe?=' ],
    [ 'word before .pdf', '=?UTF-8?Q?x=2Eexe=00?=.pdf' ],
    [ 'two words', '=?UTF-8?Q?invoice?= =?UTF-8?Q?=2Eexe?=' ],
);

for my $w (@words) {
    my ($label, $name) = @$w;
    try_refused($t, 400, 'InvalidFileName', "encoded word filename: $label",
                parts => [ good_part(filename => $name) ]);
    try_refused($t, 400, 'InvalidFileName', "encoded word name field: $label",
                parts => [ good_part(), { name => 'name', data => $name } ]);
}

# filename* (RFC 5987) carrying an encoded word once percent-decoded
try_refused($t, 400, 'InvalidFileName', 'encoded word inside filename*',
            parts => [ good_part(filename => undef, filename_star =>
                "UTF-8''%3D%3FUTF-8%3FB%3FaW52b2ljZS5leGU%3D%3F%3D") ]);

for my $c (
    [ 'a =? alone', 'a=?b.txt' ],
    [ 'a question mark', 'what?.txt' ],
    [ 'equals signs', 'a=b=c.txt' ],
) {
    my ($label, $name) = @$c;
    try_accepted($t, "not an encoded word: $label",
                 parts => [ good_part(filename => $name) ],
                 want => { name => $name });
}

# --- item 5: contentId is an RFC 2392 id --------------------------------

for my $c (
    [ 'CRLF and a header', "img1\r\nBcc: x\@evil.example" ],
    [ 'LF', "img1\nx" ],
    [ 'CR', "img1\rx" ],
    [ 'NUL', "img1\0x" ],
    [ 'a space', 'img 1' ],
    [ 'a TAB', "img\t1" ],
    [ 'non-ASCII', "caf\xc3\xa9" ],
    [ 'an angle bracket inside', 'a>b' ],
    [ 'empty', '' ],
    [ '251 bytes', 'a' x 251 ],
    [ 'a quote', 'a"b' ],
) {
    my ($label, $cid) = @$c;
    try_refused($t, 400, 'InvalidField', "contentId: $label",
                parts => [ good_part(),
                           { name => 'contentId', data => $cid } ]);
}

for my $c (
    [ 'msg-id', 'image001.png@01DA2B3C.4D5E6F70' ],
    [ 'in angle brackets', '<img1@contoso>' ],
    [ '250 bytes', 'a' x 250 ],
) {
    my ($label, $cid) = @$c;
    try_accepted($t, "contentId: $label",
                 parts => [ good_part(),
                            { name => 'contentId', data => $cid } ],
                 want => { content_id => $cid });
}

# --- item 9: the default deny list's additions --------------------------

for my $ext (qw(html htm HTML xhtml shtml mht mhtml svg svgz one onepkg rdp
                appinstaller xlam iqy slk library-ms search-ms url
                settingcontent-ms))
{
    try_refused($t, 415, 'ExtensionNotAllowed', "default deny: .$ext",
                parts => [ good_part(filename => "invoice.$ext") ]);
}

try_refused($t, 415, 'ExtensionNotAllowed',
            'default deny: .svg by the name field',
            parts => [ good_part(), { name => 'name', data => 'logo.svg' } ]);

# the neighbours that stay allowed
for my $name (qw(page.txt notes.onetoc2x report.pdf)) {
    try_accepted($t, "not denied: $name",
                 parts => [ good_part(filename => $name) ],
                 want => { name => $name });
}

$t->done_testing;
