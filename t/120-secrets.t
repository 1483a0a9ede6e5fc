# Secrets and trust (issue 3): the service token never appears in a
# response (headers, body, error text), in the access log (a format that
# logs every $graph_attach_* variable and $http_authorization), in the
# error log at info level, or in any variable; at debug level only nginx's
# own "http proxy header:" dump of the upstream request holds it (as the
# docs say).  Client credentials and hop-by-hop headers do not reach
# Graph; a client's client-request-id that is no GUID is replaced (a
# GUID passes: t/165-request-ids.t); a header off the
# allow-list does not pass (t/112-hostile-headers.t covers the list).
#
# The harness's teardown also greps every response and every file in
# logs/ for every token.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use GraphAttach::Test;
use GraphAttach::Hostile;

my $t = GraphAttach::Test->new;

my @vars = qw(graph_attach_uri graph_attach_request_id graph_attach_mailbox
              graph_attach_name graph_attach_content_type graph_attach_size
              graph_attach_sha256 graph_attach_result http_authorization
              http_proxy_authorization http_cookie
              upstream_http_authorization sent_http_authorization
              request_body);
my $fmt = join ' ', map { "$_=\"\$$_\"" } @vars;
my $hdr = join '|', map { "\$$_" } grep { !/^(sent|upstream)_/ } @vars;

my $debug_log = $t->servroot . '/tmp/debug.log';

sub loc {
    my ($prefix, $key) = @_;
    return graph_location($prefix,
                          "access_log %%SERVROOT%%/logs/vars.log allvars;\n"
                          . "            add_header X-All-Vars \"$hdr\" always;",
                          $key);
}

$t->start(
    http => "    log_format allvars '$fmt';\n"
          . "    error_log %%SERVROOT%%/logs/error.log info;\n"
          . "    error_log $debug_log debug;\n",
    location => "graph_attach on;\n"
              . "            graph_attach_token_key graph:token:t1;\n"
              . "            access_log %%SERVROOT%%/logs/vars.log allvars;\n"
              . qq{            add_header X-All-Vars "$hdr" always;\n}
              . "            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%"
              . "\$graph_attach_uri;\n",
    server => loc('/rejected/', 'graph:token:rejected')
            . loc('/badjson/', 'graph:token:badjson')
            . loc('/expired/', 'graph:token:expired')
            . loc('/spaced/', 'graph:token:spaced')
            . loc('/missing/', 'graph:token:missing'),
);

my $token = 'eyJ0eXAi.SECRET-good-' . int(rand(1e9));
my $rejected = 'eyJ0eXAi.SECRET-rejected-' . int(rand(1e9));
my $badjson = 'SECRET-badjson-' . int(rand(1e9));
my $expired = 'SECRET-expired-' . int(rand(1e9));
my $spaced1 = 'SECRET-spaced-a' . int(rand(1e9));
my $spaced2 = 'SECRET-spaced-b' . int(rand(1e9));

