# Hostile extensions (issue 7 items 1, 7, 8): the allow-list binds the
# name to the type, NTFS stream names are judged as what Windows opens,
# and extensions are folded to ASCII before any list is matched.  Every
# refusal is a Graph-shaped 415, nothing reaches the stand-in.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use GraphAttach::Test;
use GraphAttach::Hostile;

my $t = GraphAttach::Test->new(workers => 1);

sub loc { graph_location(@_) }

# the deny list is off where the allow lists are tested, so that each
# refusal below comes from the allow list itself and not from .html and
# .svg being on the default deny list
$t->start(server => loc('/types/', 'graph_attach_allow_types application/pdf '
                                   . 'text/csv image/png; '
                                   . 'graph_attach_deny_extensions off;')
                  . loc('/exts/', 'graph_attach_allow_extensions pdf .csv; '
                                  . 'graph_attach_deny_extensions off;'));

my $token = 'eyJ0eXAi.ext-token-' . int(rand(1e9));
$GraphAttach::Hostile::TOKEN = $token;
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

sub path_for { "/$_[0]/users/alice\@contoso.com/messages/AAMkAGI1AAA=/attachments" }
sub part { { name => 'file', filename => $_[0], type => $_[1], data => $_[2] } }

my $pdf = pdf_bytes();
my $bom_sh = "\xef\xbb\xbf#!/bin/sh\nrm -rf ~\n";

# 1. the allow-list binds the name
for my $c (
    [ 'invoice.html as text/csv', 'invoice.html', 'text/csv', 'a,b' ],
    [ 'invoice.svg as text/csv', 'invoice.svg', 'text/csv', 'a,b' ],
    [ 'invoice.rar as text/csv', 'invoice.rar', 'text/csv', 'a,b' ],
    [ 'invoice.7z as text/csv', 'invoice.7z', 'text/csv', 'a,b' ],
    [ 'BOM #! .sh as text/csv', 'run.sh', 'text/csv', $bom_sh ],
    [ 'invoice.html as pdf with script', 'invoice.html', 'application/pdf',
      pdf_bytes('<script>alert(1)</script>') ],
    [ 'no extension as pdf', 'invoice', 'application/pdf', $pdf ],
    [ 'a.pdf:x.html stream', 'a.pdf:x.html', 'application/pdf', $pdf ],
) {
    my ($label, $fn, $type, $data) = @$c;
    try_refused($t, 415, 'AttachmentTypeNotAllowed', $label,
                path => path_for('types'), parts => [ part($fn, $type, $data) ]);
}

try_refused($t, 415, 'ExtensionNotAllowed', 'allow_extensions: .html',
            path => path_for('exts'),
            parts => [ part('a.html', 'text/html', '<b>') ]);

# 7. stream names everywhere: MZ under a document name
for my $fn ('a.pdf', 'a.pdf.', 'a.pdf:x', 'a.pdf::$DATA') {
    try_refused($t, 415, 'ContentMismatch', "MZ as $fn",
                parts => [ part($fn, 'application/pdf', "MZ\x90\0" . "\0" x 60) ]);
}

# 8. extensions folded to ASCII before the deny list
for my $fn ("a.p\xc4\xb1f", "a.\xc5\xbfcr", "a.vb\xc5\xbf", "a.ln\xe2\x84\xaa",
            "a.\xef\xbd\x85\xef\xbd\x98\xef\xbd\x85", "a.EXE", "a.ExE. ") {
    try_refused($t, 415, 'ExtensionNotAllowed', "deny folded: $fn",
                parts => [ part($fn, 'application/octet-stream', 'x') ]);
}

# what must keep working
try_accepted($t, 'a real .csv as text/csv', path => path_for('types'),
             parts => [ part('report.csv', 'text/csv', "a,b\n1,2\n") ],
             want => { name => 'report.csv', data => "a,b\n1,2\n" });
try_accepted($t, 'C:\\fakepath\\x.pdf', path => path_for('types'),
             parts => [ part('C:\\fakepath\\x.pdf', 'application/pdf', $pdf) ],
             want => { name => 'x.pdf', data => $pdf });
for my $fn ("\xce\xb1\xce\xbd\xce\xb1\xcf\x86\xce\xbf\xcf\x81\xce\xac.pdf",
            "\xe8\xab\x8b\xe6\xb1\x82\xe6\x9b\xb8.pdf") {
    try_accepted($t, 'non-ASCII name .pdf', path => path_for('types'),
                 parts => [ part($fn, 'application/pdf', $pdf) ],
                 want => { data => $pdf });
}
try_accepted($t, 'allow_extensions: .csv', path => path_for('exts'),
             parts => [ part('a.CSV', 'text/csv', 'a,b') ],
             want => { data => 'a,b' });

$t->done_testing;
