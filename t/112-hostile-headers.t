# Headers Graph sees (issue 7 item 10): only an allow-list of client
# headers reaches Graph.  Accept, Accept-Language, User-Agent,
# X-Request-Id, traceparent and tracestate pass unchanged, and whatever
# graph_attach_pass_header names; the module sets Content-Type,
# Content-Length, Authorization and client-request-id, proxy_pass sets
# Host and Connection.  Everything else a client sends (X-AnchorMailbox,
# X-HTTP-Method-Override, Prefer, If-Match, credentials, forwarding
# headers, ...) is dropped while the upload still gets its 201.  The
# allowed headers the client's Connection header names are dropped too
# (RFC 9110, 7.6.1), in linear work.  Then what an attacker tries: name
# case, underscores, invalid names, HTTP/2, duplicated Content-Type,
# Transfer-Encoding games.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use GraphAttach::Test;
use GraphAttach::Hostile;
use Time::HiRes qw(time);

my $t = GraphAttach::Test->new(workers => 1);

# a second server (inheritance) and a third that parses headers as
# leniently as nginx can (attacks)
my ($port2, $port3) = GraphAttach::Test::free_ports(2);

sub conf_test {
    my ($directive, %opt) = @_;
    my $c = $t->nginx_conf(location_extra => $directive, %opt);
    my $file = $t->servroot . '/conf/test.conf';
    open(my $fh, '>', $file) or die "$file: $!";
    print {$fh} $c;
    close $fh;
    my $out = `/usr/sbin/nginx -p @{[ $t->servroot ]}/ -c $file -t 2>&1`;
    return ($? == 0, $out);
}

# Debian's nginx 1.22 has max_headers (a backport, 1000 by default);
# other builds have no such limit
my $max_headers = (conf_test('', http => 'max_headers 6000;'))[0]
                ? 'max_headers 6000;' : '';

sub loc {
    my ($prefix, $extra) = @_;
    $extra //= '';
    return <<"EOF";
        location $prefix {
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            $extra
            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%\$graph_attach_uri;
        }
EOF
}

my $conf = <<"EOF";
load_module %%MODULE%%;

events {
    worker_connections 512;
}

http {
    access_log %%SERVROOT%%/logs/access.log;

    client_body_temp_path %%SERVROOT%%/tmp/client_body;
    proxy_temp_path %%SERVROOT%%/tmp/proxy;
    fastcgi_temp_path %%SERVROOT%%/tmp/fastcgi;
    uwsgi_temp_path %%SERVROOT%%/tmp/uwsgi;
    scgi_temp_path %%SERVROOT%%/tmp/scgi;

    graph_attach_redis %%REDIS%%;

    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:%%H2_PORT%% http2;

@{[ loc('/graph/') ]}
@{[ loc('/pass/', 'graph_attach_pass_header X-Custom-Thing x-FORWARDED-for;') ]}
@{[ loc('/twice/', "graph_attach_pass_header X-A;\n"
                 . "            graph_attach_pass_header X-B X-A accept;") ]}
@{[ loc('/psh/', "proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;\n"
               . "            proxy_set_header X-Operator set-by-config;\n"
               . "            proxy_set_header X-Echo-Anchor \$http_x_anchormailbox;") ]}
    }

    server {
        listen 127.0.0.1:$port2;

        graph_attach_pass_header X-Server-Thing;

@{[ loc('/graph/') ]}
@{[ loc('/override/', 'graph_attach_pass_header X-Loc-Thing;') ]}
@{[ loc('/off/', 'graph_attach_pass_header off;') ]}
    }

    server {
        listen 127.0.0.1:$port3;

        underscores_in_headers on;
        ignore_invalid_headers off;
        large_client_header_buffers 8 128k;
        $max_headers

@{[ loc('/graph/', 'graph_attach_pass_header X-Custom-Thing;') ]}
    }
}
EOF

$t->start(conf => $conf);

my $token = 'eyJ0eXAi.hdr-token-' . int(rand(1e9));
$GraphAttach::Hostile::TOKEN = $token;
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $tail = 'users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';

# what may reach Graph without graph_attach_pass_header
my @always = qw(host connection content-length content-type
                client-request-id authorization);
my @default = qw(accept accept-language user-agent x-request-id
                 traceparent tracestate);

sub up_names { map { lc $_->[0] } @{ $_[0]{header_list} } }

sub up_values {
    my ($rec, $name) = @_;
    return map { $_->[1] } grep { lc $_->[0] eq lc $name }
           @{ $rec->{header_list} };
}