$GraphAttach::Hostile::TOKEN = $token;
$t->set_token('graph:token:t1', $token);
$t->set_token('graph:token:rejected', $rejected);
$t->redis('SET', 'graph:token:badjson', qq({"access_token":"$badjson",));
$t->set_token('graph:token:expired',
              { access_token => $expired, expires_on => time - 10 });
$t->redis('SET', 'graph:token:spaced', "$spaced1 $spaced2");
$t->secret($_) for $badjson, $spaced1, $spaced2;
$t->graph_tokens($token);          # the stand-in refuses $rejected

my @all = ($token, $rejected, $badjson, $expired, $spaced1, $spaced2);

sub no_token_in {
    my ($text, $label) = @_;
    my @found = grep { index($text // '', $_) >= 0 } @all;
    ok(!@found, "no token in $label") or diag("found @found");
}

sub path_for { "/$_[0]/users/alice\@contoso.com/messages/AAMkAGI1AAA=/attachments" }

# --- an accepted upload with every client header that must not pass -------

my @client_headers = (
    [ 'Authorization', 'Bearer client-own-credential-abc' ],
    [ 'Proxy-Authorization', 'Basic cHJveHktY3JlZGVudGlhbA==' ],
    [ 'Cookie', 'session=client-cookie-value' ],
    [ 'Connection', 'keep-alive, Upgrade, X-Hop-Custom, TE' ],
    [ 'Keep-Alive', 'timeout=5, max=1000' ],
    [ 'TE', 'trailers' ],
    [ 'Upgrade', 'websocket' ],
    [ 'Proxy-Connection', 'keep-alive' ],
    [ 'X-Hop-Custom', 'hop-by-hop-value' ],
    [ 'client-request-id', '{11111111-2222-4333-8444-555555555555}' ],
    [ 'X-Ordinary', 'not-on-the-allow-list' ],
    [ 'User-Agent', 'secrets-test/1.0' ],
);

{
    $t->graph_clear;
    my $c = $t->connect;
    my $raw = $t->build_request(path => $MSG_PATH, headers => \@client_headers,
                                parts => [ good_part(data => 'secret test') ]);
    $raw =~ s/Connection: close\r\n//;      # the client's own Connection
    my $r = send_keepalive($t, $c, $raw);
    $c->close;
    is($r->{status}, 201, 'upload with client credentials: 201')
        or diag($r->{raw_head} . $r->{body});
    no_token_in($r->{raw}, 'the 201 response (head and body)');

    my @rec = $t->graph_records;
    is(scalar @rec, 1, 'one request upstream');
    my $rec = $rec[0];
    $t->check_upstream($rec, label => 'with client credentials',
                       token => $token, name => 'ok.txt',
                       data => 'secret test');

    my %h = %{ $rec->{headers} };
    for my $name (qw(proxy-authorization cookie keep-alive te upgrade
                     proxy-connection)) {
        ok(!exists $h{$name}, "$name not forwarded")
            or diag("$name: $h{$name}");
    }
    unlike($h{connection} // '', qr/upgrade|x-hop|te\b|keep-alive/i,
           "the client's Connection header is not forwarded");
    # RFC 9110 section 7.6.1: the headers the client's Connection names
    # are hop-by-hop too
    ok(!exists $h{'x-hop-custom'},
       'a header named in Connection (hop-by-hop) is not forwarded')
        or diag("x-hop-custom: $h{'x-hop-custom'}");
    ok(!exists $h{'x-ordinary'}, 'a header off the allow-list does not pass')
        or diag("x-ordinary: $h{'x-ordinary'}");
    is($h{'user-agent'}, 'secrets-test/1.0', 'an allowed header passes');
    my $all_up = join "\n", map { "$_->[0]: $_->[1]" } @{ $rec->{header_list} };
    unlike($all_up, qr/client-own-credential|cHJveHktY3JlZGVudGlhbA|client-cookie-value/,
           'no client credential in any upstream header');
    is(scalar(grep { lc $_->[0] eq 'client-request-id' }
              @{ $rec->{header_list} }), 1, 'one client-request-id upstream');
    unlike($h{'client-request-id'}, qr/11111111-2222/,
           "the client's client-request-id in braces is replaced");
    ok(is_guid($h{'client-request-id'}), 'by a fresh GUID');

    # the variables, as the response header shows them
    my $vars = $r->{headers}{'x-all-vars'} // '';
    like($vars, qr/alice\@contoso\.com/, 'X-All-Vars header is there');
    no_token_in($vars, 'any variable (X-All-Vars)');
    unlike($vars, qr/client-own-credential/,
           '$http_authorization is not the client credential either');
}

# --- module errors and Graph errors ----------------------------------------

for my $c (
    [ 'Graph refuses the token (401 relayed)', 'rejected', 401 ],
    [ 'invalid JSON in Redis', 'badjson', 503 ],
    [ 'expired token in Redis', 'expired', 503 ],
    [ 'token with a space in Redis', 'spaced', 503 ],
    [ 'missing key', 'missing', 503 ],
) {
    my ($label, $prefix, $status) = @$c;
    my $r = $t->post(path => path_for($prefix),
                     headers => [ [ 'Authorization', 'Bearer client-x' ] ],
                     parts => [ good_part() ]);
    is($r->{status}, $status, "$label: $status");
    no_token_in($r->{raw}, "$label: response");
    no_token_in($r->{headers}{'x-all-vars'}, "$label: variables");
}

# module refusals: the error text holds no token
for my $c (
    [ 'ExtensionNotAllowed', [ good_part(filename => 'a.exe') ] ],
    [ 'NoFilePart', [ { name => 'x', data => 'y' } ] ],
) {
    my ($code, $parts) = @$c;
    my $r = $t->post(path => $MSG_PATH, parts => $parts);
    is($r->{json}{error}{code}, $code, "refusal $code");
    no_token_in($r->{raw}, "$code response");
}
my $r405 = $t->post(path => $MSG_PATH, method => 'GET');
no_token_in($r405->{raw}, '405 response');

# --- the logs ----------------------------------------------------------------

$t->stop_nginx;

my $access = $t->slurp('logs/vars.log');
like($access, qr/graph_attach_result="accepted"/,
     'the access log has the variables');
no_token_in($access, 'the access log (every $graph_attach_* variable, '
                     . '$http_authorization, $request_body)');
unlike($access, qr/http_authorization="Bearer (?!client-)/,
       '$http_authorization holds no Bearer value after the rewrite');

my $info = $t->slurp('logs/error.log');
like($info, qr/\[info\]/, 'error.log has info lines');
no_token_in($info, 'error.log at info level');
like($info, qr/graph:token:badjson/, 'the invalid JSON key is logged ...');

my $debug = $t->slurp($debug_log);
like($debug, qr/\[debug\].*graph_attach: /, 'the debug log has module lines');
like($debug, qr/http proxy header:/,
     'the debug log has the proxy module header dump');
ok(index($debug, $token) >= 0,
   'the token is in the debug log (nginx proxy header dump, documented)');
my $stripped = strip_proxy_debug($debug);
no_token_in($stripped, 'the debug log outside "http proxy header:" dumps');
unlike($stripped, qr/Authorization: Bearer (?!client-)/,
       'no service Authorization value outside the dumps');

$t->done_testing;
