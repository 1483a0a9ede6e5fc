# Audit variables (issue 3): an escape=json access log with
# $graph_attach_mailbox, _name, _size, _content_type, _sha256, _result and
# _request_id.  For an accepted upload every value is right (the SHA-256
# and size of the file bytes, the sanitised name, the client-request-id
# Graph received); for a refused one the result is the error code.

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
           . '"request_id":"$graph_attach_request_id","status":"$status"}'
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
    return map { decode_json($_) } @new;
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
    is($a->{request_id}, '', "refused ($label): no request_id");
    is($a->{status}, $r->{status}, "refused ($label): status");
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