# every name the stand-in received is one of @always, @default or @extra
sub only_allowed {
    my ($rec, $label, @extra) = @_;
    my %ok = map { lc($_) => 1 } @always, @default, @extra;
    my @bad = grep { !$ok{$_} } up_names($rec);
    ok(!@bad, "$label: no header off the allow-list reached Graph")
        or diag("got: @bad");
}

# an upload through PATH (default /graph/) on PORT with HEADERS; returns
# the stand-in's record after the usual checks (201, one request, the
# module's own headers right)
sub upload {
    my ($label, %opt) = @_;
    my $prefix = delete $opt{prefix} // '/graph/';
    my (undef, $rec) = try_accepted($t, $label, path => "$prefix$tail",
                                    parts => [ good_part() ], %opt);
    return $rec || { header_list => [], headers => {} };
}

# --- the hostile headers, one at a time -----------------------------------

my @hostile = (
    [ 'X-AnchorMailbox', 'ceo@contoso.com' ],
    [ 'X-HTTP-Method-Override', 'DELETE' ],
    [ 'X-HTTP-Method', 'DELETE' ],
    [ 'X-Method-Override', 'PATCH' ],
    [ 'Prefer', 'IdType="ImmutableId", respond-async' ],
    [ 'If-Match', '*' ],
    [ 'If-None-Match', '*' ],
    [ 'If-Unmodified-Since', 'Sat, 01 Jan 2000 00:00:00 GMT' ],
    [ 'Cookie', 'session=client-cookie-SMUGGLED' ],
    [ 'Proxy-Authorization', 'Basic U01VR0dMRUQ6eA==' ],
    [ 'Authorization', 'Bearer client-own-SMUGGLED' ],
    [ 'X-Forwarded-For', '203.0.113.7' ],
    [ 'X-Forwarded-Host', 'graph.microsoft.com' ],
    [ 'Forwarded', 'for=203.0.113.7;host=evil.example' ],
    [ 'X-Real-IP', '203.0.113.7' ],
    [ 'Origin', 'https://evil.example' ],
    [ 'Referer', 'https://evil.example/page' ],
    [ 'X-MS-Exchange-Organization-AuthAs', 'Internal' ],
    [ 'x-ms-throttle-priority', 'High' ],
    [ 'X-ClientTraceId', 'smuggled-trace' ],
    [ 'ConsistencyLevel', 'eventual' ],
    [ 'Accept-Encoding', 'gzip, br' ],
    [ 'request-id', '11111111-2222-4333-8444-555555555555' ],
    [ 'Content-Encoding', 'identity' ],
    [ 'Content-Location', '/v1.0/users/ceo@contoso.com' ],
    [ 'X-AnCHorMaIlBoX', 'odd-case@contoso.com' ],
    [ 'X-Custom-Thing', 'only-where-passed' ],
);

for my $h (@hostile) {
    my ($name, $value) = @$h;
    my $rec = upload("hostile $name", headers => [ [ $name, $value ] ]);
    if (grep { $_ eq lc $name } @always) {
        # the module's own header of that name, not the client's
        ok(!grep({ $_ eq $value } up_values($rec, $name)),
           "the client's $name did not reach Graph");
    } else {
        ok(!grep({ $_ eq lc $name } up_names($rec)),
           "$name did not reach Graph")
            or diag("$name: " . join(', ', up_values($rec, $name)));
    }
    only_allowed($rec, $name);
}

{
    my $rec = upload('every hostile header at once', headers => \@hostile);
    only_allowed($rec, 'every hostile header at once');
    my $all = join "\n", map { "$_->[0]: $_->[1]" } @{ $rec->{header_list} };
    unlike($all, qr/SMUGGLED|U01VR0dMRUQ|203\.0\.113|evil\.example|ceo\@/,
           'no hostile value in any upstream header');
    is(scalar(up_values($rec, 'authorization')), 1, 'one Authorization');
    is((up_values($rec, 'authorization'))[0], "Bearer $token",
       'the service token, not the client credential');
}

# the client's client-request-id is dropped; Graph gets a fresh one
{
    my $id = '11111111-2222-4333-8444-555555555555';
    my $rec = upload('client-request-id',
                     headers => [ [ 'client-request-id', $id ] ]);
    my @ids = up_values($rec, 'client-request-id');
    is(scalar @ids, 1, 'one client-request-id upstream');
    isnt($ids[0], $id, "the client's client-request-id is replaced");
}

