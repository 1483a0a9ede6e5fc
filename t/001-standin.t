# The test tools themselves: the Graph stand-in checks what Graph checks,
# and the harness drives Redis.  No nginx here, so this file runs even
# when the module does not build.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use MIME::Base64 qw(encode_base64);
use Digest::SHA qw(sha256_hex);
use Time::HiRes qw(time);
use GraphAttach::Test;

my $t = GraphAttach::Test->new(no_module => 1);
$t->start_redis;
$t->start_graph;
$t->graph_tokens('standin-token-1');

my $path = '/v1.0/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';

sub graph_post {
    my (%o) = @_;
    my $body = $o{body} // encode_json($o{json});
    my $req = "POST " . ($o{path} // $path) . " HTTP/1.1\r\n"
            . "Host: graph\r\nConnection: close\r\n";
    $req .= "Authorization: Bearer " . ($o{token} // 'standin-token-1')
          . "\r\n" unless $o{no_auth};
    $req .= "Content-Type: " . ($o{ct} // 'application/json') . "\r\n";
    if ($o{chunked}) {
        $req .= "Transfer-Encoding: chunked\r\n\r\n"
              . sprintf("%x\r\n", length $body) . "$body\r\n0\r\n\r\n";
    } else {
        $req .= "Content-Length: " . length($body) . "\r\n\r\n$body";
    }
    my $c = GraphAttach::Test::Conn->new(port => $t->graph_port);
    $c->send($req);
    my $r = $c->read_response;
    $c->close;
    return $r;
}

my %good = ('@odata.type' => '#microsoft.graph.fileAttachment',
            name => 'a.txt', contentBytes => encode_base64('hello', ''),
            contentType => 'text/plain', isInline => JSON::PP::false);

my $r = graph_post(json => \%good);
is($r->{status}, 201, 'valid attachment: 201');
is($r->{json}{name}, 'a.txt', '201 echoes the name');
ok(is_guid($r->{headers}{'request-id'}), '201 has a request-id GUID');
is($r->{json}{'@odata.type'}, '#microsoft.graph.fileAttachment',
   '201 body is a fileAttachment');

my @cases = (
    [ 'no Authorization', 401, 'InvalidAuthenticationToken',
      json => \%good, no_auth => 1 ],
    [ 'unknown token', 401, 'InvalidAuthenticationToken',
      json => \%good, token => 'nope-nope' ],
    [ 'text/plain', 415, 'UnsupportedMediaType',
      json => \%good, ct => 'text/plain' ],
    [ 'chunked', 411, 'LengthRequired', json => \%good, chunked => 1 ],
    [ 'not JSON', 400, 'RequestBodyRead', body => '{"a":' ],
    [ 'array', 400, 'RequestBodyRead', body => '[]' ],
    [ 'base64 with newline', 400, 'RequestBodyRead',
      json => { %good, contentBytes => "aGVs\nbG8=" } ],
    [ 'base64 unpadded', 400, 'RequestBodyRead',
      json => { %good, contentBytes => 'aGVsbG8' } ],
    [ 'base64url', 400, 'RequestBodyRead',
      json => { %good, contentBytes => encode_base64("\xfb\xff", '') =~ tr{+/}{-_}r } ],
    [ 'read-only id', 400, 'RequestBodyRead', json => { %good, id => 'x' } ],
    [ 'read-only size', 400, 'RequestBodyRead', json => { %good, size => 5 } ],
    [ 'unknown property', 400, 'RequestBodyRead',
      json => { %good, foo => 1 } ],
    [ 'isInline string', 400, 'RequestBodyRead',
      json => { %good, isInline => 'false' } ],
    [ 'empty name', 400, 'RequestBodyRead', json => { %good, name => '' } ],
    [ 'wrong @odata.type', 400, 'RequestBodyRead',
      json => { %good, '@odata.type' => '#microsoft.graph.itemAttachment' } ],
    [ 'duplicate key', 400, 'RequestBodyRead',
      body => '{"@odata.type":"#microsoft.graph.fileAttachment",'
            . '"name":"a","name":"b","contentBytes":""}' ],
    [ 'invalid UTF-8', 400, 'RequestBodyRead',
      body => '{"@odata.type":"#microsoft.graph.fileAttachment",'
            . "\"name\":\"\xff\",\"contentBytes\":\"\"}" ],
    [ '/me path', 404, 'ResourceNotFound', json => \%good,
      path => '/v1.0/me/messages/AAMk/attachments' ],
    [ 'sendMail', 404, 'ResourceNotFound', json => \%good,
      path => '/v1.0/users/a@b.c/sendMail' ],
    [ 'double-encoded id', 400, 'ErrorInvalidIdMalformed', json => \%good,
      path => '/v1.0/users/a@b.c/messages/AAMk%253D/attachments' ],
    [ 'id with %2F', 400, 'ErrorInvalidIdMalformed', json => \%good,
      path => '/v1.0/users/a@b.c/messages/AA%2FMk/attachments' ],
);

for my $c (@cases) {
    my ($what, $status, $code, %o) = @$c;
    my $r = graph_post(%o);
    is($r->{status}, $status, "$what: $status");
    is($r->{json}{error}{code}, $code, "$what: code $code");
}

$r = graph_post(json => { %good, contentId => 'img1',
                          isInline => JSON::PP::true });
is($r->{status}, 201, 'contentId and isInline: 201');

my $big = { %good, contentBytes => encode_base64('x' x (3 * 1024 * 1024 + 100), '') };
$r = graph_post(json => $big);
is($r->{status}, 413, 'request over 4 MiB: 413');

for my $p ('/beta/users/a@b.c/events/AAMk=/attachments',
           '/v1.0/users/a@b.c/calendar/events/AAMk=/attachments',
           '/v1.0/users/a@b.c/calendars/C1/events/E1/attachments',
           '/v1.0/users/a@b.c/calendarGroups/G/calendars/C/events/E/attachments',
           '/v1.0/users/a@b.c/mailFolders/inbox/messages/M=/attachments',
           '/v1.0/users/x%23EXT%23@t.onmicrosoft.com/messages/M/attachments')
{
    is(graph_post(json => \%good, path => $p)->{status}, 201, "path $p");
}

# Records, canned answers, token rotation.
$t->graph_clear;
$t->graph_queue(status => 429, headers => { 'Retry-After' => '2.128' },
                json => { error => { code => 'TooManyRequests',
                                     message => 'slow down' } });
$r = graph_post(json => \%good);
is($r->{status}, 429, 'queued 429');
is($r->{headers}{'retry-after'}, '2.128', 'queued Retry-After');
is(graph_post(json => \%good)->{status}, 201, 'queue consumed');

my @rec = $t->graph_records;
is(scalar @rec, 2, 'two records');
is($rec[0]{headers}{authorization}, 'Bearer standin-token-1',
   'record keeps headers');
is($rec[1]{file}, 'hello', 'record decodes contentBytes');

$t->graph_tokens('standin-token-2');
is(graph_post(json => \%good)->{status}, 401, 'rotated token: old one 401');
is(graph_post(json => \%good, token => 'standin-token-2')->{status}, 201,
   'rotated token: new one 201');

# ----------------------------------------------------------------------
# Upload sessions: createUploadSession and the uploadUrl.

my $sp = "$path/createUploadSession";
my $MiB = 1024 * 1024;

# Distinct, position-dependent bytes: every 64 KiB block starts with its
# number, so a range stored at the wrong offset cannot go unnoticed.
sub file_of {
    my ($n, $seed) = @_;
    my $block = random_bytes(65536, $seed // 7);
    my $out = '';
    my $i = 0;
    while (length $out < $n) {
        $out .= pack('N', $i++) . substr($block, 4);
    }
    return substr($out, 0, $n);
}

sub item { return { attachmentType => 'file', name => 'big.bin',
                    size => 5 * 1000 * 1000, @_ } }

sub create {
    my (%o) = @_;
    my $r = graph_post(path => $o{path} // $sp,
                       json => { AttachmentItem => $o{item} // item() });
    return $r;
}

# A request to an uploadUrl, on its own connection.  Options: method
# (PUT), body, start (for the Content-Range), total, range (the raw
# Content-Range, undef: none), cl (raw Content-Length, undef: none), ct
# (undef: none), auth (an Authorization value), path (instead of the
# URL's), short (send this many bytes of the body, then half-close).
sub up {
    my ($url, %o) = @_;
    my ($p) = $url =~ m{^https?://[^/]+(/.*)$} or die "bad url $url";
    my $method = $o{method} // 'PUT';
    my $body = $o{body} // '';
    my $req = "$method " . ($o{path} // $p) . " HTTP/1.1\r\n"
            . "Host: standin\r\nConnection: close\r\n";
    $req .= "Authorization: $o{auth}\r\n" if defined $o{auth};
    if ($method eq 'PUT') {
        my $ct = exists $o{ct} ? $o{ct} : 'application/octet-stream';
        my $range = exists $o{range} ? $o{range}
            : sprintf('bytes %d-%d/%d', $o{start} // 0,
                      ($o{start} // 0) + length($body) - 1, $o{total});
        my $cl = exists $o{cl} ? $o{cl} : length $body;
        $req .= "Content-Type: $ct\r\n" if defined $ct;
        $req .= "Content-Range: $range\r\n" if defined $range;
        $req .= "Content-Length: $cl\r\n" if defined $cl;
    }
    $req .= "\r\n";
    my $c = GraphAttach::Test::Conn->new(port => $t->graph_port,
                                         timeout => $o{timeout} // 10);
    my $t0 = time;
    $c->send($req);
    if (defined $o{short}) {
        $c->send(substr($body, 0, $o{short}));
        shutdown($c->sock, 1);
    } else {
        $c->send($body);
    }
    my $r = $c->read_response;
    $r->{elapsed} = time - $t0 if $r;
    $c->close;
    return $r;
}

sub session {
    my ($id) = @_;
    my ($s) = grep { $_->{id} eq $id } $t->graph_sessions;
    return $s;
}

sub session_of { my ($url) = @_; $url =~ m{/_upload/([^/?]+)} ? $1
                 : $url =~ m{AttachmentSessions\('([^']+)'\)} ? $1 : undef }

# Creates a session for $data and returns its uploadUrl and id.
sub new_session {
    my ($data, %o) = @_;
    my $r = create(path => $o{path},
                   item => item(size => length $data, %{ $o{item} || {} }));
    die "createUploadSession: $r->{status} $r->{body}"
        unless $r->{status} == 201;
    return ($r->{json}{uploadUrl}, session_of($r->{json}{uploadUrl}));
}

# Sends $data in ranges of $chunk bytes; returns the responses.
sub upload_all {
    my ($url, $data, $chunk) = @_;
    my @r;
    for (my $at = 0; $at < length $data; $at += $chunk) {
        push @r, up($url, start => $at, total => length $data,
                    body => substr($data, $at, $chunk));
        last unless $r[-1] && $r[-1]{status} == 200;
    }
    return @r;
}

$t->graph_tokens('standin-token-1');
$t->graph_clear;

# A good session.
$r = create(item => item(contentType => 'application/pdf',
                         isInline => JSON::PP::false, contentId => 'c1'));
is($r->{status}, 201, 'createUploadSession: 201');
like($r->{headers}{'content-type'}, qr{^application/json}, '201 is JSON');
ok(is_guid($r->{headers}{'request-id'}), '201 has a request-id');
my $url = $r->{json}{uploadUrl} // '';
my $gp = $t->graph_port;
like($url, qr{^http://127\.0\.0\.1:$gp/_upload/[A-Za-z0-9_-]{16,}\?authtoken=eyJ[A-Za-z0-9_.-]{20,}$},
     "uploadUrl on the stand-in's own address, with an authtoken");
is_deeply($r->{json}{nextExpectedRanges}, ['0-'], 'nextExpectedRanges ["0-"]');
like($r->{json}{expirationDateTime} // '',
     qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/, 'expirationDateTime');
is($r->{json}{'@odata.context'},
   'https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.uploadSession',
   '@odata.context');
my $s = session(session_of($url));
ok($s, '/_sessions lists it');
is($s->{path}, $sp, 'session path');
is_deeply($s->{item}, item(contentType => 'application/pdf',
                           isInline => JSON::PP::false, contentId => 'c1'),
          'session item as sent');
is($s->{size}, 5000000, 'session size');
is($s->{received}, 0, 'nothing received yet');
ok(!$s->{complete} && !$s->{cancelled}, 'neither complete nor cancelled');
is($s->{upload_url}, $url, 'session upload_url');
@rec = $t->graph_records;
is($rec[-1]{kind}, 'create', 'record kind create');
is($rec[-1]{session}, $s->{id}, 'record names the session');
is($rec[-1]{json}{AttachmentItem}{name}, 'big.bin', 'record keeps the body');

# Sizes at and around the limits.
for my $c ([2097151, 400, 'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize'],
           [2097152, 201], [157286400, 201],
           [157286401, 400,
            'ErrorAttachmentSizeShouldNotBeGreaterThanMaximumSize'],
           [0, 400, 'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize'],
           [-5, 400, 'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize'])
{
    my ($size, $status, $code) = @$c;
    my $r = create(item => item(size => $size));
    is($r->{status}, $status, "size $size: $status");
    is($r->{json}{error}{code}, $code, "size $size: $code") if $code;
}

my %item = %{ item() };
my @refusals = (
    [ 'no Authorization', 401, 'InvalidAuthenticationToken',
      json => { AttachmentItem => \%item }, no_auth => 1 ],
    [ 'unknown token', 401, 'InvalidAuthenticationToken',
      json => { AttachmentItem => \%item }, token => 'nope-nope' ],
    [ 'text/plain', 415, 'UnsupportedMediaType',
      json => { AttachmentItem => \%item }, ct => 'text/plain' ],
    [ 'chunked', 411, 'LengthRequired',
      json => { AttachmentItem => \%item }, chunked => 1 ],
    [ 'not JSON', 400, 'RequestBodyRead', body => '{"AttachmentItem":' ],
    [ 'no AttachmentItem', 400, 'RequestBodyRead', json => {} ],
    [ 'attachmentItem (case)', 400, 'RequestBodyRead',
      json => { attachmentItem => \%item } ],
    [ 'another top-level key', 400, 'RequestBodyRead',
      json => { AttachmentItem => \%item, foo => 1 } ],
    [ 'item not an object', 400, 'RequestBodyRead',
      json => { AttachmentItem => [] } ],
    [ 'unknown item property', 400, 'RequestBodyRead',
      json => { AttachmentItem => { %item, foo => 1 } } ],
    [ 'contentBytes in the item', 400, 'RequestBodyRead',
      json => { AttachmentItem => { %item, contentBytes => 'aGk=' } } ],
    [ 'attachmentType item', 400, 'RequestBodyRead',
      json => { AttachmentItem => { %item, attachmentType => 'item' } } ],
    [ 'attachmentType File', 400, 'RequestBodyRead',
      json => { AttachmentItem => { %item, attachmentType => 'File' } } ],
    [ 'no attachmentType', 400, 'RequestBodyRead',
      json => { AttachmentItem => { name => 'a', size => 3000000 } } ],
    [ 'no name', 400, 'RequestBodyRead',
      json => { AttachmentItem => { attachmentType => 'file',
                                    size => 3000000 } } ],
    [ 'empty name', 400, 'RequestBodyRead',
      json => { AttachmentItem => { %item, name => '' } } ],
    [ 'no size', 400, 'RequestBodyRead',
      json => { AttachmentItem => { attachmentType => 'file',
                                    name => 'a' } } ],
    [ 'size a string', 400, 'RequestBodyRead',
      json => { AttachmentItem => { %item, size => '3000000' } } ],
    [ 'size a fraction', 400, 'RequestBodyRead',
      body => '{"AttachmentItem":{"attachmentType":"file","name":"a",'
            . '"size":3000000.5}}' ],
    [ 'size true', 400, 'RequestBodyRead',
      json => { AttachmentItem => { %item, size => JSON::PP::true } } ],
    [ 'isInline a string', 400, 'RequestBodyRead',
      json => { AttachmentItem => { %item, isInline => 'false' } } ],
    [ 'contentType a number', 400, 'RequestBodyRead',
      json => { AttachmentItem => { %item, contentType => 5 } } ],
    [ 'contentId null', 400, 'RequestBodyRead',
      json => { AttachmentItem => { %item, contentId => undef } } ],
    [ 'duplicate key', 400, 'RequestBodyRead',
      body => '{"AttachmentItem":{"attachmentType":"file","name":"a",'
            . '"name":"b","size":3000000}}' ],
    [ 'sendMail/createUploadSession', 404, 'ResourceNotFound',
      json => { AttachmentItem => \%item },
      path => '/v1.0/users/a@b.c/sendMail/createUploadSession' ],
    [ '/me', 404, 'ResourceNotFound', json => { AttachmentItem => \%item },
      path => '/v1.0/me/messages/M/attachments/createUploadSession' ],
    [ 'id with %2F', 400, 'ErrorInvalidIdMalformed',
      json => { AttachmentItem => \%item },
      path => '/v1.0/users/a@b.c/messages/A%2FB/attachments/createUploadSession' ],
);
my $before = () = $t->graph_sessions;
for my $c (@refusals) {
    my ($what, $status, $code, %o) = @$c;
    my $r = graph_post(path => $sp, %o);
    is($r->{status}, $status, "createUploadSession, $what: $status");
    is($r->{json}{error}{code}, $code, "createUploadSession, $what: $code");
}
is(scalar(() = $t->graph_sessions), $before, 'no session from a refusal');

{
    my $c = GraphAttach::Test::Conn->new(port => $t->graph_port);
    $c->send("GET $sp HTTP/1.1\r\nHost: g\r\nConnection: close\r\n"
             . "Authorization: Bearer standin-token-1\r\n\r\n");
    my $r = $c->read_response;
    is($r->{status}, 405, 'GET createUploadSession: 405');
}

for my $p ('/beta/users/a@b.c/events/AAMk=/attachments',
           '/v1.0/users/a@b.c/calendar/events/AAMk=/attachments',
           '/v1.0/users/a@b.c/calendars/C1/events/E1/attachments',
           '/v1.0/users/a@b.c/calendarGroups/G/calendars/C/events/E/attachments',
           '/v1.0/users/a@b.c/mailFolders/inbox/messages/M=/attachments',
           '/v1.0/users/x%23EXT%23@t.onmicrosoft.com/messages/M/attachments')
{
    is(create(path => "$p/createUploadSession")->{status}, 201,
       "createUploadSession on $p");
}

# A 5 MB file in two ranges, byte-exact.
$t->graph_clear;
my $file = file_of(5 * 1000 * 1000);
my $id;
($url, $id) = new_session($file);
$r = up($url, start => 0, total => length $file,
        body => substr($file, 0, 4 * $MiB));
is($r->{status}, 200, 'range 1 of 2 (4 MiB): 200');
is_deeply($r->{json}{nextExpectedRanges}, ['4194304'],
          'nextExpectedRanges ["4194304"] (the start offset alone)');
like($r->{json}{ExpirationDateTime} // '', qr/^\d{4}-.*\.\d{7}Z$/,
     'ExpirationDateTime, as Outlook spells it');
like($r->{json}{'@odata.context'} // '',
     qr{^https://outlook\.office\.com/api/v2\.0/\$metadata#Users\('alice%40contoso\.com'\)/Messages\('AAMkAGI1AAA%3D'\)/AttachmentSessions/\$entity$},
     '@odata.context of the 200');
is(session($id)->{received}, 4 * $MiB, 'session received 4 MiB');
$r = up($url, start => 4 * $MiB, total => length $file,
        body => substr($file, 4 * $MiB));
is($r->{status}, 201, 'range 2 of 2: 201');
is($r->{body}, '', '201 has an empty body');
is($r->{headers}{'content-length'}, '0', '201 has Content-Length: 0');
like($r->{headers}{location} // '',
     qr{^https://outlook\.office\.com/api/v2\.0/Users\('alice\@contoso\.com'\)/Messages\('AAMkAGI1AAA='\)/Attachments\('AAMkAGI1Standin[A-Za-z0-9+/]+='\)$},
     'Location: .../Users(..)/Messages(..)/Attachments(<id ending in =>)');
$s = session($id);
ok($s->{complete}, 'session complete');
is($s->{received}, length $file, 'session received everything');
is($s->{ranges}, 2, 'two ranges');
is($s->{sha256}, sha256_hex($file), 'sha256 of the reassembled file');
my ($aid) = $r->{headers}{location} =~ /Attachments\('([^']+)'\)/;
is($s->{attachment_id}, $aid, 'attachment_id is the one in Location');
is($s->{location}, $r->{headers}{location}, 'session location');
bytes_is($t->graph_session_file($id), $file, '/_sessions/<id>/file byte-exact');

my @up = grep { $_->{kind} eq 'upload' } $t->graph_records;
is(scalar @up, 2, 'two upload records');
is_deeply($up[0]{range}, [0, 4 * $MiB - 1, length $file], 'record range');
is($up[0]{body_length}, 4 * $MiB, 'record body_length');
is($up[1]{body_sha256}, sha256_hex(substr($file, 4 * $MiB)),
   'record body_sha256');
is($up[0]{body}, '', 'no body kept in the record');
is($up[0]{session}, $id, 'record names the session');
is($up[0]{headers}{'content-range'}, 'bytes 0-4194303/5000000',
   'record keeps the headers');
is_deeply([map { $_->{status} } @up], [200, 201], 'record statuses');

is(up($url, start => 0, total => length $file, body => 'x')->{status}, 404,
   'PUT after completion: 404');
is(up($url, method => 'DELETE')->{status}, 404, 'DELETE after completion: 404');

# Refusals of a PUT; none stores anything.
$t->graph_clear;
$file = file_of(5 * $MiB, 3);
($url, $id) = new_session($file);
my $one = substr($file, 0, $MiB);
my %ok = (start => 0, total => length $file, body => $one);
(my $badtok = $url) =~ s/authtoken=eyJ/authtoken=eyK/;
(my $notok = $url) =~ s/\?.*//;
my @put_refusals = (
    [ 'with Authorization', 401, 'InvalidAuthenticationToken',
      auth => 'Bearer standin-token-1' ],
    [ 'with an empty Authorization', 401, 'InvalidAuthenticationToken',
      auth => '' ],
    [ 'wrong authtoken', 401, 'InvalidAuthenticationToken', url => $badtok ],
    [ 'no authtoken', 401, 'InvalidAuthenticationToken', url => $notok ],
    [ 'two authtokens', 401, 'InvalidAuthenticationToken',
      url => "$url&authtoken=x" ],
    [ 'unknown session', 404, 'ErrorItemNotFound',
      url => "http://127.0.0.1:$gp/_upload/nosuchsession?authtoken=x" ],
    [ 'out of order (a gap)', 416, 'InvalidRange', start => 1024 ],
    [ 'range over 4 MiB', 400, 'ChunkTooLarge',
      body => substr($file, 0, 4 * $MiB + 1) ],
    [ 'Content-Length under the range', 400, 'ContentLengthMismatch',
      range => sprintf('bytes 0-%d/%d', $MiB, length $file) ],
    [ 'Content-Length over the range', 400, 'ContentLengthMismatch',
      range => sprintf('bytes 0-%d/%d', $MiB - 2, length $file) ],
    [ 'no Content-Length', 411, 'LengthRequired', cl => undef ],
    [ 'no Content-Range', 400, 'InvalidContentRange', range => undef ],
    [ 'Content-Range bytes=', 400, 'InvalidContentRange',
      range => sprintf('bytes=0-%d/%d', $MiB - 1, length $file) ],
    [ 'Content-Range total *', 400, 'InvalidContentRange',
      range => sprintf('bytes 0-%d/*', $MiB - 1) ],
    [ 'Content-Range leading zero', 400, 'InvalidContentRange',
      range => sprintf('bytes 00-%d/%d', $MiB - 1, length $file) ],
    [ 'Content-Range end before start', 400, 'InvalidContentRange',
      range => sprintf('bytes 10-9/%d', length $file), body => '', cl => 0 ],
    [ 'Content-Range past the total', 400, 'InvalidContentRange',
      start => length($file) - 10, body => 'x' x 11 ],
    [ 'wrong total', 400, 'InvalidContentRange', total => length($file) + 1 ],
    [ 'Content-Type application/json', 415, 'UnsupportedMediaType',
      ct => 'application/json' ],
    [ 'no Content-Type', 415, 'UnsupportedMediaType', ct => undef ],
    [ 'POST', 405, 'ErrorInvalidRequest', method => 'POST' ],
    [ 'path of another shape', 404, 'ErrorItemNotFound',
      path => "/_upload/$id/x?authtoken=x" ],
);
for my $c (@put_refusals) {
    my ($what, $status, $code, %o) = @$c;
    my $u = delete $o{url} // $url;
    my $r = up($u, %ok, %o);
    is($r->{status}, $status, "PUT $what: $status");
    is($r->{json}{error}{code}, $code, "PUT $what: $code");
}
$s = session($id);
is($s->{received}, 0, 'nothing stored by a refused PUT');
is($r = up($url, %ok)->{status}, 200, 'then the right range: 200');
is(up($url, %ok)->{status}, 416, 'the same range again (an overlap): 416');
is(up($url, %ok, start => 512)->{status}, 416, 'a range inside it: 416');
is(session($id)->{received}, $MiB, 'still one range stored');
is(up($url, start => $MiB, total => length $file, short => 1000,
      body => substr($file, $MiB, $MiB)), undef,
   'a body shorter than Content-Length: no answer');
is(session($id)->{received}, $MiB, '... and nothing stored');
@rec = grep { $_->{kind} eq 'upload' } $t->graph_records;
ok(!$rec[-1]{body_read}, '... the record says the body was not read whole');
is($rec[-1]{body_length}, 1000, '... and how much arrived');

# DELETE cancels.
$r = up($url, method => 'DELETE', auth => 'Bearer standin-token-1');
is($r->{status}, 401, 'DELETE with Authorization: 401');
is(up($badtok, method => 'DELETE')->{status}, 401, 'DELETE, wrong authtoken: 401');
$r = up($url, method => 'DELETE');
is($r->{status}, 204, 'DELETE: 204');
is($r->{body}, '', '204 has no body');
ok(!exists $r->{headers}{'content-length'}, '204 has no Content-Length');
ok(session($id)->{cancelled}, 'session cancelled');
is(up($url, %ok, start => $MiB, body => substr($file, $MiB, $MiB))->{status},
   404, 'PUT after DELETE: 404');
is(up($url, method => 'DELETE')->{status}, 404, 'DELETE after DELETE: 404');
is(up($url, method => 'GET')->{status}, 404, 'GET after DELETE: 404');

# Faults.
sub faults { my $r = $t->graph_upload_faults(@_);
             die "faults: $r->{body}" unless $r->{status} == 200; $r }
my $T = JSON::PP::true;

$t->graph_clear;
$file = file_of(3 * $MiB, 5);
my @ranges = (substr($file, 0, 2 * $MiB), substr($file, 2 * $MiB));
my %r1 = (start => 0, total => length $file, body => $ranges[0]);
my %r2 = (start => 2 * $MiB, total => length $file, body => $ranges[1]);

faults({ range => 2, status => 503, retry_after => '1' });
($url, $id) = new_session($file);
is(up($url, %r1)->{status}, 200, '503 on range 2: range 1 is 200');
$r = up($url, %r2);
is($r->{status}, 503, 'range 2: 503');
is($r->{headers}{'retry-after'}, '1', 'Retry-After: 1');
is($r->{json}{error}{code}, 'ServiceUnavailable', 'code ServiceUnavailable');
is(session($id)->{received}, 2 * $MiB, 'the 503 range was not stored');
$r = up($url, %r2);
is($r->{status}, 201, 'range 2 retried: 201');
is(session($id)->{sha256}, sha256_hex($file), 'file complete and right');
my $f = $t->graph_call('GET', '/_upload_faults')->{json};
is($f->[0]{fired}, 1, 'the fault fired once');
@rec = grep { $_->{kind} eq 'upload' } $t->graph_records;
is($rec[1]{fault}{status}, 503, 'the record names the fault');

$t->graph_clear;
faults({ range => 1, status => 429 });
($url, $id) = new_session($file);
$r = up($url, %r1);
is($r->{status}, 429, '429 on range 1');
is($r->{json}{error}{code}, 'ApplicationThrottled', 'code ApplicationThrottled');
ok(!exists $r->{headers}{'retry-after'}, 'no Retry-After unless asked');
is(up($url, %r1)->{status}, 200, 'range 1 retried: 200');

$t->graph_clear;
faults({ range => 1, status => 500, times => 3 },
       { range => 'last', status => 502, code => 'ErrorMessageSizeExceeded',
         message => 'The message exceeds the maximum supported size.',
         headers => { 'X-Test' => 'yes' } });
($url, $id) = new_session($file);
is(up($url, %r1)->{status}, 500, "times 3: 500 ($_)") for 1 .. 3;
is(up($url, %r1)->{status}, 200, 'times 3: then 200');
$r = up($url, %r2);
is($r->{status}, 502, '"last": the last range gets it');
is($r->{json}{error}{code}, 'ErrorMessageSizeExceeded', 'code as asked');
is($r->{headers}{'x-test'}, 'yes', 'headers as asked');
is(up($url, %r2)->{status}, 201, 'then 201');

$t->graph_clear;
faults({ range => 2, status => 503, times => -1 });
($url, $id) = new_session($file);
up($url, %r1);
is(up($url, %r2)->{status}, 503, "times -1: 503 ($_)") for 1 .. 4;
$t->graph_call('DELETE', '/_upload_faults');
is(up($url, %r2)->{status}, 201, 'DELETE /_upload_faults: back to normal');

$t->graph_clear;
faults({ range => 2, stall => 1 });
($url, $id) = new_session($file);
$r = up($url, %r1);
cmp_ok($r->{elapsed}, '<', 0.9, 'range 1 not stalled');
$r = up($url, %r2);
is($r->{status}, 201, 'stalled range 2: 201 all the same');
cmp_ok($r->{elapsed}, '>=', 1, 'stalled range 2: after a second');

$t->graph_clear;
faults({ range => 2, drop => $T });
($url, $id) = new_session($file);
up($url, %r1);
is(up($url, %r2), undef, 'dropped range 2: no answer');
is(session($id)->{received}, 2 * $MiB, 'dropped range 2: not stored');
@rec = grep { $_->{kind} eq 'upload' } $t->graph_records;
ok($rec[-1]{dropped} && $rec[-1]{body_read}, 'record: dropped after the body');
is(up($url, %r2)->{status}, 201, 'dropped range 2 retried: 201');

$t->graph_clear;
faults({ range => 1, drop => 'early' });
($url, $id) = new_session($file);
is(up($url, %r1), undef, 'dropped early: no answer');
is(session($id)->{received}, 0, 'dropped early: not stored');
is(up($url, %r1)->{status}, 200, 'dropped early, retried: 200');

$t->graph_clear;
faults({ range => 1, drop => $T, commit => $T });
($url, $id) = new_session($file);
is(up($url, %r1), undef, 'committed and dropped: no answer');
is(session($id)->{received}, 2 * $MiB, 'committed and dropped: stored');
is(up($url, %r1)->{status}, 416, 'committed and dropped, retried: 416');
is(up($url, %r2)->{status}, 201, 'the next range: 201');

$t->graph_clear;
faults({ range => 1, stall => 1, commit => $T });
($url, $id) = new_session($file);
$r = up($url, %r1, timeout => 0.3);
ok(!$r || $r->{timeout}, 'committed then stalled: no answer within 0.3 s');
ok($t->wait_for(sub { session($id)->{received} == 2 * $MiB }, 2),
   'committed then stalled: stored before the answer');
is(up($url, %r1)->{status}, 416, '... a retry is 416');

$t->graph_clear;
faults({ create => $T, status => 503, retry_after => '2.5' });
$r = create(item => item(size => length $file));
is($r->{status}, 503, 'create fault: 503');
is($r->{headers}{'retry-after'}, '2.5', 'create fault: Retry-After');
is(scalar(() = $t->graph_sessions), 0, 'create fault: no session');
is(create(item => item(size => length $file))->{status}, 201,
   'create retried: 201');

$t->graph_clear;
faults({ create => $T, drop => $T, commit => $T }, { create => $T, drop => $T });
is(create(item => item(size => length $file)), undef,
   'create committed and dropped: no answer');
is(scalar(() = $t->graph_sessions), 1, '... a session exists');
is(create(item => item(size => length $file)), undef,
   'create dropped: no answer');
is(scalar(() = $t->graph_sessions), 1, '... no new session');

$t->graph_clear;
faults({ create => $T, stall => 1 });
my $t0 = time;
$r = create(item => item(size => length $file));
is($r->{status}, 201, 'create stalled: 201');
cmp_ok(time - $t0, '>=', 1, 'create stalled: after a second');

$t->graph_clear;
faults({ delete => $T, status => 503 });
($url, $id) = new_session($file);
is(up($url, method => 'DELETE')->{status}, 503, 'delete fault: 503');
ok(!session($id)->{cancelled}, 'delete fault: not cancelled');
is(up($url, method => 'DELETE')->{status}, 204, 'delete retried: 204');

$t->graph_clear;
$t->graph_queue(status => 429, json => { error => { code => 'TooManyRequests',
                                                    message => 'x' } });
is(create(item => item(size => length $file))->{status}, 429,
   'a queued answer applies to createUploadSession');
($url, $id) = new_session($file);
$t->graph_queue(status => 500);
is(up($url, %r1)->{status}, 200, '... never to an uploadUrl');
$t->graph_clear;

for my $bad ({ range => 0, status => 503 }, { range => 1 },
             { status => 503 }, { range => 1, create => $T, status => 503 },
             { range => 1, status => 503, colour => 'red' },
             { range => 1, drop => 'late' }, { range => 1, times => 0,
                                               status => 503 },
             { range => 1, status => 503, drop => $T })
{
    is($t->graph_upload_faults($bad)->{status}, 400,
       'fault refused: ' . encode_json($bad));
}
is(scalar @{ $t->graph_call('GET', '/_upload_faults')->{json} }, 0,
   'no refused fault kept');

# Settings: the ranges' form, Location's case, the uploadUrl's shape and
# origin, the limits.
$t->graph_clear;
$r = $t->graph_upload_config(ranges_form => 'open', location => 'lower');
is($r->{json}{ranges_form}, 'open', 'config answers the settings');
($url, $id) = new_session($file);
$t->graph_upload_config(ranges_form => 'start', location => 'outlook');
$r = up($url, %r1);
is_deeply($r->{json}{nextExpectedRanges}, ['2097152-'],
          'ranges_form open: ["2097152-"] (taken at create)');
$r = up($url, %r2);
like($r->{headers}{location},
     qr{^https://outlook\.office\.com/api/v2\.0/users\('alice\@contoso\.com'\)/messages\('AAMkAGI1AAA='\)/attachments\('AAMkAGI1Standin[A-Za-z0-9+/]+='\)$},
     'location lower: lower-case outside the ids');

my %loc = (
    upper => qr{^HTTPS://OUTLOOK\.OFFICE\.COM/API/V2\.0/USERS\('a\@b\.c'\)/EVENTS\('E1='\)/ATTACHMENTS\('AAMkAGI1Standin[A-Za-z0-9+/]+='\)$},
    office365 => qr{^https://outlook\.office365\.com/api/v2\.0/Users\('a\@b\.c'\)/Events\('E1='\)/Attachments\('AAMkAGI1Standin[A-Za-z0-9+/]+='\)$},
    graph => qr{^https://graph\.microsoft\.com/v1\.0/users\('a\@b\.c'\)/events\('E1='\)/attachments\('AAMkAGI1Standin[A-Za-z0-9+/]+='\)$},
    outlook => qr{^https://outlook\.office\.com/api/v2\.0/Users\('a\@b\.c'\)/Events\('E1='\)/Attachments\('AAMkAGI1Standin[A-Za-z0-9+/]+='\)$},
);
for my $style (sort keys %loc) {
    $t->graph_upload_config(location => $style);
    ($url, $id) = new_session($file, path =>
        '/v1.0/users/a@b.c/calendars/C/events/E1=/attachments/createUploadSession');
    upload_all($url, $file, 2 * $MiB);
    like(session($id)->{location}, $loc{$style},
         "location $style, for an event");
}

$t->graph_upload_config(url_style => 'outlook');
($url, $id) = new_session($file, path =>
    '/v1.0/users/o%27brien@contoso.com/messages/M1=/attachments/createUploadSession');
like($url, qr{^http://127\.0\.0\.1:$gp/api/v2\.0/Users\('o%27brien\@contoso\.com'\)/Messages\('M1='\)/AttachmentSessions\('[A-Za-z0-9_-]+'\)\?authtoken=eyJ[A-Za-z0-9_.-]+$},
     "url_style outlook: Outlook's uploadUrl shape");
(my $pct = $url) =~ s/'/%27/g;
$pct =~ s/\(/%28/g;
is(up($pct, %r1)->{status}, 200, 'outlook shape, quotes percent-encoded: 200');
is(up($url, %r2)->{status}, 201, 'outlook shape, as handed out: 201');
ok(session($id)->{complete}, 'outlook shape: complete');
(my $other = $url) =~ s/Messages\('M1='\)/Messages('M2=')/;
is(up($other, %r1)->{status}, 404, "outlook shape, another message's path: 404");

$t->graph_upload_config(origin => 'http://127.0.0.2:9', url_style => 'standin');
$r = create(item => item(size => length $file));
like($r->{json}{uploadUrl}, qr{^http://127\.0\.0\.2:9/_upload/[^?]+\?authtoken=},
     'origin: the uploadUrl names another host');
$t->graph_upload_config();
$r = create(item => item(size => length $file));
like($r->{json}{uploadUrl}, qr{^http://127\.0\.0\.1:$gp/},
     'config reset: own address again');

for my $bad ([ranges_form => 'both'], [location => 'mixed'],
             [origin => 'ftp://x'], [origin => 'http://h/path'],
             [colour => 'red'], [max_chunk => 0])
{
    is($t->graph_upload_config(@$bad)->{status}, 400,
       "config refused: @$bad");
}

$t->graph_upload_config(min_size => 1000, max_chunk => 1000);
my $small = file_of(2500, 9);
($url, $id) = new_session($small);
$r = up($url, start => 0, total => 2500, body => substr($small, 0, 1001));
is($r->{status}, 400, 'max_chunk 1000: a range of 1001 is 400');
my @rs = upload_all($url, $small, 1000);
is_deeply([map { $_->{status} } @rs], [200, 200, 201],
          'min_size 1000: a 2500-byte file in three ranges');
is(session($id)->{sha256}, sha256_hex($small), '... byte-exact');
$t->graph_upload_config();

# 20 MB in five ranges of 4 MiB.
$t->graph_clear;
$file = file_of(20 * 1000 * 1000, 11);
($url, $id) = new_session($file);
my @st = map { $_->{status} } upload_all($url, $file, 4 * $MiB);
is_deeply(\@st, [200, 200, 200, 200, 201], '20 MB: five ranges');
$s = session($id);
is($s->{sha256}, sha256_hex($file), '20 MB: sha256');
bytes_is($t->graph_session_file($id), $file, '20 MB: byte-exact');

# Two sessions at once, interleaved.
$t->graph_clear;
my @f = (file_of(3 * $MiB, 21), file_of(3 * $MiB, 22));
my @u = map { [ new_session($_) ] } @f;
for my $at (0, 2 * $MiB) {
    for my $i (0, 1) {
        up($u[$i][0], start => $at, total => 3 * $MiB,
           body => substr($f[$i], $at, 2 * $MiB));
    }
}
is(session($u[$_][1])->{sha256}, sha256_hex($f[$_]),
   "interleaved sessions: file $_ right") for 0, 1;

$t->graph_call('DELETE', '/_sessions');
is(scalar(() = $t->graph_sessions), 0, 'DELETE /_sessions forgets them');
is($t->graph_session_file($u[0][1]), undef, '... and their files');
is(up($u[0][0], method => 'DELETE')->{status}, 404,
   '... their uploadUrls are 404');

# ----------------------------------------------------------------------
# Item attachments, and what a message holds: the list, DELETE of one,
# sessions' attachments, faults on the Nth attachment POST.

sub graph_req {
    my ($method, $p, %o) = @_;
    my $req = "$method $p HTTP/1.1\r\nHost: graph\r\nConnection: close\r\n";
    $req .= "Authorization: Bearer " . ($o{token} // 'standin-token-1')
          . "\r\n" unless $o{no_auth};
    $req .= "Content-Length: 0\r\n" unless $method =~ /^(?:GET|DELETE)$/;
    $req .= "\r\n";
    my $c = GraphAttach::Test::Conn->new(port => $t->graph_port);
    $c->send($req);
    my $r = $c->read_response;
    $c->close;
    return $r;
}

$t->graph_clear;

my %msg = ('@odata.type' => '#microsoft.graph.message', subject => 'Hi',
           body => { contentType => 'text', content => 'hello' });
my %itm = ('@odata.type' => '#microsoft.graph.itemAttachment',
           name => 'Hi', item => \%msg);

for my $c ([ 'a message', \%msg ],
           [ 'a message, the type without #',
             { %msg, '@odata.type' => 'microsoft.graph.message' } ],
           [ 'an event', { '@odata.type' => '#microsoft.graph.event',
                           subject => 'Standup' } ],
           [ 'an event without #', { '@odata.type' => 'microsoft.graph.event' } ],
           [ 'a contact', { '@odata.type' => '#microsoft.graph.contact',
                            displayName => 'Ada' } ],
           [ 'a contact without #',
             { '@odata.type' => 'microsoft.graph.contact' } ])
{
    my ($what, $item) = @$c;
    my $r = graph_post(json => { %itm, item => $item });
    is($r->{status}, 201, "itemAttachment of $what: 201");
    is($r->{json}{'@odata.type'}, '#microsoft.graph.itemAttachment',
       "... echoes an itemAttachment ($what)");
}
$r = graph_post(json => { %itm, isInline => JSON::PP::false,
                          contentType => 'message/rfc822' });
is($r->{status}, 201, 'itemAttachment with isInline and contentType: 201');
ok(!exists $r->{json}{item}, '201 does not echo the item');
like($r->{json}{id} // '', qr/^AAMkAGI1Standin[A-Za-z0-9=_-]+$/, '201 has an id');
is($r->{json}{contentType}, 'message/rfc822', '... and the contentType sent');

my $before_refusals = () = $t->graph_message_attachments($path);
my @item_refusals = (
    [ 'no item', { %itm, item => undef }, 'delete' ],
    [ 'item a string', { %itm, item => 'message' } ],
    [ 'item an array', { %itm, item => [ \%msg ] } ],
    [ 'item null', { %itm, item => undef } ],
    [ 'item without @odata.type', { %itm, item => { subject => 'x' } } ],
    [ 'item @odata.type a number',
      { %itm, item => { '@odata.type' => 1 } } ],
    [ 'item a fileAttachment', { %itm, item => {
        '@odata.type' => '#microsoft.graph.fileAttachment' } } ],
    [ 'item an eventMessage', { %itm, item => {
        '@odata.type' => '#microsoft.graph.eventMessage' } } ],
    [ 'item type in the wrong case', { %itm, item => {
        '@odata.type' => '#microsoft.graph.Message' } } ],
    [ 'item type ##', { %itm, item => {
        '@odata.type' => '##microsoft.graph.message' } } ],
    [ 'no name', { %itm, name => undef }, 'delete' ],
    [ 'empty name', { %itm, name => '' } ],
    [ 'name a number', { %itm, name => 7 } ],
    [ 'with contentBytes', { %itm, contentBytes => 'aGk=' } ],
    [ 'with contentId', { %itm, contentId => 'c1' } ],
    [ 'read-only id', { %itm, id => 'x' } ],
    [ 'unknown property', { %itm, colour => 'red' } ],
    [ 'isInline a string', { %itm, isInline => 'false' } ],
);
for my $c (@item_refusals) {
    my ($what, $json, $del) = @$c;
    if ($del) {
        my %j = %$json;
        delete $j{$_} for grep { !defined $j{$_} } keys %j;
        $json = \%j;
    }
    my $r = graph_post(json => $json);
    is($r->{status}, 400, "itemAttachment, $what: 400");
    is($r->{json}{error}{code}, 'RequestBodyRead',
       "itemAttachment, $what: RequestBodyRead");
}
for my $c (
    [ 'NaN in the item', '{"@odata.type":"#microsoft.graph.itemAttachment",'
      . '"name":"a","item":{"@odata.type":"#microsoft.graph.message",'
      . '"x":NaN}}' ],
    [ 'Infinity in a fileAttachment',
      '{"@odata.type":"#microsoft.graph.fileAttachment","name":"a",'
      . '"contentBytes":"","size":Infinity}' ],
    [ 'a duplicate inside the item',
      '{"@odata.type":"#microsoft.graph.itemAttachment","name":"a",'
      . '"item":{"@odata.type":"#microsoft.graph.message","subject":"a",'
      . '"subject":"b"}}' ])
{
    my $r = graph_post(body => $c->[1]);
    is($r->{status}, 400, "$c->[0]: 400");
    is($r->{json}{error}{code}, 'RequestBodyRead', "$c->[0]: RequestBodyRead");
}
is(scalar(() = $t->graph_message_attachments($path)), $before_refusals,
   'no attachment from a refusal');

# The state of a message, across the shapes of its path.
$t->graph_clear;
my $mp = '/v1.0/users/bob@contoso.com/messages/M1=/attachments';
my @files = ('first file', 'second file');
is(graph_post(path => $mp, json => { %good, name => 'one.txt',
                                     contentBytes => encode_base64($files[0], '') })->{status},
   201, 'state: file 1');
is(graph_post(path => '/beta/users/Bob@Contoso.com/mailFolders/inbox/messages/M1=/attachments',
              json => { %good, name => 'two.txt', contentType => 'text/csv',
                        isInline => JSON::PP::true, contentId => 'c2',
                        contentBytes => encode_base64($files[1], '') })->{status},
   201, 'state: file 2, through mailFolders, /beta, the mailbox in capitals');
is(graph_post(path => $mp, json => \%itm)->{status}, 201, 'state: an item');
is(graph_post(path => '/v1.0/users/bob@contoso.com/messages/M2=/attachments',
              json => \%good)->{status}, 201, 'state: another message');

$r = graph_req('GET', $mp);
is($r->{status}, 200, 'GET attachments: 200');
like($r->{json}{'@odata.context'} // '',
     qr{\$metadata#users\('bob\@contoso\.com'\)/messages\('M1='\)/attachments$},
     'GET attachments: @odata.context');
my @v = @{ $r->{json}{value} || [] };
is_deeply([map { $_->{name} } @v], ['one.txt', 'two.txt', 'Hi'],
          'GET attachments: the three, oldest first');
is_deeply([map { $_->{'@odata.type'} } @v],
          [('#microsoft.graph.fileAttachment') x 2,
           '#microsoft.graph.itemAttachment'], '... their types');
ok(!grep({ exists $_->{contentBytes} || exists $_->{sha256} } @v),
   '... no contentBytes, nothing of the stand-in\'s');
is($v[1]{contentType}, 'text/csv', '... contentType');
ok($v[1]{isInline}, '... isInline');
is($v[1]{contentId}, 'c2', '... contentId');
ok($v[0]{size} > length $files[0], '... an Exchange-like size');
my $list_rec = (grep { $_->{method} eq 'GET' } $t->graph_records)[-1];
is($list_rec->{kind}, 'list', 'the record of a GET: kind list');

my @a = $t->graph_message_attachments(
    '/graph/users/bob@contoso.com/messages/M1=/attachments');
is(scalar @a, 3, 'graph_message_attachments, a gateway path: three');
is_deeply([map { $_->{sha256} } @a[0, 1]],
          [map { sha256_hex($_) } @files], '... sha256 of each file');
is_deeply([map { $_->{length} } @a[0, 1]], [map { length } @files],
          '... their lengths');
is($a[2]{sha256}, undef, '... none for the item');
is_deeply($a[2]{item}, \%msg, '... which keeps the item as sent');
is_deeply([map { $_->{via} } @a], [('post') x 3], '... all by POST');
is($t->graph_message_state($mp)->{attempts}, 3, 'graph_message_state: 3 attempts');
is(scalar(() = $t->graph_message_attachments(
       '/v1.0/users/bob@contoso.com/mailFolders/x/messages/M2=/attachments')),
   1, 'the other message holds its own');
is_deeply([$t->graph_message_attachments(
       '/v1.0/users/bob@contoso.com/messages/NEVER/attachments')], [],
   'a message never seen holds nothing');
is_deeply(graph_req('GET', '/v1.0/users/bob@contoso.com/messages/NEVER/attachments')->{json}{value},
          [], '... GET says so too');
is(scalar(() = $t->graph_all_attachments), 2, 'graph_all_attachments: two messages');
is($t->graph_call('GET', '/_attachments?path=/v1.0/me/messages/M/attachments')->{status},
   400, '/_attachments?path= not an attachment path: 400');

is(graph_req('GET', $mp, no_auth => 1)->{status}, 401, 'GET without a token: 401');
is(graph_req('PATCH', $mp)->{status}, 405, 'PATCH attachments: 405');

# One attachment: GET, DELETE.
$r = graph_req('GET', "$mp/$a[1]{id}");
is($r->{status}, 200, 'GET one attachment: 200');
is($r->{json}{name}, 'two.txt', '... its name');
ok(!exists $r->{json}{contentBytes}, '... no contentBytes');
$r = graph_req('DELETE', "$mp/$a[0]{id}", no_auth => 1);
is($r->{status}, 401, 'DELETE without a token: 401');
$r = graph_req('DELETE', "$mp/$a[0]{id}");
is($r->{status}, 204, 'DELETE one attachment: 204');
is($r->{body}, '', '... empty');
ok(!exists $r->{headers}{'content-type'}, '... no Content-Type');
ok(is_guid($r->{headers}{'request-id'}), '... a request-id');
is_deeply([map { $_->{name} } $t->graph_message_attachments($mp)],
          ['two.txt', 'Hi'], '... it is gone');
is_deeply([map { $_->{name} } @{ graph_req('GET', $mp)->{json}{value} }],
          ['two.txt', 'Hi'], '... from GET too');
is_deeply([map { $_->{id} } @{ $t->graph_message_state($mp)->{deleted} }],
          [$a[0]{id}], '... and listed as deleted');
for my $c ([ 'again', "$mp/$a[0]{id}", 404, 'ErrorItemNotFound' ],
           [ 'an unknown id', "$mp/AAMkNOPE=", 404, 'ErrorItemNotFound' ],
           [ "another message's attachment",
             "/v1.0/users/bob\@contoso.com/messages/M2=/attachments/$a[1]{id}",
             404, 'ErrorItemNotFound' ],
           [ 'a malformed id', "$mp/AA%2FB", 400, 'ErrorInvalidIdMalformed' ])
{
    my $r = graph_req('DELETE', $c->[1]);
    is($r->{status}, $c->[2], "DELETE $c->[0]: $c->[2]");
    is($r->{json}{error}{code}, $c->[3], "DELETE $c->[0]: $c->[3]");
}
is(graph_req('GET', "$mp/$a[0]{id}")->{status}, 404, 'GET of a deleted one: 404');
is(graph_req('PATCH', "$mp/$a[1]{id}")->{status}, 405, 'PATCH one: 405');
is(graph_req('DELETE', "/v1.0/users/bob\@contoso.com/mailFolders/f/messages/M1=/attachments/$a[2]{id}")->{status},
   204, 'DELETE through mailFolders: 204');
is_deeply([map { $_->{name} } $t->graph_message_attachments($mp)],
          ['two.txt'], '... one left');
is_deeply([map { $_->{kind} } grep { $_->{method} ne 'POST' }
           $t->graph_records],
          [qw(list list list attach get delete delete list delete delete
              delete attach get attach delete)],
          'records: kinds list, get, delete (a malformed id: attach)')
    or diag explain
    [map { "$_->{method} $_->{kind}" } $t->graph_records];

# An upload session's last range creates the attachment; a cancelled one
# creates none.
$t->graph_clear;
$file = file_of(3 * $MiB, 31);
($url, $id) = new_session($file, path => "$mp/createUploadSession");
upload_all($url, $file, 2 * $MiB);
@a = $t->graph_message_attachments($mp);
is(scalar @a, 1, 'a completed session: one attachment');
is($a[0]{id}, session($id)->{attachment_id}, '... the one its Location names');
is($a[0]{sha256}, sha256_hex($file), '... sha256 of the file');
is($a[0]{length}, length $file, '... its length');
is($a[0]{via}, 'session', '... via session');
is($a[0]{session}, $id, '... which one');
is($a[0]{name}, 'big.bin', '... the AttachmentItem name');
is_deeply([map { $_->{id} } @{ graph_req('GET', $mp)->{json}{value} }],
          [$a[0]{id}], '... GET lists it');
($url, $id) = new_session($file, path => "$mp/createUploadSession");
up($url, start => 0, total => length $file, body => substr($file, 0, 2 * $MiB));
up($url, method => 'DELETE');
is(scalar(() = $t->graph_message_attachments($mp)), 1,
   'a cancelled session: no attachment');
is($t->graph_message_state($mp)->{attempts}, 2,
   'createUploadSession counts as an attempt');
my $ep = '/v1.0/users/bob@contoso.com/calendar/events/E1=/attachments';
($url, $id) = new_session($file, path => "$ep/createUploadSession");
upload_all($url, $file, 2 * $MiB);
is(scalar(() = $t->graph_message_attachments(
       '/v1.0/users/bob@contoso.com/events/E1=/attachments')), 1,
   "an event's session: the event holds it, whatever the path's shape");
is($t->graph_message_state($ep)->{parent}, 'Events', '... an event');

# Faults on the Nth attachment POST of a message.
$t->graph_clear;
sub att_faults { my $r = $t->graph_attachment_faults(@_);
                 is($r->{status}, 200, 'attachment faults set') }
att_faults({ attachment => 2, status => 503, retry_after => '1' });
my @names = map { { %good, name => "f$_.txt" } } 1 .. 3;
is(graph_post(path => $mp, json => $names[0])->{status}, 201, 'fault on 2: 1st 201');
$r = graph_post(path => $mp, json => $names[1]);
is($r->{status}, 503, 'fault on 2: 2nd 503');
is($r->{headers}{'retry-after'}, '1', '... Retry-After: 1');
is($r->{json}{error}{code}, 'ServiceUnavailable', '... ServiceUnavailable');
is(graph_post(path => $mp, json => $names[1])->{status}, 201,
   '... the retry (attempt 3): 201');
is(graph_post(path => $mp, json => $names[2])->{status}, 201, '... then 201');
is_deeply([map { $_->{name} } $t->graph_message_attachments($mp)],
          ['f1.txt', 'f2.txt', 'f3.txt'], 'the message holds each file once');
is($t->graph_message_state($mp)->{attempts}, 4, '... after 4 attempts');
my @att = map { $_->{attempt} } grep { $_->{method} eq 'POST' } $t->graph_records;
is_deeply(\@att, [1, 2, 3, 4], 'records: attempt 1 to 4');
ok((grep { $_->{method} eq 'POST' } $t->graph_records)[1]{fault},
   'the record of the 2nd names its fault');

$t->graph_clear;
att_faults({ attachment => 1, status => 429 }, { attachment => 1, status => 500 });
$r = graph_post(path => $mp, json => \%good);
is($r->{status}, 429, 'two faults on 1: the first fires (429)');
is($r->{json}{error}{code}, 'ApplicationThrottled', '... ApplicationThrottled');
$r = graph_post(path => '/v1.0/users/bob@contoso.com/messages/M2=/attachments',
                json => \%good);
is($r->{status}, 500, "... the second on another message's 1st (500)");
is($r->{json}{error}{code}, 'InternalServerError', '... InternalServerError');
is(graph_post(path => $mp, json => \%good)->{status}, 201, '... then none');
is(scalar(() = $t->graph_message_attachments($mp)), 1, '... one attached');

$t->graph_clear;
att_faults({ attachment => 1, parent_id => 'M2=', status => 503, times => -1 });
is(graph_post(path => $mp, json => \%good)->{status}, 201,
   'parent_id M2=: M1= is spared');
my $m2 = '/v1.0/users/bob@contoso.com/messages/M2=/attachments';
is(graph_post(path => $m2, json => \%good)->{status}, 503, '... M2= is not');
is(graph_post(path => $m2, json => \%good)->{status}, 201,
   '... only its 1st attempt, times -1 notwithstanding');

$t->graph_clear;
att_faults({ attachment => 1, status => 500, commit => $T });
is(graph_post(path => $mp, json => \%itm)->{status}, 500,
   'commit and 500: the client sees 500');
is(scalar(() = $t->graph_message_attachments($mp)), 1,
   '... but the item is attached');

$t->graph_clear;
att_faults({ attachment => 1, drop => $T });
is(graph_post(path => $mp, json => \%good), undef, 'drop: no answer');
is(scalar(() = $t->graph_message_attachments($mp)), 0, '... nothing attached');

$t->graph_clear;
att_faults({ attachment => 2, status => 503 });
is(graph_post(path => $mp, json => \%good)->{status}, 201, 'a simple POST, 1st');
$r = create(path => "$mp/createUploadSession", item => item(size => 3 * $MiB));
is($r->{status}, 503, 'createUploadSession as the 2nd attachment POST: 503');
is(scalar(() = $t->graph_sessions), 0, '... no session');

$t->graph_clear;
att_faults({ attachment => 1, stall => 1 });
$t0 = time;
is(graph_post(path => $mp, json => \%good)->{status}, 201, 'stall: 201');
cmp_ok(time - $t0, '>=', 1, '... after a second');

for my $bad ({ attachment => 0, status => 503 }, { attachment => 'x', status => 503 },
             { attachment => 1 }, { attachment => 1, range => 1, status => 503 },
             { parent_id => 'M', status => 503, create => $T },
             { attachment => 1, parent_id => 5, status => 503 })
{
    is($t->graph_attachment_faults($bad)->{status}, 400,
       'attachment fault refused: ' . encode_json($bad));
}

graph_post(path => $mp, json => \%good);
$t->graph_clear;
is_deeply([$t->graph_all_attachments], [], 'graph_clear forgets what messages hold');

# Request ids, as Graph sends them: a fresh request-id, the
# client-request-id echoed (the request-id when none came), on errors
# too; the record keeps the request-id sent; /_reply_ids makes them
# hostile.
{
    $t->graph_clear;
    my $crid = '9C4D50EE-2D56-4CD3-8152-34347DC9F2B0';
    my $post = sub {
        my (@h) = @_;
        my $body = encode_json(\%good);
        my $c = GraphAttach::Test::Conn->new(port => $t->graph_port);
        $c->send("POST $path HTTP/1.1\r\nHost: graph\r\nConnection: close\r\n"
                 . "Authorization: Bearer standin-token-1\r\n"
                 . "Content-Type: application/json\r\n"
                 . join('', map { "$_->[0]: $_->[1]\r\n" } @h)
                 . "Content-Length: " . length($body) . "\r\n\r\n$body");
        my $r = $c->read_response;
        $c->close;
        return $r;
    };
    my $r = $post->([ 'client-request-id', $crid ]);
    is($r->{headers}{'client-request-id'}, $crid,
       'client-request-id echoed as received');
    ok(is_guid($r->{headers}{'request-id'}), '... beside a request-id GUID');
    my ($rec) = $t->graph_records;
    is($rec->{request_id}, $r->{headers}{'request-id'},
       'the record keeps the request-id sent');

    $r = $post->();
    is($r->{headers}{'client-request-id'}, $r->{headers}{'request-id'},
       'no client-request-id: the request-id echoed in its place');

    $r = graph_post(json => \%good, no_auth => 1);
    is($r->{status}, 401, 'an error ...');
    ok(is_guid($r->{headers}{'request-id'}), '... has a request-id');
    is($r->{json}{error}{innerError}{'request-id'}, $r->{headers}{'request-id'},
       '... in innerError too');

    is($t->graph_reply_ids(request_id => [ 'a', "b\x01\xe9" ],
                           client_request_id => 'junk')->{status}, 200,
       '/_reply_ids set');
    $r = $post->([ 'client-request-id', $crid ]);
    is_deeply([ map { $_->[1] } grep { lc $_->[0] eq 'request-id' }
                @{ $r->{header_list} } ], [ 'a', "b\x01\xe9" ],
              'two request-id headers, the bytes as asked');
    is($r->{headers}{'client-request-id'}, 'junk',
       'client-request-id as asked, not the echo');
    is_deeply(($t->graph_records)[-1]{request_id}, [ 'a', "b\x01\xe9" ],
              'the record says what was sent');
    $t->graph_reply_ids(request_id => undef);
    $r = $post->();
    ok(!exists $r->{headers}{'request-id'}, 'request_id null: no request-id');
    ok(is_guid($r->{headers}{'client-request-id'}),
       '... client-request-id as Graph sends it');
    for my $bad ({ request_id => 5 }, { other => 'x' },
                 { client_request_id => [ 'a' ] },
                 { request_id => "\x{263a}" })
    {
        is($t->graph_reply_ids(%$bad)->{status}, 400,
           '/_reply_ids refuses ' . encode_json($bad));
    }
    $t->graph_reply_ids;
    $r = $post->();
    ok(is_guid($r->{headers}{'request-id'}), 'DELETE /_reply_ids: Graph again');
    $t->graph_clear;
}

# Redis helpers.
$t->set_token('graph:token:x', 'redis-token-value');
is($t->redis('GET', 'graph:token:x'), 'redis-token-value', 'redis SET/GET');
cmp_ok($t->redis_get_calls, '>=', 1, 'INFO commandstats GET count');
$t->stop_redis;
ok(!defined $t->redis('PING'), 'redis stopped');
$t->start_redis;
is($t->redis('PING'), 'PONG', 'redis restarted');

$t->done_testing;
