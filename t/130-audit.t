# Audit variables (issue 3): an escape=json access log with
# $graph_attach_mailbox, _name, _size, _content_type, _sha256, _result and
# _request_id.  For an accepted upload every value is right (the SHA-256
# and size of the file bytes, the sanitised name, the client-request-id
# Graph received); for a refused one the result is the error code, and
# the request id the one the client was told.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(sha256_hex);
use Encode qw(encode decode);
use Test::More;
use GraphAttach::Test;
use GraphAttach::Hostile;

my $t = GraphAttach::Test->new;

my $format = "'" . '{"mailbox":"$graph_attach_mailbox",'
           . '"name":"$graph_attach_name","size":"$graph_attach_size",'
           . '"type":"$graph_attach_content_type",'
           . '"sha256":"$graph_attach_sha256","result":"$graph_attach_result",'
           . '"request_id":"$graph_attach_request_id","status":"$status",'
           . '"content_length":"$content_length"}'
           . "'";

$t->start(max_size => '200k',
          http => "    log_format audit escape=json $format;\n",
          location_extra => 'access_log %%SERVROOT%%/logs/audit.log audit;');

my $token = 'eyJ0eXAi.audit-token-' . int(rand(1e9));
$GraphAttach::Hostile::TOKEN = $token;
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $lines_read = 0;