# Host: the proxy's, never the client's
{
    my $rec = upload('client Host', headers => [ [ 'X-Any', 'x' ] ]);
    my @host = up_values($rec, 'host');
    is_deeply(\@host, [ '127.0.0.1:' . $t->graph_port ],
              'Host is the one proxy_pass sets');
}

# --- the allowed headers arrive unchanged -----------------------------------

my @allowed = (
    [ 'Accept', 'application/json;odata.metadata=minimal' ],
    [ 'Accept-Language', 'de-CH, fr;q=0.5' ],
    [ 'User-Agent', 'hostile-headers-test/1.0 (+https://example.org)' ],
    [ 'X-Request-Id', 'req-8f14e45f-ceea-467f' ],
    [ 'traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' ],
    [ 'tracestate', 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' ],
);

{
    my $rec = upload('allowed headers', headers => \@allowed);
    for my $h (@allowed) {
        is_deeply([ up_values($rec, $h->[0]) ], [ $h->[1] ],
                  "$h->[0] arrives unchanged");
    }
    only_allowed($rec, 'allowed headers');
}

{
    my $rec = upload('odd name case of allowed headers',
                     headers => [ [ 'aCCEPT-lANGUAGE', 'it' ],
                                  [ 'USER-AGENT', 'shouting/1.0' ],
                                  [ 'TraceParent', '00-' . '1' x 32 . '-'
                                                   . '2' x 16 . '-00' ] ]);
    is_deeply([ up_values($rec, 'accept-language') ], [ 'it' ],
              'aCCEPT-lANGUAGE passes (names are case-insensitive)');
    is_deeply([ up_values($rec, 'user-agent') ], [ 'shouting/1.0' ],
              'USER-AGENT passes');
    is(scalar(up_values($rec, 'traceparent')), 1, 'TraceParent passes');
}

{
    my $rec = upload('duplicated allowed headers',
                     headers => [ [ 'Accept-Language', 'de' ],
                                  [ 'X-AnchorMailbox', 'ceo@contoso.com' ],
                                  [ 'Accept-Language', 'fr' ],
                                  [ 'Accept', 'application/json' ],
                                  [ 'Accept', 'text/plain' ] ]);
    is_deeply([ up_values($rec, 'accept-language') ], [ 'de', 'fr' ],
              'both Accept-Language lines arrive, in order');
    is_deeply([ up_values($rec, 'accept') ],
              [ 'application/json', 'text/plain' ], 'both Accept lines');
    only_allowed($rec, 'duplicated allowed headers');
}

# --- graph_attach_pass_header -------------------------------------------

{
    my $rec = upload('pass_header in the location', prefix => '/pass/',
                     headers => [ [ 'X-Custom-Thing', 'passed' ],
                                  [ 'X-Forwarded-For', '198.51.100.1' ],
                                  [ 'X-AnchorMailbox', 'ceo@contoso.com' ] ]);
    is_deeply([ up_values($rec, 'x-custom-thing') ], [ 'passed' ],
              'X-Custom-Thing passes where graph_attach_pass_header names it');
    is_deeply([ up_values($rec, 'x-forwarded-for') ], [ '198.51.100.1' ],
              'x-FORWARDED-for in the directive passes X-Forwarded-For');
    only_allowed($rec, 'pass_header in the location', qw(x-custom-thing
                                                          x-forwarded-for));

    $rec = upload('pass_header elsewhere', headers => [
                      [ 'X-Custom-Thing', 'not here' ],
                      [ 'X-Forwarded-For', '198.51.100.1' ] ]);
    only_allowed($rec, 'a location without graph_attach_pass_header');
}

{
    my $rec = upload('pass_header twice at one level', prefix => '/twice/',
                     headers => [ [ 'X-A', 'a' ], [ 'X-B', 'b' ],
                                  [ 'Accept', '*/*' ], [ 'X-C', 'c' ] ]);
    is_deeply([ map { [ up_values($rec, $_) ] } qw(x-a x-b accept) ],
              [ ['a'], ['b'], ['*/*'] ],
              'two directives at one level add up');
    only_allowed($rec, 'pass_header twice', qw(x-a x-b));
}

# server level: inherited by a location without its own; a location with
# its own list replaces the server's (as proxy_set_header does); off
# passes only the defaults
{
    my @h = ([ 'X-Server-Thing', 'srv' ], [ 'X-Loc-Thing', 'loc' ]);

    my $rec = upload('server level, inherited', port => $port2, headers => \@h);
    is_deeply([ up_values($rec, 'x-server-thing') ], [ 'srv' ],
              'server-level graph_attach_pass_header is inherited');
    only_allowed($rec, 'server level, inherited', 'x-server-thing');

    $rec = upload('location list overrides', port => $port2,
                  prefix => '/override/', headers => \@h);
    is_deeply([ up_values($rec, 'x-loc-thing') ], [ 'loc' ],
              "the location's own list applies");
    ok(!grep({ $_ eq 'x-server-thing' } up_names($rec)),
       "and replaces the server's list (X-Server-Thing dropped)");
    only_allowed($rec, 'location list overrides', 'x-loc-thing');

    $rec = upload('off in the location', port => $port2, prefix => '/off/',
                  headers => [ @h, [ 'Accept-Language', 'nl' ] ]);
    only_allowed($rec, 'graph_attach_pass_header off');
    is_deeply([ up_values($rec, 'accept-language') ], [ 'nl' ],
              'off keeps the default allow-list');
}

# proxy_set_header is the operator's: proxy_pass sends it from its own
# configuration, whatever the allow-list says; a $http_ variable of a
# header the allow-list dropped is empty by then, so the header is not sent
{
    my $rec = upload('proxy_set_header next to the allow-list',
                     prefix => '/psh/',
                     headers => [ [ 'X-Forwarded-For', '198.51.100.9' ],
                                  [ 'X-Operator', 'client-SMUGGLED' ],
                                  [ 'X-AnchorMailbox', 'ceo@contoso.com' ] ]);
    is_deeply([ up_values($rec, 'x-forwarded-for') ],
              [ '198.51.100.9, 127.0.0.1' ],
              'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for '
              . 'sends the client list plus the client address');
    is_deeply([ up_values($rec, 'x-operator') ], [ 'set-by-config' ],
              "proxy_set_header's value replaces the client's header");
    ok(!grep({ $_ eq 'x-echo-anchor' || $_ eq 'x-anchormailbox' }
             up_names($rec)),
       'proxy_set_header X-Echo-Anchor $http_x_anchormailbox: empty, '
       . 'not sent');
    only_allowed($rec, 'proxy_set_header', qw(x-forwarded-for x-operator));
}

# --- Connection: allowed headers it names are hop-by-hop ------------------

{
    my $rec = upload('Connection: accept-language', keepalive => 1,
                     headers => [ [ 'Connection', 'close, accept-language' ],
                                  [ 'Accept-Language', 'de' ],
                                  [ 'Accept', 'application/json' ] ]);
    ok(!grep({ $_ eq 'accept-language' } up_names($rec)),
       'Connection: accept-language drops Accept-Language');
    is_deeply([ up_values($rec, 'accept') ], [ 'application/json' ],
              'Accept, not named, still passes');
    unlike(join(',', up_values($rec, 'connection')), qr/accept/i,
           "the client's Connection is not forwarded");

    $rec = upload('two Connection headers, odd case', prefix => '/pass/',
                  keepalive => 1,
                  headers => [ [ 'Connection', 'close' ],
                               [ 'User-Agent', 'ua/1' ],
                               [ 'connection', "USER-Agent,\tX-CUSTOM-THING" ],
                               [ 'X-Custom-Thing', 'hop' ],
                               [ 'X-Request-Id', 'kept' ] ]);
    ok(!grep({ $_ eq 'user-agent' || $_ eq 'x-custom-thing' }
             up_names($rec)),
       'every Connection header counts, tokens case-insensitive');
    is_deeply([ up_values($rec, 'x-request-id') ], [ 'kept' ],
              'X-Request-Id, not named, passes');
}

# ~5000 headers, each named in Connection, on the lenient server: the old
# deny list compared each header with each token (25 million compares);
# now each token and each header is looked up once
{
    my $n = 5000;
    my @names = map { sprintf 'X-H%04d', $_ } 1 .. $n;
    my @h = ([ 'Connection', join(', ', 'close', (map { lc } @names),
                                  'accept-language', 'x-custom-thing') ],
             (map { [ $_, 'v' ] } @names),
             [ 'Accept-Language', 'dropped' ],
             [ 'X-Custom-Thing', 'dropped' ],
             [ 'Accept', 'kept' ]);
    my $t0 = time;
    my $rec = upload("$n headers named in Connection", port => $port3,
                     keepalive => 1, headers => \@h);
    note(sprintf "%d headers named in Connection: %.2fs", $n, time - $t0);
    only_allowed($rec, "$n headers named in Connection");
    is_deeply([ up_values($rec, 'accept') ], [ 'kept' ],
              "$n headers: Accept still passes");
}

# --- configuration refusals -----------------------------------------------

for my $c (
    [ 'authorization', 'graph_attach_pass_header authorization;',
      qr/"graph_attach_pass_header" cannot pass "authorization": the module sets it/ ],
    [ 'Authorization, any case', 'graph_attach_pass_header X-A AuthoriZation;',
      qr/cannot pass "AuthoriZation": the module sets it \(the service token\)/ ],
    [ 'content-type', 'graph_attach_pass_header Content-Type;',
      qr/cannot pass "Content-Type": the module sets it/ ],
    [ 'content-length', 'graph_attach_pass_header content-length;',
      qr/cannot pass "content-length": the module sets it/ ],
    [ 'client-request-id', 'graph_attach_pass_header client-request-id;',
      qr/cannot pass "client-request-id": the module sets it/ ],
    [ 'host', 'graph_attach_pass_header Host;',
      qr/cannot pass "Host": proxy_pass sets it/ ],
    [ 'transfer-encoding', 'graph_attach_pass_header Transfer-Encoding;',
      qr/cannot pass "Transfer-Encoding": it describes the client's multipart body/ ],
    [ 'cookie', 'graph_attach_pass_header Cookie;',
      qr/cannot pass "Cookie": it is the client's credential/ ],
    [ 'proxy-authorization', 'graph_attach_pass_header Proxy-Authorization;',
      qr/cannot pass "Proxy-Authorization": it is the client's credential/ ],
    [ 'connection', 'graph_attach_pass_header Connection;',
      qr/cannot pass "Connection": it is hop-by-hop/ ],
    [ 'keep-alive', 'graph_attach_pass_header keep-alive;',
      qr/cannot pass "keep-alive": it is hop-by-hop/ ],
    [ 'te', 'graph_attach_pass_header TE;',
      qr/cannot pass "TE": it is hop-by-hop/ ],
    [ 'upgrade', 'graph_attach_pass_header Upgrade;',
      qr/cannot pass "Upgrade": it is hop-by-hop/ ],
    [ 'a colon', 'graph_attach_pass_header X-Foo:;',
      qr/invalid header name "X-Foo:" in "graph_attach_pass_header": a header name is an RFC 9110 token/ ],
    [ 'a space', 'graph_attach_pass_header "X Foo";',
      qr/invalid header name "X Foo" in "graph_attach_pass_header"/ ],
    [ 'empty', 'graph_attach_pass_header "";',
      qr/invalid header name "" in "graph_attach_pass_header"/ ],
    [ 'parentheses', 'graph_attach_pass_header X(1);',
      qr/invalid header name "X\(1\)"/ ],
    [ 'a pseudo-header', 'graph_attach_pass_header :authority;',
      qr/invalid header name ":authority"/ ],
    [ 'non-ASCII', "graph_attach_pass_header X-\xc3\x9cml;",
      qr/invalid header name "X-\xc3\x9cml"/ ],
    [ 'a control byte', "graph_attach_pass_header \"X-A\tB\";",
      qr/invalid header name "X-A\tB"/ ],
    [ 'too long', 'graph_attach_pass_header X-' . 'a' x 127 . ';',
      qr/header name "X-a+" in "graph_attach_pass_header" is longer than 128 bytes/ ],
    [ 'off with names', 'graph_attach_pass_header off X-A;',
      qr/"graph_attach_pass_header off" cannot be combined with header names/ ],
    [ 'names, then off', "graph_attach_pass_header X-A;\n"
                         . "graph_attach_pass_header off;",
      qr/"graph_attach_pass_header off" cannot be combined/ ],
    [ 'off, then names', "graph_attach_pass_header off;\n"
                         . "graph_attach_pass_header X-A;",
      qr/"graph_attach_pass_header off" cannot be combined/ ],
) {
    my ($label, $dir, $re) = @$c;
    my ($ok, $out) = conf_test($dir);
    ok(!$ok, "nginx -t refuses graph_attach_pass_header: $label");
    like($out, $re, "  with a clear message: $label") or diag($out);
}

for my $c (
    [ 'every tchar', q{graph_attach_pass_header "X-!#$%&'*+.^_`|~09az";} ],
    [ 'a default name again', 'graph_attach_pass_header Accept User-Agent;' ],
    [ '128 bytes', 'graph_attach_pass_header X-' . 'a' x 126 . ';' ],
    [ 'off', 'graph_attach_pass_header off;' ],
) {
    my ($label, $dir) = @$c;
    my ($ok, $out) = conf_test($dir);
    ok($ok, "nginx -t accepts graph_attach_pass_header: $label") or diag($out);
}

$t->done_testing;
