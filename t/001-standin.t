# The test tools themselves: the Graph stand-in checks what Graph checks,
# and the harness drives Redis.  No nginx here, so this file runs even
# when the module does not build.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use MIME::Base64 qw(encode_base64);
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

# Redis helpers.
$t->set_token('graph:token:x', 'redis-token-value');
is($t->redis('GET', 'graph:token:x'), 'redis-token-value', 'redis SET/GET');
cmp_ok($t->redis_get_calls, '>=', 1, 'INFO commandstats GET count');
$t->stop_redis;
ok(!defined $t->redis('PING'), 'redis stopped');
$t->start_redis;
is($t->redis('PING'), 'PONG', 'redis restarted');

$t->done_testing;