# the audit lines written since the last call, decoded
sub audit_lines {
    my @l = split /\n/, $t->slurp('logs/audit.log');
    my @new = @l[$lines_read .. $#l];
    $lines_read = @l;
    # an invalid line (raw bytes that are not UTF-8) fails here, not later
    return map {
        my $line = $_;
        my $j = eval { decode_json($line) };
        ok($j, 'audit line is valid JSON') or diag("$@: $line");
        $j || {};
    } @new;
}

sub last_audit {
    my @a;
    # the access log line is written when the request ends
    $t->wait_for(sub { @a = audit_lines(); @a }, 3);
    is(scalar @a, 1, 'one audit line') or diag(explain(\@a));
    return $a[-1] || {};
}

# --- accepted uploads ----------------------------------------------------

for my $c (
    [ 'small text file', '/graph/users/alice@contoso.com/messages/M1/attachments',
      { name => 'file', filename => 'notes.txt', type => 'text/plain',
        data => "audit me\n" },
      [], 'alice@contoso.com', 'notes.txt', 'text/plain' ],
    [ 'binary file split across reads, mailbox percent-encoded',
      '/graph/users/bob%40contoso.com/events/E1/attachments',
      { name => 'file', filename => 'data.bin',
        type => 'application/octet-stream',
        data => random_bytes(150_000, 7) . "\r\n--x\r\n" },
      [ split => 4000 ], 'bob@contoso.com', 'data.bin',
      'application/octet-stream' ],
    [ 'non-ASCII name sanitised, fields override',
      '/graph/users/carol@contoso.com/messages/M2/attachments',
      { name => 'file', filename => 'C:\\fakepath\\orig.bin',
        type => 'application/octet-stream', data => 'override' },
      [ extra => [ { name => 'name',
                     data => encode('UTF-8', "R\x{e9}sum\x{e9} \"Q3\"\x{202e}.txt. ") },
                   { name => 'contentType',
                     data => 'text/plain; charset=utf-8' } ] ],
      'carol@contoso.com', encode('UTF-8', "R\x{e9}sum\x{e9} \"Q3\".txt"),
      'text/plain; charset=utf-8' ],
) {
    my ($label, $path, $file, $opt, $mailbox, $name, $type) = @$c;
    my %opt = @$opt;
    my @parts = ($file, @{ delete $opt{extra} || [] });

    $t->graph_clear;
    my $r = $t->post(path => $path, parts => \@parts, %opt);
    is($r->{status}, 201, "$label: 201") or diag($r->{body});
    my ($rec) = $t->graph_records;
    $t->check_upstream($rec, label => $label, token => $token,
                       name => $name, type => $type, data => $file->{data});

    my $a = last_audit();
    is($a->{mailbox}, $mailbox, "$label: mailbox");
    is($a->{name}, decode('UTF-8', $name), "$label: name (sanitised)");
    is($a->{size}, length($file->{data}), "$label: size (file bytes)");
    is($a->{type}, $type, "$label: type");
    is($a->{sha256}, sha256_hex($file->{data}), "$label: sha256");
    is($a->{result}, 'accepted', "$label: result");
    ok(is_guid($a->{request_id}), "$label: request_id is a GUID");
    is($a->{request_id}, $rec && $rec->{headers}{'client-request-id'},
       "$label: request_id is the client-request-id Graph received");
    is($a->{status}, '201', "$label: status");
    # the request now carries the JSON: $content_length says its length
    is($a->{content_length}, $rec && length($rec->{body}),
       "$label: \$content_length is the JSON's length");
}

# --- refused uploads -------------------------------------------------------

my $msg = '/graph/users/alice@contoso.com/messages/M1/attachments';

for my $c (
    [ 'extension', 'ExtensionNotAllowed',
      parts => [ { name => 'file', filename => 'run.exe',
                   type => 'application/octet-stream', data => 'MZ' } ] ],
    [ 'sniffed', 'ContentMismatch',
      parts => [ { name => 'file', filename => 'a.pdf',
                   type => 'application/pdf', data => "\x7fELF\2\1\1" } ] ],
    [ 'too large', 'AttachmentTooLarge',
      parts => [ { name => 'file', filename => 'big.bin',
                   data => 'z' x 210_000 } ] ],
    [ 'no file', 'NoFilePart', parts => [ { name => 'x', data => 'y' } ] ],
    [ 'path', 'UnsupportedPath', path => '/graph/me/messages/M/attachments',
      parts => [ good_part() ] ],
    [ 'method', 'MethodNotAllowed', method => 'GET' ],
    [ 'boundary', 'InvalidBoundary', parts => [ good_part() ],
      content_type => 'multipart/form-data' ],
) {
    my ($label, $code, %req) = @$c;
    $t->graph_clear;
    my $r = $t->post(path => $msg, %req);
    is($r->{json}{error}{code}, $code, "refused ($label): $code");
    $t->nothing_upstream("refused ($label)");
    my $a = last_audit();
    is($a->{result}, $code, "refused ($label): result is the error code");
    ok(is_guid($a->{request_id}), "refused ($label): a request_id");
    is($a->{request_id}, $r->{headers}{'client-request-id'},
       "refused ($label): the client-request-id the client got");
    is($a->{status}, $r->{status}, "refused ($label): status");
}

# hostile bytes in the name and type never reach the audit line raw
# (issue 7): whatever was refused, every value is sanitised UTF-8
sub clean_text {
    my ($v, $label) = @_;
    ok(defined $v && $v !~ /[\x00-\x1f\x7f\x{202a}-\x{202e}\x{2066}-\x{2069}]/,
       "$label: no controls or bidi overrides") or diag(explain($v));
}

for my $c (
    [ 'name with U+202E and CRLF, bad isInline', 'InvalidField',
      [ good_part(),
        { name => 'name',
          data => encode('UTF-8', "evil\x{202e}fdp.exe\r\nX-Evil: 1") },
        { name => 'isInline', data => 'maybe' } ] ],
    [ 'filename starting FF FE', 'InvalidFileName',
      [ { name => 'file', filename => "\xff\xfeinvoice.pdf",
          type => 'application/pdf', data => pdf_bytes() } ] ],
    [ 'name field starting FF FE', 'InvalidFileName',
      [ good_part(), { name => 'name', data => "\xff\xfeinvoice.pdf" } ] ],
    [ 'contentType field with high bytes', 'InvalidField',
      [ good_part(), { name => 'contentType',
                       data => "text/plain\xe2\x80\xae\r\nX: y" } ] ],
    [ 'part type with high bytes', 'InvalidContentType',
      [ { name => 'file', filename => 'a.txt',
          type => "text/\xc3\xa9v\xffil", data => 'x' } ] ],
) {
    my ($label, $code, $parts) = @$c;
    $t->graph_clear;
    my $r = $t->post(path => $msg, parts => $parts);
    is($r->{json}{error}{code}, $code, "hostile audit ($label): $code")
        or diag($r->{body});
    $t->nothing_upstream("hostile audit ($label)");
    my $a = last_audit();
    is($a->{result}, $code, "hostile audit ($label): result");
    clean_text($a->{name}, "hostile audit ($label): name");
    clean_text($a->{type}, "hostile audit ($label): type");
    ok(($a->{type} // '') !~ /[^\x21-\x7e ]/,
       "hostile audit ($label): type is printable ASCII")
        or diag(explain($a->{type}));
}

# the type Graph gets is the one audited: parameters are not
{
    $t->graph_clear;
    my $r = $t->post(path => $msg,
                     parts => [ { name => 'file', filename => 'data.csv',
                                  type => 'text/csv; name="payload.exe"',
                                  data => "a,b\n1,2\n" } ]);
    is($r->{status}, 201, 'csv with a name parameter: 201');
    my ($rec) = $t->graph_records;
    $t->check_upstream($rec, label => 'csv with a name parameter',
                       token => $token, name => 'data.csv',
                       type => 'text/csv', data => "a,b\n1,2\n");
    my $a = last_audit();
    is($a->{type}, 'text/csv', 'csv with a name parameter: audited text/csv');
}

# a refusal after the whole file was read still says what it was
{
    $t->graph_clear;
    my $data = "#!/bin/sh\necho hi\n";
    $t->post(path => $msg, parts => [ { name => 'file', filename => 'x.txt',
                                        type => 'text/plain',
                                        data => $data } ]);
    my $a = last_audit();
    is($a->{result}, 'ContentMismatch', 'script as text: ContentMismatch');
    is($a->{mailbox}, 'alice@contoso.com', 'refused: mailbox logged');
    is($a->{name}, 'x.txt', 'refused: name logged');
    is($a->{size}, length $data, 'refused: size logged');
    is($a->{sha256}, sha256_hex($data), 'refused: sha256 of what was sent');
}

$t->done_testing;
