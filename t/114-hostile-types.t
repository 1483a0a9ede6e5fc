# Hostile media types (issue 7, item 3): only "type/subtype" in lower case,
# and a charset for text types, reaches Graph and is judged.  A parameter
# such as name="payload.exe" is a second file name that no rule judged and
# that a mail client may prefer; a type that cannot be cut down to
# type/subtype is refused.  Both the file part's Content-Type and the
# contentType field are attacked.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use GraphAttach::Test;
use GraphAttach::Hostile;

my $t = GraphAttach::Test->new(workers => 1);

sub loc { graph_location(@_) }

$t->start(server => loc('/csv/', 'graph_attach_allow_types text/csv '
                                . 'application/pdf;'));

my $token = 'eyJ0eXAi.types-token-' . int(rand(1e9));
$GraphAttach::Hostile::TOKEN = $token;
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $tail = 'users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';
my $pdf = pdf_bytes();

sub file_part {
    my ($filename, $type, $data) = @_;
    return { name => 'file', filename => $filename, type => $type,
             data => $data };
}

# --- what Graph gets: the bare type -------------------------------------

my @cut = (
    [ 'name parameter (the reproducer)', 'report.csv',
      'text/csv; name="payload.exe"', "a,b\n", 'text/csv' ],
    [ 'unquoted name parameter', 'report.csv', 'text/csv;name=payload.exe',
      "a,b\n", 'text/csv' ],
    [ 'filename parameter', 'a.pdf', 'application/pdf; filename="x.exe"',
      $pdf, 'application/pdf' ],
    [ 'name and charset on a non-text type', 'a.pdf',
      'application/pdf; charset=utf-8; name=a.exe', $pdf,
      'application/pdf' ],
    [ 'upper case', 'report.csv', 'TEXT/CSV', "a,b\n", 'text/csv' ],
    [ 'text charset kept, lower case', 'report.csv',
      'Text/Csv; Charset="UTF-8"; name="x.exe"', "a,b\n",
      'text/csv; charset=utf-8' ],
    [ 'charset hidden in a quoted name', 'report.csv',
      'text/csv; name="a;charset=x.exe"', "a,b\n", 'text/csv' ],
    [ 'two charsets: none kept', 'report.csv',
      'text/csv; charset=utf-8; charset=x.exe', "a,b\n", 'text/csv' ],
    [ 'charset that is not a token: dropped', 'report.csv',
      'text/csv; charset="utf 8"', "a,b\n", 'text/csv' ],
    [ 'spaces around', 'report.csv', "  text/csv  ; x=y ",
      "a,b\n", 'text/csv' ],
);

for my $c (@cut) {
    my ($label, $fn, $type, $data, $sent) = @$c;

    for my $where ('part', 'field') {
        my @parts = $where eq 'part'
            ? (file_part($fn, $type, $data))
            : (file_part($fn, 'application/octet-stream', $data),
               { name => 'contentType', data => $type });
        try_accepted($t, "$where: $label", path => "/csv/$tail",
                     parts => \@parts,
                     want => { name => $fn, type => $sent, data => $data });
        my ($rec) = $t->graph_records;
        unlike($rec ? $rec->{body} : '', qr/exe/i,
               "$where: $label: no .exe anywhere in what Graph got");
    }
}

# --- refused: a type that is not type/subtype ---------------------------

my @bad = (
    [ 'no subtype', 'application' ],
    [ 'empty subtype', 'text/' ],
    [ 'empty type', '/csv' ],
    [ 'two slashes', 'text/csv/x' ],
    [ 'a list of types', 'text/csv, application/x-msdownload' ],
    [ 'space inside', 'text/ csv' ],
    [ 'quote in the subtype', 'text/c"sv' ],
    [ 'only parameters', '; name=a.exe' ],
);

for my $c (@bad) {
    my ($label, $type) = @$c;
    try_refused($t, 400, 'InvalidContentType', "part: $label",
                path => "/csv/$tail",
                parts => [ file_part('report.csv', $type, "a,b\n") ]);
    try_refused($t, 400, 'InvalidField', "field: $label",
                path => "/csv/$tail",
                parts => [ file_part('report.csv', 'text/csv', "a,b\n"),
                           { name => 'contentType', data => $type } ]);
    try_refused($t, 400, 'InvalidField', "field, default location: $label",
                parts => [ good_part(),
                           { name => 'contentType', data => $type } ]);
}

# controls in the contentType field: not printable
for my $type ("text/csv; charset=\"utf-8\r\nX-Evil: 1\"", "\ttext/csv",
              "text/csv\0; name=a.exe") {
    (my $label = $type) =~ s/([^ -~])/sprintf('\\x%02x', ord $1)/ge;
    try_refused($t, 400, 'InvalidField', "field with controls: $label",
                path => "/csv/$tail",
                parts => [ file_part('report.csv', 'text/csv', "a,b\n"),
                           { name => 'contentType', data => $type } ]);
}

# a name in a parameter does not make a denied or unlisted type pass
try_refused($t, 415, 'AttachmentTypeNotAllowed',
            'unlisted type with an allowed name parameter',
            path => "/csv/$tail",
            parts => [ file_part('report.csv',
                                 'application/x-msdownload; name=a.csv',
                                 "a,b\n") ]);
try_refused($t, 415, 'AttachmentTypeNotAllowed',
            'allowed type as a parameter of an unlisted one',
            path => "/csv/$tail",
            parts => [ file_part('report.csv',
                                 'text/html; type="text/csv"', "a,b\n") ]);

# --- the allowed neighbours keep working --------------------------------

for my $c (
    [ 'a real csv', 'report.csv', 'text/csv', "a,b\n1,2\n" ],
    [ 'C:\\fakepath name', 'C:\\fakepath\\x.pdf', 'application/pdf', $pdf,
      'x.pdf' ],
) {
    my ($label, $fn, $type, $data, $name) = @$c;
    try_accepted($t, $label, path => "/csv/$tail",
                 parts => [ file_part($fn, $type, $data) ],
                 want => { name => $name // $fn, type => $type,
                           data => $data });
}

$t->done_testing;
